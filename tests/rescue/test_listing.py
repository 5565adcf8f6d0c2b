"""Rescue lists in SQL (zhengwu.rescue.listing): the database's priority order is the
Python score's, pages neither repeat nor skip a request, filters and counts agree with
the rows, and the board's pages stay masked for the public."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.errors import ConflictError
from zhengwu.rescue import board, listing, priority
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.demo import simulate_requests
from zhengwu.rescue.models import Fulfilment, HelpRequest, Incident, Team
from zhengwu.rescue.notices import WITHDRAWN_OUTCOMES
from zhengwu.rescue.workflow import OPEN_STATES

from .conftest import DISPATCHER, sent_statements

NOW = datetime(2021, 7, 22, 12, 0, tzinfo=UTC)
COUNT = 240


@pytest.fixture
def seeded(session: Session, make_incident, make_team) -> tuple[Incident, list[Team]]:  # type: ignore[no-untyped-def]
    incident = make_incident()
    teams = [make_team("A队"), make_team("B队")]
    simulate_requests(session, incident_id=incident.id, count=COUNT, now=NOW,
                      team_ids=[t.id for t in teams], seed=7)  # fmt: skip
    other = make_incident("另一场灾情")  # its requests never leak into the first one's lists
    simulate_requests(session, incident_id=other.id, count=30, now=NOW, seed=8)
    session.flush()
    session.expire_all()
    return incident, teams


def _all_pages(
    session: Session, incident: Incident, filters: listing.Filters, size: int
) -> list[int]:
    first = listing.page(session, incident=incident, filters=filters, offset=0, limit=size,
                         now=NOW)  # fmt: skip
    ids = [r.id for r in first.items]
    for offset in range(size, first.total, size):
        found = listing.page(session, incident=incident, filters=filters, offset=offset,
                             limit=size, now=NOW)  # fmt: skip
        assert found.total == first.total and found.offset == offset
        ids += [r.id for r in found.items]
    assert len(ids) == first.total
    return ids


def test_stored_scores_equal_the_python_scores(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    incident, _ = seeded
    rows = session.execute(
        select(HelpRequest.id, HelpRequest.priority_base, HelpRequest.priority_fresh)
        .where(HelpRequest.incident_id == incident.id)
    ).all()  # fmt: skip
    requests = {r.id: r for r in rescue_service.requests_of(session, incident=incident)}
    assert len(rows) == COUNT
    assert [(rid, base, fresh) for rid, base, fresh in rows] == [
        (rid, *priority.stored(requests[rid])) for rid, _, _ in rows
    ]
    for request in requests.values():  # the score shown is the stored base + the marks waited
        shown, parts = priority.score(request, now=NOW)
        waited = priority.marks_waited(request.reported_at, NOW)
        assert round(shown * 10) == request.priority_base + waited
        assert abs(shown - sum(parts.values())) < 1e-9


@pytest.mark.parametrize("size", [7, 50])
def test_priority_pages_follow_the_python_rank(session: Session, seeded, size: int) -> None:  # type: ignore[no-untyped-def]
    incident, _ = seeded
    every = rescue_service.requests_of(session, incident=incident)
    for states in (OPEN_STATES, ()):
        filters = listing.Filters(states=states)
        wanted = [r for r in every if not states or r.state in states]
        ids = _all_pages(session, incident, filters, size)
        assert ids == [r.id for r in rescue_service.rank(wanted, now=NOW)]
        assert len(set(ids)) == len(ids)  # no request twice, none skipped (same length)


def test_filters_sorts_and_totals(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    incident, teams = seeded
    every = rescue_service.requests_of(session, incident=incident)
    team = teams[0]
    cases = [
        (listing.Filters(states=("dispatched", "on_scene"), team_id=team.id),
         lambda r: r.state in ("dispatched", "on_scene") and r.team_id == team.id),
        (listing.Filters(urgency="critical"), lambda r: r.state in OPEN_STATES and r.urgency == "critical"),
        (listing.Filters(states=("resolved",)), lambda r: r.state == "resolved"),
    ]  # fmt: skip
    for filters, keep in cases:
        wanted = [r for r in every if keep(r)]
        assert wanted, filters  # the seed gives every case some rows
        ids = _all_pages(session, incident, filters, 9)
        assert ids == [r.id for r in rescue_service.rank(wanted, now=NOW)]
    oldest = _all_pages(session, incident, listing.Filters(states=(), sort="oldest"), 11)
    assert oldest == [r.id for r in sorted(every, key=lambda r: (r.reported_at, r.id))]
    newest = _all_pages(session, incident, listing.Filters(states=(), sort="newest"), 11)
    assert newest == list(reversed(oldest))
    # Ties exist (many requests share an hour): the order still is total.
    assert max(Counter(r.reported_at for r in every).values()) > 1


def test_offset_past_the_end_gives_the_last_page(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    incident, _ = seeded
    found = listing.page(session, incident=incident, filters=listing.Filters(states=()),
                         offset=10_000, limit=50, now=NOW)  # fmt: skip
    assert found.offset == 200 and len(found.items) == COUNT - 200


def test_unknown_filters_are_refused() -> None:
    from zhengwu.errors import InvalidInputError

    for bad in ({"states": ("lost",)}, {"sort": "random"}, {"urgency": "panic"}):
        with pytest.raises(InvalidInputError):
            listing.Filters(**bad)  # type: ignore[arg-type]


def _python_step_minutes(requests: list[HelpRequest]) -> dict[str, list[float]]:
    """Each board step's minutes as Python computes them from the requests' datetimes (the
    reference of :func:`listing.step_minutes`); a withdrawn request resolves no step."""
    return {
        step: [
            (e - s).total_seconds() / 60
            for r in requests
            if not (end == "resolved_at" and r.outcome in WITHDRAWN_OUTCOMES)
            and (s := getattr(r, start)) is not None
            and (e := getattr(r, end)) is not None
            and e >= s
        ]
        for step, (start, end) in board.STEPS.items()
    }


def test_counts_are_grouped_by_the_database(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    incident, _ = seeded
    every = rescue_service.requests_of(session, incident=incident)
    by_state, by_area = board.counts(every)
    assert listing.state_counts(session, incident=incident) == by_state
    assert listing.area_counts(session, incident=incident) == by_area
    assert listing.people_sums(session, incident=incident) == (
        sum(r.people_total or 1 for r in every),
        sum(r.people_helped for r in every),
    )
    assert listing.adcode_totals(session, incident=incident) == Counter(r.adcode for r in every)
    assert board.durations(listing.step_minutes(session, incident=incident, steps=board.STEPS)) == (
        board.durations(_python_step_minutes(every))
    )
    counted = listing.counts_by_incident(session, incident_ids=[incident.id])[incident.id]
    assert counted == by_state and sum(counted.values()) == COUNT


def test_step_minutes_are_exactly_what_python_computes(session: Session, make_incident) -> None:  # type: ignore[no-untyped-def]
    """The board's response times, read as integers or text from the database, are exactly
    the minutes Python computes from the requests' datetimes — every value, not only the
    rounded median and p90 — on random times to the microsecond, with ties, steps that end
    before they start or never, withdrawn outcomes and merged requests."""
    incident = make_incident()
    simulate_requests(session, incident_id=incident.id, count=300, now=NOW, seed=11)
    rng = random.Random(5)

    def after(moment: datetime | None) -> datetime | None:
        if moment is None or rng.random() < 0.15:
            return None
        return moment + rng.choice((
            timedelta(seconds=rng.randrange(0, 7200, 3)),  # medians on a .x5 of a minute
            timedelta(microseconds=rng.randrange(-10**6, 4 * 3600 * 10**6)),  # some before
            timedelta(0),
        ))  # fmt: skip

    for r in session.scalars(select(HelpRequest).where(HelpRequest.incident_id == incident.id)):
        r.reported_at = NOW - timedelta(microseconds=rng.randrange(48 * 3600 * 10**6))
        r.first_verified_at = after(r.reported_at)
        r.dispatched_at = after(r.first_verified_at or r.reported_at)
        r.resolved_at = after(r.dispatched_at or r.reported_at)
        r.outcome = rng.choice((None, "rescued", "self_rescued", "withdrawn"))
        r.state = "merged" if rng.random() < 0.05 else r.state
    session.flush()
    session.expire_all()
    requests = rescue_service.requests_of(session, incident=incident)
    found = listing.step_minutes(session, incident=incident, steps=board.STEPS)
    for step, minutes in _python_step_minutes(requests).items():
        expected = sorted(minutes)
        assert len(expected) > 50 and found[step] == expected, step
    assert board.durations(found) == board.durations(_python_step_minutes(requests))


def test_counts_of_one_team_are_its_requests_only(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    """The queue page's counts for a team member take the list's own condition
    (``listing.of_team``): the team's requests by state and by place, none of the other
    team's nor of the unassigned ones."""
    incident, teams = seeded
    every = rescue_service.requests_of(session, incident=incident)
    for team in teams:
        own = [r for r in every if r.team_id == team.id]
        assert 0 < len(own) < len(every)
        by_state, _ = board.counts(own)
        assert listing.state_counts(session, incident=incident, team_id=team.id) == by_state
        assert listing.adcode_totals(session, incident=incident, team_id=team.id) == Counter(
            r.adcode for r in own
        )
        listed = listing.count(session, listing.filtered_ids(incident, listing.Filters(
            states=(), team_id=team.id)))  # fmt: skip
        assert listed == sum(by_state.values())


def _plans(session: Session, run: Callable[[], object]) -> list[str]:
    """The plans of the statements ``run`` sends (EXPLAIN QUERY PLAN / EXPLAIN)."""
    sent = sent_statements(session, run)
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    return [
        "\n".join(str(row[-1] if sqlite else row[0]) for row in connection.exec_driver_sql(
            ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters))
        for statement, parameters in sent
    ]  # fmt: skip


def test_a_teams_counts_are_read_from_its_index_alone(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    """A team's counts by state, its county map and its page's total read
    ``ix_help_requests_team_queue`` alone (0032): no table row is looked up.

    SQLite plans without statistics, so its plan here is the one it uses at any size.
    PostgreSQL plans by statistics: at this test's few hundred rows it reads the incident's
    index (its plans at 50,000 requests, index-only on this index, are measured in
    docs/rescue.md); here it is checked that the index is there, its columns in order.
    """
    incident, teams = seeded
    if session.get_bind().dialect.name == "postgresql":
        indexes = sa_inspect(session.connection()).get_indexes("help_requests")
        columns = next(
            i["column_names"] for i in indexes if i["name"] == "ix_help_requests_team_queue"
        )
        assert columns == ["team_id", "incident_id", "state", "adcode"]
        return
    filters = listing.Filters(team_id=teams[0].id)
    assert incident.id  # loaded (expired by the fixture): the runs send their query alone
    for run in (
        lambda: listing.state_counts(session, incident=incident, team_id=teams[0].id),
        lambda: listing.adcode_totals(session, incident=incident, team_id=teams[0].id),
        lambda: listing.count(session, listing.filtered_ids(
            incident, filters, dialect=session.get_bind().dialect.name)),
    ):  # fmt: skip
        (plan,) = _plans(session, run)
        assert "ix_help_requests_team_queue" in plan, plan
        assert "COVERING INDEX" in plan or "Index Only Scan" in plan, plan


def test_board_pages_are_masked_and_complete(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    incident, _ = seeded
    every = rescue_service.requests_of(session, incident=incident)
    waiting = rescue_service.rank([r for r in every if r.state in OPEN_STATES], now=NOW)
    closed = sorted((r for r in every if r.state in ("resolved", "announced")),
                    key=lambda r: (r.resolved_at or r.reported_at, r.id), reverse=True)  # fmt: skip
    shown: list[int] = []
    notices: list[int] = []
    offset = 0
    while True:
        view = board.board(session, incident=incident, principal=PUBLIC, limit=20,
                           offset=offset, notices_offset=offset, now=NOW)  # fmt: skip
        assert view.total == COUNT
        assert view.requests_total == len(waiting) and view.notices_total == len(closed)
        if offset < len(waiting):
            shown += [v.id for v in view.requests]
        if offset < len(closed):  # past its end, a list shows its last page again
            notices += [int(str(n["request_id"])) for n in view.notices]
        else:
            assert view.notices_offset == (len(closed) - 1) // 20 * 20
        by_id = {r.id: r for r in every}
        for v in view.requests:
            original = by_id[v.id]
            assert v.masked
            for phone in original.phones:
                assert phone not in v.text and phone not in v.phones
                assert phone[-4:] in " ".join(v.phones)  # 138****1234: the tail shows
            assert v.name != original.name and v.name is not None and "*" in v.name
            assert v.address != original.address
        offset += 20
        if offset >= max(len(waiting), len(closed)):
            break
    assert shown == [r.id for r in waiting]
    assert notices == [r.id for r in closed]


def test_requests_made_after_the_simulator_get_fresh_numbers(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    incident, _ = seeded
    highest = session.scalar(select(func.max(HelpRequest.id)))
    later = HelpRequest(incident_id=incident.id, text="求助", reported_at=NOW)
    session.add(later)
    session.flush()  # on PostgreSQL the id sequence was moved past the simulated ids
    assert highest is not None and later.id > highest


def _seeks(plan: str, table: str = "help_requests") -> bool:
    """Whether every read of ``table`` in ``plan`` goes through an index: SQLite ``SEARCH``
    (never a ``SCAN`` of the table), PostgreSQL no ``Seq Scan`` (planned with
    ``enable_seqscan`` off, so a sequential scan shows only where no index serves)."""
    lines = [line for line in plan.splitlines() if table in line.split()]
    scans = [line for line in lines if line.lstrip(" ->").startswith(("SCAN", "Seq Scan"))]
    return bool(lines) and not scans


def test_a_teams_lookups_use_an_index_without_team_ids_own(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    """0033 dropped ``ix_help_requests_team_id``: a team member's queue (every order), its
    counts and county map, the teams' loads, the check before a team stands down and the
    lookup behind the team's foreign key still read help_requests by an index — the last
    two, by team alone, through ``ix_help_requests_team_queue``, which leads with it."""
    incident, teams = seeded
    team = teams[0]
    member = Principal(role="team", username="m", display_name="队员", team_id=team.id)
    indexes = {i["name"] for i in sa_inspect(session.connection()).get_indexes("help_requests")}
    assert "ix_help_requests_team_id" not in indexes and "ix_help_requests_team_queue" in indexes
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:  # rolled back with the test's transaction
        session.execute(text("SET LOCAL enable_seqscan = off"))
    # Loaded (expired by the fixture): the runs send their own queries alone.
    assert incident.id and team.id

    def queue_page(sort: str) -> Callable[[], object]:
        filters = listing.Filters(sort=sort)
        return lambda: listing.search_page(session, member, incident=incident, filters=filters,
                                           q="", offset=0, limit=20, now=NOW)  # fmt: skip

    for run in (
        *(queue_page(sort) for sort in listing.SORTS),
        lambda: listing.state_counts(session, incident=incident, team_id=team.id),
        lambda: listing.adcode_totals(session, incident=incident, team_id=team.id),
        lambda: rescue_service.team_loads(session),  # every team's: by state on PostgreSQL
    ):
        plans = [p for p in _plans(session, run) if "help_requests" in p]
        assert plans and all(_seeks(p) for p in plans), plans

    def stand_down() -> None:
        with pytest.raises(ConflictError):  # it holds open requests: refused, after the check
            rescue_service.set_team_active(session, team=team, active=False, actor=DISPATCHER)

    # The lookup a team's foreign key makes when a team is deleted or renumbered (no ON
    # DELETE action): SQLite's (its foreign-key documentation) and PostgreSQL's RI check.
    foreign_key = (
        "SELECT 1 FROM ONLY help_requests x WHERE x.team_id = :team FOR KEY SHARE OF x"
        if postgres
        else "SELECT rowid FROM help_requests WHERE team_id = :team"
    )
    for run in (
        stand_down,
        lambda: session.execute(text(foreign_key), {"team": team.id}),
    ):
        (plan,) = _plans(session, run)
        assert _seeks(plan) and "ix_help_requests_team_queue" in plan, plan


def test_a_teams_fulfilments_are_looked_up_by_index(session: Session, seeded, make_team) -> None:  # type: ignore[no-untyped-def]
    """0035: ``help_fulfilments.team_id`` has an index of its own. The lookup behind
    ``fk_help_fulfilments_team_id_rescue_teams`` (no ON DELETE action: deleting a team that
    recorded people helped is refused) and the people a team helped read it instead of the
    whole table; an unused team still goes."""
    _, teams = seeded
    team = teams[0]
    indexes = {i["name"]: i["column_names"]
               for i in sa_inspect(session.connection()).get_indexes("help_fulfilments")}  # fmt: skip
    assert indexes.get("ix_help_fulfilments_team_id") == ["team_id"]
    held = session.scalars(select(HelpRequest.id).where(HelpRequest.team_id == team.id)).all()
    assert held
    session.execute(insert(Fulfilment), [
        {"request_id": rid, "team_id": team.id, "people": 2, "outcome": "rescued",
         "recorded_by": "t", "at": NOW} for rid in held
    ])  # fmt: skip
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:  # rolled back with the test's transaction
        session.execute(text("SET LOCAL enable_seqscan = off"))
    foreign_key = (
        "SELECT 1 FROM ONLY help_fulfilments x WHERE x.team_id = :team FOR KEY SHARE OF x"
        if postgres
        else "SELECT rowid FROM help_fulfilments WHERE team_id = :team"
    )
    helped = select(func.coalesce(func.sum(Fulfilment.people), 0)).where(
        Fulfilment.team_id == team.id
    )
    for run in (
        lambda: session.execute(text(foreign_key), {"team": team.id}),
        lambda: session.scalar(helped),
    ):
        (plan,) = _plans(session, run)
        assert _seeks(plan, "help_fulfilments") and "ix_help_fulfilments_team_id" in plan, plan
    assert session.scalar(helped) == 2 * len(held)
    # Only the fulfilments hold the team: its requests and assignments are let go first.
    session.execute(update(HelpRequest).where(HelpRequest.team_id == team.id).values(team_id=None))
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(delete(Team).where(Team.id == team.id))
    spare = make_team("误建队伍")
    session.execute(delete(Team).where(Team.id == spare.id))
    assert session.get(Team, spare.id, populate_existing=True) is None


def test_a_team_holding_requests_cannot_be_deleted(session: Session, seeded, make_team) -> None:  # type: ignore[no-untyped-def]
    """help_requests.team_id has no ON DELETE action: deleting a team that holds requests
    is refused (its requests keep their team), an unused one goes (its check is the index
    lookup above)."""
    _, teams = seeded
    (key,) = [fk for fk in sa_inspect(session.connection()).get_foreign_keys("help_requests")
              if fk["constrained_columns"] == ["team_id"]]  # fmt: skip
    assert key["referred_table"] == "rescue_teams" and not key["options"].get("ondelete")
    held = session.scalar(select(func.count()).where(HelpRequest.team_id == teams[0].id))
    assert held
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(delete(Team).where(Team.id == teams[0].id))
    spare = make_team("备用队")
    session.execute(delete(Team).where(Team.id == spare.id))
    assert session.get(Team, spare.id, populate_existing=True) is None
    assert session.scalar(select(func.count()).where(HelpRequest.team_id == teams[0].id)) == held
