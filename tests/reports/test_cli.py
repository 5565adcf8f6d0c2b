"""`zhengwu report …` end to end on the configured analytics store."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.content import store

from .conftest import World, build_scenario

runner = CliRunner()


@pytest.fixture
def analytics() -> Iterator[duckdb.DuckDBPyConnection]:
    """The configured store (data directory of the test), which the CLI opens too."""
    with store.open_store() as con:
        yield con


@pytest.fixture
def stored(session: Session, analytics: duckdb.DuckDBPyConnection) -> None:
    """Store the scenario's runs in the configured store, then close it for the CLI."""
    build_scenario(World(session=session, con=analytics))


def test_build_html_and_pdf_with_json(stored: None, analytics: duckdb.DuckDBPyConnection,
                                      tmp_path: Path) -> None:  # fmt: skip
    analytics.close()
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    result = runner.invoke(
        app, ["report", "build", "--period", "2025-07", "--out", str(out), "--top", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["run_id"] == "zhengwu-4d/2025-07"
    assert summary["previous_run"] == "zhengwu-4d/2025-06"
    assert summary["format"] == "html"
    assert summary["leaders"]["weibo"] == "平安郑州"
    assert summary["bytes"] == out.stat().st_size
    assert "平安郑州" in out.read_text(encoding="utf-8")
    police = next(a for a in summary["awards"] if a["title"] == "最佳政务公安微博")
    assert police["winners"] == ["平安郑州", "平安洛阳"]
    pdf = tmp_path / "report.pdf"
    result = runner.invoke(app, ["report", "build", "-p", "2025-07", "-o", str(pdf), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["format"] == "pdf"
    assert pdf.read_bytes().startswith(b"%PDF")


def test_build_with_an_awards_file(stored: None, analytics: duckdb.DuckDBPyConnection,
                                   tmp_path: Path) -> None:  # fmt: skip
    analytics.close()
    awards = tmp_path / "awards.toml"
    awards.write_text(
        '[[award]]\ntitle = "洛阳之星"\nplatform = "weibo"\nregion = "410300"\ntop = 1\n',
        encoding="utf-8",
    )
    out = tmp_path / "r.html"
    args = ["report", "build", "-p", "2025-07", "-o", str(out), "--awards", str(awards), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["awards"] == [{"title": "洛阳之星", "winners": ["平安洛阳"]}]
    listing = runner.invoke(app, ["report", "awards", "--awards", str(awards), "--json"])
    assert listing.exit_code == 0, listing.output
    assert json.loads(listing.stdout)[0]["region"] == "410300"
    awards.write_text('[[award]]\ntitle = "x"\nplatform = "weibo"\nsize = 3\n', encoding="utf-8")
    bad = runner.invoke(app, args)
    assert bad.exit_code == 2
    assert "未知字段 size" in bad.output and "unknown field(s) size" in bad.output


def test_errors_are_bilingual(tmp_path: Path) -> None:
    missing = runner.invoke(
        app, ["report", "build", "--period", "2025-Q3", "--out", str(tmp_path / "r.pdf")]
    )
    assert missing.exit_code == 2
    assert "没有 zhengwu-4d 在 2025-Q3 的计算结果" in missing.output
    assert "zhengwu index run" in missing.output
    assert not (tmp_path / "r.pdf").exists()
    wrong = runner.invoke(app, ["report", "build", "-p", "2025-07", "-o", str(tmp_path / "r.doc")])
    assert wrong.exit_code == 2
    assert ".html 或 .pdf" in wrong.output


def test_an_unusable_out_path_is_a_bilingual_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    cases = {
        tmp_path / "missing" / "dir" / "r.html": "directory does not exist",
        blocker / "r.html": "not a directory",
        tmp_path: "",  # a directory: refused for its suffix first
    }
    for out, english in cases.items():
        result = runner.invoke(app, ["report", "build", "-p", "2025-07", "-o", str(out)])
        assert result.exit_code == 2, result.output
        assert "错误" in result.output and "Error" in result.output
        assert english in result.output
    assert not (tmp_path / "missing").exists()  # no directory is created for --out
    helped = runner.invoke(app, ["report", "build", "--help"]).output
    assert "its directory must exist" in re.sub(r"[\s│]+", " ", helped)


def test_awards_listing_and_help() -> None:
    listing = runner.invoke(app, ["report", "awards", "--json"])
    assert listing.exit_code == 0, listing.output
    assert "十大政务微博" in {a["title"] for a in json.loads(listing.stdout)}
    helped = runner.invoke(app, ["report", "build", "--help"])
    assert "Example: zhengwu report build" in helped.output
