"""Migration 0039: a citizen's follow-up key bound to its submission's source, existing
keys bound from intake's audit entries where they tell which submission was whose, a
key whose submission was split off already moved to the split-off request (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine, inspect, text

from zhengwu.db import migrate
from zhengwu.db.base import UtcDateTime

from .test_rescue_priority_migration import _add_incident, _row, _rows

AT = datetime(2021, 7, 20, 9, 0, tzinfo=UTC)

# The requests as 0024 holds them (the priority migration's test), with their ids.
_requests = sa.table("help_requests", sa.column("id", sa.Integer()),
                     *(sa.column(c.name, c.type) for c in _rows.c))  # fmt: skip
_sources = sa.table(
    "help_sources",
    *(sa.column(n, sa.Integer()) for n in ("id", "incident_id", "request_id")),
    *(sa.column(n, sa.String()) for n in ("channel", "platform", "post_id", "text", "kind")),
    sa.column("score", sa.Float()),
    sa.column("fields", sa.JSON()),
    *(sa.column(n, UtcDateTime()) for n in ("posted_at", "created_at")),
)  # fmt: skip
_keys = sa.table(
    "help_followups",
    *(sa.column(n, sa.Integer()) for n in ("id", "request_id")),
    *(sa.column(n, sa.String()) for n in ("token_hash", "lookup_hash")),
    sa.column("creator", sa.Boolean()),
    sa.column("created_at", UtcDateTime()),
)
_audit = sa.table(
    "audit_log",
    *(sa.column(n, sa.Integer()) for n in ("entity_id",)),
    *(sa.column(n, sa.String()) for n in ("entity_type", "action", "actor_name")),
    sa.column("data", sa.JSON()),
    sa.column("at", UtcDateTime()),
)


def _source(sid: int, request_id: int, post_id: str) -> dict[str, object]:
    channel = post_id.split("-")[0] if "-" in post_id else "post"
    return {"id": sid, "incident_id": 1, "request_id": request_id, "channel": channel[:8],
            "platform": "weibo" if channel == "post" else channel, "post_id": post_id,
            "text": f"求助 {post_id}", "kind": "original", "score": 1.0, "fields": {},
            "posted_at": AT, "created_at": AT}  # fmt: skip


def _entry(request_id: int, action: str, data: dict[str, object]) -> dict[str, object]:
    return {"entity_type": "help_request", "entity_id": request_id, "action": action,
            "actor_name": "群众", "data": data, "at": AT}  # fmt: skip


def _key(kid: int, request_id: int, creator: bool) -> dict[str, object]:
    return {"id": kid, "request_id": request_id, "token_hash": f"{kid:064d}",
            "lookup_hash": None, "creator": creator, "created_at": AT}  # fmt: skip


def test_upgrade_binds_the_keys_whose_submission_the_audit_names(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0037")
    with empty_engine.begin() as conn:
        _add_incident(conn)
        conn.execute(_requests.insert(), [{**_row(i), "id": i} for i in range(1, 7)])
        conn.execute(_sources.insert(), [
            _source(11, 1, "form-aaaa"),  # request 1: made by a form, then joined by one
            _source(12, 1, "api-bbbb"),
            _source(13, 2, "form-cccc"),  # request 2: two forms joined, which key is whose?
            _source(14, 2, "form-dddd"),
            _source(15, 2, "weibo-1"),
            # request 3 made by a form, merged into 2 (its source moved), then split off to 6
            _source(16, 6, "form-eeee"),
            _source(17, 4, "weibo-2"),  # request 4: a post's, no submission
        ])  # fmt: skip
        conn.execute(_audit.insert(), [
            _entry(1, "create", {"sources": ["form-aaaa"], "rules": [None]}),
            _entry(1, "merge", {"sources": ["api-bbbb"], "rules": ["phone"]}),
            _entry(2, "create", {"sources": ["weibo-1"], "rules": [None]}),
            _entry(2, "merge", {"sources": ["form-cccc"], "rules": ["phone"]}),
            _entry(2, "merge", {"sources": ["form-dddd"], "rules": ["minhash"]}),
            _entry(3, "create", {"sources": ["form-eeee"], "rules": [None]}),
            _entry(2, "merge_manual", {"merged": 3, "sources": [16]}),
            _entry(6, "split_from", {"source_id": 16, "from_request": 2, "to_request": 6}),
            _entry(4, "create", {"sources": ["weibo-2"], "rules": [None]}),
        ])  # fmt: skip
        conn.execute(_keys.insert(), [_key(1, 1, True), _key(2, 1, False), _key(3, 2, False),
                                      _key(4, 2, False), _key(5, 3, True), _key(6, 4, True)])  # fmt: skip
    migrate.upgrade(empty_engine, "0039")
    with empty_engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, request_id, creator, source_id FROM help_followups ORDER BY id")).all()  # fmt: skip
    assert [(r.id, r.request_id, bool(r.creator), r.source_id) for r in rows] == [
        (1, 1, True, 11),
        (2, 1, False, 12),
        (3, 2, False, None),  # two forms joined request 2: left to open the request
        (4, 2, False, None),
        (5, 6, True, 16),  # split off already: the key made the split-off request
        (6, 4, True, None),  # no submission named: nothing to bind
    ]
    assert "ix_help_followups_source_id" in {i["name"] for i in inspect(empty_engine).get_indexes(
        "help_followups")}  # fmt: skip
    config = migrate.alembic_config(empty_engine.url.render_as_string(hide_password=False))
    with empty_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0037")
    columns = {c["name"] for c in inspect(empty_engine).get_columns("help_followups")}
    assert "source_id" not in columns
    migrate.upgrade(empty_engine, "0039")  # and up again: bound as before
    with empty_engine.connect() as conn:
        again = conn.execute(text("SELECT source_id FROM help_followups ORDER BY id")).all()
    assert [r.source_id for r in again] == [11, 12, None, None, 16, None]
