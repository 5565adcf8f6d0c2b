"""``zhengwu worker`` and the worker thread of ``zhengwu serve``, as a user runs them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.accounts.models import Account
from zhengwu.cli.main import app
from zhengwu.db.engine import get_engine
from zhengwu.jobs.registry import names
from zhengwu.search import indexer

runner = CliRunner()
ZHENGWU = [sys.executable, "-m", "zhengwu.cli.main"]


def _add_account(engine: Engine, uid: str, name: str) -> None:
    with Session(engine) as session:
        session.add(Account(platform="weibo", uid=uid, name=name, verified_reason="官方微博"))
        session.commit()


def _pending(engine: Engine) -> int:
    with Session(engine) as session:
        return indexer.pending(session, ["accounts"])["accounts"]


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_once_json_reports_every_job(configured_database: str, committed_engine: Engine) -> None:
    _add_account(committed_engine, "1001", "平安郑州")
    result = runner.invoke(app, ["worker", "--once", "--json"])
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["ok"] is True
    assert [j["name"] for j in report["jobs"]] == names()
    by_name = {j["name"]: j for j in report["jobs"]}
    assert by_name["search-refresh"]["counts"] == {"accounts": 1, "requests": 0}
    assert all(j["error"] is None and j["seconds"] >= 0 for j in report["jobs"])
    table = runner.invoke(app, ["worker", "--once", "--only", "search-refresh"])
    assert table.exit_code == 0 and "search-refresh" in table.stdout
    shown = runner.invoke(app, ["worker", "--once"]).stdout
    flat = " ".join(shown.replace("│", " ").split())
    assert "入队 queued 0" in flat and "督办 supervised 0" in flat, shown  # in both languages
    assert "…" not in shown  # folded, never cut
    for counted in ("账号 accounts", "诉求 requests", "已发送 delivered", "失败 failed",
                    "已通告 announced", "检查 checked", "重新遮蔽 remasked", "重新索引 reindexed"):  # fmt: skip
        key = counted.split()[1]
        assert key in flat and flat.index(counted.split()[0]) < flat.index(key), shown
    assert "desk-escalation" not in table.stdout
    unknown = runner.invoke(app, ["worker", "--once", "--only", "nope"])
    assert unknown.exit_code == 2 and "unknown job 'nope'" in " ".join(unknown.output.split())
    assert (
        "Example: zhengwu worker --once --json" in runner.invoke(app, ["worker", "--help"]).output
    )


def test_once_exits_1_when_a_job_fails_and_still_runs_the_others(tmp_path: Path) -> None:
    engine = get_engine()  # a database of this test alone: one of its tables is dropped
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE library_distributions")
    _add_account(engine, "1001", "平安郑州")
    result = runner.invoke(app, ["worker", "--once", "--json"])
    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()  # one line: the report, ending as every --json error
    report = orjson.loads(line)
    by_name = {j["name"]: j for j in report["jobs"]}
    assert report["ok"] is False and list(by_name) == names()
    assert "library_distributions" in by_name["distribution-release"]["error"]
    assert report["error"] == "ServerError" and report["status"] == 500
    assert report["message_en"].startswith("jobs failed: distribution-release: ")
    assert "library_distributions" in report["message_zh"]
    assert "jobs failed: distribution-release" in " ".join(result.stderr.split())
    assert [n for n, j in by_name.items() if j["error"] is None] == names()[1:]
    assert by_name["search-refresh"]["counts"] == {"accounts": 1, "requests": 0}
    engine.dispose()


def _start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*ZHENGWU, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=os.environ.copy(),
    )  # fmt: skip


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    return process.returncode, output


@pytest.mark.slow
def test_the_loop_runs_due_jobs_and_stops_cleanly_on_sigterm(
    configured_database: str, committed_engine: Engine
) -> None:
    _add_account(committed_engine, "1001", "平安郑州")
    process = _start(["worker", "--every", "0.2", "--json"])
    try:
        assert _wait_for(lambda: _pending(committed_engine) == 0)
        _add_account(committed_engine, "1002", "郑州发布")  # picked up by a later round
        assert _wait_for(lambda: _pending(committed_engine) == 0)
    finally:
        code, output = _stop(process)
    assert code == 0, output
    rounds = [orjson.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert len(rounds) >= 2 and all(r["ok"] for r in rounds)
    refreshed = [
        j["counts"]["accounts"] for r in rounds for j in r["jobs"] if j["name"] == "search-refresh"
    ]
    assert sum(refreshed) == 2
    assert "stopping after the current step" in output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(engine: Engine, *flags: str) -> tuple[bool, int, str]:
    """Start ``zhengwu serve``; return whether its worker indexed a new account, its exit
    status after SIGTERM and its output."""
    _add_account(engine, "1001", "平安郑州")
    for _attempt in range(3):
        # The free port is only free when asked: another process of the suite (a browser, a
        # client's outgoing connection) may take it before the server binds it. A server
        # that exits before it answers is started again on another port.
        port = _free_port()
        process = _start(["serve", "--port", str(port), *flags])
        _wait_for(partial(_up_or_exited, process, port), seconds=90)
        if process.poll() is None and _healthy(port):
            break
        exited = process.poll() is not None
        code, output = _stop(process)
        assert exited, f"server did not answer in 90 s:\n{output}"
    else:
        raise AssertionError(f"server exited before it answered, three times:\n{output}")
    try:
        indexed = _wait_for(lambda: _pending(engine) == 0, seconds=10 if not flags else 2)
    finally:
        code, output = _stop(process)
    return indexed, code, output


def _up_or_exited(process: subprocess.Popen[str], port: int) -> bool:
    return process.poll() is not None or _healthy(port)


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_serve_runs_the_worker_in_a_thread_by_default(
    configured_database: str, committed_engine: Engine
) -> None:
    indexed, code, output = _serve(committed_engine)
    assert indexed, output
    assert code == 0 and "worker (in this process)" in output and "worker stopped" in output


@pytest.mark.slow
def test_serve_no_worker_leaves_the_jobs_to_a_separate_worker(
    configured_database: str, committed_engine: Engine
) -> None:
    indexed, code, output = _serve(committed_engine, "--no-worker")
    assert not indexed and _pending(committed_engine) == 1
    # Without a worker to stop, uvicorn ends the process with the signal itself.
    assert code in (0, -signal.SIGTERM) and "worker off" in output


# Replays, in a fresh interpreter (real import order), the race `zhengwu serve` had: its
# worker thread runs a job at the moment uvicorn's import of the app is half way through
# rescue/models.py (HelpRequest defined, HelpSource not yet). A trace stops the import
# there and runs the jobs; the app is then created as uvicorn does.
_RACE = """
import sys
from zhengwu.cli.serve import background_worker
from zhengwu.jobs.runner import run_jobs

worker = background_worker(True)
errors = []

def trace(frame, event, arg):
    code = frame.f_code
    if event == "call" and code.co_name == "HelpSource" and code.co_filename.endswith(
        "models.py"
    ):
        sys.settrace(None)
        errors.extend(r.error for r in run_jobs(worker.jobs, engine=worker.engine) if r.error)
    return None

sys.settrace(trace)
from zhengwu.web.app import create_app
create_app()  # as uvicorn does: the routers' modules (and their models) are imported here
sys.settrace(None)
print("jobs failed:", errors if errors else "none")
"""


@pytest.mark.slow
def test_serve_imports_every_model_before_its_worker_thread_runs_a_job(
    configured_database: str, committed_engine: Engine
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _RACE], capture_output=True, text=True, timeout=120,
        env=os.environ.copy(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "jobs failed: none" in result.stdout, result.stdout + result.stderr[-3000:]
