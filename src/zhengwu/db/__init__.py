"""Operational database: engine, sessions, metadata and migrations."""
