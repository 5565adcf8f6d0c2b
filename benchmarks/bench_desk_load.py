"""Load test of the service desk's intake API on PostgreSQL, next to a bare INSERT endpoint.

    .venv/bin/python benchmarks/bench_desk_load.py                     # 64 clients, 30 s each
    .venv/bin/python benchmarks/bench_desk_load.py --clients 32 --seconds 10 --rounds 2

What is measured, in the same run, against the same PostgreSQL database (its own schema,
dropped afterwards), each server a single uvicorn process on loopback with the same engine
settings (one worker: the comparison is per process):

* **bare** — a FastAPI endpoint that does one ``INSERT … RETURNING id`` of the text and
  commits (the least any intake must do);
* **desk** — ``POST /api/requests`` of the real app: bearer-token check, classification,
  jurisdiction from the text, routing, deadlines on the working-day calendar, masking,
  the request + its source + two audit entries, committed before the response.

Clients are asyncio httpx clients, one connection each, posting back to back for a fixed
time, in rounds that alternate between the two servers (the machine's other load then
weighs on both alike). Every 2xx answer's id is checked afterwards against the database; the run prints how
many exist (they all must). Goal: desk throughput ≥ 0.5 × bare.

Database: ``ZHENGWU_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Both servers get the same pool, sized for the client count (the library default of 5 + 10
# connections makes 64 clients wait on the pool, not on the work being compared).
POOL = {"pool_size": 32, "max_overflow": 32}
SCHEMA = "zw_bench_desk"
PLACES = (
    "金水区",
    "二七区",
    "中原区",
    "管城回族区",
    "惠济区",
    "郑东新区",
    "金水区花园路",
    "中原区建设路",
)
PROBLEMS = (
    "{p}{n}号院小区物业不作为，电梯坏了{d}天没人修",
    "{p}工地夜间施工噪音扰民，凌晨{d}点还在打桩",
    "{p}第{n}路公交车经常不按时发车，等了{d}十分钟",
    "{p}某培训机构关门不退学费{n}千元",
    "{p}一家饭店卫生很差，吃完拉肚子，第{n}次反映",
    "{p}路口红绿灯坏了{d}天，早晚高峰拥堵",
    "公司拖欠工资{d}个月，工地在{p}，共{n}万元",
    "{p}人民医院挂号排队{d}个小时",
)


def _schema_url(base: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{SCHEMA}"


def _serve_desk(url: str, port: int, data_dir: str) -> None:
    os.environ["ZHENGWU_DATA_DIR"] = data_dir  # no trained model here: keyword rules classify
    import uvicorn

    from zhengwu.db.engine import make_engine
    from zhengwu.web.app import create_app

    engine = make_engine(url, **POOL)
    uvicorn.run(create_app(engine), host="127.0.0.1", port=port, log_level="warning")


class BareBody(BaseModel):
    """The bare endpoint's body."""

    text: str


def _serve_bare(url: str, port: int) -> None:
    import uvicorn
    from fastapi import FastAPI
    from sqlalchemy import text

    from zhengwu.db.engine import make_engine

    engine = make_engine(url, **POOL)
    app = FastAPI()

    @app.post("/bare", status_code=201)
    def bare(body: BareBody) -> dict[str, int]:
        """Store the text with one INSERT and commit."""
        with engine.begin() as conn:
            new_id = conn.execute(
                text("INSERT INTO bench_bare (text) VALUES (:t) RETURNING id"), {"t": body.text}
            ).scalar_one()
        return {"id": int(new_id)}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(port: int, path: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


def _prepare(base_url: str, clients: int) -> list[str]:
    """Create the schema, migrate, make a small city with rules; return one token per client."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from zhengwu.accounts.models import Organization
    from zhengwu.auth import service as auth_service
    from zhengwu.auth.models import User
    from zhengwu.db import migrate
    from zhengwu.db.engine import make_engine
    from zhengwu.servicedesk.routing import service as routing_service
    from zhengwu.servicedesk.routing.models import RoutingRuleCreate
    from zhengwu.servicedesk.service import SYSTEM

    admin = make_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    engine = make_engine(_schema_url(base_url))
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_bare (id serial PRIMARY KEY, text text NOT NULL, "
                          "created_at timestamptz NOT NULL DEFAULT now())"))  # fmt: skip
    tokens = []
    with Session(engine) as s:
        orgs = {}
        for sector in ("住建", "生态环境", "交通", "教育", "人社", "市场监管", "卫健"):
            org = Organization(
                name=f"郑州市{sector}部门", level="市", sector=sector, adcode="410100"
            )
            s.add(org)
            s.flush()
            orgs[sector] = org.id
        routing_service.derive_rules(s, actor=SYSTEM)
        routing_service.add_rules(s, actor=SYSTEM, rules=[
            RoutingRuleCreate(category_code=None, adcode="410100", organization_id=orgs["住建"]),
        ])  # fmt: skip
        for i in range(clients):
            user = User(username=f"bench{i}", display_name=f"接口{i}", password_hash="-",
                        role="operator", organization_id=orgs["住建"])  # fmt: skip
            s.add(user)
            s.flush()
            tokens.append(auth_service.create_token(s, user, "bench"))
        s.commit()
    engine.dispose()
    return tokens


@dataclass
class Run:
    """What one load phase measured."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    ids: list[Any] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)

    def add(self, other: Run) -> None:
        """Add the measurements of another round."""
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.ids += other.ids
        for code, count in other.errors.items():
            self.errors[code] = self.errors.get(code, 0) + count

    @property
    def throughput(self) -> float:
        """Successful requests per second."""
        return len(self.ids) / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        """Return the summary line of this phase."""
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000 if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
        return (f"{self.name:<5} {len(self.ids):>7,} ok  {self.throughput:>8,.0f} req/s  "
                f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  errors {self.errors or 0}")  # fmt: skip


async def _load(name: str, url: str, bodies: list[dict[str, Any]], headers: list[dict[str, str]],
                seconds: float, id_key: str) -> Run:  # fmt: skip
    run = Run(name)
    stop = time.monotonic() + seconds

    async def client(k: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(timeout=60, limits=limits, headers=headers[k]) as http:
            i = k
            while time.monotonic() < stop:
                body = bodies[i % len(bodies)]
                i += len(headers)
                t0 = time.perf_counter()
                r = await http.post(url, json=body)
                run.latencies.append(time.perf_counter() - t0)
                if 200 <= r.status_code < 300:
                    run.ids.append(r.json()[id_key])
                else:
                    run.errors[r.status_code] = run.errors.get(r.status_code, 0) + 1

    started = time.monotonic()
    await asyncio.gather(*(client(k) for k in range(len(headers))))
    run.seconds = time.monotonic() - started
    return run


def _bodies(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        text = PROBLEMS[i % len(PROBLEMS)].format(
            p=PLACES[i % len(PLACES)], n=i % 97 + 1, d=i % 9 + 2
        )
        out.append({"text": f"{text}（第{i}条）"})
    return out


def _verify(base_url: str, desk: Run, bare: Run) -> tuple[int, int]:
    from sqlalchemy import text

    from zhengwu.db.engine import make_engine

    engine = make_engine(_schema_url(base_url))
    with engine.connect() as conn:
        desk_found = conn.execute(
            text("SELECT count(*) FROM service_requests WHERE public_id = ANY(:ids)"),
            {"ids": list(desk.ids)},
        ).scalar_one()
        bare_found = conn.execute(
            text("SELECT count(*) FROM bench_bare WHERE id = ANY(:ids)"), {"ids": list(bare.ids)}
        ).scalar_one()
    engine.dispose()
    return int(desk_found), int(bare_found)


def main() -> None:
    """Run both phases and print throughput, latencies, verification and the ratio."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30.0, help="per server, all rounds")
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds per server")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark schema")
    args = parser.parse_args()
    base = os.environ.get("ZHENGWU_BENCH_DATABASE_URL", DEFAULT_URL)
    tokens = _prepare(base, args.clients)
    url = _schema_url(base)
    ctx = multiprocessing.get_context("spawn")
    desk_port, bare_port = _free_port(), _free_port()
    data_dir = tempfile.mkdtemp(prefix="zw-bench-")
    servers = [
        ctx.Process(target=_serve_desk, args=(url, desk_port, data_dir), daemon=True),
        ctx.Process(target=_serve_bare, args=(url, bare_port), daemon=True),
    ]
    for proc in servers:
        proc.start()
    try:
        _wait_up(desk_port, "/healthz")
        _wait_up(bare_port, "/docs")
        bodies = _bodies(50_000)
        headers = [{"Authorization": f"Bearer {t}"} for t in tokens]
        # Warm both (imports, first queries, the division tables) before measuring.
        asyncio.run(_load("warm", f"http://127.0.0.1:{desk_port}/api/requests", bodies[-200:],
                          headers[:4], 2.0, "public_id"))  # fmt: skip
        asyncio.run(_load("warm", f"http://127.0.0.1:{bare_port}/bare", bodies[-200:],
                          [{}] * 4, 1.0, "id"))  # fmt: skip
        # Other work on the machine changes its speed over time: alternate short rounds of the
        # two servers (bare, desk, desk, bare, …) so both see the same conditions.
        bare, desk = Run("bare"), Run("desk")
        per_round = args.seconds / args.rounds
        for round_ in range(args.rounds):
            order = ("bare", "desk") if round_ % 2 == 0 else ("desk", "bare")
            for name in order:
                if name == "bare":
                    part = asyncio.run(_load("bare", f"http://127.0.0.1:{bare_port}/bare", bodies,
                                             [{}] * args.clients, per_round, "id"))  # fmt: skip
                else:
                    part = asyncio.run(_load("desk", f"http://127.0.0.1:{desk_port}/api/requests",
                                             bodies, headers, per_round, "public_id"))  # fmt: skip
                total = bare if name == "bare" else desk
                total.add(part)
    finally:
        for proc in servers:
            proc.terminate()
            proc.join(10)
    desk_found, bare_found = _verify(base, desk, bare)
    print(f"PostgreSQL, {args.clients} concurrent clients, {args.seconds:.0f} s per server in "
          f"{args.rounds} alternating rounds, one uvicorn process per server, "
          f"Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(bare.line())
    print(desk.line())
    print(f"verified in the database: desk {desk_found:,}/{len(desk.ids):,}, "
          f"bare {bare_found:,}/{len(bare.ids):,}")  # fmt: skip
    ratio = desk.throughput / bare.throughput if bare.throughput else 0.0
    print(f"desk / bare throughput = {ratio:.2f} (goal ≥ 0.5)")
    if not args.keep:
        from sqlalchemy import text

        from zhengwu.db.engine import make_engine

        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()
    if desk_found != len(desk.ids) or bare_found != len(bare.ids):
        raise SystemExit("some acknowledged requests are missing from the database")


if __name__ == "__main__":
    main()
