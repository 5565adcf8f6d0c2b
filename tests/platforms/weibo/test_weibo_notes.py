"""weibo-notes: MediaCrawler Weibo note and creator rows, both schemas, JSON Lines and CSV."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account
from zhengwu.content import store
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.pipeline import run_import
from zhengwu.ingest.registry import ImportItem, get_importer
from zhengwu.platforms.records import AccountRecord, PostRecord, QuarantineRecord
from zhengwu.platforms.timeparse import CHINA_TZ

NOTE = {  # schema of MediaCrawler 0282e62; counts are strings
    "note_id": "5000000000000001", "content": "#郑州暴雨# 请勿涉水 @郑州发布",
    "create_time": "1700000000", "create_date_time": "2023-11-15 06:13:20",
    "liked_count": "1.2万", "comments_count": "3", "shared_count": "100万+",
    "last_modify_ts": 1700000100000, "note_url": "https://m.weibo.cn/detail/5000000000000001",
    "ip_location": "发布于 河南", "user_id": "1234567890", "nickname": "平安郑州", "gender": "m",
    "profile_url": "https://m.weibo.cn/u/1234567890", "avatar": "https://x/a.jpg",
    "source_keyword": "暴雨",
}  # fmt: skip
TEACHING = {  # the anonymised 教学版 (9f4f8bf): creator_hash, masked nickname
    "note_id": "5000000000000002", "content": "<a href='/n/x'>@某人</a> 转发<br/>好",
    "create_time": 1700003600, "create_date_time": "2023-11-15 07:13:20", "liked_count": "0",
    "comments_count": "0", "shared_count": "0", "last_modify_ts": 1700003700000,
    "note_url": "https://m.weibo.cn/detail/5000000000000002", "creator_hash": "9f86d081884c7d65",
    "nickname": "平***州", "source_keyword": "暴雨",
}  # fmt: skip
CREATOR = {
    "user_id": "1234567890", "nickname": "平安郑州", "gender": "m", "avatar": "a",
    "desc": "郑州市公安局官方微博", "ip_location": "河南", "follows": "300", "fans": "100万+",
    "tag_list": "{}", "last_modify_ts": 1700000200000,
}  # fmt: skip
COMMENT = {"comment_id": "1", "note_id": "5000000000000001", "content": "好", "user_id": "2",
           "create_time": 1700000000}  # fmt: skip


def _read(path: Path) -> list[ImportItem]:
    return list(get_importer("weibo-notes").read(path))


def test_notes_of_both_schemas_creators_and_a_comment(tmp_path: Path) -> None:
    path = tmp_path / "search_contents_2023-11-15.jsonl"
    rows = [NOTE, TEACHING, CREATOR, COMMENT, {"note_id": "9", "user_id": "1"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    note, teaching, creator, comment, no_time = _read(path)
    post = note.primary
    assert isinstance(post, PostRecord)
    assert (post.post_id, post.account_uid, post.text) == (
        "5000000000000001", "1234567890", "#郑州暴雨# 请勿涉水 @郑州发布",
    )  # fmt: skip
    assert post.created_at == datetime(2023, 11, 15, 6, 13, 20, tzinfo=CHINA_TZ)
    assert (post.likes, post.comments, post.reposts) == (12_000, 3, 1_000_000)
    assert (post.topics, post.mentions) == (["郑州暴雨"], ["郑州发布"])
    assert post.region_name == "河南" and post.url == NOTE["note_url"]
    assert post.observed_at == datetime(2023, 11, 15, 6, 15, tzinfo=CHINA_TZ)
    (author,) = note.related
    assert isinstance(author, AccountRecord)
    assert (author.uid, author.name, author.verified_type) == ("1234567890", "平安郑州", None)
    # 教学版: kept under the hash, HTML read as text, no account from a masked nickname.
    anonymous = teaching.primary
    assert isinstance(anonymous, PostRecord)
    assert anonymous.account_uid == "9f86d081884c7d65" and teaching.related == []
    assert anonymous.text == "@某人 转发\n好" and anonymous.mentions == ["某人"]
    account = creator.primary
    assert isinstance(account, AccountRecord)
    assert (account.followers, account.friends, account.description) == (
        1_000_000, 300, "郑州市公安局官方微博",
    )  # fmt: skip
    refused = comment.primary
    assert isinstance(refused, QuarantineRecord) and "weibo-comments" in refused.reason
    missing = no_time.primary
    assert isinstance(missing, QuarantineRecord) and "create_time" in missing.reason


def test_csv_with_bom_as_mediacrawler_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "search_contents.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(NOTE))
        writer.writeheader()
        writer.writerow({**NOTE, "content": "第一行\n第二行 #防汛#"})
    (item,) = _read(path)
    assert isinstance(item.primary, PostRecord)
    assert item.primary.text == "第一行\n第二行 #防汛#" and item.primary.topics == ["防汛"]
    assert item.primary.likes == 12_000


def test_a_gbk_csv_is_refused_once(tmp_path: Path) -> None:
    path = tmp_path / "search_contents.csv"
    with path.open("w", encoding="gbk", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(NOTE))
        writer.writeheader()
        writer.writerow(NOTE)
    with pytest.raises(InvalidInputError, match="looks like GBK"):
        _read(path)


def test_imported_counted_and_idempotent(tmp_path: Path, session: Session) -> None:
    # MediaCrawler writes notes and creators to files of their own.
    notes, creators = tmp_path / "search_contents.jsonl", tmp_path / "creators.jsonl"
    rows = [NOTE, TEACHING, COMMENT, NOTE]
    notes.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    creators.write_text(json.dumps(CREATOR, ensure_ascii=False) + "\n", "utf-8")
    with store.open_store() as con:
        first = run_import("weibo-notes", [notes, creators], session=session, analytics=con)
        again = run_import("weibo-notes", [notes, creators], session=session, analytics=con)
        stored = con.execute("SELECT post_id, likes FROM posts ORDER BY post_id").fetchall()
    # The creator row updates the account its notes made (followers, follows, description).
    assert (first.read, first.imported, first.updated) == (5, 2, 1)
    assert (first.duplicates, first.quarantined) == (1, 1)
    assert (again.imported, again.updated, again.duplicates, again.quarantined) == (0, 0, 4, 1)
    assert stored == [("5000000000000001", 12_000), ("5000000000000002", 0)]
    account = session.scalar(select(Account).where(Account.uid == "1234567890"))
    assert account is not None
    assert (account.name, account.followers, account.friends) == ("平安郑州", 1_000_000, 300)


def test_a_later_note_row_does_not_erase_what_the_creator_row_knew(
    tmp_path: Path, session: Session
) -> None:
    # One MediaCrawler JSON Lines file with the creator row first, then a note of the same
    # account (user_id + nickname, no fans): the account keeps its followers, follows and
    # description, and the note's later time; the snapshot keeps the creator's counts.
    path = tmp_path / "weibo_2023-11-15.jsonl"
    rows = [CREATOR, {**NOTE, "last_modify_ts": 1700000900000}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    with store.open_store() as con:
        summary = run_import("weibo-notes", [path], session=session, analytics=con)
        snapshots = con.execute(
            "SELECT uid, followers, friends FROM account_snapshots WHERE platform = 'weibo'"
        ).fetchall()
    assert (summary.read, summary.quarantined) == (2, 0)
    account = session.scalar(select(Account).where(Account.uid == "1234567890"))
    assert account is not None
    assert (account.name, account.followers, account.friends, account.description) == (
        "平安郑州", 1_000_000, 300, "郑州市公安局官方微博",
    )  # fmt: skip
    assert snapshots == [("1234567890", 1_000_000, 300)]
