"""Run Alembic migrations programmatically (``zhengwu db upgrade``, tests).

Each domain's migrations form a branch on top of the foundation revision ``0001`` (index,
auth, service desk, rescue …), so domains evolve independently; ``heads`` upgrades them all.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(url: str) -> Config:
    """Return an Alembic config pointing at zhengwu's packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", "zhengwu.db:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Upgrade the database behind ``engine`` to ``revision``."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current(engine: Engine) -> str | None:
    """Return the database's current revision(s), comma-separated (None when not migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None


def ensure_current(engine: Engine) -> bool:
    """Migrate the database (and load regions) when it is behind the code; return if it was.

    The CLI and the server call this on start, so a new user never meets "no such table":
    a fresh SQLite file is created and migrated on first use.
    """
    from alembic.script import ScriptDirectory
    from sqlalchemy.orm import Session

    from zhengwu.regions.service import sync_regions

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    script = ScriptDirectory.from_config(cfg)
    have = tuple(sorted(set((current(engine) or "").split(",")) - {""}))
    # The version table keeps only the tips: a revision another one depends on (0018 on
    # 0014 and 0017) is applied without being listed, so compare what the tips cover.
    applied = (
        {r.revision for r in script.revision_map.iterate_revisions(have, "base")} if have else set()
    )
    if set(script.get_heads()) <= applied:
        return False
    upgrade(engine)
    with Session(engine) as session:
        sync_regions(session)
        session.commit()
    return True
