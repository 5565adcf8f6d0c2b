"""``zhengwu import weibo-comments``: dry run, counts, idempotency, updates, quarantine."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.content import store
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.ingest.pipeline import ImportSummary, run_import

runner = CliRunner()
SEEN = datetime(2025, 7, 2, tzinfo=UTC)
# The fields of a "kind": "comment" dry-run line (docs/comments.md documents them).
COMMENT_FIELDS = {
    "kind", "platform", "comment_id", "note_id", "account_uid", "created_at", "content",
    "parent_comment_id", "likes", "sub_comments", "observed_at",
}  # fmt: skip


def _row(cid: str, likes: object = "3", **fields: object) -> dict[str, Any]:
    row: dict[str, Any] = {
        "comment_id": cid, "create_time": "1751335200", "create_date_time": "2025-07-01 10:00:00",
        "note_id": "5149000000000001", "content": f"请问什么时候修路灯？{cid}",
        "sub_comment_count": "0", "comment_like_count": likes, "last_modify_ts": "",
        "ip_location": "河南", "parent_comment_id": cid, "user_id": "6000000001",
        "nickname": "网友甲", "gender": "f", "profile_url": "https://m.weibo.cn/u/6000000001",
        "avatar": "https://tvax1.sinaimg.cn/a.jpg",
    }  # fmt: skip
    row.update(fields)
    return row


@pytest.fixture
def comments(tmp_path: Path) -> Path:
    lines = [
        json.dumps(_row("5150000000000001"), ensure_ascii=False),
        json.dumps(_row("5150000000000002", likes=12), ensure_ascii=False),
        json.dumps(_row("5150000000000003", user_id=""), ensure_ascii=False),
        json.dumps(_row("5150000000000004", create_time="昨天", create_date_time=""),
                   ensure_ascii=False),
        '{"comment_id": "5150000000000005", broken',
        json.dumps(_row("5150000000000006", likes="-1"), ensure_ascii=False),
    ]  # fmt: skip
    path = tmp_path / "comments.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _summary(output: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(output.strip().splitlines()[-1])
    assert data["read"] == (
        data["imported"] + data["updated"] + data["duplicates"] + data["quarantined"]
    )
    return data


def _import(
    session: Session, con: duckdb.DuckDBPyConnection, *paths: Path, **kw: Any
) -> ImportSummary:
    summary = run_import("weibo-comments", paths, session=session, analytics=con,
                         observed_at=kw.pop("observed_at", SEEN), **kw)  # fmt: skip
    assert summary.read == (
        summary.imported + summary.updated + summary.duplicates + summary.quarantined
    )
    return summary


def test_import_counts_quarantines_and_is_idempotent(
    session: Session, comments: Path, tmp_path: Path
) -> None:
    with store.open_store(tmp_path / "analytics.duckdb") as con:
        first = _import(session, con, comments)
        assert (first.read, first.imported, first.quarantined) == (6, 2, 4)
        entries = session.scalars(
            select(QuarantineEntry).where(QuarantineEntry.run_id == first.run_id)
        ).all()
        assert sorted(e.source for e in entries) == [f"{comments}:{n}" for n in (3, 4, 5, 6)]
        assert all(e.format == "weibo-comments" and " / " in e.reason for e in entries)
        again = _import(session, con, comments, observed_at=datetime(2025, 7, 3, tzinfo=UTC))
        assert (again.imported, again.updated, again.duplicates) == (0, 0, 2)
        later = tmp_path / "later.csv"
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(_row("x")))
        writer.writeheader()
        writer.writerow(_row("5150000000000001", likes="1.2万"))  # more likes: updated
        writer.writerow(_row("5150000000000002", likes="12"))  # the same as an int before
        writer.writerow(_row("5150000000000007", sub_comment_count="2"))
        later.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
        third = _import(session, con, later, observed_at=datetime(2025, 7, 4, tzinfo=UTC))
        assert (third.imported, third.updated, third.duplicates) == (1, 1, 1)
        stored = con.execute(
            "SELECT comment_id, likes, account_uid, created_at FROM comments ORDER BY comment_id"
        ).fetchall()
    assert [(r[0][-1], r[1]) for r in stored] == [("1", 12000), ("2", 12), ("7", 3)]
    assert {r[2] for r in stored} == {"6000000001"}
    assert stored[0][3] == datetime(2025, 7, 1, 2, 0)  # naive UTC like posts


def test_a_store_file_is_not_touched_by_a_dry_run(
    session: Session, comments: Path, tmp_path: Path
) -> None:
    seen: list[str] = []
    with store.open_store(tmp_path / "analytics.duckdb") as con:
        summary = _import(
            session, con, comments, dry_run=True,
            on_item=lambda item: seen.append(type(item.primary).__name__),
        )  # fmt: skip
        assert (summary.imported, summary.quarantined, summary.run_id) == (2, 4, None)
        assert con.execute("SELECT count(*) FROM comments").fetchone() == (0,)
    assert seen.count("CommentRecord") == 2
    assert session.scalars(select(QuarantineEntry)).all() == []


def test_cli_dry_run_prints_comment_records(configured_database: str, comments: Path) -> None:
    result = runner.invoke(app, ["import", "weibo-comments", str(comments), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    records = [orjson.loads(line) for line in result.stdout.strip().splitlines()[:-1]]
    assert [r["kind"] for r in records].count("quarantine") == 4
    comment = next(r for r in records if r["kind"] == "comment")
    assert set(comment) == COMMENT_FIELDS
    assert comment["created_at"] == "2025-07-01T10:00:00+08:00"
    assert (comment["likes"], comment["parent_comment_id"]) == (3, None)
    assert "网友甲" not in result.stdout  # the commenter's nickname never leaves the importer
    assert _summary(result.stdout)["imported"] == 2
    stored = runner.invoke(app, ["import", "weibo-comments", str(comments), "--json"])
    assert _summary(stored.stdout)["imported"] == 2  # the dry run stored nothing
    again = runner.invoke(app, ["import", "weibo-comments", str(comments), "--json"])
    assert (_summary(again.stdout)["imported"], _summary(again.stdout)["duplicates"]) == (0, 2)
    listed = runner.invoke(app, ["formats", "--json"])
    assert "weibo-comments" in orjson.loads(listed.stdout)


@pytest.mark.parametrize("fmt", ["weibo-comments", "weibo-notes", "douyin-aweme"])
def test_a_gbk_csv_fails_the_import_once_with_the_fix(tmp_path: Path, fmt: str) -> None:
    # Saved from Excel as "CSV" on Chinese Windows: refused as a whole (exit code 2, the
    # bilingual message with the iconv command), not quarantined row by row.
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(_row("1")))
    writer.writeheader()
    writer.writerows([_row("5150000000000001"), _row("5150000000000002")])
    path = tmp_path / "comments.csv"
    path.write_bytes(buffer.getvalue().encode("gbk"))
    result = runner.invoke(app, ["import", fmt, str(path), "--json"])
    assert result.exit_code == 2, result.output
    assert "GBK" in result.output and "iconv -f GBK -t UTF-8" in result.output
    assert "不是 UTF-8" in result.output
    # --json: the last stdout line is an object too, nothing imported and the error.
    refused = json.loads(result.stdout.splitlines()[-1])
    assert (refused["read"], refused["imported"]) == (0, 0)
    assert isinstance(refused["run_id"], int)  # kept in the history, nothing of it imported
    assert (refused["error"], refused["status"]) == ("InvalidInputError", 422)
    assert "iconv -f GBK -t UTF-8" in refused["message_en"] and "GBK" in refused["message_zh"]
    assert refused["files"] == [str(path)]
    listing = runner.invoke(app, ["quarantine", "--json"])
    assert listing.exit_code == 0
    assert listing.stdout.strip() == ""  # no record of it quarantined (nor imported)


@pytest.mark.parametrize("gbk_first", [False, True])
def test_a_gbk_csv_among_files_is_refused_and_the_others_are_imported_and_counted(
    tmp_path: Path, gbk_first: bool
) -> None:
    # The posts of a file before the refused one are written already (the analytics store
    # commits per batch): the import goes on, counts them and names the refused file,
    # rather than ending with counts of 0 while those comments stayed stored.
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(_row("1")))
    writer.writeheader()
    writer.writerows([_row("5150000000000001"), _row("5150000000000002")])
    good, gbk = tmp_path / "good.csv", tmp_path / "gbk.csv"
    good.write_text(buffer.getvalue(), encoding="utf-8")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(_row("1")))
    writer.writeheader()
    writer.writerows([_row("5150000000000003")])
    gbk.write_bytes(buffer.getvalue().encode("gbk"))
    files = [gbk, good] if gbk_first else [good, gbk]
    result = runner.invoke(app, ["import", "weibo-comments", *map(str, files), "--json"])
    assert result.exit_code == 2, result.output
    summary = _summary(result.stdout)
    assert (summary["read"], summary["imported"]) == (2, 2)
    assert summary["run_id"] is not None
    assert [(r["file"], r["error"]) for r in summary["refused"]] == [
        (str(gbk), "InvalidInputError")
    ]
    assert "iconv -f GBK -t UTF-8" in summary["refused"][0]["message_en"]
    assert "未导入" in result.stderr and "gbk.csv" in result.stderr
    again = runner.invoke(app, ["import", "weibo-comments", str(good), "--json"])
    assert again.exit_code == 0, again.output
    assert (_summary(again.stdout)["imported"], _summary(again.stdout)["duplicates"]) == (0, 2)
    assert _summary(again.stdout)["refused"] == []


def _comments_csv(*cids: str) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(_row("1")))
    writer.writeheader()
    writer.writerows([_row(cid) for cid in cids])
    return buffer.getvalue()


@pytest.mark.parametrize("bad_first", [True, False])
def test_a_member_of_a_zip_refused_whole_is_named_and_the_other_members_are_imported(
    tmp_path: Path, bad_first: bool
) -> None:
    # One GBK CSV in an archive of exports: the refusal names the member to fix
    # (archive.zip!member), not the archive, and the other members are imported.
    archive = tmp_path / "exports.zip"
    members = [
        ("2025-07/gbk.csv", _comments_csv("5150000000000003").encode("gbk")),
        ("2025-07/good.csv", _comments_csv("5150000000000001", "5150000000000002").encode()),
    ]
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in members if bad_first else members[::-1]:
            zf.writestr(name, data)
    result = runner.invoke(app, ["import", "weibo-comments", str(archive), "--json"])
    assert result.exit_code == 2, result.output
    summary = _summary(result.stdout)
    assert (summary["read"], summary["imported"]) == (2, 2)
    member = f"{archive}!2025-07/gbk.csv"
    assert [(r["file"], r["error"]) for r in summary["refused"]] == [(member, "InvalidInputError")]
    assert "iconv -f GBK -t UTF-8" in summary["refused"][0]["message_en"]
    assert "/tmp/" not in summary["refused"][0]["message_en"].replace(str(tmp_path), "")
    flat = "".join(result.stderr.split())
    assert f"未导入{member}" in flat and f"error:{member}wasnotimported" in flat, result.stderr
    # Fixed (saved as UTF-8), the member is imported on its own; the others are duplicates.
    members[0] = (members[0][0], _comments_csv("5150000000000003").encode())
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in members:
            zf.writestr(name, data)
    again = runner.invoke(app, ["import", "weibo-comments", str(archive), "--json"])
    assert again.exit_code == 0, again.output
    assert (_summary(again.stdout)["imported"], _summary(again.stdout)["duplicates"]) == (1, 2)


def test_every_member_of_a_zip_refused_refuses_the_import_naming_each(tmp_path: Path) -> None:
    """Only the first refusal was said (a.csv), so b.csv came up only after a.csv was
    fixed: every refused file is named with its reason, on stderr and in the JSON."""
    archive, other = tmp_path / "exports.zip", tmp_path / "c.csv"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.csv", _comments_csv("5150000000000001").encode("gbk"))
        zf.writestr("b.csv", _comments_csv("5150000000000002").encode("gbk"))
    other.write_bytes(_comments_csv("5150000000000003").encode("gbk"))
    result = runner.invoke(app, ["import", "weibo-comments", str(archive), str(other), "--json"])
    assert result.exit_code == 2, result.output
    refused = json.loads(result.stdout.splitlines()[-1])
    assert (refused["read"], refused["error"]) == (0, "InvalidInputError")
    names = [f"{archive}!a.csv", f"{archive}!b.csv", str(other)]
    assert [(r["file"], r["error"]) for r in refused["refused"]] == [
        (name, "InvalidInputError") for name in names
    ]
    assert all("iconv -f GBK -t UTF-8" in r["message_en"] for r in refused["refused"])
    assert refused["message_zh"].startswith("3 个文件都被拒绝，未导入任何记录：")
    assert refused["message_en"].startswith("all 3 files were refused, nothing was imported: ")
    for name in names:
        assert f"{name}: the file is not UTF-8" in refused["message_en"]
        assert f"{name}：文件不是 UTF-8 编码" in refused["message_zh"]
    plain = runner.invoke(app, ["import", "weibo-comments", str(archive), str(other)])
    assert plain.exit_code == 2, plain.output
    flat = "".join(plain.stderr.split())
    for name in names:
        assert f"{name}:thefileisnotUTF-8".replace(" ", "") in flat, plain.stderr
        assert f"{name}：文件不是UTF-8编码".replace(" ", "") in flat, plain.stderr
    # One file refused alone keeps its own message, and is named in "refused" too.
    alone = runner.invoke(app, ["import", "weibo-comments", str(other), "--json"])
    one = json.loads(alone.stdout.splitlines()[-1])
    assert one["message_en"].startswith("the file is not UTF-8")
    assert [r["file"] for r in one["refused"]] == [str(other)]
    kept = runner.invoke(app, ["imports", "--json"]).stdout.splitlines()
    assert [orjson.loads(line)["read"] for line in kept] == [0, 0, 0]  # each refused import


def test_the_import_history_shows_the_files_a_run_refused_and_why(tmp_path: Path) -> None:
    good, gbk = tmp_path / "good.csv", tmp_path / "exports.zip"
    good.write_text(_comments_csv("5150000000000001"), encoding="utf-8")
    with zipfile.ZipFile(gbk, "w") as zf:
        zf.writestr("gbk.csv", _comments_csv("5150000000000002").encode("gbk"))
    first = runner.invoke(app, ["import", "weibo-comments", str(good), "--json"])
    assert first.exit_code == 0, first.output
    partial = runner.invoke(app, ["import", "weibo-comments", str(good), str(gbk), "--json"])
    assert partial.exit_code == 2, partial.output
    run_id = _summary(partial.stdout)["run_id"]
    history = runner.invoke(app, ["imports", "--json"])
    assert history.exit_code == 0, history.output
    runs = [orjson.loads(line) for line in history.stdout.splitlines()]
    assert [r["id"] for r in runs] == [run_id, _summary(first.stdout)["run_id"]]  # newest first
    assert runs[0]["files"] == [str(good), str(gbk)] and runs[1]["refused"] == []
    assert (runs[0]["read"], runs[0]["duplicates"]) == (1, 1)
    [refused] = runs[0]["refused"]
    assert (refused["file"], refused["error"]) == (f"{gbk}!gbk.csv", "InvalidInputError")
    assert "iconv -f GBK -t UTF-8" in refused["message_en"] and "GBK" in refused["message_zh"]
    assert runs[0]["started_at"].endswith("+08:00")  # China time, as people read it
    # The table (and the run's quarantine listing) name the refused member and why.
    for args in (["imports"], ["quarantine", "--run", str(run_id)]):
        shown = runner.invoke(app, args)
        assert shown.exit_code == 0, shown.output
        flat = "".join(shown.stdout.replace("│", "").split())
        assert f"{gbk}!gbk.csv".replace(" ", "") in flat and "iconv-fGBK" in flat, shown.stdout
    unrefused = runner.invoke(app, ["quarantine", "--run", str(runs[1]["id"])])
    assert "not imported" not in unrefused.stdout
    # --json names them too, after the run's records, once (not again on a later page).
    listed = runner.invoke(app, ["quarantine", "--run", str(run_id), "--json"])
    assert listed.exit_code == 0, listed.output
    lines = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert lines == [{"kind": "refused", "run": run_id, "format": "weibo-comments"} | refused]
    assert runner.invoke(app, ["quarantine", "--run", str(run_id), "--json", "--offset", "1"]
                         ).stdout.strip() == ""  # fmt: skip
    none = runner.invoke(app, ["quarantine", "--run", str(runs[1]["id"]), "--json"])
    assert none.exit_code == 0 and none.stdout.strip() == ""
    paged = runner.invoke(app, ["imports", "--limit", "1"])
    assert "--offset 1" in paged.stdout and "2 import runs in all" in paged.stdout


def test_the_import_history_and_quarantine_read_in_chinese_at_80_columns(tmp_path: Path) -> None:
    """The tables a Chinese operator reads: headed in Chinese and English, nothing cut to
    "form…" or "quar…" at 80 columns, the files refused under the files."""
    good, gbk = tmp_path / "good.csv", tmp_path / "exports.zip"
    good.write_text(_comments_csv("5150000000000001"), encoding="utf-8")
    with zipfile.ZipFile(gbk, "w") as zf:
        zf.writestr("gbk.csv", _comments_csv("5150000000000002").encode("gbk"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    runner.invoke(app, ["import", "weibo-comments", str(good), str(gbk)])
    runner.invoke(app, ["import", "weibo-comments", str(bad)])
    history = runner.invoke(app, ["imports"], env={"COLUMNS": "80"})
    assert history.exit_code == 0, history.output
    assert max(len(line) for line in history.stdout.splitlines()) <= 80
    assert "…" not in history.stdout
    for header in ("批次 run", "格式 format", "开始 started", "文件 files", "条数 counts"):
        assert header in history.stdout, history.stdout
    for count in ("读取 read 1", "新增 imported 1", "重复 duplicates 0", "隔离 quarantined 1"):
        assert count in history.stdout, history.stdout
    flat = "".join(history.stdout.replace("│", "").split())
    assert f"未导入refused:{gbk}!gbk.csv".replace(" ", "") in flat, history.stdout
    held = runner.invoke(app, ["quarantine", "--raw"], env={"COLUMNS": "80"})
    assert held.exit_code == 0, held.output
    assert "…" not in held.stdout
    for header in ("批次 run", "位置 source", "原因 reason", "原始文本 raw"):
        assert header in held.stdout, held.stdout


def test_an_import_refusing_every_file_is_kept_in_the_history_alone(
    configured_database: str, committed_engine: Engine, tmp_path: Path
) -> None:
    """An import whose every file was refused was rolled back whole, so neither `zhengwu
    imports` nor 导入记录 knew of it — its error output was its only record. Its run is now
    stored after the rollback, on its own: 0 read, the files refused and why, nothing else."""
    good, archive, other = tmp_path / "good.csv", tmp_path / "exports.zip", tmp_path / "c.csv"
    good.write_text(_comments_csv("5150000000000001"), encoding="utf-8")
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.csv", _comments_csv("5150000000000002").encode("gbk"))
    other.write_bytes(_comments_csv("5150000000000003").encode("gbk"))
    first = runner.invoke(app, ["import", "weibo-comments", str(good), "--json"])
    assert first.exit_code == 0, first.output
    dry = runner.invoke(app, ["import", "weibo-comments", str(archive), "--dry-run"])
    assert dry.exit_code == 2, dry.output
    result = runner.invoke(app, ["import", "weibo-comments", str(archive), str(other), "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout.splitlines()[-1])
    run_id = error["run_id"]
    assert isinstance(run_id, int) and error["read"] == 0 and error["error"] == "InvalidInputError"
    assert error["message_zh"].endswith(f"（已记入导入记录，第 {run_id} 次导入：zhengwu imports）")
    assert error["message_en"].endswith(f"(recorded in the import history as run {run_id}: "
                                        "zhengwu imports)")  # fmt: skip
    said = "".join(result.stderr.split())  # stderr says it too, wrapped
    assert f"第{run_id}次导入" in said and f"historyasrun{run_id}" in said, result.stderr
    history = runner.invoke(app, ["imports", "--json"])
    runs = [orjson.loads(line) for line in history.stdout.splitlines()]
    # The refused import, and the clean one before it: no run of the dry run, no other row.
    assert [r["id"] for r in runs] == [run_id, _summary(first.stdout)["run_id"]]
    kept = runs[0]
    assert kept["files"] == [str(archive), str(other)] and kept["format"] == "weibo-comments"
    assert [kept[k] for k in ("read", "imported", "updated", "duplicates", "quarantined")] == [
        0, 0, 0, 0, 0
    ]  # fmt: skip
    assert kept["finished_at"] is not None and kept["refused"] == error["refused"]
    assert [r["file"] for r in kept["refused"]] == [f"{archive}!a.csv", str(other)]
    assert all("iconv -f GBK -t UTF-8" in r["message_en"] for r in kept["refused"])
    with Session(committed_engine) as session:  # nothing else of it: no quarantined record
        assert session.scalars(select(QuarantineEntry.run_id)).all() == []
    listed = runner.invoke(app, ["quarantine", "--run", str(run_id), "--json"])
    assert [orjson.loads(line)["kind"] for line in listed.stdout.splitlines()] == ["refused"] * 2
