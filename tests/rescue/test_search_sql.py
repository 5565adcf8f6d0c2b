"""The queue's search (``q``) in SQL: the same requests as the former in-Python search for
every viewer, with the filters, the order, the paging and a true total; the incident's
rows are not loaded to search them; the stored search texts follow every change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from zhengwu.auth.principal import Principal
from zhengwu.rescue import corrections, dispatch, intake, listing, lookup
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.demo import simulate_requests
from zhengwu.rescue.models import HelpRequest, HelpSource, Incident, Team
from zhengwu.rescue.schemas import HelpSubmission, RequestEdit

from .conftest import COPY, DISPATCHER, ORIGINAL, OTHER, post

NOW = datetime(2021, 7, 22, 12, 0, tzinfo=UTC)
QUERIES = ["文化路", "张建国", "1111", "138 0000 1111", "文化路 1111", "１３８", "大学路 2222",
           "被困", "二楼 张", "金水区", "号院3号楼", "100%", "a_b", "13", "文化路12号院"]  # fmt: skip


@pytest.fixture
def searched(
    session: Session, make_incident: Callable[..., Incident], make_team: Callable[..., Team]
) -> tuple[Incident, Team]:
    incident, team = make_incident(), make_team()
    simulate_requests(session, incident_id=incident.id, count=200, now=NOW,
                      team_ids=[team.id], seed=9)  # fmt: skip
    done = intake.take_in(session, incident=incident, actor=DISPATCHER,
                          posts=[post("1", ORIGINAL), post("2", COPY, 3), post("3", OTHER, 5)])  # fmt: skip
    first = rescue_service.get_request(session, request_id=done.requests[("weibo", "1")].id)
    dispatch.assign(session, request=first, team=team, actor=DISPATCHER)
    intake.submit(session, incident=incident, actor=DISPATCHER, data=HelpSubmission(
        text="郑州市金水区文化路１２号院，电话１３９ ０００１ ２３４５，三人被困", name="王芳"))  # fmt: skip
    session.flush()
    session.expire_all()
    return incident, team


def _every(session: Session, incident: Incident) -> list[HelpRequest]:
    """Every request of ``incident`` with its mirrors, loaded once for :func:`_former`."""
    return list(session.scalars(select(HelpRequest).where(HelpRequest.incident_id == incident.id)
                                .options(selectinload(HelpRequest.sources))).all())  # fmt: skip


def _former(every: list[HelpRequest], principal: Principal,
            filters: listing.Filters, q: str) -> list[int]:  # fmt: skip
    """The search as it was: every filtered request loaded, ranked, matched in Python
    (a team member's: their own team's requests, whatever team the filters name)."""
    team = principal.team_id if principal.role == "team" else filters.team_id
    wanted = [r for r in every if (r.state in filters.states if filters.states
                                   else r.state != "merged")
              and (team is None or r.team_id == team)]  # fmt: skip
    return [r.id for r in lookup.search(principal, rescue_service.rank(wanted, now=NOW), q)]


def _pages(session: Session, principal: Principal, incident: Incident,
           filters: listing.Filters, q: str, size: int = 7) -> tuple[int, list[int]]:  # fmt: skip
    ids: list[int] = []
    offset, total = 0, None
    while True:
        found = listing.search_page(session, principal, incident=incident, filters=filters,
                                    q=q, offset=offset, limit=size, now=NOW)  # fmt: skip
        total = found.total if total is None else total
        assert found.total == total
        if offset >= max(total, 1):
            break
        ids += [r.id for r in found.items]
        offset += size
    return total, ids


def test_the_sql_search_finds_what_the_python_search_found(
    session: Session, searched: tuple[Incident, Team]
) -> None:
    incident, team = searched
    member = Principal(role="team", user_id=None, username="t", team_id=team.id)
    hits = 0
    every = _every(session, incident)
    for principal in (DISPATCHER, member):
        for filters in (listing.Filters(), listing.Filters(states=()),
                        listing.Filters(states=("dispatched", "on_scene"), team_id=team.id)):  # fmt: skip
            for q in QUERIES:
                wanted = _former(every, principal, filters, q)
                total, ids = _pages(session, principal, incident, filters, q, size=23)
                assert (total, ids) == (len(wanted), wanted), (principal.role, filters, q)
                hits += bool(wanted)
    assert hits > 30  # the queries do find things
    # A team member finds its own request by phone, never another team's by a masked one.
    assert _pages(session, member, incident, listing.Filters(states=()), "1111")[0] >= 1
    assert _pages(session, member, incident, listing.Filters(states=()), "2222")[0] == 0
    assert _pages(session, DISPATCHER, incident, listing.Filters(states=()), "2222")[0] == 1
    assert _pages(session, DISPATCHER, incident, listing.Filters(), "1345")[0] == 0
    assert _pages(session, DISPATCHER, incident, listing.Filters(), "0001 2345")[0] == 1


def test_a_dispatchers_search_loads_only_the_page(
    session: Session, searched: tuple[Incident, Team]
) -> None:
    incident, _ = searched
    loaded: list[int] = []

    def on_load(target: HelpRequest, _context: object) -> None:
        loaded.append(target.id)

    event.listen(HelpRequest, "load", on_load)
    try:
        session.expire_all()
        found = listing.search_page(session, DISPATCHER, incident=incident,
                                    filters=listing.Filters(states=()), q="被困", offset=7,
                                    limit=5, now=NOW)  # fmt: skip
    finally:
        event.remove(HelpRequest, "load", on_load)
    assert found.total > 150  # nearly every simulated text says 被困
    assert len(found.items) == 5 and sorted(loaded) == sorted(r.id for r in found.items)


def test_the_search_texts_follow_edits_mirrors_and_splits(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    done = intake.take_in(session, incident=incident, actor=DISPATCHER, posts=[post("1", ORIGINAL)])
    request = rescue_service.get_request(session, request_id=done.requests[("weibo", "1")].id)

    def find(q: str) -> list[int]:
        session.flush()
        return _pages(session, DISPATCHER, incident, listing.Filters(states=()), q)[1]

    assert find("文化路32号院") == [request.id]
    corrections.edit_request(session, request=request, actor=DISPATCHER, data=RequestEdit(
        address="郑州市金水区花园路88号", phones=["13700009999"], reason="电话核实"))  # fmt: skip
    assert find("花园路88号") == [request.id] and find("9999") == [request.id]
    assert find("13800001111") == [request.id]  # still in the post's text
    intake.take_in(session, incident=incident, actor=DISPATCHER,
                   posts=[post("2", COPY + " 楼下还有邻居老周", 9)])  # fmt: skip
    assert find("老周") == [request.id]  # a mirror's words
    source = session.scalars(select(HelpSource).where(HelpSource.post_id == "2")).one()
    split = intake.unmerge(session, source=source, actor=DISPATCHER, reason="不是同一户")
    assert find("老周") == [split.id]  # moved with its post
    assert find("不存在的地名") == []
