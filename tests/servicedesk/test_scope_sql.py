"""The desk's reads by index for the matrix page equal the plain queries they replace.

The matrix page (``/console/matrix/{id}``) used to read the newest request, a month's
requests by county and a matrix's rates over every request of the office (or of the
country); it now reads them way by way with lists of ids (:func:`access.office_scope`).
Each is compared here with the old query on a random desk: a matrix tree three deep,
co-handled requests, requests outside every matrix, on both paths of ``office_scope``
(ids written into the statement, or the subqueries when there are too many).
"""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.auth.principal import Principal
from zhengwu.servicedesk import access, deadlines, rates
from zhengwu.servicedesk.models import RequestHelper, RequestRating, ServiceRequest

from ..accounts.test_member_search import _statements
from .conftest import World
from .test_rates_sql import _random_requests

PERIODS = ("2025-06", "2025-07", "2025-08", "2025-Q3", "2025", "2030-01")


def _grow(session: Session, world: World) -> None:
    """Add a sub-matrix (with a body of its own) and an empty one below it under 郑州."""
    org = Organization(name="郑州市惠济区水利局", level="县", sector="水利", adcode="410108")
    session.add(org)
    session.flush()
    world.orgs["hj_water"] = org.id
    account = Account(platform="weibo", uid="1009", name="惠济水利", organization_id=org.id,
                      is_government=True, adcode="410108")  # fmt: skip
    session.add(account)
    session.flush()
    sub = Matrix(name="郑州惠济矩阵", kind="regional", adcode="410108",
                 parent_id=world.matrices["zz"])  # fmt: skip
    session.add(sub)
    session.flush()
    below = Matrix(name="惠济水利矩阵", kind="vertical", sector="水利", parent_id=sub.id)
    session.add(below)
    session.flush()
    world.matrices |= {"zz_hj": sub.id, "zz_hj_water": below.id}
    session.add(MatrixMember(matrix_id=sub.id, account_id=account.id))
    session.flush()
    world.principals["hj_office"] = Principal(role="matrix_office", user_id=990,
                                              username="hj", matrix_id=sub.id)  # fmt: skip
    world.principals["water_office"] = Principal(role="matrix_office", user_id=991,
                                                 username="hjw", matrix_id=below.id)  # fmt: skip


def _codes_and_helpers(session: Session, world: World, seed: int) -> None:
    """Give the requests places (some outside 郑州, some none) and co-handlers (1 in 8)."""
    rng = random.Random(seed)
    codes = ["410105", "410102", "410108", "410100", "410300", "110101", None]
    orgs = list(world.orgs.values())
    for request in session.scalars(select(ServiceRequest).order_by(ServiceRequest.id)):
        request.adcode = rng.choice(codes)
        if rng.random() < 0.125:
            for oid in rng.sample(orgs, rng.choice((1, 2))):
                session.add(RequestHelper(request_id=request.id, organization_id=oid))
    session.flush()


@pytest.fixture
def desk(session: Session, world: World) -> World:
    """The test city with a deeper matrix tree and 500 random requests over three months."""
    _grow(session, world)
    _random_requests(session, world, 500, seed=11)
    _codes_and_helpers(session, world, seed=11)
    return world


@pytest.fixture(params=["ids", "subqueries"])
def scope_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both paths of ``office_scope``: short lists of ids, or (limit 0) the subqueries."""
    if request.param == "subqueries":
        monkeypatch.setattr(access, "SCOPE_LIST_LIMIT", 0)
    return str(request.param)


def _plain_ids(session: Session, principal: Principal, start: datetime, end: datetime) -> set[int]:
    sr = ServiceRequest
    query = access.readable_requests(principal).where(sr.received_at >= start, sr.received_at < end)
    return {r.id for r in session.scalars(query)}


def test_office_scope_is_the_subtree_and_its_bodies(
    session: Session, desk: World, scope_path: str
) -> None:
    matrices, orgs = access.office_scope(session, desk.matrices["zz"])
    if scope_path == "ids":
        assert sorted(matrices) == sorted(  # type: ignore[arg-type]
            desk.matrices[k] for k in ("zz", "zz_hj", "zz_hj_water")
        )
        assert sorted(orgs) == sorted(  # type: ignore[arg-type]
            desk.orgs[k] for k in ("police", "js_housing", "hotline", "js_eco", "hj_water")
        )
    else:  # too many for a list: the SELECTs, which read the same ids
        assert not isinstance(matrices, list) and not isinstance(orgs, list)
        assert set(session.scalars(matrices)) == {
            desk.matrices[k] for k in ("zz", "zz_hj", "zz_hj_water")
        }
        assert set(session.scalars(orgs)) == {
            desk.orgs[k] for k in ("police", "js_housing", "hotline", "js_eco", "hj_water")
        }


def test_readable_ids_are_the_readable_requests(
    session: Session, desk: World, scope_path: str
) -> None:
    sr = ServiceRequest
    sizes = {}
    for name, principal in desk.principals.items():
        for period in PERIODS:
            start, end = rates.period_bounds(period)
            got = set(session.scalars(access.readable_ids(
                session, principal, sr.received_at >= start, sr.received_at < end
            )))  # fmt: skip
            assert got == _plain_ids(session, principal, start, end), (name, period)
            sizes[name, period] = len(got)
    # The comparison compared something: offices and handlers read some, not all, of 2025.
    assert 0 < sizes["office", "2025"] < sizes["admin", "2025"]
    assert 0 < sizes["hj_office", "2025"] < sizes["office", "2025"]
    assert 0 < sizes["js_housing", "2025"] < sizes["office", "2025"]
    assert sizes["dispatcher", "2025"] == 0 and sizes["admin", "2030-01"] == 0


def test_latest_month_by_index_is_the_plain_max(
    session: Session, desk: World, scope_path: str
) -> None:
    def both(principal: Principal) -> tuple[str | None, str | None]:
        plain = rates.latest_month(session, access.readable_requests(principal))
        return rates.latest_readable_month(session, principal), plain

    for name, principal in desk.principals.items():
        got, want = both(principal)
        assert got == want, name
    assert both(desk.principals["dispatcher"]) == (None, None)
    # The newest request of all, outside every matrix and led by 洛阳, co-handled by 惠济水利:
    # its month is the latest for the offices above that body (the helper way), not for 洛阳's
    # handler's neighbours in 郑州 that do not help.
    _newest_co_handled(session, desk, "SRNEWEST", datetime(2025, 12, 3, tzinfo=UTC))
    for name in ("office", "hj_office", "ly_housing", "ly_office", "admin"):
        assert both(desk.principals[name]) == ("2025-12", "2025-12"), name
    for name in ("water_office", "js_housing", "police"):
        got, want = both(desk.principals[name])
        assert got == want and got is not None and got < "2025-12", name


def _newest_co_handled(
    session: Session, desk: World, public_id: str, received_at: datetime
) -> ServiceRequest:
    """Add a request outside every matrix, led by 洛阳住建 and co-handled by 惠济水利."""
    request = ServiceRequest(
        public_id=public_id, citizen_token_hash="x" * 64, state="received", source="form",
        source_ref=f"form:{public_id}", text="测试", text_masked="测试",
        fingerprint=public_id.lower().ljust(40, "0"), organization_id=desk.orgs["ly_housing"],
        matrix_id=None, received_at=received_at,
    )  # fmt: skip
    session.add(request)
    session.flush()
    session.add(RequestHelper(request_id=request.id, organization_id=desk.orgs["hj_water"]))
    session.flush()
    return request


@pytest.mark.parametrize("walk", [1, 3, 40, 1000])
def test_a_large_office_walks_the_newest_requests_then_probes(
    session: Session, desk: World, walk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too many organisations for a list: the newest requests are walked first (as many as
    ``walk``), the probes run only when the office reads none of them; the same newest."""
    monkeypatch.setattr(access, "SCOPE_LIST_LIMIT", 0)
    monkeypatch.setattr(access, "NEWEST_WALK", walk)
    sr = ServiceRequest
    offices = {k: p for k, p in desk.principals.items() if p.role == "matrix_office"}
    assert len(offices) >= 4
    by_walk = 0
    for name, principal in offices.items():
        plain = session.scalar(
            access.readable_requests(principal).with_only_columns(func.max(sr.received_at))
        )
        assert access.latest_received(session, principal) == plain, name
        assert rates.latest_readable_month(session, principal) == rates.latest_month(
            session, access.readable_requests(principal)
        ), name
        matrices, _ = access.office_scope(session, principal.matrix_id)  # type: ignore[arg-type]
        walked = session.scalar(access._newest_walked(matrices))
        assert walked is None or walked == plain, name  # never a wrong answer, at most none
        by_walk += walked is not None
    # Both ways were taken: found in the walk (all of them when it covers every request),
    # and (a walk of one) left to the probes.
    if walk == 1000:
        assert by_walk == len(offices)
    if walk == 1:
        assert 0 < by_walk < len(offices)
    # The newest of all is read by one office only through a co-handler (the helper way).
    newest = _newest_co_handled(session, desk, "SRWALKED", datetime(2026, 1, 5, tzinfo=UTC))
    for name in ("office", "hj_office", "ly_office"):
        assert access.latest_received(session, offices[name]) == newest.received_at, name
    water = offices["water_office"]
    assert (
        access.latest_received(session, water)
        == session.scalar(
            access.readable_requests(water).with_only_columns(func.max(sr.received_at))
        )
        != newest.received_at
    )


def _plain_row(
    session: Session, matrix: Matrix, start: datetime, end: datetime
) -> rates.RateRow | None:
    """A matrix's rates row the straightforward way: its subtree and the bodies of its
    accounts found in Python, then every request loaded and counted one by one."""
    parent = dict(session.execute(select(Matrix.id, Matrix.parent_id)).all())

    def inside(mid: int | None) -> bool:
        while mid is not None and mid != matrix.id:
            mid = parent[mid]
        return mid == matrix.id

    bodies = {
        oid
        for oid, mid in session.execute(
            select(Account.organization_id, MatrixMember.matrix_id).join(
                MatrixMember, MatrixMember.account_id == Account.id
            )
        )
        if oid is not None and inside(mid)
    }
    ratings: dict[int, list[int]] = {}
    for rating in session.scalars(select(RequestRating)):
        ratings.setdefault(rating.request_id, []).append(rating.satisfaction)
    row = rates.RateRow(key=str(matrix.id), name=matrix.name)
    days: list[float] = []
    for r in session.scalars(select(ServiceRequest)):
        if not start <= r.received_at < end or r.state in ("duplicate", "invalid"):
            continue
        if not inside(r.matrix_id) and r.organization_id not in bodies:
            continue
        row.n += 1
        if r.first_response_at is not None:
            row.responded += 1
            row.responded_on_time += r.response_due is None or r.first_response_at <= r.response_due
        if r.resolved_at is not None:
            row.resolved += 1
            row.resolved_on_time += r.resolve_due is None or r.resolved_at <= r.resolve_due
            days.append(max(deadlines.working_days_between(r.received_at, r.resolved_at), 0.0))
        for value in ratings.get(r.id, []):  # every rating the citizen gave, once each
            row.followed_up += 1
            row.satisfied += value >= 4
    if not row.n:
        return None
    row.response_rate = round(row.responded / row.n, 4)
    row.response_ontime_rate = round(row.responded_on_time / row.n, 4)
    row.resolution_rate = round(row.resolved / row.n, 4)
    row.ontime_rate = round(row.resolved_on_time / row.resolved, 4) if row.resolved else None
    row.satisfaction_rate = round(row.satisfied / row.followed_up, 4) if row.followed_up else None
    if days:
        row.mean_handling_days = round(statistics.fmean(days), 2)
        row.median_handling_days = round(statistics.median(days), 2)
    return row


def test_a_matrix_row_is_its_row_of_the_rates_by_matrix(
    session: Session, desk: World, scope_path: str
) -> None:
    seen = rated = timed = 0
    for period in PERIODS:
        start, end = rates.period_bounds(period)
        every = {r.key: r for r in rates.compute(session, start=start, end=end, by="matrix")}
        for key, matrix_id in desk.matrices.items():
            matrix = session.get(Matrix, matrix_id)
            assert matrix is not None
            got = rates.matrix_row(session, matrix, start=start, end=end)
            assert got == every.get(str(matrix_id)), (key, period)
            assert got == _plain_row(session, matrix, start, end), (key, period)
            seen += got is not None and got.n > 0
            # The counts, the ratings and the handling times are read in one statement:
            # each part must be there (and right) in the rows compared.
            rated += got is not None and got.followed_up > 0 and got.satisfaction_rate is not None
            timed += got is not None and got.median_handling_days is not None
    assert seen >= 10  # most matrices have requests in most periods
    assert rated >= 10 and timed >= 10
    # No request in 2030: no row (not a row of zeros), as before.
    start, end = rates.period_bounds("2030-01")
    zz = session.get(Matrix, desk.matrices["zz"])
    assert zz is not None and rates.matrix_row(session, zz, start=start, end=end) is None


def test_a_matrix_s_figures_read_its_requests_once(
    session: Session, desk: World, scope_path: str
) -> None:
    """The matrix page's rates row and map (:func:`rates.matrix_figures`): the row of
    :func:`rates.matrix_row` and the places of :func:`rates.matrix_adcodes`, adding up to
    the row's 受理量, from one statement over the requests (the page read them twice)."""
    placed = unplaced = 0
    for period in PERIODS:
        start, end = rates.period_bounds(period)
        for key, matrix_id in desk.matrices.items():
            matrix = session.get(Matrix, matrix_id)
            assert matrix is not None
            with _statements(session) as sent:
                figures = rates.matrix_figures(session, matrix, start=start, end=end)
            assert len([s for s in sent if "service_requests" in s]) == 1, (key, period)
            assert figures.row == rates.matrix_row(session, matrix, start=start, end=end)
            assert figures.adcodes == rates.matrix_adcodes(session, matrix, start=start, end=end)
            assert sum(figures.adcodes.values()) == (figures.row.n if figures.row else 0)
            placed += len([c for c in figures.adcodes if c is not None]) >= 2
            unplaced += None in figures.adcodes
    assert placed >= 10 and unplaced >= 5  # several places, and requests with none
