"""JSON API of search: ``GET /api/search`` (logged-in users; the public gets 403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from zhengwu.search import service
from zhengwu.search.models import KINDS, SearchResults
from zhengwu.web.deps import DB, CurrentPrincipal

router = APIRouter(prefix="/api/search", tags=["search 搜索"])


@router.get("", response_model=SearchResults)
def search(
    db: DB,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(description="搜索词 (query), 1–100 characters")] = "",
    kind: Annotated[
        list[str] | None, Query(description=f"类别 (kind), repeatable: {', '.join(KINDS)}")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 20,
    days: Annotated[
        int,
        Query(
            ge=1,
            le=366,
            description="帖文时间窗：截至库中最新帖文的天数 (days of posts, up to the newest post)",
        ),
    ] = 7,
) -> SearchResults:
    """Search accounts, requests, content items and posts within what the caller may see."""
    return service.search(db, principal, q, kinds=kind or None, limit=limit, post_days=days)
