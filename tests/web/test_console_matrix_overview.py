"""The matrix page's county map and tree are what they would be computed row by row.

The page used to load every request the viewer reads in the period and every help request
of every active incident as rows, and every matrix of the country for the tree; it counts
by ``adcode`` in the database and reads only the subtree. Its map draws the requests its
受理量 counts (the matrix's subtree's queues and bodies, not duplicates or invalid ones) —
for the office's own matrix and for any matrix below it alike. The slow computations are
written out here and compared with what the page shows, over real HTTP.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember
from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.rescue import intake as rescue_intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpRequest, Incident
from zhengwu.rescue.schemas import HelpSubmission, IncidentCreate
from zhengwu.servicedesk import access as desk_access
from zhengwu.servicedesk import rates
from zhengwu.servicedesk.models import RequestHelper, ServiceRequest
from zhengwu.web import charts
from zhengwu.web.console import matrix_pages
from zhengwu.web.console.places import counted_cells

from .test_console_world import ConsoleWorld, build_console_world, login

# (adcode, lead organisation key, queue matrix key, co-handler organisation key)
EXTRA = [
    ("410102", "zy_culture", None, None),
    ("410102", "police", "zz_police", None),
    ("410105", None, "zz", None),
    ("410108", "ly_housing", None, "police"),  # 洛阳's, co-handled by 郑州's police
    ("410300", "ly_housing", "ly", None),
    ("410311", "ly_housing", None, None),
    ("110101", "hotline", None, None),  # outside 郑州: not on its map
    (None, "js_housing", None, None),  # no place: on no map
]


def _extra(session: Session, world: ConsoleWorld) -> None:
    """More requests across both cities, a second active incident and a closed one."""
    now = datetime.now(UTC)
    for i, (code, org, matrix, helper) in enumerate(EXTRA):
        request = ServiceRequest(
            public_id=f"SRMAP{i:04d}", citizen_token_hash="x" * 64, state="received",
            source="form", source_ref=f"form:map-{i}", text="测试", text_masked="测试",
            fingerprint="f" * 40, adcode=code,
            organization_id=world.orgs[org] if org else None,
            matrix_id=world.matrices[matrix] if matrix else None,
            received_at=now - timedelta(minutes=i),
        )  # fmt: skip
        session.add(request)
        session.flush()
        if helper:
            session.add(RequestHelper(request_id=request.id, organization_id=world.orgs[helper]))
    for name, status, address in (
        ("中原区内涝（测试）", "active", "郑州市中原区建设路12号"),
        ("洛阳山洪（测试）", "closed", "洛阳市西工区中州路5号"),
    ):
        incident = rescue_service.create_incident(
            session, actor=rescue_service.SYSTEM,
            data=IncidentCreate(name=name, type="flood", regions=[], starts_at=now - timedelta(hours=2)),
        )  # fmt: skip
        rescue_intake.submit(
            session, incident=incident, actor=rescue_service.SYSTEM,
            data=HelpSubmission(text="被困，需要救援", name="测试", phone="13800009999",
                                address=address, people=1),
        )  # fmt: skip
        incident.status = status
    session.flush()


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city (no index run) with the extra requests and incidents."""
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    with Session(committed_engine) as session:
        _extra(session, world)
        session.commit()
    return world


def _old_map(session: Session, matrix: Matrix, period: str) -> str:
    """The county map of ``matrix``'s 受理量, computed the slow way: every matrix, member,
    account and request of the period read as rows, counted in Python."""
    start, end = rates.period_bounds(period)
    below, frontier = {matrix.id}, {matrix.id}
    parents = {m.id: m.parent_id for m in session.scalars(select(Matrix))}
    while frontier:
        frontier = {m for m, parent in parents.items() if parent in frontier} - below
        below |= frontier
    members = {m.account_id for m in session.scalars(select(MatrixMember)) if m.matrix_id in below}
    bodies = {a.organization_id for a in session.scalars(select(Account)) if a.id in members}
    query = select(ServiceRequest).where(
        ServiceRequest.received_at >= start, ServiceRequest.received_at < end
    )
    request_codes = [
        r.adcode for r in session.scalars(query)
        if r.state not in ("duplicate", "invalid")
        and (r.matrix_id in below or (r.organization_id is not None and r.organization_id in bodies))
    ]  # fmt: skip
    help_codes: list[str | None] = []
    for incident in rescue_service.list_incidents(session, status="active"):
        help_codes += list(
            session.scalars(
                select(HelpRequest.adcode).where(HelpRequest.incident_id == incident.id)
            )
        )
    cells = counted_cells(matrix.adcode, Counter(request_codes), Counter(help_codes))
    return charts.county_grid(cells, title=f"{matrix.name}：各区县诉求与求助（{period}）")


@pytest.mark.parametrize(
    ("username", "matrix_key"),
    [("office", "zz"), ("office", "zz_police"), ("admin", "zz"), ("admin", "ly"),
     ("office_ly", "ly")],
)  # fmt: skip
def test_the_county_map_counts_as_before(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, username: str,
    matrix_key: str,
) -> None:  # fmt: skip
    login(client, username)
    matrix_id = world.matrices[matrix_key]
    html = client.get(f"/console/matrix/{matrix_id}").text
    with Session(committed_engine) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        principal = auth_service.principal_of(user)
        matrix = session.get(Matrix, matrix_id)
        assert matrix is not None
        period = rates.latest_month(session, desk_access.readable_requests(principal))
        assert period is not None
        old = _old_map(session, matrix, period)
        closed = session.scalars(select(Incident).where(Incident.status == "closed")).one()
        assert session.scalars(
            select(HelpRequest).where(HelpRequest.incident_id == closed.id)
        ).all()
    # The counts are links now (to /console/map, underlined): the map without them is the old one.
    unlinked = re.sub(r'<a (?:class="count-link" )?href="[^"]*">|</a>| text-decoration="underline"',
                      "", html)  # fmt: skip
    assert old in unlinked
    # What is compared: counted cells (not an empty map), and a closed incident's help
    # requests (洛阳) never on it.
    counts = [int(n) for n in re.findall(r"诉求 (\d+)，求助 (\d+)", old) for n in n]
    assert sum(counts) >= 1, old
    if matrix_key == "zz" and username == "office":
        # 中原: the world's police request and two more (police, the culture body), the
        # help request of the second active incident. 惠济: 洛阳's request the police
        # co-handles — the office reads it, but 受理量 does not count a co-handled request,
        # so neither does the map beside it.
        assert re.search(r"中原区?：诉求 3，求助 1<", old) is not None, old
        assert re.search(r"惠济区?：诉求 0，求助 0<", old) is not None, old
    if matrix_key == "zz_police":
        # 郑州公安's own: its queue's request and its body's, both in 中原.
        assert re.search(r"中原区?：诉求 2，求助 1<", old) is not None, old
    if matrix_key == "ly":
        assert "求助 1" not in old  # the closed 洛阳 incident's help request


def _old_subtree(session: Session, root: Matrix) -> list[tuple[int, Matrix]]:
    """The tree as the page built it before: every matrix read, grouped by parent."""
    tree: dict[int | None, list[Matrix]] = {}
    for matrix in session.scalars(select(Matrix).order_by(Matrix.name, Matrix.id)):
        tree.setdefault(matrix.parent_id, []).append(matrix)
    return matrix_pages._subtree(tree, root)


def test_the_tree_reads_only_the_subtree_and_is_the_same(session: Session) -> None:
    top = Matrix(name="河南矩阵", kind="regional", adcode="410000")
    other = Matrix(name="湖北矩阵", kind="regional", adcode="420000")
    session.add_all([top, other])
    session.flush()
    # Same names on two levels and among siblings (ordered by name, then id).
    a = Matrix(name="郑州", kind="regional", parent_id=top.id)
    b = Matrix(name="洛阳", kind="regional", parent_id=top.id)
    c = Matrix(name="郑州", kind="vertical", sector="公安", parent_id=top.id)
    session.add_all([a, b, c])
    session.flush()
    d = Matrix(name="金水", kind="regional", parent_id=a.id)
    e = Matrix(name="二七", kind="regional", parent_id=a.id)
    f = Matrix(name="武汉", kind="regional", parent_id=other.id)
    session.add_all([d, e, f])
    session.flush()
    g = Matrix(name="金水公安", kind="vertical", sector="公安", parent_id=d.id)
    session.add(g)
    session.flush()
    for root in (top, a, b, c, d, g, other, f):
        new = matrix_pages._subtree(matrix_pages._children(session, root), root)
        assert [(depth, m.id) for depth, m in new] == [
            (depth, m.id) for depth, m in _old_subtree(session, root)
        ], root.name
    shown = matrix_pages._subtree(matrix_pages._children(session, top), top)
    assert [(depth, m.name) for depth, m in shown] == [
        (0, "河南矩阵"), (1, "洛阳"), (1, "郑州"), (2, "二七"), (2, "金水"), (3, "金水公安"),
        (1, "郑州"),
    ]  # fmt: skip
    assert [m.id for _, m in shown][2] == a.id  # the first 郑州 made comes first
    # Only the subtree is read: another province's matrices are not in it.
    assert f.id not in {m.id for ms in matrix_pages._children(session, top).values() for m in ms}
