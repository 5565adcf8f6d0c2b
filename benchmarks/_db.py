"""What the page benchmarks share: sizes as people write them, a migrated database of their own."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text


def parse_size(raw: str) -> int:
    """Parse 8k / 50k / 5000."""
    raw = raw.strip().lower()
    return int(float(raw[:-1]) * 1000) if raw.endswith("k") else int(raw)


def bench_engine(url: str | None, tmp: Path, schema: str) -> Engine:
    """Return a migrated engine: a SQLite file in ``tmp`` (``url`` None), else PostgreSQL's
    ``url`` in a schema ``schema`` of its own, made anew (drop it with :func:`drop_schema`)."""
    from zhengwu.db.engine import make_engine
    from zhengwu.db.migrate import upgrade

    if url is None:
        engine = make_engine(f"sqlite:///{tmp / f'{schema}.db'}")
    else:
        drop_schema(url, schema)
        with make_engine(url).begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in url else "?"
        engine = make_engine(f"{url}{sep}options=-csearch_path%3D{schema}")
    upgrade(engine)
    return engine


def drop_schema(url: str, schema: str) -> None:
    """Drop PostgreSQL's schema ``schema`` at ``url`` and all it holds."""
    from zhengwu.db.engine import make_engine

    with make_engine(url).begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
