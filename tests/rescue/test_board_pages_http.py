"""The public board page over real HTTP (SQLite and PostgreSQL): its waiting list has
上一页 / 下一页 links in a labelled ``nav`` on every page, which keep the other query
parameters, and following them shows every waiting request once."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.board import BOARD_PAGE
from zhengwu.rescue.demo import simulate_requests
from zhengwu.rescue.models import HelpRequest
from zhengwu.rescue.schemas import IncidentCreate
from zhengwu.rescue.workflow import OPEN_STATES

from .conftest import DISPATCHER, START

_PAGER = re.compile(r'<nav class="pager" aria-label="待救援求助分页" id="requests-pager">(.*?)</nav>',
                    re.S)  # fmt: skip


def _link(pager: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', pager)
    return unescape(found[1]) if found else None


def test_the_board_pages_forward_and_back_keeping_its_parameters(
    live_server: str, committed_engine: Engine
) -> None:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="看板分页", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        simulate_requests(session, incident_id=incident.id, count=3 * BOARD_PAGE, now=now, seed=5)
        session.commit()
        waiting = {r.id for r in session.scalars(select(HelpRequest).where(
            HelpRequest.incident_id == incident.id, HelpRequest.state.in_(OPEN_STATES)))}  # fmt: skip
        iid = incident.id
    assert len(waiting) > 2 * BOARD_PAGE  # three pages at least
    base = f"{live_server}/board/rescue/{iid}"
    url: str | None = f"{base}?from=weibo"
    shown: list[int] = []
    pagers: list[str] = []
    while url:
        page = httpx.get(url, timeout=60)
        assert page.status_code == 200, page.text
        shown += [int(i) for i in re.findall(r'<div class="card" id="request-(\d+)">', page.text)]
        pager = _PAGER.search(page.text)
        assert pager, "every page of a long list has its pager"
        pagers.append(pager[1])
        following = _link(pager[1], "next")
        if following:
            assert parse_qs(urlsplit(following).query)["from"] == ["weibo"]
            assert following.endswith("#waiting")
        url = f"{base}{following}" if following else None
    assert len(shown) == len(set(shown)) == len(waiting) and set(shown) == waiting
    pages = len(pagers)
    assert f"第 1 / {pages} 页" in pagers[0] and f"第 {pages} / {pages} 页" in pagers[-1]
    assert _link(pagers[0], "prev") is None and _link(pagers[-1], "next") is None
    # Past the first page, both directions; 上一页 from page 2 is the first page.
    assert _link(pagers[1], "prev") and _link(pagers[1], "next")
    back = _link(pagers[1], "prev")
    assert back is not None and "offset" not in parse_qs(urlsplit(back).query)
    assert parse_qs(urlsplit(back).query)["from"] == ["weibo"]
    last = _link(pagers[-1], "prev")
    assert last is not None
    assert parse_qs(urlsplit(last).query)["offset"] == [str((pages - 2) * BOARD_PAGE)]
