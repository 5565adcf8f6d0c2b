"""Public rankings (公开排行): the latest published period, as a light page and as JSON.

Only a run that an admin or a matrix office has published (:mod:`zhengwu.index.access`)
is shown, and only what a published ranking says: rank, movement, account and body
names, sector, level, score. Compliance reasons, uids of people, explanations and
unpublished runs stay inside the console. Both answers are cacheable (``Cache-Control:
public``) and carry an ETag made from the run, its computation time and its publication,
so a phone that asks again with ``If-None-Match`` gets an empty 304.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from zhengwu.content.store import open_store
from zhengwu.errors import NotFoundError
from zhengwu.index import access, ranking, results
from zhengwu.index.dimensions import UNKNOWN
from zhengwu.index.models import PublishedRun
from zhengwu.web.console.base import templates
from zhengwu.web.deps import DB

router = APIRouter(tags=["public 公众"])
MAX_AGE = 300
PLATFORM_LABELS = {"weibo": "微博", "wechat": "微信", "douyin": "抖音", "all": "机构综合"}
_ROW_FIELDS = (
    "rank", "previous_rank", "movement", "name", "org_name", "sector", "level", "score",
    "percentile",
)  # fmt: skip


def _distinct(con: duckdb.DuckDBPyConnection, column: str, run_id: str) -> list[str]:
    rows = con.execute(
        f"SELECT DISTINCT {column} FROM index_totals WHERE run_id = ? ORDER BY 1", [run_id]
    ).fetchall()
    return [str(r[0]) for r in rows if r[0] not in (None, "")]


def _etag(published: PublishedRun | None, created: Any, *parts: object) -> str:
    key = "|".join(
        str(p)
        for p in (
            published.run_id if published else "-", published.published_at if published else "-",
            created, *parts,
        )
    )  # fmt: skip
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _headers(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": f"public, max-age={MAX_AGE}", "Vary": "Accept"}


def _not_modified(request: Request, etag: str) -> bool:
    sent = request.headers.get("if-none-match", "")
    return etag in {t.strip() for t in sent.split(",")} or sent.strip() == "*"


def _board(
    con: duckdb.DuckDBPyConnection, published: PublishedRun | None, platform: str | None,
    sector: str | None, top: int,
) -> dict[str, Any] | None:  # fmt: skip
    """Return the public ranking of the published run (None when nothing is published)."""
    if published is None:
        return None
    run = results.get_run(con, published.run_id)
    platforms = _distinct(con, "platform", published.run_id)
    # Bodies of no known sector are not a sector one could choose: not in the filter.
    sectors = [s for s in _distinct(con, "sector", published.run_id) if s != UNKNOWN]
    notices: list[str] = []
    chosen = platform if platform in platforms else ("weibo" if "weibo" in platforms else None)
    chosen = chosen or (platforms[0] if platforms else "weibo")
    if platform and platform != chosen:
        labels = "、".join(f"{PLATFORM_LABELS.get(p, p)}（{p}）" for p in platforms)
        notices.append(
            f"没有平台「{platform}」的排行，显示{PLATFORM_LABELS.get(chosen, chosen)}；可选：{labels}。"
            f" No ranking for platform {platform!r}; showing {chosen}. Valid: {', '.join(platforms)}."
        )
    if sector and sector not in sectors:
        notices.append(
            f"没有「{sector}」系统的排行，显示全部系统。"
            f" No ranking for sector {sector!r}; showing all sectors."
        )
        sector = None
    # The paged path: only the Top-``top`` rows leave DuckDB, and of the failing accounts
    # (~150 000 in a national run) only their count, which is all the public sees of them.
    found = ranking.ranking_page(
        con, published.run_id, platform=chosen, by="sector" if sector else "platform",
        group=sector, limit=top, head=0, excluded_limit=0,
    )  # fmt: skip
    rows = [
        {k: (None if k in ("sector", "level") and r[k] == UNKNOWN else r[k]) for k in _ROW_FIELDS}
        for r in found["rows"]
    ]
    board = {
        "system": published.system, "period": published.period, "run_id": published.run_id,
        "period_end": published.period_end.isoformat(),
        "published_at": published.published_at.isoformat(),
        "computed_at": run["created_at"].isoformat() if run["created_at"] else None,
        "previous_period_compared": found["previous_run"] is not None,
        "platform": chosen, "sector": sector, "platforms": platforms, "sectors": sectors,
        "excluded_count": found["excluded_count"], "rows": rows, "notices": notices,
    }  # fmt: skip
    return board


def _stamp(session: Session, con: duckdb.DuckDBPyConnection) -> tuple[PublishedRun | None, Any]:
    """Return the latest publication and its run's computation time (what the ETag hangs on)."""
    published = access.latest_published(session, con)
    if published is None:
        return None, None
    return published, results.get_run(con, published.run_id)["created_at"]


@router.get("/api/public/rankings")
def public_rankings(
    request: Request, db: DB, platform: str | None = None, sector: str | None = None,
    top: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:  # fmt: skip
    """Return the rankings of the latest published period (public, cacheable, with ETag)."""
    with open_store(read_only=True) as con:
        published, created = _stamp(db, con)
        if published is None:
            raise NotFoundError("还没有已发布的排行", "no rankings have been published yet")
        etag = _etag(published, created, "json", platform, sector, top)
        if _not_modified(request, etag):
            return Response(status_code=304, headers=_headers(etag))
        board = _board(con, published, platform, sector, top)
    return JSONResponse(board, headers=_headers(etag))


@router.get("/rankings", response_class=HTMLResponse, include_in_schema=False)
def rankings_page(
    request: Request, db: DB, platform: str | None = None, sector: str | None = None,
    top: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:  # fmt: skip
    """Render the latest published rankings as a light, phone-friendly page."""
    with open_store(read_only=True) as con:
        published, created = _stamp(db, con)
        etag = _etag(published, created, "html", platform, sector, top)
        if _not_modified(request, etag):
            return Response(status_code=304, headers=_headers(etag))
        board = _board(con, published, platform, sector, top)
    page = templates.get_template("public_rankings.html").render(
        board=board, platform_labels=PLATFORM_LABELS
    )
    return HTMLResponse(page, headers=_headers(etag))
