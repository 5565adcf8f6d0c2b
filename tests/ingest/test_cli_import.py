"""``zhengwu import`` end to end: dry run, JSON summary, idempotency, quarantine, errors."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import check_file

runner = CliRunner()

USER = {
    "id": 2176235777, "idstr": "2176235777", "screen_name": "广东政法", "name": "广东政法",
    "province": "44", "city": "1", "location": "广东 广州", "followers_count": 1200000,
    "friends_count": 300, "statuses_count": 50000, "verified": True, "verified_type": 1,
    "verified_reason": "广东省政法委、省平安办、省综治办、省维稳办官方微博",
    "created_at": "Mon Jun 13 09:37:44 +0800 2011",
}  # fmt: skip


def _status(sid: int, likes: int, **extra: object) -> dict[str, object]:
    return {
        "created_at": "Fri Mar 31 23:47:24 +0800 2017", "id": sid, "idstr": str(sid),
        "mid": str(sid), "text": f"#平安广东# 提醒@广东公安 注意防范电信诈骗 {sid}",
        "source": '<a href="http://app.weibo.com/t/feed/6vtZb0" rel="nofollow">微博 weibo.com</a>',
        "reposts_count": 3, "comments_count": 4, "attitudes_count": likes, "user": USER, **extra,
    }  # fmt: skip


@pytest.fixture
def statuses(tmp_path: Path) -> Path:
    lines = [
        json.dumps(_status(4091509081366576, 10), ensure_ascii=False),
        json.dumps(_status(4091509081366577, 5, retweeted_status={
            "deleted": "1", "state": 7, "idstr": "4091500000000000",
            "text": "抱歉，此微博已被作者删除。查看帮助：http://t.cn/Rfd3rQV"}), ensure_ascii=False),
        '{"id": broken json',
        json.dumps(_status(4091509081366578, -1), ensure_ascii=False),
        json.dumps({**_status(4091509081366579, 1), "created_at": "Fri Feb 31 23:47:24 +0800 2017"}),
        json.dumps({k: v for k, v in _status(4091509081366580, 1).items() if k not in {"id", "idstr", "mid"}}),
        "",
    ]  # fmt: skip
    path = tmp_path / "statuses.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _summary(output: str) -> dict[str, int]:
    last = output.strip().splitlines()[-1]
    data: dict[str, int] = orjson.loads(last)
    assert (
        data["read"]
        == data["imported"] + data["updated"] + data["duplicates"] + data["quarantined"]
    )
    return data


def test_dry_run_prints_normalised_records_and_writes_nothing(statuses: Path) -> None:
    result = runner.invoke(app, ["import", "weibo-api", str(statuses), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    records = [orjson.loads(line) for line in result.stdout.strip().splitlines()[:-1]]
    kinds = [r["kind"] for r in records]
    assert kinds.count("quarantine") == 4
    post = next(r for r in records if r["kind"] == "post")
    assert post["created_at"] == "2017-03-31T23:47:24+08:00"
    assert post["topics"] == ["平安广东"]
    assert post["mentions"] == ["广东公安"]
    account = next(r for r in records if r["kind"] == "account")
    assert account["is_government"] is True
    assert account["adcode"] == "440100"
    repost = next(r for r in records if r["kind"] == "post" and r["is_repost"])
    assert repost["root_post_id"] == "4091500000000000"
    assert repost["root_deleted"] is True
    sources = [r["source"] for r in records if r["kind"] == "quarantine"]
    assert all(s.startswith(str(statuses)) for s in sources)
    assert {s.rsplit(":", 1)[1].split("#")[0] for s in sources} == {"3", "4", "5", "6"}
    summary = _summary(result.stdout)
    assert (summary["read"], summary["imported"], summary["quarantined"]) == (6, 2, 4)
    again = runner.invoke(app, ["import", "weibo-api", str(statuses), "--json"])
    assert _summary(again.stdout)["imported"] == 2  # the dry run stored nothing


def test_import_is_idempotent_and_snapshots_changes(statuses: Path, tmp_path: Path) -> None:
    first = _summary(runner.invoke(app, ["import", "weibo-api", str(statuses), "--json"]).stdout)
    assert (first["imported"], first["quarantined"]) == (2, 4)
    second = _summary(runner.invoke(app, ["import", "weibo-api", str(statuses), "--json"]).stdout)
    assert (second["imported"], second["updated"], second["duplicates"]) == (0, 0, 2)
    changed = tmp_path / "later.jsonl"
    changed.write_text(
        json.dumps(_status(4091509081366576, 99), ensure_ascii=False), encoding="utf-8"
    )
    third = _summary(runner.invoke(app, ["import", "weibo-api", str(changed), "--json"]).stdout)
    assert (third["imported"], third["updated"]) == (0, 1)
    listing = runner.invoke(app, ["quarantine", "--json"])
    reasons = [orjson.loads(line)["reason"] for line in listing.stdout.strip().splitlines()]
    assert len(reasons) == 8  # two runs x four bad lines, all kept
    stats = orjson.loads(runner.invoke(app, ["store", "stats", "--json"]).stdout)
    assert stats["platforms"][0]["posts"] == 2
    assert stats["snapshots"] == 3


def test_unusable_input_fails_with_a_clear_message(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["import", "weibo-api", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2
    assert "file not found" in missing.output
    unknown = runner.invoke(app, ["import", "weibo-xml", str(tmp_path)])
    assert unknown.exit_code == 2
    assert "unknown import format" in unknown.output
    assert "weibo-api" in unknown.output
    # Under --json each refusal is a JSON object on stdout's last line too (exit code 2).
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text('{"title": "not weibo"}\n')
    for args, part in (
        ([str(tmp_path / "nope.jsonl")], "file not found"),
        ([str(foreign)], "not weibo-api data"),
    ):
        refused = runner.invoke(app, ["import", "weibo-api", *args, "--json"])
        assert refused.exit_code == 2
        assert part in refused.stderr
        last = orjson.loads(refused.stdout.splitlines()[-1])
        assert last["error"] == "InvalidInputError" and part in last["message_en"]
        assert (last["read"], last["quarantined"]) == (0, 0)
    unknown_json = runner.invoke(app, ["import", "weibo-xml", str(tmp_path), "--json"])
    assert unknown_json.exit_code == 2
    assert "unknown import format" in orjson.loads(unknown_json.stdout)["message_en"]


def test_gbk_file_is_quarantined_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.jsonl"
    path.write_bytes(json.dumps(_status(1, 1), ensure_ascii=False).encode("gbk") + b"\n")
    summary = _summary(runner.invoke(app, ["import", "weibo-api", str(path), "--json"]).stdout)
    assert (summary["read"], summary["quarantined"]) == (1, 1)


def test_parallel_parse_matches_serial(tmp_path: Path) -> None:
    lines = [json.dumps(_status(5_000_000 + i, i % 7), ensure_ascii=False) for i in range(3000)]
    lines.insert(1500, "{broken")
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from zhengwu.ingest import files

    ranges = files.split_ranges(path, 4, min_bytes=1)
    assert len(ranges) == 4
    seen = [n for r in ranges for n, _ in files.iter_lines(path, r)]
    assert seen == list(range(1, len(lines) + 1))
    result = runner.invoke(app, ["import", "weibo-api", str(path), "--json", "--workers", "2"])
    summary = _summary(result.stdout)
    assert (summary["read"], summary["imported"], summary["quarantined"]) == (3001, 3000, 1)


def _search(text: str) -> dict[str, object]:
    result = runner.invoke(app, ["search", "query", text, "--kind", "accounts", "--json"])
    assert result.exit_code == 0, result.output
    found: dict[str, object] = orjson.loads(result.stdout)
    return found


def test_import_leaves_search_to_the_worker_unless_refresh_search(
    configured_database: str, statuses: Path, tmp_path: Path
) -> None:
    plain = runner.invoke(app, ["import", "weibo-api", str(statuses)])
    assert plain.exit_code == 0, plain.output
    assert "the search index is refreshed by the worker" in " ".join(plain.stdout.split())
    behind = _search("广东政法")
    assert behind["counts"] == {"accounts": 0} and behind["stale"] == {"accounts": 1}

    other = tmp_path / "other.jsonl"
    user = {**USER, "id": 1234567890, "idstr": "1234567890", "screen_name": "平安深圳",
            "name": "平安深圳", "verified_reason": "深圳市公安局官方微博"}  # fmt: skip
    other.write_text(json.dumps({**_status(4100000000000001, 1), "user": user},
                                ensure_ascii=False) + "\n", "utf-8")  # fmt: skip
    now = runner.invoke(app, ["import", "weibo-api", str(other), "--refresh-search", "--json"])
    summary = _summary(now.stdout)
    # Both accounts changed since the last refresh: the earlier import's and this one's.
    assert summary["search_indexed"] == {"accounts": 2, "requests": 0}  # type: ignore[comparison-overlap]
    assert _search("广东政法")["counts"] == {"accounts": 1}
    assert _search("平安深圳")["counts"] == {"accounts": 1}
    assert _search("深圳")["stale"] == {}
    again = runner.invoke(app, ["import", "weibo-api", str(other), "--refresh-search"])
    assert again.exit_code == 0 and "search index refreshed" in again.stdout


def test_the_worker_hint_only_when_this_import_queued_something_searchable(
    configured_database: str, statuses: Path, tmp_path: Path, shared_data: Path
) -> None:
    """Hot search and an organisation list add nothing the search indexes: no worker hint,
    even while an earlier import's accounts still wait for it."""
    hint = "the search index is refreshed by the worker"
    first = runner.invoke(app, ["import", "weibo-api", str(statuses)])
    assert first.exit_code == 0 and hint in " ".join(first.stdout.split()), first.output
    hot = runner.invoke(
        app, ["import", "hot-search", str(shared_data / "weibo-hot-search" / "2024-06-01.json")]
    )
    assert hot.exit_code == 0 and "新增 imported" in hot.stdout, hot.output
    assert hint not in " ".join(hot.stdout.split())
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org_id,name,level,sector,adcode\nO1,南京市公安局,市,公安,320100\n", "utf-8")
    org_run = runner.invoke(app, ["import", "zhengwu-orgs", str(orgs)])
    assert org_run.exit_code == 0 and hint not in " ".join(org_run.stdout.split())
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("platform,uid,name,org_id\nweibo,100,平安南京,O1\n", "utf-8")
    added = runner.invoke(app, ["import", "zhengwu-accounts", str(accounts)])
    assert added.exit_code == 0 and hint in " ".join(added.stdout.split()), added.output
    renamed = orgs.read_text("utf-8").replace("南京市公安局", "南京市公安局（更名）")
    orgs.write_text(renamed, "utf-8")  # its account's document names the organisation
    again = runner.invoke(app, ["import", "zhengwu-orgs", str(orgs)])
    assert again.exit_code == 0 and hint in " ".join(again.stdout.split()), again.output


def test_quarantine_lists_the_newest_first_and_says_how_to_page(
    statuses: Path, tmp_path: Path
) -> None:
    first = runner.invoke(app, ["import", "weibo-api", str(statuses), "--json"])
    assert first.exit_code == 0, first.output
    later = tmp_path / "later.jsonl"
    later.write_text("{broken json\n", encoding="utf-8")
    second = runner.invoke(app, ["import", "weibo-api", str(later), "--json"])
    assert second.exit_code == 0, second.output
    newest = [
        orjson.loads(x) for x in runner.invoke(app, ["quarantine", "--json"]).stdout.splitlines()
    ]
    assert newest[0]["run"] == 2 and {r["run"] for r in newest[1:]} == {1}
    page = [orjson.loads(x) for x in runner.invoke(
        app, ["quarantine", "--json", "--limit", "2", "--offset", "1"]).stdout.splitlines()]  # fmt: skip
    assert page == newest[1:3]
    in_order = [orjson.loads(x) for x in runner.invoke(
        app, ["quarantine", "--run", "1", "--json"]).stdout.splitlines()]  # fmt: skip
    assert in_order == newest[1:][::-1]  # one import in file order
    table = runner.invoke(app, ["quarantine", "--limit", "2"])
    assert table.exit_code == 0, table.output
    footer = " ".join(table.stdout.split())
    assert "showing 1–2 of 5 (newest first)" in footer
    assert "next page: --offset 2" in footer


WECHAT_SAMPLE = (
    Path(__file__).resolve().parents[2].parent
    / "shared" / "data" / "wechat" / "wnma3mz_gongqingtuan_zhongyang_article_list.jsonl"
)  # fmt: skip


def test_wechat_articles_are_counted_one_by_one(tmp_path: Path) -> None:
    """read = imported + … counts articles (what is stored), not pushes (群发)."""
    dry = runner.invoke(
        app, ["import", "wechat-articles", str(WECHAT_SAMPLE), "--dry-run", "--json"]
    )
    assert dry.exit_code == 0, dry.output
    printed = [orjson.loads(line) for line in dry.stdout.strip().splitlines()[:-1]]
    assert sum(r["kind"] == "post" for r in printed) == 73
    assert _summary(dry.stdout)["read"] == 73
    first = _summary(
        runner.invoke(app, ["import", "wechat-articles", str(WECHAT_SAMPLE), "--json"]).stdout
    )
    assert (first["read"], first["imported"], first["quarantined"]) == (73, 73, 0)
    stats = orjson.loads(runner.invoke(app, ["store", "stats", "--json"]).stdout)
    assert stats["platforms"][0]["posts"] == 73
    # A push whose lead article is stored, carrying one article not seen before.
    push = orjson.loads(WECHAT_SAMPLE.read_bytes().splitlines()[0])
    others = push["app_msg_ext_info"]["multi_app_msg_item_list"]
    extra = {
        **others[0],
        "title": "新增的一篇",
        "content_url": others[0]["content_url"].replace("idx=2", "idx=9"),
    }
    others.append(extra)
    grown = tmp_path / "grown.jsonl"
    grown.write_bytes(orjson.dumps(push) + b"\n")
    again = _summary(runner.invoke(app, ["import", "wechat-articles", str(grown), "--json"]).stdout)
    assert (again["read"], again["imported"], again["duplicates"]) == (
        len(others) + 1,
        1,
        len(others),
    )
    stats = orjson.loads(runner.invoke(app, ["store", "stats", "--json"]).stdout)
    assert stats["platforms"][0]["posts"] == 74


def test_a_file_of_refused_records_or_none_warns(tmp_path: Path) -> None:
    """Wrong format or empty file: exit 0 (records are quarantined), with a warning naming it."""
    wrong = runner.invoke(app, ["import", "douyin-aweme", str(WECHAT_SAMPLE), "--json"])
    assert wrong.exit_code == 0, wrong.output
    summary = orjson.loads(wrong.stdout.strip().splitlines()[-1])
    assert summary["read"] == summary["quarantined"] == 30
    (warning,) = summary["warnings"]
    assert str(WECHAT_SAMPLE) in warning and "douyin-aweme" in warning
    assert "全部 30 条记录都被隔离" in warning and "all 30 records" in warning
    assert "is it really douyin-aweme?" in wrong.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    nothing = runner.invoke(app, ["import", "weibo-api", str(empty)])
    assert nothing.exit_code == 0, nothing.output
    assert "空文件" in nothing.stderr and f"no records in {empty}" in nothing.stderr
    # A readable file warns only that its 公众号 is not a registered account (the article
    # list names no account); once the account list registers it, nothing is said.
    fine = runner.invoke(app, ["import", "wechat-articles", str(WECHAT_SAMPLE), "--json"])
    (unlinked,) = orjson.loads(fine.stdout.strip().splitlines()[-1])["warnings"]
    assert "not linked to any registered account" in unlinked
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("platform,uid,name\nwechat,MzA3NTE5MzQzMA==,共青团中央\n", "utf-8")
    assert runner.invoke(app, ["import", "zhengwu-accounts", str(accounts)]).exit_code == 0
    again = runner.invoke(app, ["import", "wechat-articles", str(WECHAT_SAMPLE), "--json"])
    assert orjson.loads(again.stdout.strip().splitlines()[-1])["warnings"] == []
    assert "warning" not in again.stderr


def test_quarantine_of_an_unknown_run_says_so(statuses: Path) -> None:
    """`--run N` of an import that does not exist is an error, not an empty table."""
    assert runner.invoke(app, ["import", "weibo-api", str(statuses)]).exit_code == 0
    missing = runner.invoke(app, ["quarantine", "--run", "99"])
    assert missing.exit_code == 2  # as every refused CLI input
    text = " ".join(missing.output.split())
    assert "没有第 99 次导入" in text and "no import run 99" in text
    assert "最近一次导入是第 1 次" in text and "the latest is run 1" in text
    assert runner.invoke(app, ["quarantine", "--run", "1"]).exit_code == 0


def test_quarantine_raw_shows_the_whole_text_on_a_narrow_terminal(tmp_path: Path) -> None:
    """--raw is there to fix a line and import it again: the table folds it, never cuts it."""
    line = '{"id":"' + "4091509081366576" * 8 + '","text":坏}'  # no space to wrap at
    bad = tmp_path / ("很长的目录名" * 6) / "statuses.jsonl"
    bad.parent.mkdir()
    bad.write_text(line + "\n", encoding="utf-8")
    assert runner.invoke(app, ["import", "weibo-api", str(bad)]).exit_code == 0
    shown = runner.invoke(app, ["quarantine", "--raw"], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    assert "…" not in shown.stdout
    cells = "".join(
        "".join(row.split("│")[i].strip() for row in shown.stdout.splitlines() if "│" in row)
        for i in (2, 4)
    )
    assert f"{bad}:1" in cells and line in cells


def test_every_format_is_described_in_chinese_and_english() -> None:
    """`zhengwu formats` reads in both languages, as every other line of the CLI."""
    import re

    from zhengwu.ingest.registry import formats

    one_language = {
        name: desc
        for name, desc in formats().items()
        if not re.search(r"[\u4e00-\u9fff].*/ .*\b[a-z]{4,} [a-z]{2,}", desc)
    }
    assert one_language == {}


HOT_SEARCH_DAY = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "weibo-hot-search"
    / "2024-06-01.json"
)  # fmt: skip


def test_the_search_hint_only_when_something_waits_for_the_index(statuses: Path) -> None:
    """Hot-search rows are not searched: their import does not point at --refresh-search;
    a new account does."""
    hot = runner.invoke(app, ["import", "hot-search", str(HOT_SEARCH_DAY)])
    assert hot.exit_code == 0 and "新增 imported 386" in hot.stdout, hot.output
    assert "--refresh-search" not in hot.stdout
    posts = runner.invoke(app, ["import", "weibo-api", str(statuses)])
    assert posts.exit_code == 0 and "--refresh-search" in posts.stdout, posts.output


def test_a_search_refresh_that_fails_after_the_import_ends_with_a_json_line(
    statuses: Path, tmp_path: Path
) -> None:
    """The import is committed; the refresh fails (its postings table is gone): under --json
    the last stdout line is the import's summary with the error, exit code 1."""
    import sqlite3

    from zhengwu.config import get_settings

    first = runner.invoke(app, ["import", "weibo-api", str(statuses), "--json"])
    assert first.exit_code == 0, first.output
    database = get_settings().resolved_database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as conn:
        conn.execute("DROP TABLE search_postings")
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(_status(4100000000000001, 1), ensure_ascii=False) + "\n")
    failed = runner.invoke(app, ["import", "weibo-api", str(other), "--refresh-search", "--json"])
    assert failed.exit_code == 1, failed.output
    lines = failed.stdout.splitlines()
    assert len(lines) == 1, failed.stdout
    line = orjson.loads(lines[0])
    assert (line["imported"], line["run_id"]) == (1, _summary(first.stdout)["run_id"] + 1)
    assert (line["error"], line["status"]) == ("ServerError", 500)
    assert (
        "search index refresh failed" in line["message_en"]
        and "search_postings" in line["message_en"]
    )
    assert "搜索索引更新失败" in line["message_zh"]
    assert "search index refresh failed" in " ".join(failed.stderr.split())
    plain = runner.invoke(app, ["import", "weibo-api", str(other), "--refresh-search"])
    assert plain.exit_code == 1 and plain.stdout.count("{") == 0, plain.output
    # A file refused too: exit code 2, as the same import without --refresh-search (it
    # exited 1, which read as "only the refresh failed", the refused file unmentioned).
    archive = tmp_path / "with-old-sheet.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("old.xls", b"\xd0\xcf\x11\xe0 not json")
    member = f"{archive}!old.xls"
    for extra in (["--json"], []):
        both = runner.invoke(
            app, ["import", "weibo-api", str(other), str(archive), "--refresh-search", *extra]
        )
        assert both.exit_code == 2, both.output
        flat = " ".join(both.stderr.split())
        assert "search index refresh failed" in flat and f"error: {member} was not imported" in flat
        assert "1 file(s) refused" in flat, both.stderr
        if extra:
            line = orjson.loads(both.stdout.splitlines()[-1])
            assert [r["file"] for r in line["refused"]] == [member]
            assert (line["duplicates"], line["error"]) == (1, "ServerError")
    without = runner.invoke(app, ["import", "weibo-api", str(other), str(archive)])
    assert without.exit_code == 2, without.output


def test_warnings_start_stderr_without_an_empty_line() -> None:
    # The progress display, not drawn where stderr is no terminal, still ended with an
    # empty line: stderr began "\n警告 / warning: 1 个账号…没有对应的已登记账号".
    result = runner.invoke(app, ["import", "wechat-articles", str(WECHAT_SAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("警告 / warning: 1 个账号（wechat:MzA3NTE5MzQzMA==）")
    unknown = runner.invoke(app, ["import", "weibo-cov", str(WECHAT_SAMPLE)])
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("错误：未知的导入格式 'weibo-cov'")


def test_an_unknown_format_names_the_closest_known_ones(tmp_path: Path) -> None:
    # 'weibo-cov' for weibo-cov-csv: the refusal listed all 15 formats and left the
    # reader to find the one meant.
    typo = runner.invoke(app, ["import", "weibo-cov", str(tmp_path), "--json"])
    assert typo.exit_code == 2
    refused = orjson.loads(typo.stdout.splitlines()[-1])
    assert refused["message_zh"].startswith(
        "未知的导入格式 'weibo-cov'（是否指 weibo-cov-csv？）；"
    )
    assert refused["message_en"].startswith(
        "unknown import format 'weibo-cov' (did you mean weibo-cov-csv?); known formats: "
    )
    assert "douyin-aweme" in refused["message_en"]  # the list is still there
    assert "错误：未知的导入格式'weibo-cov'（是否指weibo-cov-csv？）" in "".join(
        typo.stderr.split()
    )
    several = orjson.loads(runner.invoke(app, ["import", "wechat", str(tmp_path), "--json"]).stdout)
    assert "(did you mean wechat-stats or wechat-articles?)" in several["message_en"]
    assert "（是否指 wechat-stats、wechat-articles？）" in several["message_zh"]
    nothing = orjson.loads(runner.invoke(app, ["import", "rss", str(tmp_path), "--json"]).stdout)
    assert "did you mean" not in nothing["message_en"] and "是否指" not in nothing["message_zh"]


def test_a_folder_is_refused_with_the_files_to_give_instead(tmp_path: Path) -> None:
    """``zhengwu simulate`` writes hot search as a folder of daily files; importing the
    folder said only "is a directory". It now says how to give the files in it."""
    folder = tmp_path / "hot-search"
    folder.mkdir()
    for day in ("2025-07-01", "2025-07-02"):
        (folder / f"{day}.json").write_text("[]", encoding="utf-8")
    (folder / "README.md").write_text("notes", encoding="utf-8")
    got = runner.invoke(app, ["import", "hot-search", str(folder), "--json"])
    assert got.exit_code == 2
    summary = _summary(got.stdout)
    assert summary["message_zh"].endswith(f"请给出其中的文件，如 {folder}/*.json")
    assert summary["message_en"].endswith(f"give the files in it, e.g. {folder}/*.json")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidInputError) as bare:
        check_file(empty)
    assert bare.value.message_en == f"is a directory: {empty}"  # nothing in it to name
