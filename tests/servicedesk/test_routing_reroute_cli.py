"""``zhengwu desk routing reroute`` and ``desk find|export --unassigned`` on the test's
database (SQLite and PostgreSQL): the commands that add rules say how many requests wait and
how to re-route them; the dry run changes nothing; only an admin may re-route."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.servicedesk import service
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .test_routing_fallback_cli import HOTLINE, _json, _orgs, _run

NO_PLACE = "公司一直没给我们交社保，离职时才发现断缴了8年"


def _waiting(engine: Engine, organization_id: int) -> str:
    """Take in a request that no rule routes, and make an admin and a handler of
    ``organization_id``; return the request's public id."""
    with Session(engine) as session:
        intake = RequestIntake(source="form", text=NO_PLACE)
        public_id = service.create_request(session, intake=intake, actor=SYSTEM).public_id
        auth_service.create_user(session, username="u_handler", password="pass-word-1",
                                 role="handler", display_name="经办人",
                                 organization_id=organization_id)  # fmt: skip
        auth_service.create_user(session, username="u_admin", password="pass-word-1",
                                 role="admin", display_name="管理员")  # fmt: skip
        session.commit()
    return public_id


def _body(engine: Engine, public_id: str) -> int | None:
    with Session(engine) as session:
        return service.get_by_public_id(session, public_id).organization_id


def test_reroute_after_a_fallback_from_the_command_line(
    configured_database: str, committed_engine: Engine, tmp_path: Path
) -> None:
    orgs = _orgs(committed_engine)
    pid = _waiting(committed_engine, orgs[HOTLINE])
    # No rule at all: nothing can be routed, and it says so.
    nothing = _json("routing", "reroute")
    assert (nothing["waiting"], nothing["no_rule"], nothing["rerouted"]) == (1, 1, 0)

    # 未派单 in the lists: find and export.
    assert [r["public_id"] for r in _json("find", "--unassigned")] == [pid]
    listed = _run("find", "--unassigned").stdout
    assert "未派单 unassigned 1 件" in listed
    out = tmp_path / "waiting.json"
    _run("export", "--unassigned", "--format", "json", "--out", str(out))
    assert len(orjson.loads(out.read_bytes())) == 1
    _run("export", "--assigned", "--format", "json", "--out", str(out))
    assert orjson.loads(out.read_bytes()) == []
    refused = _run("find", code=2)
    assert "--unassigned" in refused.output

    # Naming the fallback says what waits and how to route it (on stderr: --json stays JSON).
    named = _run("routing", "fallback", "--org", HOTLINE)
    assert "1 件诉求未派单" in named.stderr and "zhengwu desk routing reroute" in named.stderr
    assert "1 request(s) wait with no body" in named.stderr

    planned = _run("routing", "reroute", "--dry-run").stdout
    assert "试运行" in planned and "将重新派单 would re-route 1" in planned
    assert f"{pid} → {HOTLINE} (#{orgs[HOTLINE]})  [兜底 fallback: no_place]" in planned
    assert _body(committed_engine, pid) is None

    # Only an admin: a handler's --as is refused, an admin's is named in the audit log.
    denied = _run("routing", "reroute", "--as", "u_handler", code=2)
    assert "无权" in denied.output
    done = _json("routing", "reroute", "--as", "u_admin")
    assert (done["rerouted"], done["fallbacks"], done["dry_run"]) == (1, 1, False)
    assert _body(committed_engine, pid) == orgs[HOTLINE]
    assert _json("find", "--unassigned") == []

    # Nothing waits any more: a new rule says nothing of re-routing.
    added = _run("routing", "add", "--category", "05", "--org", "郑州市人力资源和社会保障局")
    assert "reroute" not in added.stderr
