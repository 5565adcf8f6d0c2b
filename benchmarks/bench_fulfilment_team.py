"""What ``ix_help_fulfilments_team_id`` (migration 0035) changes on PostgreSQL.

    .venv/bin/python benchmarks/bench_fulfilment_team.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/bench_fulfilment_team.py --database-url … --requests 20k --repeat 3

What is built, in its own schema (``zw_bench_fulfil``, dropped afterwards): one incident of
``--requests`` simulated help requests (:func:`zhengwu.rescue.demo.simulate_requests`,
every state) dispatched in turn to ``--teams`` teams, and for every request a team holds
one to three fulfilment rows (people helped in one go) — about 1.2 rows per request —
plus one team that holds nothing (entered by mistake). The database is migrated to every
head but 0035 first ("before"), measured, then to 0035 ("after") and measured again, each
time after ``VACUUM ANALYZE``.

What is measured, ``EXPLAIN (ANALYZE)`` median of ``--repeat`` runs after one warm-up:

* **team's fulfilments**: ``SELECT count(*), sum(people) FROM help_fulfilments WHERE
  team_id = ?`` (the people a team helped);
* **delete a team**: ``DELETE FROM rescue_teams WHERE id = ?`` of the team that holds
  nothing, rolled back: the planner's time plus each foreign-key check's trigger time
  (``help_requests``, ``help_assignments``, ``help_fulfilments``), printed apart;
* **insert**: 2,000 fulfilment rows in one ``executemany`` (what the index costs a write),
  wall milliseconds, rolled back.

The queue and team pages read ``help_requests`` only: they are not measured here
(``bench_rescue_pages.py``).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.orm import Session

SCHEMA = "zw_bench_fulfil"


def parse_size(raw: str) -> int:
    """Parse 100k / 20000."""
    raw = raw.strip().lower()
    return int(float(raw[:-1]) * 1000) if raw.endswith("k") else int(raw)


def _engine(url: str) -> Engine:
    from zhengwu.db.engine import make_engine

    with make_engine(url).begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    sep = "&" if "?" in url else "?"
    return make_engine(f"{url}{sep}options=-csearch_path%3D{SCHEMA}")


def build(engine: Engine, size: int, n_teams: int) -> dict[str, int]:
    """Create the incident, the teams, the requests and their fulfilments."""
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.demo import simulate_requests
    from zhengwu.rescue.models import Fulfilment, HelpRequest
    from zhengwu.rescue.schemas import IncidentCreate, TeamCreate

    actor = rescue_service.SYSTEM
    now = datetime(2021, 7, 21, tzinfo=UTC)
    rng = random.Random(7)
    with Session(engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="基准", regions=["410100"], starts_at=now - timedelta(days=3)), actor=actor)  # fmt: skip
        teams = [rescue_service.create_team(session, data=TeamCreate(name=f"队{n:03d}"),
                                            actor=actor).id for n in range(n_teams)]  # fmt: skip
        spare = rescue_service.create_team(session, data=TeamCreate(name="误建队伍"), actor=actor)
        for start in range(0, size, 10_000):
            simulate_requests(session, incident_id=incident.id, count=min(10_000, size - start),
                              now=now, team_ids=teams, seed=start + 1)  # fmt: skip
        held = session.execute(
            select(HelpRequest.id, HelpRequest.team_id, HelpRequest.reported_at).where(
                HelpRequest.team_id.is_not(None)
            )
        ).all()
        rows = [
            {"request_id": rid, "team_id": team, "people": rng.randint(1, 5),
             "outcome": rng.choice(("rescued", "relocated")), "recorded_by": "bench",
             "at": reported + timedelta(hours=rng.randint(1, 12))}
            for rid, team, reported in held for _ in range(rng.choice((1, 1, 2, 3)))
        ]  # fmt: skip
        for start in range(0, len(rows), 10_000):
            session.execute(insert(Fulfilment), rows[start : start + 10_000])
        session.commit()
        busiest = session.scalar(text(
            "SELECT team_id FROM help_fulfilments GROUP BY team_id ORDER BY count(*) DESC LIMIT 1"
        ))  # fmt: skip
        return {"requests": size, "fulfilments": len(rows), "team": int(busiest or teams[0]),
                "other": teams[-1] if teams[-1] != busiest else teams[0],
                "spare": spare.id}  # fmt: skip


def _analyse(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def _explain(
    conn: Connection, sql: str, params: dict[str, int]
) -> tuple[float, dict[str, float], str]:
    """Return the execution time, each trigger's time (ms) and the plan of one statement."""
    plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN (ANALYZE) {sql}"), params))
    total = float(re.search(r"Execution Time: ([\d.]+) ms", plan)[1])  # type: ignore[index]
    triggers = {
        m[1]: float(m[2]) for m in re.finditer(r"Trigger for constraint (\S+): time=([\d.]+)", plan)
    }
    return total, triggers, plan


def measure(engine: Engine, ids: dict[str, int], repeat: int) -> dict[str, float]:
    """Return the median milliseconds of each measured statement (and print the plans)."""
    from zhengwu.rescue.models import Fulfilment

    found: dict[str, list[float]] = {}
    plans: dict[str, str] = {}
    for i in range(repeat + 1):  # the first run warms the cache and is not kept
        with engine.connect() as conn:
            total, _, plan = _explain(
                conn, "SELECT count(*), coalesce(sum(people), 0) FROM help_fulfilments "
                "WHERE team_id = :team", {"team": ids["team"]},
            )  # fmt: skip
            conn.rollback()
            plans["team's fulfilments"] = plan
            if i:
                found.setdefault("team's fulfilments", []).append(total)
            total, triggers, plan = _explain(conn, "DELETE FROM rescue_teams WHERE id = :spare",
                                             {"spare": ids["spare"]})  # fmt: skip
            conn.rollback()  # the team stays
            plans["delete a team"] = plan
            if i:
                found.setdefault("delete a team (total)", []).append(total)
                for name, ms in triggers.items():
                    found.setdefault(f"  FK check {name}", []).append(ms)
    # The writes last, as another team: the rolled-back rows leave dead entries behind.
    rows = [{"request_id": 1, "team_id": ids["other"], "people": 1, "outcome": "rescued",
             "recorded_by": "bench", "at": datetime(2021, 7, 21, tzinfo=UTC)}
            for _ in range(2000)]  # fmt: skip
    for i in range(repeat + 1):
        with engine.connect() as conn:
            start = time.perf_counter()
            conn.execute(insert(Fulfilment), rows)
            elapsed = (time.perf_counter() - start) * 1000
            conn.rollback()
        if i:
            found.setdefault("insert 2,000 fulfilments (wall)", []).append(elapsed)
    for name, plan in plans.items():
        print(f"--- {name}\n{plan}")
    return {name: statistics.median(values) for name, values in found.items()}


def main() -> None:
    """Build, measure before 0035, migrate, measure after, print both."""
    from zhengwu.db.migrate import upgrade

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL URL")
    parser.add_argument("--requests", default="100k")
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = _engine(args.database_url)
    try:
        for head in ("0033", "0034"):  # every head, without 0035
            upgrade(engine, head)
        started = time.perf_counter()
        ids = build(engine, parse_size(args.requests), args.teams)
        print(f"built {ids} in {time.perf_counter() - started:.0f} s")
        _analyse(engine)
        before = measure(engine, ids, args.repeat)
        upgrade(engine, "0035")
        _analyse(engine)
        after = measure(engine, ids, args.repeat)
        print(f"\nEXPLAIN ANALYZE, median of {args.repeat}, ms: before 0035 → after")
        for name in before:
            print(f"{name:58} {before[name]:9.3f} → {after.get(name, float('nan')):9.3f}")
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()


if __name__ == "__main__":
    main()
