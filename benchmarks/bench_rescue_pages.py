"""Per-page CPU and wall time of the rescue lists at 8,000 and 50,000 help requests.

    .venv/bin/python benchmarks/bench_rescue_pages.py                 # SQLite, 8k and 50k
    .venv/bin/python benchmarks/bench_rescue_pages.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/bench_rescue_pages.py --sizes 8k --repeat 10
    .venv/bin/python benchmarks/bench_rescue_pages.py --sizes 100k --before-max 0   # national

What is built: one incident per size with that many simulated requests
(:func:`zhengwu.rescue.demo.simulate_requests`: every state, urgency, vulnerable group,
people count, verification, a post each; two teams), in a temporary SQLite file or in its
own PostgreSQL schema (``zw_bench_rescue``, dropped afterwards).

What is measured: the app runs in this process (FastAPI's test client, no network), so
the CPU time of a page (``time.process_time``) is the server's work — SQL, Python and
rendering — plus the client's small share. Each page is requested ``--repeat`` times
after one warm-up; the median is printed. The pages: the dispatcher's triage queue in the
console (first page, a deep page, a filtered page, a search), a team's queue and a team
member's search in the JSON queue (other teams' requests are searched as masked), the JSON
queue (first page, and a search at offset 500), and the public board (first page and a deep page of
waiting requests).

Baselines measured in the same run: **bare** is ``SELECT … FROM help_requests WHERE
incident_id = ? ORDER BY id LIMIT 50`` on the same table (what any page of 50 must at least
cost), and each page's ratio to it is printed. **before** replays what the pages did
until the lists moved into SQL (every request of the incident loaded with its relations,
ranked, counted and cut in Python; the functions still exist), for the queue and the
board, so the gain is shown without checking out an older commit.

``--demo-clock``: the data directory (a temporary one) holds a demo's ``truth.json``
whose period ends today and the incident is the demo's (:mod:`zhengwu.rescue.clock`), so
every page judges waiting times on the demo's running clock, which reads that file. The
``stats`` column counts the filesystem calls (``os.stat``) on the demo's files per page
(without the flag: on the ``truth.json`` a real deployment's data directory does not hold).
With ``--stored-clock`` too, the incident holds its clock (migration 0042,
``demo_period_end`` and ``demo_clock_from``) as ``zhengwu demo`` stores it now; without it,
it is a demo incident made before 0042, whose clock is read from the file.

The old pages are replayed up to ``--before-max`` requests (10,000 by default: at 50,000
they take a minute of wall time themselves). The run takes about a minute and a half on
SQLite or PostgreSQL (two shared cores).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from _db import bench_engine, drop_schema, parse_size

SCHEMA = "zw_bench_rescue"
PASSWORD = "zhengwu-bench"


def build(
    engine: Engine, size: int, now: datetime, demo: bool = False, stored: bool = False
) -> dict[str, int]:
    """Create an incident of ``size`` simulated requests, two teams and the users (with
    ``demo``: the demo's incident, 基准暴雨, created before its period's end; with
    ``stored`` too, holding its clock as the demo stores it since 0042)."""
    from zhengwu.auth import service as auth_service
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.demo import simulate_requests
    from zhengwu.rescue.schemas import IncidentCreate, TeamCreate

    actor = rescue_service.SYSTEM
    with Session(engine) as session:
        starts = datetime(2021, 7, 19, tzinfo=UTC)
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="基准暴雨" if demo else f"基准 {size}", regions=["410100"], starts_at=starts,
            hashtags=["郑州暴雨互助"]), actor=actor, now=starts if demo else None)  # fmt: skip
        if demo and stored:
            from zhengwu.rescue.clock import demo_started, start_demo_clock

            started = demo_started()
            assert started is not None, "the demo's truth.json is not read as a demo's"
            start_demo_clock(incident, period_end=started[0], made=started[1])
        teams = [rescue_service.create_team(session, data=TeamCreate(name=f"{size}-{n}"),
                                            actor=actor) for n in ("A", "B")]  # fmt: skip
        for start in range(0, size, 10_000):  # in chunks: the executemany stays moderate
            simulate_requests(session, incident_id=incident.id, count=min(10_000, size - start),
                              now=now, team_ids=[t.id for t in teams], seed=start + 1)  # fmt: skip
        for name, role, team in (("dispatcher", "dispatcher", None), ("team", "team", teams[0])):
            auth_service.create_user(session, username=f"{name}{size}", password=PASSWORD,
                                     role=role, team_id=team.id if team else None)  # fmt: skip
        session.commit()
        return {"incident": incident.id, "team": teams[0].id}


def login(client: Any, username: str) -> None:
    """Log a test client in through the console's form."""
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    done = client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": csrf[1], "next": ""},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text


STATS: list[int] = [0]  # os.stat calls on truth.json (counted by _counting_stat)


def _counting_stat() -> None:
    """Count the ``os.stat`` calls on a ``truth.json`` (the demo clock's file) in STATS."""
    real = os.stat

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path).endswith("truth.json"):
            STATS[0] += 1
        return real(path, *args, **kwargs)

    os.stat = stat  # type: ignore[assignment]


def measure(run: Callable[[], object], repeat: int) -> tuple[float, float, int]:
    """Return the median CPU and wall milliseconds of ``run`` (after one warm-up) and the
    stats of truth.json in one run."""
    run()
    cpu: list[float] = []
    wall: list[float] = []
    STATS[0] = 0
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        run()
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return statistics.median(cpu), statistics.median(wall), STATS[0] // max(repeat, 1)


def _get(client: Any, url: str) -> Callable[[], object]:
    def run() -> object:
        reply = client.get(url)
        assert reply.status_code == 200, (url, reply.status_code, reply.text[:300])
        return reply

    return run


def before_queue(engine: Engine, incident_id: int) -> Callable[[], object]:
    """The queue as it was computed before: all requests loaded, ranked, cut, viewed."""
    from zhengwu.accounts import phones as published_phones
    from zhengwu.rescue import access, board
    from zhengwu.rescue import service as rescue_service

    def run() -> object:
        with Session(engine) as session:
            incident = rescue_service.get_incident(session, incident_id=incident_id)
            queue = rescue_service.queue(session, incident=incident)
            keep = published_phones.directory(session)
            views = [access.view(rescue_service.SYSTEM, r, keep=keep) for r in queue[:100]]
            everything = rescue_service.requests_of(session, incident=incident)
            return views, board.counts(everything)

    return run


def before_board(engine: Engine, incident_id: int) -> Callable[[], object]:
    """The public board as it was computed before (all requests loaded, 100 shown)."""
    from zhengwu.auth.principal import PUBLIC
    from zhengwu.rescue import access, board
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.workflow import OPEN_STATES

    def run() -> object:
        with Session(engine) as session:
            incident = rescue_service.get_incident(session, incident_id=incident_id)
            requests = rescue_service.requests_of(session, incident=incident)
            counted = board.counts(requests)
            waiting = [r for r in requests if r.state in OPEN_STATES]
            shown = rescue_service.rank(waiting)[:100]
            views = [access.view(PUBLIC, r) for r in shown]
            done = board.notices(requests, hotline=incident.hotline)[:100]
            return counted, board.response_times(requests), views, done

    return run


def bare(engine: Engine, incident_id: int) -> Callable[[], object]:
    """The baseline: one page of 50 rows of the same table, no ordering work."""

    def run() -> object:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT id, state, urgency, reported_at, text FROM help_requests "
                     "WHERE incident_id = :i ORDER BY id LIMIT 50"), {"i": incident_id},
            ).all()  # fmt: skip

    return run


def _data_dir(tmp: Path, *, demo: bool, now: datetime) -> None:
    """Point the settings at a data directory in ``tmp``; with ``demo``, one holding a
    demo's truth.json whose period ends tomorrow (China time) in the city 基准市."""
    import orjson

    from zhengwu.config import get_settings

    os.environ["ZHENGWU_DATA_DIR"] = str(tmp / "data")
    get_settings.cache_clear()
    if demo:
        truth = tmp / "data" / "demo-input" / "truth.json"
        truth.parent.mkdir(parents=True)
        end = (now + timedelta(days=2)).date().isoformat()
        truth.write_bytes(orjson.dumps({"window": {"start": "2021-07-19", "end": end},
                                        "event": {"city_name": "基准市"}}))  # fmt: skip


def main() -> None:
    """Build, measure, print a table per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--sizes", default="8k,50k")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before-repeat", type=int, default=1,
                        help="repeats of the old in-Python pages")  # fmt: skip
    parser.add_argument("--before-max", default="10k",
                        help="replay the old in-Python pages up to this size only (at 50k "
                             "they take about a minute of wall time: --before-max 50k)")  # fmt: skip
    parser.add_argument("--demo-clock", action="store_true",
                        help="measure the demo's incident, on the demo's running clock")  # fmt: skip
    parser.add_argument("--stored-clock", action="store_true",
                        help="with --demo-clock: the incident holds its clock (0042), as "
                             "zhengwu demo stores it now")  # fmt: skip
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from zhengwu.web.app import create_app

    started = time.perf_counter()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        _data_dir(Path(tmp), demo=args.demo_clock, now=now)
        _counting_stat()
        engine = bench_engine(args.database_url, Path(tmp), SCHEMA)
        backend = engine.dialect.name
        try:
            for size in (parse_size(s) for s in args.sizes.split(",")):
                t0 = time.perf_counter()
                ids = build(engine, size, now, demo=args.demo_clock, stored=args.stored_clock)
                print(f"\n== {size:,} requests ({backend}; built in "
                      f"{time.perf_counter() - t0:.1f} s) ==")  # fmt: skip
                app = create_app(engine)
                incident, deep = ids["incident"], size // 4
                with TestClient(app) as staff, TestClient(app) as team, TestClient(app) as public:
                    login(staff, f"dispatcher{size}")
                    login(team, f"team{size}")
                    base_cpu, base_wall, _ = measure(bare(engine, incident), args.repeat)
                    rows: list[tuple[str, float, float, int]] = [
                        ("bare SELECT … LIMIT 50", base_cpu, base_wall, 0)]  # fmt: skip
                    pages = [
                        ("console queue, page 1", staff, f"/console/rescue/{incident}"),
                        ("console queue, deep page", staff,
                         f"/console/rescue/{incident}?state=all&offset={deep // 100 * 100}"),
                        ("console queue, filtered", staff,
                         f"/console/rescue/{incident}?state=new&urgency=critical&sort=newest"),
                        ("console queue, team", team, f"/console/rescue/{incident}"),
                        ("console queue, search", staff,
                         f"/console/rescue/{incident}?state=all&q=文化路12号院"),
                        ("JSON queue, team member's search", team,
                         f"/api/rescue/incidents/{incident}/queue?q=文化路12号院&limit=50"),
                        ("JSON queue, search 50", staff,
                         f"/api/rescue/incidents/{incident}/queue?q=文化路&limit=50&offset=500"),
                        ("JSON queue, 50", staff,
                         f"/api/rescue/incidents/{incident}/queue?limit=50"),
                        ("public board, page 1", public, f"/board/rescue/{incident}"),
                        ("public board, deep page", public,
                         f"/board/rescue/{incident}?offset={deep // 50 * 50}"),
                    ]  # fmt: skip
                    for label, client, url in pages:
                        rows.append((label, *measure(_get(client, url), args.repeat)))
                    befores = (("before: queue (all in Python)", before_queue),
                               ("before: board (all in Python)", before_board))  # fmt: skip
                    for label, make in befores if size <= parse_size(args.before_max) else ():
                        rows.append((label, *measure(make(engine, incident), args.before_repeat)))
                print(f"{'page':34} {'CPU ms':>9} {'wall ms':>9} {'× bare CPU':>11} {'stats':>6}")
                for label, cpu, wall, stats in rows:
                    ratio = cpu / base_cpu if base_cpu > 0 else float("nan")
                    print(f"{label:34} {cpu:9.1f} {wall:9.1f} {ratio:11.1f} {stats:6}")
        finally:
            engine.dispose()
            if args.database_url is not None:
                drop_schema(args.database_url, SCHEMA)
    print(f"\ntotal run {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
