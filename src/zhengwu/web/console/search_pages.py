"""Console search page (搜索): one box, tabs per kind with counts, highlighted masked snippets."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from zhengwu.errors import InvalidInputError
from zhengwu.search import access, posts
from zhengwu.search import service as search_service
from zhengwu.search.models import KIND_LABELS, SearchResults
from zhengwu.web.console.base import ConsoleDB, ConsoleRoute, Viewer, render, require

router = APIRouter(prefix="/console/search", route_class=ConsoleRoute, include_in_schema=False)


# The post windows offered, as the ``days`` parameter spells them, with their labels.
WINDOWS = {("all" if d is None else str(d)): ("全部帖文" if d is None else f"最近 {d} 天")
           for d in posts.WINDOW_CHOICES}  # fmt: skip


def _post_days(days: str) -> int | None:
    """Return the post window the ``days`` parameter asks for (None: all), or refuse it."""
    if days not in WINDOWS:
        raise InvalidInputError(
            f"帖文时间范围应为 {'、'.join(WINDOWS)} 之一：{days}",
            f"the posts window must be one of {', '.join(WINDOWS)}: {days}",
        )
    return None if days == "all" else int(days)


@router.get("", response_class=HTMLResponse)
def search_page(
    request: Request, db: ConsoleDB, principal: Viewer, q: str | None = None, kind: str = "",
    days: str = str(posts.DEFAULT_DAYS),
) -> HTMLResponse:  # fmt: skip
    """Search accounts, requests, content items and posts you may see.

    Posts are searched in the chosen window (``days``: 7, 30, 90, 365 or all) ending at the
    newest post in the store, so an old dataset stays searchable; the page names the window.
    """
    require(principal, "search")
    kinds = access.searchable_kinds(principal)
    results: SearchResults | None = None
    error: InvalidInputError | None = None
    if q is not None:
        try:
            results = search_service.search(db, principal, q, limit=20, post_days=_post_days(days))
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
        stale_note=search_service.lag_note(stale), days=days if days in WINDOWS else "7",
        windows=WINDOWS,
    )  # fmt: skip
