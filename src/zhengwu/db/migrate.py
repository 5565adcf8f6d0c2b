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
