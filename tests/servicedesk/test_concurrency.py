"""Two handlers accept the same request at once: exactly one wins (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import PUBLIC
from zhengwu.errors import ZhengwuError
from zhengwu.servicedesk import service
from zhengwu.servicedesk.schemas import RequestIntake

from .conftest import World


def _new_request(engine: Engine, text: str) -> str:
    with Session(engine) as s:
        req = service.create_request(
            s, intake=RequestIntake(source="form", text=text), actor=PUBLIC
        )
        s.commit()
        return req.public_id


def _accepts(engine: Engine, public_id: str) -> int:
    with Session(engine) as s:
        req = service.get_by_public_id(s, public_id)
        query = select(func.count()).where(
            AuditEntry.entity_type == "request", AuditEntry.entity_id == req.id,
            AuditEntry.action == "accept",
        )  # fmt: skip
        return int(s.scalar(query) or 0)


def test_two_threads_accepting_one_request(
    committed_engine: Engine, committed_world: World
) -> None:
    w = committed_world
    public_id = _new_request(committed_engine, "金水区丰产路小区物业不开暖气")
    both_read = threading.Barrier(2)
    principal = w.principals["js_housing"]

    def accept() -> str:
        with Session(committed_engine) as s:
            req = service.get_by_public_id(s, public_id)
            assert req.state == "received"
            both_read.wait(timeout=10)  # both sessions hold version 1 before either writes
            try:
                service.perform(s, request=req, action="accept", actor=principal)
                s.commit()
            except ZhengwuError as exc:
                s.rollback()
                return f"{exc.status_code}"
            return "ok"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda _: accept(), range(2)))
    assert outcomes == ["409", "ok"]
    assert _accepts(committed_engine, public_id) == 1
    with Session(committed_engine) as s:
        req = service.get_by_public_id(s, public_id)
        assert (req.state, req.version) == ("accepted", 2)


def test_two_http_clients_accepting_one_request(live_server: str, committed_world: World,
                                                committed_engine: Engine) -> None:  # fmt: skip
    w = committed_world
    for round_ in range(3):
        public_id = _new_request(committed_engine, f"金水区纬三路小区电梯故障第{round_}次")
        barrier = threading.Barrier(2)

        def accept(who: str, pid: str = public_id, gate: threading.Barrier = barrier) -> int:
            with httpx.Client(base_url=live_server, timeout=120) as client:
                gate.wait(timeout=10)
                r = client.post(f"/api/desk/requests/{pid}/accept", headers=w.headers(who))
                return r.status_code

        # Two people of the same body (the handler and the office) race for the same request.
        with ThreadPoolExecutor(2) as pool:
            codes = sorted(pool.map(accept, ["js_housing", "office"]))
        assert codes == [200, 409], codes
        assert _accepts(committed_engine, public_id) == 1
