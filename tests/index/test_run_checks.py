"""What a run, a ranking or a report refuses rather than answer wrongly, through the CLI.

On the configured database (SQLite, and PostgreSQL when set) and the test's own store:
a user system may not take a shipped name; a stored or published run is not replaced by
another configuration silently; an unknown platform is an error; posts of unregistered
accounts are named at import and in the run; an award's sector must exist.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from zhengwu.cli.common import console
from zhengwu.cli.main import app
from zhengwu.index.system import BUILTIN_DIR, SystemConfigError, load_system, user_dir

from .test_cli import _setup

runner = CliRunner()
SHIPPED = (BUILTIN_DIR / "zhengwu-4d.toml").read_text(encoding="utf-8")
WECHAT_SAMPLE = "wechat/wnma3mz_gongqingtuan_zhongyang_article_list.jsonl"
GQT_BIZ = "MzA3NTE5MzQzMA=="


def _two_dimensions(name: str) -> str:
    """Return a valid zhengwu-4d variant named ``name`` with only its first two dimensions."""
    head, *dims = SHIPPED.split("[[dimensions]]")
    text = head.replace('name = "zhengwu-4d"', f'name = "{name}"', 1)
    kept = []
    for dim in dims[:2]:  # 传播力 and 互动力, reweighted to 0.5 each
        kept.append(re.sub(r"(?m)^weight = [0-9.]+$", "weight = 0.5", dim, count=1))
    return text + "[[dimensions]]" + "[[dimensions]]".join(kept)


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def _fails(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a clean error, no traceback
    return " ".join(result.output.split())


def _json(args: list[str]) -> Any:
    return json.loads(_ok(args))


def test_a_user_system_may_not_take_a_shipped_name(
    configured_database: str, tmp_path: Path
) -> None:
    _setup()
    clash = tmp_path / "clash.toml"
    clash.write_text(_two_dimensions("zhengwu-4d"), encoding="utf-8")
    refused = _fails(["index", "run", "--system-file", str(clash), "--period", "2025-07"])
    assert "'zhengwu-4d' is taken by a shipped indicator system" in refused
    assert "与随 zhengwu 提供的指标体系重名" in refused and str(clash) in refused
    # The shipped text itself is the shipped system, wherever it is read from.
    copy = tmp_path / "copy.toml"
    copy.write_text(SHIPPED, encoding="utf-8")
    assert _json(["index", "run", "--system-file", str(copy), "--period", "2025-07", "--json"])
    # A file in the user's system directory under a shipped name is refused the same way.
    user_dir().mkdir(parents=True)
    (user_dir() / "zhengwu-4d.toml").write_text(_two_dimensions("zhengwu-4d"), "utf-8")
    with pytest.raises(SystemConfigError, match="taken by a shipped indicator system"):
        load_system("zhengwu-4d")


def test_a_published_run_is_not_replaced_by_another_configuration(
    configured_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup()
    first = _json(["index", "run", "--period", "2025-07", "--json"])
    assert first["run_id"] == "zhengwu-4d/2025-07"
    _ok(["index", "publish", "--period", "2025-07", "--by", "walk2"])
    # The same configuration again (new data, say) recomputes in place.
    _json(["index", "run", "--period", "2025-07", "--json"])
    # Other options under the same name are refused, naming the difference and the publication.
    refused = _fails(["index", "run", "--period", "2025-07", "--compliance-days", "7"])
    assert "already stored and published with another configuration" in refused
    assert "compliance window 14 → 7 days" in refused and "--replace" in refused
    assert "已有已发布的计算结果" in refused
    runs = _json(["index", "runs", "--json"])
    assert [r["compliance_window_days"] for r in runs] == [14]
    # An edited copy of a user's own system: another digest, refused as well.
    mine = tmp_path / "mine.toml"
    mine.write_text(_two_dimensions("mine"), encoding="utf-8")
    _json(["index", "run", "--system-file", str(mine), "--period", "2025-07", "--json"])
    mine.write_text(_two_dimensions("mine").replace("top_k = 5", "top_k = 6", 1), "utf-8")
    edited = _fails(["index", "run", "--system-file", str(mine), "--period", "2025-07"])
    assert "mine/2025-07 is already stored with another configuration: system configuration" in (
        edited
    )
    # --replace replaces, and says it replaced a published run.
    replaced = _json(
        ["index", "run", "--period", "2025-07", "--compliance-days", "7", "--replace", "--json"]
    )
    assert any(
        "replaces the earlier run of zhengwu-4d/2025-07" in n
        and "published: the public rankings change with it" in n
        and "compliance window 14 → 7 days" in n
        for n in replaced["notes"]
    ), replaced["notes"]
    # `index runs` tells the configurations apart.
    listing = {r["run_id"]: r for r in _json(["index", "runs", "--json"])}
    digest = load_system("zhengwu-4d").digest
    assert listing["zhengwu-4d/2025-07"]["system_digest"] == digest
    assert listing["zhengwu-4d/2025-07"]["compliance_window_days"] == 7
    assert listing["mine/2025-07"]["system_digest"] != digest
    monkeypatch.setattr(console, "_width", 200)  # one line per run
    rows = {line.split("│")[1].strip(): line for line in _ok(["index", "runs"]).splitlines()
            if line.startswith("│")}  # fmt: skip
    assert "config" in _ok(["index", "runs"])
    assert (
        f"│ {digest[:8]} " in rows["zhengwu-4d/2025-07"]
        and "7d +replies" in rows["zhengwu-4d/2025-07"]
    )
    mine_digest = listing["mine/2025-07"]["system_digest"]
    assert (
        f"│ {mine_digest[:8]} " in rows["mine/2025-07"] and "14d +replies" in rows["mine/2025-07"]
    )


def test_an_unknown_platform_is_an_error_listing_the_platforms(configured_database: str) -> None:
    _setup()
    _json(["index", "run", "--period", "2025-07", "--json"])
    refused = _fails(["index", "rank", "--period", "2025-07", "--platform", "tiktok"])
    assert "ranks no platform 'tiktok'; choose one of all, weibo" in refused
    assert "没有平台 'tiktok' 的排行" in refused
    ranked = _json(["index", "rank", "--period", "2025-07", "--platform", "weibo", "--json"])
    assert ranked["groups"][0]["size"] == 2


def test_a_formula_input_error_says_what_to_type() -> None:
    out = _fails(["index", "formula", "qingbo_wci_v2", "--input",
                  '{"R": "abc", "n": 100, "Rmax": 300, "Z": 4000, "Zmax": 60}'])  # fmt: skip
    assert "input R must be a number, got 'abc'" in out
    assert "'10万+' is written 100001" in out and "qingbo_read_count" not in out


def test_posts_of_unregistered_accounts_are_named_at_import_and_in_the_run(
    configured_database: str, shared_data: Path, tmp_path: Path
) -> None:
    sample = shared_data / WECHAT_SAMPLE
    imported = json.loads(
        _ok(["import", "wechat-articles", str(sample), "--json"]).strip().splitlines()[-1]
    )
    assert imported["imported"] == 73
    (warning,) = imported["warnings"]
    assert f"posts of 1 account (wechat:{GQT_BIZ}) are not linked to any registered" in warning
    assert "zhengwu import zhengwu-accounts" in warning
    run = _json(["index", "run", "--system", "qingbo_wci_v14_2", "--period", "2019-09", "--json"])
    assert run["accounts"] == 0
    assert any(
        f"posts of 1 account in the store (wechat:{GQT_BIZ}) in 2019-09 are not linked" in n
        and "没有对应的已登记账号" in n
        for n in run["notes"]
    ), run["notes"]
    # Registered and tied to its body, the account is in the run: excluded for lack of data
    # (an article list carries no read counts), not missing.
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org_id,name,level,sector,adcode,parent_id\ngqt,共青团中央,中央,共青团,,\n")
    _ok(["import", "zhengwu-orgs", str(orgs)])
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(f"platform,uid,name,org_id\nwechat,{GQT_BIZ},共青团中央,gqt\n")
    _ok(["import", "zhengwu-accounts", str(accounts)])
    again = _json(["index", "run", "--system", "qingbo_wci_v14_2", "--period", "2019-09", "--json"])
    assert again["accounts"] == 1
    assert not any("not linked to any registered account" in n for n in again["notes"])
    ranked = _json(["index", "rank", "--system", "qingbo_wci_v14_2", "--period", "2019-09",
                    "--platform", "wechat", "--json", "--show-excluded"])  # fmt: skip
    assert [(e["account_uid"], e["compliance_reasons"]) for e in ranked["excluded"]] == [
        (GQT_BIZ, ["no_data"])
    ]


def test_an_award_sector_must_be_a_known_one(configured_database: str, tmp_path: Path) -> None:
    awards = tmp_path / "b.toml"
    awards.write_text('[[award]]\ntitle = "x"\nplatform = "weibo"\nsector = "公按"\n', "utf-8")
    # No organisations yet: the sector cannot be checked, and the user is told so.
    unchecked = runner.invoke(app, ["report", "awards", "--awards", str(awards), "--json"])
    assert unchecked.exit_code == 0, unchecked.output
    assert "no organisations are registered, so the sector(s) 公按 cannot be checked" in " ".join(
        unchecked.stderr.split()
    )
    _setup()
    _json(["index", "run", "--period", "2025-07", "--json"])
    listed = _fails(["report", "awards", "--awards", str(awards)])
    assert "unknown sector(s) 公按 (award x); known sectors: 公安, 消防" in listed
    assert "未知系统（sector）公按" in listed
    out = tmp_path / "r.html"
    built = _fails(["report", "build", "--period", "2025-07", "--out", str(out),
                    "--awards", str(awards)])  # fmt: skip
    assert "unknown sector(s) 公按" in built and not out.exists()
    awards.write_text(awards.read_text("utf-8").replace("公按", "公安"), "utf-8")
    summary = _json(["report", "build", "--period", "2025-07", "--out", str(out),
                     "--awards", str(awards), "--json"])  # fmt: skip
    assert summary["awards"] == [{"title": "x", "winners": ["平安郑州"]}]


def test_a_comment_does_not_change_a_systems_configuration(tmp_path: Path) -> None:
    from zhengwu.index.system import load_system_file

    plain = tmp_path / "a" / "mine.toml"
    plain.parent.mkdir()
    body = SHIPPED.replace('name = "zhengwu-4d"', 'name = "mine"')
    plain.write_text(body, encoding="utf-8")
    commented = tmp_path / "b" / "mine.toml"
    commented.parent.mkdir()
    commented.write_text("# edited after an upgrade\n\n" + body, encoding="utf-8")
    changed = tmp_path / "c" / "mine.toml"
    changed.parent.mkdir()
    changed.write_text(body.replace("top_k = 5", "top_k = 6"), encoding="utf-8")
    digests = [load_system_file(p).digest for p in (plain, commented, changed)]
    assert digests[0] == digests[1]
    assert digests[2] != digests[0]
