"""The `zhengwu simulate` command: options, summary, clean errors."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from typer.testing import CliRunner

from zhengwu.cli.simulate import simulate

app = typer.Typer()
app.command("simulate")(simulate)
app.command("noop")(lambda: None)  # a second command keeps "simulate" a sub-command


def test_simulate_writes_the_layout_and_prints_a_json_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["simulate", "--scale", "city", "--days", "2", "--seed", "4", "--out", str(out),
              "--platforms", "weibo,douyin", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert set(summary["posts"]) == {"weibo", "douyin"}
    assert summary["window"]["start"] == "2025-07-01"
    assert summary["window"]["days"] == 2
    for name in ("orgs.csv", "accounts.csv", "matrices.json", "weibo/users.jsonl",
                 "weibo/statuses-2025-07.jsonl", "weibo/comments-2025-07.jsonl",
                 "douyin/aweme.jsonl", "truth.json"):  # fmt: skip
        assert name in summary["files"]
        assert (out / name).is_file()
    assert not (out / "wechat").exists()


def test_simulate_prints_the_layout_for_people(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["simulate", "--days", "1", "--out", str(tmp_path / "o"), "--platforms", "wechat"]
    )
    assert result.exit_code == 0, result.output
    assert "wechat/articles.jsonl" in result.output
    assert "truth.json" in result.output


def test_simulate_refuses_a_bad_option_with_a_clear_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", "--scale", "town", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown scale" in result.output
    result = CliRunner().invoke(app, ["simulate", "--start", "July", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_simulate_summary_counts_articles_and_names_the_help_hashtag(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["simulate", "--days", "3", "--seed", "1", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    articles = (out / "wechat" / "articles.jsonl").read_bytes().count(b"\n")
    assert summary["posts"]["wechat"] == articles
    assert 0 < summary["pushes"]["wechat"] < articles
    event = summary["event"]
    assert event["hashtag"] == "#许昌暴雨#"
    assert event["help_hashtag"] == "#许昌暴雨互助#"
    help_posts = (out / "help" / "posts.jsonl").read_text(encoding="utf-8")
    assert help_posts.count(event["help_hashtag"]) > 100
    human = CliRunner().invoke(
        app, ["simulate", "--days", "3", "--seed", "1", "--out", str(tmp_path / "human")]
    )
    assert "求助 help posts: #许昌暴雨互助#" in human.output
    hot = summary["hot_search"]
    assert (hot["folder"], hot["days"]) == ("weibo/hot-search", 3)
    assert hot["entries"] == sum(
        len(orjson.loads(p.read_bytes())) for p in (out / "weibo" / "hot-search").glob("*.json")
    )
    assert (hot["event_title"], hot["event_days"]) == ("许昌暴雨", event["days"])
    assert len([f for f in summary["files"] if f.startswith("weibo/hot-search/")]) == 3
    said = " ".join(human.output.split())  # rich wraps long lines
    assert f"热搜 hot search: 3 days · {hot['entries']:,} entries (weibo/hot-search/)" in said
    assert "#许昌暴雨# on" in said
    assert "weibo/hot-search/  3 files" in human.output  # one tree line for the folder


def test_simulate_refuses_an_out_path_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    for out, english in (
        (blocker, "--out must be a directory, not a file"),
        (blocker / "sim", "Not a directory"),  # the OS error, bilingual, no traceback
    ):
        result = CliRunner().invoke(app, ["simulate", "--days", "1", "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert isinstance(result.exception, SystemExit)
        assert "错误" in result.output and english in result.output
