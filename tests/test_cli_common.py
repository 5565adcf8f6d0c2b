"""The CLI's shared error wrapper: operating-system errors become bilingual messages."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from zhengwu.cli.common import handle_errors

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @handle_errors
    def write(path: Path) -> None:
        """Write a file where the test says (no checks: the wrapper is what is tested)."""
        path.write_text("x", encoding="utf-8")

    return app


def test_an_os_error_is_a_bilingual_message_with_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    cases = {
        tmp_path / "missing" / "x.csv": ("文件或目录不存在", "No such file or directory"),
        blocker / "x.csv": ("路径中有一段不是目录", "Not a directory"),
        tmp_path: ("这是一个目录", "Is a directory"),
    }
    for path, (chinese, english) in cases.items():
        result = runner.invoke(_app(), [str(path)])
        assert result.exit_code == 2, result.output
        assert isinstance(result.exception, SystemExit)  # no traceback
        assert f"错误：无法访问 {path}：{chinese}" in result.output
        assert f"Error: cannot use {path}: {english}" in result.output
