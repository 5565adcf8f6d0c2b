"""Public rankings (公开排行): the latest published period, as a light page and as JSON.

Only a run that an admin or a matrix office has published (:mod:`zhengwu.index.access`)
is shown, and only what a published ranking says: rank, movement, account and body
names, sector, level, score. Compliance reasons, uids of people, explanations and
unpublished runs stay inside the console. Both answers are cacheable (``Cache-Control:
public``) and carry an ETag made from the run, its computation time and its publication,
so a phone that asks again with ``If-None-Match`` gets an empty 304. While an import or
index run holds the analytics store, the last board served for the same filters is served
again (see ``_answer``), so the public page does not go dark during a long import.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from zhengwu.config import get_settings
from zhengwu.content.store import open_store
from zhengwu.errors import BusyError, NotFoundError
from zhengwu.index import access, ranking, results
from zhengwu.index.dimensions import UNKNOWN
from zhengwu.index.models import PublishedRun
from zhengwu.web.console.base import lang_switch, templates
from zhengwu.web.deps import DB

log = logging.getLogger(__name__)
router = APIRouter(tags=["public 公众"])
MAX_AGE = 300
PLATFORM_LABELS = {"weibo": "微博", "wechat": "微信", "douyin": "抖音", "all": "机构综合"}
# The page reads Chinese; ``?lang=en`` (kept by its links and its form) reads English.
PLATFORM_LABELS_EN = {"weibo": "Weibo", "wechat": "WeChat", "douyin": "Douyin",
                      "all": "Organisations (all platforms)"}  # fmt: skip
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


def _headers(etag: str, *, max_age: int = MAX_AGE) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Accept"}


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
    answer = _answer(request, db, "json", platform, sector, top)
    if answer.response is not None:
        return answer.response
    if answer.board is None:
        raise NotFoundError("还没有已发布的排行", "no rankings have been published yet")
    return JSONResponse(answer.board, headers=answer.headers)


@router.get("/rankings", response_class=HTMLResponse, include_in_schema=False)
def rankings_page(
    request: Request, db: DB, platform: str | None = None, sector: str | None = None,
    top: Annotated[int, Query(ge=1, le=500)] = 100, lang: str = "",
) -> Response:  # fmt: skip
    """Render the latest published rankings as a light, phone-friendly page (Chinese; in
    English with ``lang=en``, which its links and its filter form keep)."""
    en = lang == "en"
    answer = _answer(request, db, "html-en" if en else "html", platform, sector, top)
    if answer.response is not None:
        return answer.response
    page = templates.get_template("public_rankings.html").render(
        board=answer.board, platform_labels=PLATFORM_LABELS_EN if en else PLATFORM_LABELS,
        lang="en" if en else "zh", lang_switch=lang_switch(request, lang),
    )  # fmt: skip
    return HTMLResponse(page, headers=answer.headers)


# ---- the answer, and the last one kept for when the store is busy ---------------------------
#
# The analytics store is one DuckDB file that a writing process (an import, an index run)
# holds alone: a page that meets it waits ``store_read_wait`` seconds, then answers 503.
# The public pages are what citizens and the press see, so they do not go dark while a long
# import writes: each board served is also kept as a small JSON file under
# ``<data dir>/cache/public-rankings/`` — one per valid platform × sector filter (filters
# that only earn a notice are not kept, so the files stay few whatever is asked), holding
# the most rows asked for — and, while the store is busy, the kept board of the same filters
# is served again (its first ``top`` rows), provided the operational database still names
# its run and publication as the latest (a withdrawal or a newer publication takes effect at
# once: then the 503 stands). Such an answer carries the same ETag as the fresh one would,
# says so in ``X-Zhengwu-Stale`` and asks caches to come back sooner.

STALE_MAX_AGE = 30


@dataclass(slots=True)
class _Answer:
    board: dict[str, Any] | None
    headers: dict[str, str]
    response: Response | None = None  # a 304


def _answer(
    request: Request, db: Session, kind: str, platform: str | None, sector: str | None, top: int
) -> _Answer:
    """Return the board for these filters (fresh, or the kept one while the store is busy)."""
    try:
        with open_store(read_only=True) as con:
            published, created = _stamp(db, con)
            etag = _etag(published, created, kind, platform, sector, top)
            if _not_modified(request, etag):
                return _Answer(None, {}, Response(status_code=304, headers=_headers(etag)))
            board = _board(con, published, platform, sector, top)
    except BusyError:
        kept = _kept(db, platform, sector, top)
        if kept is None:
            raise
        latest, kept_created, board = kept
        etag = _etag(latest, kept_created, kind, platform, sector, top)
        headers = _headers(etag, max_age=STALE_MAX_AGE)
        headers["X-Zhengwu-Stale"] = "store-busy"
        if _not_modified(request, etag):
            return _Answer(None, {}, Response(status_code=304, headers=headers))
        return _Answer(board, headers)
    if board is not None and not board["notices"]:
        _keep(platform, sector, top, str(created), board)
    return _Answer(board, _headers(etag))


def _kept_path(platform: str | None, sector: str | None) -> Path:
    key = json.dumps([platform, sector], ensure_ascii=False)
    name = hashlib.sha256(key.encode()).hexdigest()[:32] + ".json"
    return get_settings().data_dir / "cache" / "public-rankings" / name


# What this process has kept per file (run, publication, computation, rows asked for), so
# that a board already kept is not written again on every request.
_kept_now: dict[Path, tuple[str, str, str, int]] = {}


def _keep(
    platform: str | None, sector: str | None, top: int, created: str, board: dict[str, Any]
) -> None:
    """Keep ``board`` for the busy store (atomically; a failure to write only logs)."""
    path = _kept_path(platform, sector)
    run = (str(board["run_id"]), str(board["published_at"]), created)
    before = _kept_now.get(path)
    if before is not None and before[:3] == run and before[3] >= top:
        return  # the same run's board with as many rows or more is kept already
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        body = {"created": created, "top": top, "board": board}
        partial.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        partial.replace(path)
    except OSError as exc:  # a read-only or full disk must not break the public page
        log.warning("could not keep the public board in %s: %s", path, exc)
        return
    _kept_now[path] = (*run, top)


def _kept(
    db: Session, platform: str | None, sector: str | None, top: int
) -> tuple[PublishedRun, str, dict[str, Any]] | None:
    """Return the latest publication, its computation time and the kept board's first
    ``top`` rows, if the kept board is of that publication and has them (None otherwise)."""
    try:
        kept = json.loads(_kept_path(platform, sector).read_text(encoding="utf-8"))
        created, kept_top, board = str(kept["created"]), int(kept["top"]), dict(kept["board"])
        rows = list(board["rows"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    # Without the store, "latest" is the operational database's latest publication: the
    # kept board must be of that run and that publication (not withdrawn, not superseded).
    latest = access.latest_publication(db)
    if (
        latest is None
        or board.get("run_id") != latest.run_id
        or board.get("published_at") != latest.published_at.isoformat()
        or (top > kept_top and len(rows) >= kept_top)  # more rows asked than were kept
    ):
        return None
    board["rows"] = rows[:top]
    return latest, created, board
