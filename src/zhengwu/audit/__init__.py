"""The audit log: every state change of every entity, with who, when and why."""
