"""A port that another program holds: ``zhengwu serve`` and ``zhengwu demo`` say so in both
languages before they start (and before the demo spends minutes simulating), instead of
printing "serving on …" and then uvicorn's English-only ``[Errno 98]``."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhengwu.cli.main import app

runner = CliRunner()


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 that a listening socket of this test holds."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        yield held.getsockname()[1]


def _refused(output: str, port: int) -> None:
    flat = " ".join(output.replace("│", " ").split())
    assert f"端口 127.0.0.1:{port} 已被占用" in flat, flat
    assert f"port {port} on 127.0.0.1 is in use" in flat and "--port" in flat, flat
    assert "serving on" not in flat and "Errno" not in flat, flat


def test_serve_on_a_taken_port_is_refused_before_it_claims_to_serve(taken_port: int) -> None:
    result = runner.invoke(app, ["serve", "--port", str(taken_port), "--no-worker"])
    assert result.exit_code == 2, result.output
    _refused(result.output, taken_port)


def test_demo_on_a_taken_port_is_refused_before_it_simulates(
    taken_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "demo-data"
    monkeypatch.setenv("ZHENGWU_DATA_DIR", str(data))
    result = runner.invoke(app, ["demo", "--days", "1", "--port", str(taken_port)])
    assert result.exit_code == 2, result.output
    _refused(result.output, taken_port)
    assert not (data / "demo-input").exists()  # nothing simulated


@pytest.mark.parametrize(
    ("command", "port"),
    [("serve", "99999"), ("serve", "0"), ("serve", "-1"), ("demo", "99999")],
)
def test_a_port_out_of_range_is_a_bilingual_usage_error(command: str, port: str) -> None:
    # `zhengwu serve --port 99999` ended in a traceback (OverflowError: bind(): port must be
    # 0-65535); a port of 0 would have printed "serving on http://127.0.0.1:0".
    off = "--no-worker" if command == "serve" else "--no-serve"
    result = runner.invoke(app, [command, "--port", port, off])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.replace("│", " ").split())
    assert "--port 的值无效" in flat and "Invalid value for '--port'" in flat, flat
    assert "or equal to 1" in flat or "or equal to 65535" in flat, flat
    assert "Traceback" not in result.output and "serving on" not in flat
