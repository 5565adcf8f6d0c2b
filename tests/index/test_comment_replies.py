"""Imported Weibo comments feed the accounts' own replies: the compliance gate and 互动力."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from zhengwu.index import compliance as gate
from zhengwu.index.dimensions import load_dimensions
from zhengwu.ingest.pipeline import run_import

from .conftest import World, china

SEEN = datetime(2025, 8, 1, tzinfo=UTC)
POLICE, FIRE, BUREAU = "1001", "1002", "1003"
USERS = {
    POLICE: ("平安郑州", "郑州市公安局官方微博"),
    FIRE: ("金水消防", "郑州市金水区消防救援大队官方微博"),
    BUREAU: ("郑州住建", "郑州市住房保障和房地产管理局官方微博"),
}
REPLY = "您好，已转交属地派出所处理，请保持电话畅通。"


def _api_time(when: datetime) -> str:
    return (when.astimezone(UTC) + timedelta(hours=8)).strftime("%a %b %d %H:%M:%S +0800 %Y")


def _status(sid: int, uid: str, when: datetime, text: str) -> dict[str, Any]:
    name, reason = USERS[uid]
    return {
        "created_at": _api_time(when), "id": sid, "idstr": str(sid), "mid": str(sid),
        "text": text, "reposts_count": 1, "comments_count": 5, "attitudes_count": 20,
        "user": {"id": int(uid), "idstr": uid, "screen_name": name, "location": "河南 郑州",
                 "followers_count": 100_000, "verified": True, "verified_type": 1,
                 "verified_reason": reason},
    }  # fmt: skip


def _comment(cid: int, note: int, uid: str, when: datetime, content: str) -> dict[str, Any]:
    return {
        "comment_id": str(cid), "create_time": str(int(when.timestamp())),
        "create_date_time": "", "note_id": str(note), "content": content,
        "sub_comment_count": "0", "comment_like_count": "2", "last_modify_ts": "",
        "ip_location": "河南", "parent_comment_id": "", "user_id": uid,
        "nickname": f"用户{uid}", "gender": "m", "profile_url": "", "avatar": "",
    }  # fmt: skip


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """July 2025: police and fire post every day; the bureau stopped posting in June.

    Citizens comment under police and fire posts. The police answer in comments (in the
    last week of July), one answer also posted to the timeline (同时转发); the fire
    brigade never answers; the bureau answers in comments without posting.
    """
    statuses: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    for day in range(31):
        when = china("2025-07-01") + timedelta(days=day)
        for k, uid in enumerate((POLICE, FIRE)):
            sid = 5_000_000 + day * 10 + k
            statuses.append(_status(sid, uid, when, f"今日提示第{day + 1}期 #平安郑州#"))
            comments.append(_comment(7_000_000 + sid, sid, "6000000001", when + timedelta(hours=1),
                                     "路灯坏了，麻烦处理"))  # fmt: skip
    statuses.append(_status(4_000_000, BUREAU, china("2025-06-10"), "六月的通知"))
    for day in range(24, 31):
        note = 5_000_000 + day * 10
        when = china("2025-07-01") + timedelta(days=day, hours=2)
        comments.append(
            _comment(8_000_000 + day, note, POLICE, when, f"回复@用户6000000001:{REPLY}")
        )
        comments.append(_comment(9_000_000 + day, note, BUREAU, when, "已通知物业"))
    # The answer of July 31 was also posted to the timeline, 30 seconds after the comment.
    statuses.append(
        _status(5_999_999, POLICE, china("2025-07-31", 14) + timedelta(seconds=30),
                f"回复@用户6000000001:{REPLY}//@用户6000000001:路灯坏了，麻烦处理")
    )  # fmt: skip
    return (
        _write(tmp_path / "statuses.jsonl", statuses),
        _write(tmp_path / "comments.jsonl", comments),
    )


def _import(world: World, fmt: str, path: Path) -> None:
    summary = run_import(fmt, [path], session=world.session, analytics=world.con, observed_at=SEEN)
    assert summary.quarantined == 0
    assert summary.read == summary.imported


def _report(world: World) -> dict[str, dict[str, Any]]:
    dims = load_dimensions(world.session)
    result = gate.report(world.con, dims.accounts, gate.FLAGS_SCHEMA.empty_table(),
                         date(2025, 7, 31), gate.ComplianceRules(window_days=14))  # fmt: skip
    return {r["uid"]: r | {"applied": result["reply_check_applied"]} for r in result["rows"]}


def _own_replies(world: World, run_id: str) -> dict[str, float | None]:
    rows = world.con.execute(
        """SELECT account_uid, raw FROM index_score_items
           WHERE run_id = ? AND indicator = 'own_replies_per_day'""",
        [run_id],
    ).fetchall()
    return dict(rows)


def test_comments_become_own_replies_for_the_gate_and_the_index(
    world: World, files: tuple[Path, Path]
) -> None:
    statuses, comments = files
    _import(world, "weibo-api", statuses)
    before = _report(world)
    assert before[POLICE]["applied"] == ["weibo"]  # the one 回复@ post makes replies visible
    assert before[POLICE]["replies_in_window"] == 1
    assert before[FIRE]["reasons"] == ["no_replies"]
    assert before[BUREAU]["reasons"] == ["no_post", "no_replies"]

    _import(world, "weibo-comments", comments)
    after = _report(world)
    # Seven answers in comments; the one also on the timeline is counted once.
    assert after[POLICE]["replies_in_window"] == 7
    assert after[POLICE]["status"] == "pass"
    assert after[FIRE]["reasons"] == ["no_replies"]  # citizens' comments are not its replies
    assert after[FIRE]["replies_in_window"] == 0
    assert after[BUREAU]["replies_in_window"] == 7
    assert after[BUREAU]["reasons"] == ["no_post"]  # it answers, but publishes nothing

    run = world.run("2025-07")
    totals = {r["account_uid"]: r for r in world.totals(run.run_id, "weibo")}
    assert totals[POLICE]["compliance"] == "pass"
    assert totals[FIRE]["compliance_reasons"] == ["no_replies"]
    own = _own_replies(world, run.run_id)
    assert own[POLICE] == pytest.approx(7 / 31)
    assert own[BUREAU] == pytest.approx(7 / 31)  # replies count without posts in the window
    assert own[FIRE] == 0


def test_comments_alone_make_the_reply_check_apply(world: World, files: tuple[Path, Path]) -> None:
    statuses, comments = files
    timeline = [line for line in statuses.read_bytes().splitlines() if "回复@".encode() not in line]
    statuses.write_bytes(b"\n".join(timeline) + b"\n")
    _import(world, "weibo-api", statuses)
    assert _report(world)[FIRE]["applied"] == []  # no own reply anywhere: check skipped
    assert _report(world)[FIRE]["status"] == "pass"
    _import(world, "weibo-comments", comments)
    report = _report(world)
    assert report[FIRE]["applied"] == ["weibo"]
    assert report[FIRE]["reasons"] == ["no_replies"]
    assert report[POLICE]["replies_in_window"] == 7


def test_citizen_comments_alone_do_not_make_the_check_apply(
    world: World, files: tuple[Path, Path], tmp_path: Path
) -> None:
    statuses, comments = files
    timeline = [line for line in statuses.read_bytes().splitlines() if "回复@".encode() not in line]
    statuses.write_bytes(b"\n".join(timeline) + b"\n")
    _import(world, "weibo-api", statuses)
    citizens = [
        line for line in comments.read_bytes().splitlines() if b'"user_id":"6000000001"' in line
    ]
    assert len(citizens) == 62
    _import(world, "weibo-comments", _write(tmp_path / "citizens.jsonl",
                                            [orjson.loads(line) for line in citizens]))  # fmt: skip
    report = _report(world)
    assert report[FIRE]["applied"] == []
    assert report[POLICE]["status"] == report[FIRE]["status"] == "pass"
    run = world.run("2025-07")
    totals = {r["account_uid"]: r["compliance_reasons"] for r in world.totals(run.run_id, "weibo")}
    assert totals == {POLICE: [], FIRE: [], BUREAU: ["no_post"]}


def test_commenters_are_not_counted_as_unregistered_post_authors(
    world: World, files: tuple[Path, Path]
) -> None:
    # A city's month of comments has thousands of citizens: the run note on posts of
    # unregistered accounts (shown in the console and in a published report) counted and
    # named them, uid by uid, as if they had posts to score.
    statuses, comments = files
    _import(world, "weibo-api", statuses)
    _import(world, "weibo-comments", comments)
    run = world.run("2025-07")
    assert not [n for n in run.notes if "6000000001" in n or "已登记账号" in n], run.notes
    stored = world.con.execute(
        "SELECT notes, methodology FROM index_runs WHERE run_id = ?", [run.run_id]
    ).fetchone()
    assert stored is not None
    assert "6000000001" not in " ".join(stored[0]) + stored[1]
    # The bureau, registered, replied in comments and published nothing: still counted.
    assert _own_replies(world, run.run_id)[BUREAU] == pytest.approx(7 / 31)


def test_a_commenter_with_posts_but_no_account_row_is_still_named(
    world: World, files: tuple[Path, Path], tmp_path: Path
) -> None:
    statuses, comments = files
    _import(world, "weibo-api", statuses)
    _import(world, "weibo-comments", comments)
    # Posts of an author the platform knows nothing else of (a Weibo-COV sample: hashed
    # uid, no profile): no account row, so the run names it.
    cov = tmp_path / "cov.csv"
    cov.write_text(
        "_id,user_id,crawl_time,created_at,like_num,repost_num,comment_num,content,"
        "origin_weibo,geo_info\n"
        "Jwm2cyhQQ,6000000001,1753000000,2025-07-10 10:00,1,0,0,路灯坏了,,\n",
        encoding="utf-8",
    )
    _import(world, "weibo-cov-csv", cov)
    run = world.run("2025-07")
    (note,) = [n for n in run.notes if "已登记账号" in n]
    assert "posts of 1 account in the store (weibo:6000000001)" in note
