"""Hotline CSV import benchmark: ``zhengwu desk import-csv`` vs a bare csv + executemany INSERT.

Run: .venv/bin/python benchmarks/bench_desk_csv.py [--rows 20000] [--database-url URL]
     [--profile] [--members N]

``--members N`` first fills N accounts of N/3 organisations into the city's matrix (as a
national deployment holds ~700,000) and also prints one read of the desk snapshot's stamp
against the count/max over ``matrix_members`` the stamp was before migration 0017 (0.14 s
a read at 696,625 members, paid by every intake and every CSV row).

The input is a 12345 export built from the real city messages in ``../shared/data``
(``citizen-messages/messages_with_replies.csv`` and ``messages_with_votes.csv``, 7,142
messages, ~350 characters on average, up to 7,000), cycled to ``--rows`` rows with fresh
ticket numbers, in the columns of the simulator's hotline file plus 答复意见/答复时间,
所属区域 (郑州市) and 办理状态/办结时间/满意度: half the rows carry the body's real reply
(60 % of those closed a day later, most rated), most a division code of 郑州 and a category
name (some the organiser's own, unknown to the tree: classified from the text instead),
a phone from a pool of citizens; 5 % are the same citizen calling again about the same
problem a day later (merged; half of them answered as well, a reply that a request already
answered refuses, as the per-row path does), 2 % a ticket exported twice (existing), 1 % unusable
(unreadable time, no text, reply without its time: quarantined).

Measured in the same run, on the same file, in separate child processes, each in a fresh
data directory (SQLite) or a fresh PostgreSQL schema (``--database-url``):

- baseline: Python's ``csv`` reader over the file + one ``executemany`` INSERT of every
  row's cells into a bare table of TEXT columns, committed — reading and storing only;
- zhengwu: the full ``import_csv`` in one unit of work, as the CLI runs it (header check,
  row mapping and validation, dedup against the database, classification, jurisdiction,
  routing, working-day deadlines, masking, requests + sources + audit entries + replies +
  quarantine), committed; the schema, the category tree and a small city with routing
  rules are made before the clock starts.

Prints the load average, wall and CPU seconds, rows/s of each side, and the ratio
zhengwu / baseline. Goal: ≥ 2,000 rows/s on SQLite on the 2-core machine. ``--profile``
also prints the import's top functions by cumulative time (cProfile) and keeps the
profile in ``$BENCH_PROFILE_OUT`` (default /tmp/bench_desk_csv.prof).

Where the time went before (one row at a time through ``service.receive`` and
``actions.record_reply``, 2,000 rows, cProfile): ~10 queries, 3 flushes and a savepoint
per row — ORM flushes 35 %, the merge candidates query 12 %, the history read to find
the reply's event key 8 %, the snapshot stamp and the published numbers read per row 8 %,
savepoints and queries for known sources most of the rest; the text work (masking,
fingerprints, deadlines, classification, jurisdiction) about 10 %.

Then (``servicedesk/csvbatch.py``, 500 rows a batch, 20,000 rows, CPU seconds at load 7;
~0.85 ms a row in all): deciding the rows 11.9 — new requests 5.3 (masking ~2, working-day
deadlines ~0.8, public ids, classification, jurisdiction), near-copy comparisons 2.0 and
the merge candidates 1.4 (a worst case: the rows are not in time order, so each is
compared with its citizen's later requests too, as ``service.receive`` compares them),
normalised texts and the rest 3; writing them 4.2 (SQLAlchemy's parameter processing
about half); reading and mapping the CSV ~1; once per process ~1.5 (the name dictionary
of the masking, the division name index).

Now (2026-11-23): the deadlines are looked up in a per-calendar table of working days
instead of walked day by day, on a calendar read once per batch (it was stat-ed twice per
row); NFKC no longer rebuilds every text for its full-width commas; the privacy fold
replaces only the characters to fold; a batch's texts are classified at once (one model
call when a model is trained); the file is decoded at once; on PostgreSQL the new
requests' ids are drawn from their sequence so that the INSERT is a plain executemany
(INSERT … RETURNING of a batch made psycopg rewrite a statement as long as the batch in
Python, ~0.1 s a batch). Where the CPU goes now (5,000 rows, 4.35 CPU-s at load 4): deciding
2.75 — masking 0.81 (the name dictionary ~0.3 of it, once), jurisdiction 0.30 (the
division index ~0.25, once), deadlines 0.27 (was 1.09 at the same load), normalised
texts 0.22 (was 0.75), near-copy comparisons 0.21, public ids, routing and
classification 0.2, the rest ~0.5; writing 1.13, most of it SQLite's own work (the
service_requests INSERT 0.63 with its 13 indexes and search trigger, the audit entries
0.33: a raw executemany of the same rows costs as much); reading and mapping the CSV
~0.3. The import is now ~1.2× cheaper in CPU than before on SQLite (same-hour runs,
20,000 rows: 30.4 → 24.0 and 31.3 → 29.9 CPU-s at load 6, 34.8 → 29.3 and 29.4 → 24.2
run side by side), ~1.9× on PostgreSQL (5,000 rows at load 6: 169 → 314 rows/s, 11.6 → 6.1 CPU-s); the
goal (2,000 rows/s, 0.5 ms a row) is not met: what is left is spread over masking,
writing and a dozen steps of 20–60 µs each.

Then (2026-11-24): the figures above vary with the machine's load more than with the
code: at load 1.1–1.6 the same code ran 2,030–2,070 rows/s (9.3–9.5 CPU-s for 20,000
rows, 0.47 ms a row), at load 3 ~1,500. Changed: (1) the merge candidates are read by the
citizen index — SQLite, without statistics, took the state and time index and read every
open request since the batch's earliest row, all of them for an export not in time order,
more with every batch (30–66 ms a batch at 20,000 rows, growing with the table: 0.66 →
0.29 CPU-s at 20,000 rows, and 36.8 → 31.1 CPU-s for 60,000 rows at load 3.5); (2) the
near-copy 3-grams are numbers and the Jaccard ratio is taken without building the union
(5 µs a comparison instead of 22); (3) a new request's category is checked and its lineage
walked on the batch's categories by code; (4) ``--ahead``: the rows' text work (masking,
normalised texts and fingerprints, jurisdiction — ~1.7 CPU-s of 20,000 rows) done in a
worker process while the importer decides and writes (``servicedesk/csvprep.py``; on by
default for files of 2 MB or more on an idle 2-core machine). Same hour, load 3.1–4.0
(another session's tests used a core throughout), 20,000 rows: before 9.69 and 9.91 CPU-s
(1,472 and 1,528 rows/s); after, without the worker, 8.77 and 9.49 CPU-s (1,720 and 1,435
rows/s); with it, 7.35 and 7.83 CPU-s in the importer + 2.37 and 2.56 in the worker
(1,549 and 1,506 rows/s): at that load the worker has no idle core to run on and gains
nothing in wall time, so it is only started when the load average is below the number of
cores. PostgreSQL, 5,000 rows, load 3.5: 1,359 → 1,414 rows/s (2.31 → 2.21 CPU-s); with
the worker 1.69 + 0.85 CPU-s, 1,188 rows/s. Where the importer's CPU goes with the
worker (20,000 rows, 7.8 CPU-s): deciding 3.7 (new requests 1.4 — deadlines 0.5,
classification, routing, public ids; near-copy comparisons 0.6; merge candidates 0.3;
the batch's classification 0.2), writing 2.8 (the service_requests INSERT 1.8 with its 17
indexes and search trigger; a plain executemany of the same rows costs more, not less),
reading and parsing the CSV ~0.7. Moving the reading and parsing to the worker as well was
tried: handing parsed rows back costs the importer as much as parsing them. With one
other process busy (load 1.5–2.4, one core left), the worker ran 1,855–1,970 rows/s
(10.2–10.8 s wall, 7.5–7.8 CPU-s). Goal: met on an idle machine only — 2,030–2,070
rows/s measured before these changes at load 1.1–1.6; after them, with the worker, the
importer's 7.5–8 CPU-s would be ~2,500 rows/s (an estimate: the machine was never idle
again during the session). At load 3 it is ~1,500 rows/s either way, bound by SQLite's
inserts and the per-row decisions of one process.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "citizen-messages"
HEADER = ["工单编号", "受理时间", "标题", "诉求内容", "问题分类", "区划代码", "事发地址",
          "联系人", "联系电话", "答复意见", "答复时间", "所属区域", "办理状态", "办结时间",
          "满意度"]  # fmt: skip
RATINGS = ("满意", "基本满意", "一般", "不满意", "")
COUNTIES = ("410102", "410103", "410104", "410105", "410106", "410108", "")
CATEGORIES = ("物业管理", "市政设施", "噪声污染", "城乡建设", "交通运输", "劳动和社会保障",
              "教育文体", "卫生计生", "商贸旅游", "环境保护", "")  # fmt: skip
PG_SCHEMA = "zw_bench_desk_csv"


def _real_messages() -> list[dict[str, str]]:
    """Return the real messages (subject, time, text, user, reply and reply time if any)."""
    out: list[dict[str, str]] = []
    for name in ("messages_with_replies.csv", "messages_with_votes.csv"):
        with (SHARED / name).open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                out.append({k: (v or "").strip() for k, v in row.items() if k})
    return out


def build_csv(path: Path, rows: int, seed: int = 7) -> dict[str, int]:
    """Write ``rows`` hotline rows to ``path``; return how many of each kind were written."""
    rng = random.Random(seed)
    messages = _real_messages()
    phones = [f"13{rng.randrange(10**9):09d}" for _ in range(max(rows // 3, 10))]
    written: list[list[str]] = []
    usable: list[list[str]] = []  # rows a citizen may call about again
    kinds = {"plain": 0, "repeat": 0, "twice": 0, "bad": 0}
    for n in range(rows):
        roll = rng.random()
        if usable and roll < 0.05:  # the same citizen again, a day later, a new ticket
            earlier = usable[rng.randrange(len(usable))]
            if earlier[8]:
                when = datetime.strptime(earlier[1], "%Y-%m-%d %H:%M:%S") + timedelta(days=1)
                reply = ["", ""]
                if rng.random() < 0.5:  # answered too: merged, and the reply recorded or refused
                    reply = [
                        "已并案办理，详见前次答复。",
                        f"{when + timedelta(days=3):%Y-%m-%d %H:%M:%S}",
                    ]
                written.append([f"R{n:07d}", f"{when:%Y-%m-%d %H:%M:%S}", *earlier[2:9], *reply,
                                "郑州市", "", "", ""])  # fmt: skip
                kinds["repeat"] += 1
                continue
        if written and roll < 0.07:  # a ticket exported twice
            written.append(list(written[rng.randrange(len(written))]))
            kinds["twice"] += 1
            continue
        m = messages[n % len(messages)]
        when = m.get("留言时间", "").replace("/", "-")
        try:
            stamp = datetime.strptime(when, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            stamp = datetime(2019, 1, 1) + timedelta(minutes=n)
        reply, replied = m.get("答复意见", ""), m.get("答复时间", "")
        closing = ["", "", ""]
        if reply and replied and rng.random() < 0.6:  # closed a day after the reply, rated
            try:
                closed = datetime.strptime(replied.replace("/", "-"), "%Y-%m-%d %H:%M:%S")
                closing = ["已办结", f"{closed + timedelta(days=1):%Y-%m-%d %H:%M:%S}",
                           rng.choice(RATINGS)]  # fmt: skip
            except ValueError:
                closing = ["已办结", "", ""]  # closed at its reply
        elif reply:
            closing = ["已答复", "", ""]
        row = [f"T{n:07d}", f"{stamp:%Y-%m-%d %H:%M:%S}", m.get("留言主题", ""), m.get("留言详情", ""),
               rng.choice(CATEGORIES), rng.choice(COUNTIES), "", m.get("留言用户", ""),
               rng.choice(phones) if rng.random() < 0.8 else "", reply, replied, "郑州市",
               *closing]  # fmt: skip
        if roll > 0.99:  # unusable: the three usual faults of an export
            fault = rng.randrange(3)
            if fault == 0:
                row[1] = "待补录"
            elif fault == 1:
                row[3] = ""
            else:
                row[9], row[10], row[12:15] = row[9] or "已转交相关部门办理。", "", ["", "", ""]
            kinds["bad"] += 1
        else:
            kinds["plain"] += 1
            usable.append(row)
        written.append(row)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(written)
    return kinds


def _engine(database_url: str | None, data_dir: Path) -> Any:
    """Return a migrated engine on a fresh database (SQLite in ``data_dir``, or a PG schema)."""
    from sqlalchemy import text

    from zhengwu.db import migrate
    from zhengwu.db.engine import make_engine

    if database_url is None:
        data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(f"sqlite:///{data_dir / 'zhengwu.db'}")
    else:
        admin = make_engine(database_url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
        admin.dispose()
        sep = "&" if "?" in database_url else "?"
        engine = make_engine(f"{database_url}{sep}options=-csearch_path%3D{PG_SCHEMA}")
    migrate.upgrade(engine)
    return engine


def _city(engine: Any) -> None:
    """Load the category tree and a small city (郑州 bodies, a matrix, routing rules)."""
    from sqlalchemy.orm import Session

    from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
    from zhengwu.servicedesk.category import service as category_service
    from zhengwu.servicedesk.routing import service as routing_service
    from zhengwu.servicedesk.routing.models import RoutingRuleCreate
    from zhengwu.servicedesk.service import SYSTEM

    bodies = {
        "housing": ("郑州市住房和城乡建设局", "市", "住建", "410100", "01", "410100"),
        "js_housing": ("郑州市金水区住房和城乡建设局", "县", "住建", "410105", "01", "410105"),
        "eco": ("郑州市生态环境局", "市", "生态环境", "410100", "02", "410100"),
        "transport": ("郑州市交通运输局", "市", "交通", "410100", "03", "410100"),
        "hotline": ("郑州市12345政务服务便民热线", "市", "政务服务", "410100", None, "410100"),
    }
    with Session(engine) as session:
        category_service.ensure_default_tree(session)
        rules = []
        for key, (name, level, sector, adcode, category, area) in bodies.items():
            org = Organization(name=name, level=level, sector=sector, adcode=adcode,
                               public_phones=["0371-12345678"] if key == "hotline" else None)  # fmt: skip
            session.add(org)
            session.flush()
            account = Account(platform="weibo", uid=f"b-{key}", name=name[:8],
                              organization_id=org.id, is_government=True, adcode=adcode)  # fmt: skip
            session.add(account)
            session.flush()
            if key == "hotline":
                matrix = Matrix(name="郑州政务新媒体矩阵", kind="regional", adcode="410100",
                                lead_account_id=account.id)  # fmt: skip
                session.add(matrix)
                session.flush()
                session.add(MatrixMember(matrix_id=matrix.id, account_id=account.id, role="lead"))
            rules.append(RoutingRuleCreate(category_code=category, adcode=area,
                                           organization_id=org.id))  # fmt: skip
        routing_service.add_rules(session, rules=rules, actor=SYSTEM, note="bench city")
        session.commit()


def _members(engine: Any, n: int) -> dict[str, float]:
    """Fill ``n`` member accounts of ``n // 3`` organisations into the city's matrix (a
    national-scale ``matrix_members``) with plain executemany INSERTs; return the seconds
    of one read of the desk stamp now and of the old stamp's aggregates over the members
    (count(*) and max(added_at), the per-intake cost before migration 0017)."""
    from sqlalchemy import insert, text
    from sqlalchemy.orm import Session

    from zhengwu.accounts.models import Account, MatrixMember, Organization
    from zhengwu.servicedesk import snapshot

    orgs = max(n // 3, 1)
    with engine.begin() as conn:
        matrix = conn.execute(text("SELECT min(id) FROM matrices")).scalar_one()
        first = conn.execute(text("SELECT coalesce(max(id), 0) + 1 FROM organizations")).scalar()
        conn.execute(insert(Organization.__table__), [
            {"id": first + i, "name": f"机构{i}", "level": "县", "sector": "政务服务",
             "adcode": "410105"} for i in range(orgs)
        ])  # fmt: skip
        account = conn.execute(text("SELECT coalesce(max(id), 0) + 1 FROM accounts")).scalar()
        conn.execute(insert(Account.__table__), [
            {"id": account + i, "platform": "weibo", "uid": f"m-{i}", "name": f"成员{i}",
             "organization_id": first + i % orgs, "is_government": True, "adcode": "410105"}
            for i in range(n)
        ])  # fmt: skip
        conn.execute(insert(MatrixMember.__table__), [
            {"matrix_id": matrix, "account_id": account + i} for i in range(n)
        ])  # fmt: skip
    old = text(
        "SELECT (SELECT count(*) FROM matrix_members), (SELECT max(added_at) FROM matrix_members)"
    )

    def best(run: Any) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return min(times)

    with Session(engine) as session:
        return {
            "stamp": best(lambda: snapshot._stamp(session)),
            "old_stamp": best(lambda: session.execute(old).all()),
        }


def _baseline(path: Path, engine: Any) -> dict[str, float]:
    """Read the file with csv and store every row with one executemany INSERT; commit."""
    columns = ", ".join(f"c{i} TEXT" for i in range(len(HEADER)))
    pg = engine.dialect.name == "postgresql"
    marks = ", ".join(["%s" if pg else "?"] * len(HEADER))
    key = "id SERIAL PRIMARY KEY" if pg else "id INTEGER PRIMARY KEY"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(f"CREATE TABLE bare_rows ({key}, {columns})")
        raw.commit()
        start, cpu = time.perf_counter(), time.process_time()
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            rows = [tuple(r) for r in reader]
        names = ", ".join(f"c{i}" for i in range(len(HEADER)))
        cur.executemany(f"INSERT INTO bare_rows ({names}) VALUES ({marks})", rows)
        raw.commit()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        raw.close()
    return {"seconds": seconds, "cpu": cpu, "n": len(rows)}


def _zhengwu(path: Path, engine: Any, profile: bool) -> dict[str, object]:
    """Import the file as ``zhengwu desk import-csv`` does (one unit of work)."""
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.csvimport import import_csv
    from zhengwu.servicedesk.service import SYSTEM

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    import resource

    def children() -> float:  # the CPU of the worker process, once it has ended
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    ahead = {"on": True, "off": False}.get(os.environ.get("BENCH_AHEAD", "auto"))
    start, cpu, worker = time.perf_counter(), time.process_time(), children()
    with unit_of_work(engine) as session:
        summary = import_csv(session, path, actor=SYSTEM, source="12345", prepare_ahead=ahead)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    worker = children() - worker
    if profiler is not None:
        import pstats

        profiler.disable()
        profiler.dump_stats(os.environ.get("BENCH_PROFILE_OUT", "/tmp/bench_desk_csv.prof"))
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    return {"seconds": seconds, "cpu": cpu, "worker_cpu": worker, "summary": summary.to_dict()}


def _child(args: argparse.Namespace) -> None:
    """Run one side in a fresh database and print its figures as JSON (child process)."""
    data = Path(args.child_data)
    os.environ["ZHENGWU_DATA_DIR"] = str(data)
    engine = _engine(args.database_url, data)
    if args.child == "baseline":
        result: dict[str, object] = dict(_baseline(Path(args.child_input), engine))
    else:
        _city(engine)
        stamps = _members(engine, args.members) if args.members else {}
        result = _zhengwu(Path(args.child_input), engine, args.profile)
        result.update(stamps)
    engine.dispose()
    if args.database_url:
        from sqlalchemy import text

        from zhengwu.db.engine import make_engine

        admin = make_engine(args.database_url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        admin.dispose()
    print(json.dumps(result))


def _run(side: str, path: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    data = work / f"data-{side}"
    command = [sys.executable, __file__, "--child", side, "--child-input", str(path),
               "--child-data", str(data)]  # fmt: skip
    if args.database_url:
        command += ["--database-url", args.database_url]
    if args.profile and side == "zhengwu":
        command.append("--profile")
    if args.members:
        command += ["--members", str(args.members)]
    out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    shutil.rmtree(data, ignore_errors=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: SQLite files)")
    parser.add_argument("--profile", action="store_true", help="print the import's profile")
    parser.add_argument("--members", type=int, default=0,
                        help="matrix members to fill first (national scale: 700000)")  # fmt: skip
    parser.add_argument("--ahead", choices=("auto", "on", "off"), default="auto",
                        help="the worker process for the text work (default: as the CLI "
                        "decides: on for large files on an idle 2-core machine)")  # fmt: skip
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-input", help=argparse.SUPPRESS)
    parser.add_argument("--child-data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    os.environ["BENCH_AHEAD"] = args.ahead
    work = Path(tempfile.mkdtemp(prefix="zw-bench-desk-csv-"))
    try:
        path = work / "12345-export.csv"
        kinds = build_csv(path, args.rows)
        backend = "PostgreSQL" if args.database_url else "SQLite"
        print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        print(f"input: {args.rows:,} rows, {path.stat().st_size / 1e6:,.1f} MB ({kinds}); "
              f"database: {backend}")  # fmt: skip
        base = _run("baseline", path, work, args)
        base_rate = float(base["n"]) / float(base["seconds"])
        print(f"baseline csv + executemany INSERT: {base['n']:,} rows in {base['seconds']:.2f} s "
              f"(CPU {base['cpu']:.2f} s) = {base_rate:,.0f} rows/s")  # fmt: skip
        z = _run("zhengwu", path, work, args)
        s = z["summary"]
        rate = s["read"] / float(z["seconds"])
        print(f"zhengwu desk import-csv: {s['read']:,} rows in {z['seconds']:.2f} s "
              f"(CPU {z['cpu']:.2f} s, worker {z['worker_cpu']:.2f} s, --ahead {args.ahead}) "
              f"= {rate:,.0f} rows/s (created {s['created']:,}, "
              f"merged {s['merged']:,}, existing {s['existing']:,}, replies {s['replies']:,}, "
              f"closed {s.get('closed', '-')}, quarantined {s['quarantined']:,})")  # fmt: skip
        print(f"  ratio zhengwu / baseline: {rate / base_rate:.4f}  (goal ≥ 2,000 rows/s)")
        if "stamp" in z:
            print(f"desk stamp with {args.members:,} matrix members: one read "
                  f"{z['stamp'] * 1e3:.3f} ms; the old stamp's count/max over matrix_members "
                  f"{z['old_stamp'] * 1e3:.1f} ms (ratio old / new "
                  f"{z['old_stamp'] / z['stamp']:,.0f})")  # fmt: skip
        print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
