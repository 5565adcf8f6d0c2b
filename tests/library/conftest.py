"""Fixtures of the library tests: the small province in a rolled-back session."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from .world import World, build_world


@pytest.fixture
def world(session: Session) -> World:
    """The province of ``world.py`` in the test's session."""
    return build_world(session)
