"""The desk queue's fast paths show exactly what the access rule lets each role list.

The queue reads candidates per way of access (lead, co-handler, matrix queue …) and pages
by a cursor; following its "next" links must give every request ``service.search`` gives,
in the same order, once — for each role and filter, with many requests at one instant.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.servicedesk import service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.filters import RequestFilters
from zhengwu.servicedesk.models import RequestHelper, ServiceRequest

from .test_console_world import ConsoleWorld, build_console_world, login

STATES = ("received", "accepted", "in_progress", "replied", "resolved", "followed_up",
          "returned", "duplicate")  # fmt: skip


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console city plus 420 random requests, 150 of them received at one instant."""
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    rng = random.Random(11)
    now = datetime.now(UTC)
    instant = now - timedelta(days=30)
    with Session(committed_engine) as s:
        codes = [c.code for c in category_service.get_tree(s)]
        orgs = [*world.orgs.values(), None]
        matrices = [*world.matrices.values(), None]
        lead = world.orgs["js_housing"]  # the handler's: more than a page of its own
        for i in range(420):
            received = instant if i < 150 else now - timedelta(seconds=rng.randrange(90 * 86400))
            req = ServiceRequest(
                public_id=f"SRQ{i:06d}", citizen_token_hash="x" * 64, state=rng.choice(STATES),
                source="form", source_ref=f"form:q{i}", text=f"测试诉求{i}",
                text_masked=f"测试诉求{i}", fingerprint="f" * 40,
                category_code=rng.choice(codes),
                organization_id=lead if rng.random() < 0.35 else rng.choice(orgs),
                matrix_id=rng.choice(matrices), received_at=received,
                resolve_due=received + timedelta(days=rng.choice((5, 20, 60))),
            )  # fmt: skip
            s.add(req)
            s.flush()
            if rng.random() < 0.15:
                helper = rng.choice([o for o in orgs if o and o != req.organization_id])
                s.add(RequestHelper(request_id=req.id, organization_id=helper))
        s.commit()
    return world


def _follow(client: httpx.Client, params: dict[str, str]) -> list[str]:
    """Return the request ids of every page, following the "next" links."""
    seen: list[str] = []
    page = client.get("/console/desk", params=params)
    for _ in range(50):
        assert page.status_code == 200, page.text
        seen += re.findall(r'<a href="/console/desk/(SR[A-Z0-9]+)">', page.text)
        nxt = re.search(r'<a href="\?([^"]+)">下一页', page.text)
        if nxt is None:
            return seen
        page = client.get("/console/desk?" + nxt[1].replace("&amp;", "&"))
    raise AssertionError("too many pages")


@pytest.mark.parametrize("username", ["admin", "office", "handler"])
def test_every_page_of_every_filter_matches_the_access_rule(
    client: httpx.Client, committed_engine: Engine, world: ConsoleWorld, username: str
) -> None:
    login(client, username)
    with Session(committed_engine) as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        principal = auth_service.principal_of(user)
        top = category_service.get_tree(s)[0]
        lead = world.orgs["js_housing"]
        under = [c.code for c in category_service.get_tree(s)
                 if top.code in category_service.lineage(category_service.get_tree(s), c.code)]  # fmt: skip
        filters: list[tuple[dict[str, str], dict[str, object]]] = [
            ({}, {}),
            ({"state": "accepted"}, {"states": ["accepted"]}),
            ({"overdue": "1"}, {"overdue": True}),
            ({"category": top.code}, {"category_codes": under}),
            # Filters off the fast path, kept in the paging links.
            (
                {"channel": "form", "state": "received"},
                {"filters": RequestFilters(channels=["form"], states=["received"])},
            ),
            ({"organization_id": str(lead)}, {"filters": RequestFilters(organization_id=lead)}),
        ]
        for params, search in filters:
            want = [r.public_id for r in service.search(
                s, principal=principal, limit=10_000, **search)]  # type: ignore[arg-type]  # fmt: skip
            got = _follow(client, params)
            assert got == want, params
            # The total: counted per way of access, the same as the rows listed.
            first = client.get("/console/desk", params=params)
            assert f"共 {len(want):,} 件" in first.text, params
            if not params:
                assert len(want) > 100  # more than one page
    assert client.get("/console/desk", params={"before": "yesterday"}).status_code == 422
    assert client.get("/console/desk", params={"category": "nope"}).status_code == 422
