"""Console search page (搜索): one box, tabs per kind with counts, highlighted masked snippets."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from zhengwu.errors import InvalidInputError
from zhengwu.search import access
from zhengwu.search import service as search_service
from zhengwu.search.models import KIND_LABELS, SearchResults
from zhengwu.web.console.base import ConsoleDB, ConsoleRoute, Viewer, render, require

router = APIRouter(prefix="/console/search", route_class=ConsoleRoute, include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def search_page(
    request: Request, db: ConsoleDB, principal: Viewer, q: str | None = None, kind: str = ""
) -> HTMLResponse:
    """Search accounts, requests, content items and posts you may see."""
    require(principal, "search")
    kinds = access.searchable_kinds(principal)
    results: SearchResults | None = None
    error: InvalidInputError | None = None
    if q is not None:
        try:
            results = search_service.search(db, principal, q, limit=20)
        except InvalidInputError as exc:
            error = exc
    shown = kind if kind in kinds else ""
    hits = [h for h in results.hits if not shown or h.kind == shown] if results else []
    # The notice shows before any query too: the user learns what is not findable yet.
    stale = results.stale if results else search_service.index_lag(db, principal)
    return render(
        request, "search.html", area="search", status_code=422 if error else 200,
        q=q or "", kind=shown, kinds=kinds, labels=KIND_LABELS, results=results, hits=hits,
        error=error, max_query=search_service.MAX_QUERY, stale=stale,
        stale_note=search_service.lag_note(stale),
    )  # fmt: skip
