"""Posts and their metric snapshots (the analytics store), labels, assets and distribution."""
