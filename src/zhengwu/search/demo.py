"""The demo's search step: index the simulated city's accounts and requests."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.orm import Session

from zhengwu.search import indexer


def run(session: Session, analytics: Any, truth: Any) -> dict[str, Any]:
    """Build the search index of accounts and requests; return counts and seconds."""
    started = time.perf_counter()
    done = indexer.refresh(session)
    return {**done, "seconds": round(time.perf_counter() - started, 1)}
