"""Migration 0025: the stored priority of help requests, backfilled from 0024, indexed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine, inspect, text

from zhengwu.db import migrate
from zhengwu.db.base import UtcDateTime
from zhengwu.rescue import priority
from zhengwu.rescue.models import HelpRequest

REPORTED = datetime(2021, 7, 20, 8, 3, 17, tzinfo=UTC)

_rows = sa.table(
    "help_requests",
    *(sa.column(n, sa.Integer()) for n in ("incident_id", "version", "people_total",
                                           "people_helped")),
    *(sa.column(n, sa.JSON()) for n in ("phones", "vulnerabilities", "needs", "urgency_reasons",
                                        "missing")),
    *(sa.column(n, sa.String()) for n in ("state", "hazard", "urgency", "text", "verification")),
    sa.column("completeness", sa.Float()),
    *(sa.column(n, UtcDateTime()) for n in ("reported_at", "created_at", "reported_rescued_at")),
)  # fmt: skip


def _row(i: int) -> dict[str, object]:
    """A request of 0024 whose score inputs vary with ``i``."""
    return {
        "incident_id": 1, "version": 1, "state": ("new", "verified", "resolved")[i % 3],
        "people_total": (None, 1, 3, 8)[i % 4], "people_helped": i % 2,
        "phones": [], "missing": [], "completeness": 1.0, "text": f"求助 {i}",
        "vulnerabilities": [["elderly"], [], ["infant", "ill", "pregnant", "injured"],
                            ["unknown_group"]][i % 4],
        "needs": [["trapped"], [], ["medical"]][i % 3],
        "urgency_reasons": [["rising_water:水位在上升"], []][i % 2],
        "hazard": (None, "水位上涨", "")[i % 3], "urgency": ("critical", "urgent", "normal")[i % 3],
        "verification": ("unverified", "confirmed", "false", "unreachable", "already_rescued")[i % 5],
        "reported_rescued_at": REPORTED if i % 7 == 0 else None,
        "reported_at": REPORTED + timedelta(seconds=997 * i), "created_at": REPORTED,
    }  # fmt: skip


def test_upgrade_from_0024_scores_every_request(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0024")
    assert "priority_base" not in {c["name"] for c in inspect(empty_engine).get_columns(
        "help_requests")}  # fmt: skip
    with empty_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO rescue_incidents (id, name, type, status, regions, hashtags, keywords,"
            " starts_at, reverify_hours, created_at) VALUES (1, '旧灾情', 'flood', 'active', '[]',"
            " '[]', '[]', '2021-07-20 00:00:00', 6.0, '2021-07-20 00:00:00')"
        ))  # fmt: skip
        conn.execute(_rows.insert(), [_row(i) for i in range(2500)])  # more than one batch
    migrate.upgrade(empty_engine, "0025")
    inputs = [
        c.name
        for c in _rows.c
        if c.name
        not in ("version", "phones", "missing", "text", "completeness", "created_at", "state")
    ]
    with empty_engine.connect() as conn:
        rows = conn.execute(sa.select(
            sa.column("id"), sa.column("priority_base"), sa.column("priority_fresh"),
            *(_rows.c[n] for n in inputs)).select_from(_rows).order_by(sa.column("id"))).all()  # fmt: skip
    assert len(rows) == 2500
    wrong = [r.id for r in rows if (r.priority_base, r.priority_fresh)
             != priority.stored(SimpleNamespace(**r._mapping))]  # type: ignore[arg-type]  # fmt: skip
    assert wrong == []
    assert len({r.priority_base for r in rows}) > 10  # the inputs did vary
    with empty_engine.connect() as conn:
        searched = conn.execute(text(
            "SELECT search_words, search_digits FROM help_requests ORDER BY id")).all()  # fmt: skip
    assert [tuple(r) for r in searched[:2]] == [("求助 0\n\n\n", "0"), ("求助 1\n\n\n", "1")]
    assert searched[1234] == ("求助 1234\n\n\n", "1234")
    indexes = {i["name"]: i["column_names"] for i in inspect(empty_engine).get_indexes(
        "help_requests")}  # fmt: skip
    declared = {i.name: [c.name for c in i.columns] for i in HelpRequest.__table__.indexes}
    for name in ("ix_help_requests_priority", "ix_help_requests_priority_fresh"):
        key = "priority_base" if name.endswith("priority") else "priority_fresh"
        assert indexes[name][0] == "incident_id" and indexes[name][2:] == ["reported_at", "id"]
        assert key in str(indexes[name][1]) or indexes[name][1] is None
        assert name in declared
    # Down to 0024 and up again: the columns go and come back, scored.
    config = migrate.alembic_config(empty_engine.url.render_as_string(hide_password=False))
    with empty_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0024")
    assert "priority_base" not in {c["name"] for c in inspect(empty_engine).get_columns(
        "help_requests")}  # fmt: skip
    migrate.upgrade(empty_engine)  # every head, as `zhengwu db upgrade` does
    with empty_engine.connect() as conn:
        scored = conn.execute(text("SELECT count(*) FROM help_requests WHERE priority_base <> 0"))
        assert scored.scalar_one() > 2000
