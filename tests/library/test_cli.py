"""``zhengwu library`` on a real SQLite data directory: add, list, search, distribute, prune."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.cli.library import app
from zhengwu.db.engine import get_engine
from zhengwu.library import storage

from .world import PNG, World, build_world, deliver_after_two_failures

runner = CliRunner()


def _world() -> World:
    with Session(get_engine()) as session:
        world = build_world(session)
        session.commit()
    return world


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_add_list_search_distribute_and_prune(tmp_path: Path) -> None:
    world = _world()
    image = tmp_path / "预警.png"
    image.write_bytes(PNG)
    org, matrix = str(world.orgs["police"]), str(world.matrices["zz"])
    plain = json.loads(_ok(["add", "--title", "交通提示", "--org", org, "--matrix", matrix,
                            "--json"]))  # fmt: skip
    labelled = json.loads(_ok(["add", "--title", "暴雨红色预警", "--org", org, "--matrix", matrix,
                               "--label", "权威", "--tag", "防汛", "--file", str(image), "--json"]))  # fmt: skip
    listed = json.loads(_ok(["list", "--json"]))
    assert [row["id"] for row in listed] == [labelled["id"], plain["id"]]  # 权威 first
    assert [x["label"] for x in listed[0]["labels"]] == ["权威"] and listed[0]["tags"] == ["防汛"]
    assert "[权威] 暴雨红色预警" in _ok(["list"])
    found = json.loads(_ok(["search", "暴雨预警", "--json"]))
    assert [row["id"] for row in found] == [labelled["id"]]

    weibo, toutiao = str(world.accounts["police_weibo"]), str(world.accounts["housing_toutiao"])
    report = json.loads(_ok(["distribute", str(labelled["id"]), "--account", weibo,
                             "--account", toutiao, "--json"]))  # fmt: skip
    states = {t["account_name"]: (t["state"], t["reason"]) for t in report["targets"]}
    assert states["平安郑州"][0] == "queued"
    assert states["郑州住房头条号"][0] == "failed" and "toutiao" in states["郑州住房头条号"][1]

    # The same again: nothing queued twice, the skipped account named; --again publishes.
    again = json.loads(_ok(["distribute", str(labelled["id"]), "--account", weibo, "--json"]))
    assert [(s["account_name"], s["state"]) for s in again["skipped"]] == [("平安郑州", "queued")]
    assert again["counts"]["queued"] == 1
    plain_out = _ok(["distribute", str(labelled["id"]), "--account", weibo])
    assert "已跳过 skipped 平安郑州 (weibo)" in plain_out and "--again" in plain_out
    forced = json.loads(_ok(["distribute", str(labelled["id"]), "--account", weibo, "--again",
                             "--json"]))  # fmt: skip
    assert forced["skipped"] == [] and forced["counts"]["queued"] == 2

    bad = runner.invoke(app, ["add", "--title", "坏文件", "--org", org, "--file", str(tmp_path)])
    assert bad.exit_code != 0

    assert json.loads(_ok(["prune", "--grace-minutes", "0", "--json"])) == {"removed": []}
    assert len(list(storage.root().glob("*/*"))) == 1  # the image is still used


def test_add_refuses_a_missing_file_a_directory_and_an_unknown_owner(tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from zhengwu.library.models import ContentItem

    world = _world()
    org = str(world.orgs["police"])
    cases = (
        (["--org", org, "--file", str(tmp_path / "missing.png")], "file not found"),
        (["--org", org, "--file", str(tmp_path)], "is a directory"),
        (["--org", "999999"], "no organisation '999999' (give its id, code or exact name)"),
        (["--org", org, "--matrix", "999999"], "no such matrix: 999999"),
    )
    for args, english in cases:
        result = runner.invoke(app, ["add", "--title", "暴雨预警", *args])
        assert result.exit_code == 2, result.output
        assert isinstance(result.exception, SystemExit)  # no traceback
        assert "错误" in result.output and english in result.output
    assert (
        "找不到机构：999999"
        in runner.invoke(app, ["add", "--title", "x", "--org", "999999"]).output
    )
    with Session(get_engine()) as session:
        assert session.scalar(select(func.count()).select_from(ContentItem)) == 0
    assert not list(storage.root().glob("*/*"))  # nothing stored before the refusal


def test_distribute_without_an_account_is_a_clear_error() -> None:
    world = _world()
    item = json.loads(_ok(["add", "--title", "稿件", "--org", str(world.orgs["police"]), "--json"]))
    result = runner.invoke(app, ["distribute", str(item["id"])])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert "请至少用 --account 指定一个账号" in result.output
    assert "give at least one --account" in result.output
    assert "ValidationError" not in result.output


def test_search_prints_nothing_on_stderr(configured_database: str) -> None:
    world = _world()
    org, matrix = str(world.orgs["police"]), str(world.matrices["zz"])
    _ok(["add", "--title", "长江大桥暴雨红色预警", "--org", org, "--matrix", matrix])
    # A process of its own: jieba loads its dictionary (and would announce it) once per process.
    done = subprocess.run(
        [sys.executable, "-m", "zhengwu.cli.main", "library", "search", "长江大桥 暴雨", "--json"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [found] = json.loads(done.stdout)
    assert found["title"] == "长江大桥暴雨红色预警"
    assert "prefix dict" not in done.stderr
    assert done.stderr == ""


def test_list_and_search_json_is_one_array_even_when_empty(configured_database: str) -> None:
    """``--json`` prints one JSON array as ``users list`` and ``rescue team list`` do: ``[]``
    when nothing matches, never nothing at all."""
    for args in (["list", "--json"], ["search", "暴雨预警", "--json"]):
        assert json.loads(_ok(args)) == [], args
    world = _world()
    org = str(world.orgs["police"])
    first = json.loads(_ok(["add", "--title", "暴雨预警一", "--org", org, "--json"]))
    second = json.loads(_ok(["add", "--title", "暴雨预警二", "--org", org, "--json"]))
    listed = _ok(["list", "--json"])
    assert len(listed.splitlines()) == 1  # one document, not JSON Lines
    assert {row["id"] for row in json.loads(listed)} == {first["id"], second["id"]}
    assert json.loads(_ok(["list", "--label", "独家", "--json"])) == []
    assert json.loads(_ok(["search", "地震", "--json"])) == []


def test_distribute_counts_the_failed_attempts_of_a_delivered_target() -> None:
    """``library distribute`` prints the item's report: a target delivered on its third
    attempt says 此前 2 次 and its --json carries ``attempts`` (the report had none)."""
    world = _world()
    org, matrix = str(world.orgs["police"]), str(world.matrices["zz"])
    item = json.loads(
        _ok(["add", "--title", "交通提示", "--org", org, "--matrix", matrix, "--json"])
    )
    weibo, douyin = str(world.accounts["police_weibo"]), str(world.accounts["police_douyin"])
    _ok(["distribute", str(item["id"]), "--account", weibo])
    with Session(get_engine()) as session:
        deliver_after_two_failures(session)
        session.commit()
    out = " ".join(_ok(["distribute", str(item["id"]), "--account", douyin]).split())  # unwrapped
    assert "平安郑州 (weibo): delivered" in out
    assert (
        "此前 2 次发送失败（最近一次 20" in out
        and "2 earlier attempt(s) failed (the last 20" in out
    )
    report = json.loads(_ok(["distribute", str(item["id"]), "--account", weibo, "--json"]))
    attempts = {t["account_name"]: (t["state"], t["attempts"]) for t in report["targets"]}
    assert attempts == {"平安郑州": ("delivered", 3), "郑州警方": ("queued", 0)}
