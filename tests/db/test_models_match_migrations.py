"""The models and the migrations describe the same schema: Alembic's autogenerate, run
against a database at every head, proposes nothing but the differences listed here.

A model that declares an index no migration creates (or keeps one a migration dropped,
such as ``help_requests.team_id``'s own, 0033) shows up as a difference and fails.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from zhengwu.db.models import Base

# Known and meant: (the kind of difference, the object it names).
KNOWN = {
    # Kept by triggers for the desk's snapshot (0017), never mapped.
    ("remove_table", "desk_config_stamp"),
    # PostgreSQL's trigram indexes of the member search (0031): GIN, not declared.
    ("remove_index", "ix_accounts_name_trgm"),
    ("remove_index", "ix_accounts_uid_trgm"),
    # … and its index of one- and two-character grams (0034): GIN on a function, not declared.
    ("remove_index", "ix_accounts_short_grams"),
    # 0009 named it before the naming convention took every column (uq_…_kind, not _kind_key):
    # the same constraint, proposed as dropped and added again.
    ("remove_constraint", "search_documents(kind, key)"),
    ("add_constraint", "search_documents(kind, key)"),
    # 0028 widens these on PostgreSQL only: SQLite keeps any length in a VARCHAR.
    ("modify_type", "help_sources.url"),
    ("modify_type", "help_sources.author"),
    ("modify_type", "help_set_aside.url"),
    ("modify_type", "help_set_aside.author"),
}


def _named(diff: Any) -> tuple[str, str]:
    """Return (kind, object) of one difference autogenerate proposes."""
    if isinstance(diff, list):  # a column's changes come as a list of one
        (change,) = diff
        return change[0], f"{change[2]}.{change[3]}"
    kind, thing = diff[0], diff[1]
    if kind.endswith("_constraint"):
        return kind, f"{thing.table.name}({', '.join(c.name for c in thing.columns)})"
    return kind, str(thing.name)


def test_autogenerate_proposes_only_the_known_differences(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        found = {_named(d) for d in compare_metadata(context, Base.metadata)}
    assert found - KNOWN == set()
    if db_engine.dialect.name == "postgresql":  # the lengths are the model's there
        assert not any(kind == "modify_type" for kind, _ in found)
        assert ("remove_index", "ix_accounts_name_trgm") in found
