"""Small factories for index tests: organisations and accounts in the DB, posts in a store;
a simulated city imported through the real importers; a Spark session for the Spark index."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import orjson
import pyarrow as pa
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.content import store
from zhengwu.index import engine
from zhengwu.index.engine import RunSummary
from zhengwu.index.periods import parse_period
from zhengwu.index.system import IndicatorSystem, load_system
from zhengwu.ingest.bundle import bundle_files
from zhengwu.ingest.collect import Collector
from zhengwu.ingest.pipeline import run_import
from zhengwu.ingest.registry import ImportItem
from zhengwu.platforms.records import PostRecord
from zhengwu.simulate import SimulationConfig, run_simulation

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CHINA = timedelta(hours=8)


def china(day: str, hour: int = 12) -> datetime:
    """Return an aware UTC datetime for ``hour`` o'clock China time on ``day``."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC) - CHINA


@dataclass
class World:
    """A session and a store to build small, realistic index scenarios in."""

    session: Session
    con: duckdb.DuckDBPyConnection
    seq: int = 0
    orgs: dict[str, Organization] = field(default_factory=dict)

    def org(self, name: str, *, sector: str = "公安", level: str = "市",
            adcode: str = "410100") -> Organization:  # fmt: skip
        """Create an organisation."""
        org = Organization(name=name, sector=sector, level=level, adcode=adcode)
        self.session.add(org)
        self.session.flush()
        self.orgs[name] = org
        return org

    def account(self, platform: str, uid: str, org: Organization | None = None, *,
                name: str | None = None, followers: int | None = None) -> Account:  # fmt: skip
        """Create a government account."""
        acc = Account(platform=platform, uid=uid, name=name or f"{platform}-{uid}",
                      organization_id=org.id if org else None, is_government=True,
                      followers=followers)  # fmt: skip
        self.session.add(acc)
        self.session.flush()
        return acc

    def matrix(self, name: str, members: list[Account]) -> Matrix:
        """Create a regional matrix with ``members``."""
        matrix = Matrix(name=name, kind="regional", adcode="410100")
        self.session.add(matrix)
        self.session.flush()
        for acc in members:
            self.session.add(MatrixMember(matrix_id=matrix.id, account_id=acc.id))
        self.session.flush()
        return matrix

    def post(self, platform: str, uid: str, when: datetime, **counts: Any) -> str:
        """Store one post (counts as keyword arguments); return its id."""
        return self.posts(platform, uid, [when], **counts)[0]

    def posts(self, platform: str, uid: str, whens: list[datetime], *,
              observed: datetime | None = None, **counts: Any) -> list[str]:  # fmt: skip
        """Store posts at ``whens`` with the same counts in one write; return their ids."""
        fixed_id = counts.pop("post_id", None)
        text = counts.pop("text", None)
        collector = Collector(observed_at=observed or max(whens) + timedelta(days=10))
        ids = []
        for when in whens:
            self.seq += 1
            post_id = str(fixed_id or f"{uid}-{self.seq}")
            collector.add(ImportItem(primary=PostRecord(
                platform=platform, post_id=post_id, account_uid=uid, created_at=when,
                text=text or f"第{self.seq}条发布", **counts,
            )))  # fmt: skip
            ids.append(post_id)
        store.write_posts(self.con, collector.posts_table())
        return ids

    def daily(self, platform: str, uid: str, first: str, days: int, **counts: Any) -> None:
        """Store one post a day for ``days`` days from ``first`` (China time)."""
        self.posts(platform, uid, [china(first) + timedelta(days=d) for d in range(days)], **counts)

    def followers(self, platform: str, uid: str, rows: list[tuple[str, int]]) -> None:
        """Store follower snapshots ``[(day, followers), …]``."""
        table = pa.Table.from_pylist(
            [{"seq": i, "platform": platform, "uid": uid, "followers": n, "friends": 0,
              "statuses": 0, "observed_at": china(day).replace(tzinfo=None)}
             for i, (day, n) in enumerate(rows)],
            schema=store.ACCOUNT_SNAPSHOT_SCHEMA,
        )  # fmt: skip
        self.con.register("snap_in", table)
        self.con.execute(
            "INSERT INTO account_snapshots SELECT platform, uid, observed_at, followers, friends, "
            "statuses FROM snap_in"
        )
        self.con.unregister("snap_in")

    def run(self, period: str = "2025-07", system: str | IndicatorSystem = "zhengwu-4d",
            **options: Any) -> RunSummary:  # fmt: skip
        """Run an indicator system over stored data."""
        chosen = load_system(system) if isinstance(system, str) else system
        window = parse_period(period, week_start=chosen.week_start)
        return engine.run_for_db(self.session, self.con, chosen, window, **options)

    def totals(self, run_id: str, platform: str) -> list[dict[str, Any]]:
        """Return the stored totals of a run and platform, best first."""
        cur = self.con.execute(
            "SELECT * FROM index_totals WHERE run_id = ? AND platform = ? "
            "ORDER BY rank_with_failing", [run_id, platform],
        )  # fmt: skip
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.fixture
def analytics(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh analytics store."""
    with store.open_store(tmp_path / "analytics.duckdb") as con:
        yield con


@pytest.fixture
def world(session: Session, analytics: duckdb.DuckDBPyConnection) -> World:
    """A scenario builder over the test session and a fresh store."""
    return World(session=session, con=analytics)


# Only the account and post files: the request and help-post streams have importers of
# their own that the index tests do not exercise.
_STREAMS = ("orgs.csv", "accounts.csv", "matrices.json", "weibo/", "wechat/", "douyin/")


@pytest.fixture(scope="module")
def city(db_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A simulated city imported into a rolled-back transaction and a fresh store."""
    root = tmp_path_factory.mktemp("sim")
    run_simulation(SimulationConfig(scale="city", days=30, seed=5, out=root / "in"))
    truth = orjson.loads((root / "in" / "truth.json").read_bytes())
    connection = db_engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    with store.open_store(root / "analytics.duckdb") as con:
        for fmt, files in bundle_files(root / "in"):
            chosen = [f for f in files if str(f.relative_to(root / "in")).startswith(_STREAMS)]
            if chosen:
                run_import(fmt, chosen, session=session, analytics=con, workers=1)
        session.flush()
        yield {"session": session, "con": con, "truth": truth, "root": root}
    session.close()
    transaction.rollback()
    connection.close()


def city_period(truth: dict[str, Any]) -> str:
    """Return the simulated window as a period label (``start..last day``)."""
    window = truth["window"]
    last = date.fromordinal(date.fromisoformat(window["end"]).toordinal() - 1)
    return f"{window['start']}..{last.isoformat()}"


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One local Spark session for the whole test session (a JVM start costs ~5 s).

    Without Java or PySpark the Spark tests skip — except when ZHENGWU_TEST_DATABASE_URL is
    set (CI sets it): there a missing Java fails, as an unreachable PostgreSQL does.
    """
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _no_spark("PySpark is not installed (pip install -e '.[dev]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _no_spark("java is not installed: the Spark index needs Java 17+")
    from zhengwu.index.spark_run import spark_session

    session = spark_session("local[2]", driver_memory="1g", shuffle_partitions=2)
    yield session
    session.stop()


def _no_spark(reason: str) -> None:
    if os.environ.get("ZHENGWU_TEST_DATABASE_URL"):
        pytest.fail(f"{reason} (CI runs the Spark tests)")
    pytest.skip(reason)
