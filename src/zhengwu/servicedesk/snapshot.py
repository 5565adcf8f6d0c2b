"""A per-process snapshot of the desk's configuration: the category tree, the routing rules
in force and the regional matrices — what every intake reads and almost never changes.

Reading them on each intake cost three queries and most of the request's CPU. Here one
query reads a *stamp*, the token of the one row of ``desk_config_stamp``; the snapshot is
rebuilt only when it differs, so an edit made by any process is seen by the next intake
everywhere, with no time-to-live to tune.

The token is replaced by database triggers (migration 0017) on every write to the tables
the snapshot is built from — request_categories, routing_rules, routing_table_versions,
matrices, matrix_members, accounts.organization_id, organizations — whoever writes: the
ORM, a raw ``INSERT`` of an import, another process. The stamp used to be counts and
maxima over those tables: at national scale (700k matrix members) a full scan of
``matrix_members`` per intake, 0.14 s. Reading one row by its key costs the same at any
scale. A token is never reused (a PostgreSQL sequence; a random 64-bit value on SQLite),
so a snapshot read inside a transaction later rolled back never matches a later state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.routing.index import RuleIndex
from zhengwu.servicedesk.routing.models import RoutingRule


@dataclass(frozen=True, slots=True)
class CategoryNode:
    """A category as intake needs it (detached from any session)."""

    code: str
    name: str
    parent_code: str | None
    keywords: tuple[str, ...]
    response_days: int
    resolve_days: int


@dataclass(frozen=True, slots=True)
class RuleNode:
    """A routing rule as intake needs it."""

    id: int
    table_version: int
    category_code: str | None
    adcode: str | None
    organization_id: int
    valid_from: datetime
    valid_to: datetime | None


@dataclass(frozen=True, slots=True)
class DeskSnapshot:
    """The configuration one intake uses."""

    tree: tuple[CategoryNode, ...]
    rules: tuple[RuleNode, ...]
    regional_matrices: tuple[tuple[int, str], ...]  # (matrix id, adcode)
    organization_matrix: dict[int, int]  # organisation → first matrix one of its accounts is in
    routing: RuleIndex  # ``rules`` by (division, category), built once per snapshot


# Plain SQL on purpose: built with the ORM the same statement cost 3× the time to compile.
# A missing row (deleted by hand) reads as None; the next write to a watched table puts it back.
_STAMP = text("SELECT token FROM desk_config_stamp WHERE id = 1")


def _stamp(session: Session) -> object:
    """Read the token every change of the tree, the rules or the matrices replaces."""
    return session.execute(_STAMP).scalar()


def _load(session: Session) -> DeskSnapshot:
    tree = tuple(
        CategoryNode(c.code, c.name, c.parent_code, tuple(c.keywords or ()), c.response_days,
                     c.resolve_days)
        for c in category_service.get_tree(session)
    )  # fmt: skip
    rules = tuple(
        RuleNode(r.id, r.table_version, r.category_code, r.adcode, r.organization_id,
                 r.valid_from, r.valid_to)
        for r in session.scalars(select(RoutingRule).where(RoutingRule.valid_to.is_(None)))
    )  # fmt: skip
    matrices = tuple(
        (mid, adcode)
        for mid, adcode in session.execute(
            select(Matrix.id, Matrix.adcode).where(Matrix.kind == "regional")
        ).all()
        if adcode
    )
    organization_matrix: dict[int, int] = {}
    members = session.execute(
        select(Account.organization_id, MatrixMember.matrix_id)
        .join(MatrixMember, MatrixMember.account_id == Account.id)
        .where(Account.organization_id.is_not(None))
        .order_by(MatrixMember.matrix_id)
    ).all()
    for org_id, matrix_id in members:
        if org_id is not None:
            organization_matrix.setdefault(org_id, matrix_id)
    return DeskSnapshot(tree, rules, matrices, organization_matrix, RuleIndex(rules))


class _Cache:
    """The last snapshot per database, rebuilt when its stamp changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[object, DeskSnapshot]] = {}

    def get(self, session: Session) -> DeskSnapshot:
        """Return the snapshot of the session's database, rebuilt if its stamp moved."""
        key = session.get_bind().engine.url.render_as_string(hide_password=True)
        stamp = _stamp(session)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == stamp:
            return entry[1]
        snapshot = _load(session)
        with self._lock:
            self._entries[key] = (stamp, snapshot)
        return snapshot


_cache = _Cache()


def current(session: Session) -> DeskSnapshot:
    """Return the desk configuration as the database holds it now."""
    return _cache.get(session)
