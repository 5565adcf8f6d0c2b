"""Users, roles, sessions and API tokens; the :class:`Principal` every access rule reads."""
