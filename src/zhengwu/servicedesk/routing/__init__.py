"""Routing as data: (category × division) → responsible organisation, versioned."""
