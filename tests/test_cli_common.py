"""The CLI's shared error wrapper: operating-system errors become bilingual messages."""

from __future__ import annotations

from pathlib import Path

import pytest
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


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("sqlite:///{tmp}/missing-dir/zhengwu.db", "unable to open database file"),
        ("postgresql+psycopg://zhengwu@127.0.0.1:1/zhengwu", "Connection refused"),
    ],
    ids=["sqlite-missing-directory", "postgresql-refused"],
)
def test_a_database_that_cannot_be_used_is_a_bilingual_message(
    url: str, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong ZHENGWU_DATABASE_URL (no such directory, nothing listening): no traceback."""
    from zhengwu.cli.main import app
    from zhengwu.config import get_settings
    from zhengwu.db.engine import get_engine

    monkeypatch.setenv("ZHENGWU_DATABASE_URL", url.format(tmp=tmp_path))
    get_settings.cache_clear()
    get_engine.cache_clear()
    result = runner.invoke(app, ["users", "list"])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert "错误：数据库无法使用：" in result.output and reason in result.output
    assert "Error: the database cannot be used:" in result.output
    assert "ZHENGWU_DATABASE_URL" in result.output
