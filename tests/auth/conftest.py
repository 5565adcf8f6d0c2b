"""The auth tests check passwords hashed with the production argon2id parameters."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _production_hasher(production_password_hasher: None) -> None:
    """Every test here runs with the hasher production uses (the rest of the suite does not)."""
