"""rescue: a citizen's follow-up key is bound to the source its submission made

``help_followups.source_id``: the key opens the request that source is on now. A key
pointed at a request only: when a coordinator split the citizen's submission off into a
request of its own (拆分), the key still opened the old one — the citizen's updates landed
on another family's request, and a key that had created that request could close it.

Existing keys are bound where their submission can be told for certain, from the audit
entries intake wrote when it took the submission in (``create`` or ``merge`` on the key's
request, naming one ``form-…`` or ``api-…`` post): the one key that created a request to
the one submission that created it, the one key that joined a request to the one
submission that joined it. A key whose submission a coordinator has split off already
(``split_from``, naming its source) is moved to the split-off request, which it made
(``creator``); a key already there (a split since 0039, downgraded) is bound to the source
that split named. Keys left unbound open their request as before (following merges).

Revision ID: 0039
Revises: 0037
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0037"
branch_labels = None
depends_on = None

BATCH = 500  # request ids in one IN (…)
SUBMITTED = ("form-", "api-")  # the post ids intake.submit gives a form's or API's request

_followups = sa.table(
    "help_followups",
    sa.column("id", sa.Integer()),
    sa.column("request_id", sa.Integer()),
    sa.column("creator", sa.Boolean()),
    sa.column("source_id", sa.Integer()),
)
_requests = sa.table(
    "help_requests", sa.column("id", sa.Integer()), sa.column("incident_id", sa.Integer())
)
_sources = sa.table(
    "help_sources",
    sa.column("id", sa.Integer()),
    sa.column("incident_id", sa.Integer()),
    sa.column("post_id", sa.String()),
)
_audit = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("entity_type", sa.String()),
    sa.column("entity_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("data", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("help_followups") as batch:
        batch.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_help_followups_source_id_help_sources", "help_sources", ["source_id"], ["id"]
        )
        batch.create_index("ix_help_followups_source_id", ["source_id"])
    _backfill(op.get_bind())


def _submission(data: Any) -> str | None:
    """Return the one form or API post an intake audit entry names, if it names one."""
    posts = data.get("sources") if isinstance(data, dict) else None
    if isinstance(posts, list) and len(posts) == 1 and isinstance(posts[0], str):
        return posts[0] if posts[0].startswith(SUBMITTED) else None
    return None


def _backfill(conn: sa.Connection) -> None:
    if conn.scalar(sa.select(_followups.c.id).limit(1)) is None:
        return  # no keys (a new database: the audit log's branch may not be there yet)
    keys: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for row in conn.execute(
        sa.select(_followups.c.id, _followups.c.request_id, _followups.c.creator)
    ):
        keys[row.request_id].append((row.id, bool(row.creator)))
    ids = sorted(keys)
    bound: dict[int, int] = {}  # key id → source id
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        incident = dict(
            conn.execute(
                sa.select(_requests.c.id, _requests.c.incident_id).where(_requests.c.id.in_(chunk))
            ).all()
        )
        posts: dict[tuple[int, str], list[str]] = defaultdict(list)
        split: dict[int, int] = {}  # a request split off a source (unmerge): that source
        for entry in conn.execute(
            sa.select(_audit.c.entity_id, _audit.c.action, _audit.c.data)
            .where(_audit.c.entity_type == "help_request", _audit.c.entity_id.in_(chunk),
                   _audit.c.action.in_(("create", "merge", "split_from")))
            .order_by(_audit.c.id)
        ):  # fmt: skip
            if entry.action == "split_from":
                data = entry.data if isinstance(entry.data, dict) else {}
                if isinstance(data.get("source_id"), int):
                    split[entry.entity_id] = data["source_id"]
            elif (post := _submission(entry.data)) is not None:
                posts[(entry.entity_id, entry.action)].append(post)
        for request_id in chunk:
            held = keys[request_id]
            for creator, action in ((True, "create"), (False, "merge")):
                mine = [key for key, made in held if made is creator]
                found = posts.get((request_id, action), [])
                if len(mine) != 1 or request_id not in incident:
                    continue  # none, or more than one: which is whose cannot be told
                if creator and not found and request_id in split:
                    bound[mine[0]] = split[request_id]  # a key a split already moved here
                    continue
                if len(found) != 1:
                    continue
                source = conn.scalar(
                    sa.select(_sources.c.id).where(
                        _sources.c.incident_id == incident[request_id],
                        _sources.c.post_id == found[0],
                    )
                )
                if source is not None:
                    bound[mine[0]] = source
    if not bound:
        return
    conn.execute(
        _followups.update()
        .where(_followups.c.id == sa.bindparam("key"))
        .values(source_id=sa.bindparam("source")),
        [{"key": key, "source": source} for key, source in bound.items()],
    )
    _follow_splits(conn, bound)


def _follow_splits(conn: sa.Connection, bound: dict[int, int]) -> None:
    """Move a bound key whose source a coordinator split off to the request it went to."""
    split: dict[int, int] = {}  # source id → the request it was split off into, last
    for entry in conn.execute(
        sa.select(_audit.c.entity_id, _audit.c.data)
        .where(_audit.c.entity_type == "help_request", _audit.c.action == "split_from")
        .order_by(_audit.c.id)
    ):
        data = entry.data if isinstance(entry.data, dict) else {}
        if isinstance(data.get("source_id"), int):
            split[data["source_id"]] = entry.entity_id
    moved = [{"key": key, "request": split[source]} for key, source in bound.items()
             if source in split]  # fmt: skip
    if moved:
        conn.execute(
            _followups.update()
            .where(_followups.c.id == sa.bindparam("key"))
            .values(request_id=sa.bindparam("request"), creator=True),
            moved,
        )


def downgrade() -> None:
    with op.batch_alter_table("help_followups") as batch:
        batch.drop_index("ix_help_followups_source_id")
        batch.drop_constraint("fk_help_followups_source_id_help_sources", type_="foreignkey")
        batch.drop_column("source_id")
