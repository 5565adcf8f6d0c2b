"""``zhengwu serve`` says "serving on …" once the socket takes connections.

It said so before uvicorn started: a browser that came while the app was still being
imported (12 s later on a busy machine) met ERR_CONNECTION_REFUSED under the message."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("workers", [1, 2])
def test_serving_on_is_said_when_a_connection_is_taken(
    configured_database: str, tmp_path: Path, workers: int
) -> None:
    port = _free_port()
    cli = Path(sys.executable).parent / "zhengwu"
    env = {**os.environ, "ZHENGWU_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    server = subprocess.Popen(
        [str(cli), "serve", "--port", str(port), "--no-worker", "--workers", str(workers)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        said = ""
        deadline = time.monotonic() + 120
        while "serving on" not in said and time.monotonic() < deadline:
            line = server.stdout.readline()
            assert line, server.communicate(timeout=10)
            said += line
        assert f"zhengwu 正在运行 / serving on http://127.0.0.1:{port}" in said, said
        # At once, as a browser opened on the message would: taken, not refused.
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=60) as answer:
            assert answer.status == 200
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - only when it hangs
            server.kill()
            server.communicate()
