"""``weibo-comments``: MediaCrawler Weibo comment rows as JSON Lines, JSON array and CSV."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import GBK_HINT, split_ranges
from zhengwu.ingest.registry import ImportItem, formats, get_importer
from zhengwu.platforms.records import CommentRecord, QuarantineRecord
from zhengwu.platforms.timeparse import CHINA_TZ
from zhengwu.platforms.weibo.comments import WeiboCommentsImporter

from ..fuzzfiles import csv_rows, write_csv

CREATED = 1751335200  # 2025-07-01 10:00:00 China time
COLUMNS = [
    "comment_id", "create_time", "create_date_time", "note_id", "content", "sub_comment_count",
    "comment_like_count", "last_modify_ts", "ip_location", "parent_comment_id", "user_id",
    "nickname", "gender", "profile_url", "avatar",
]  # fmt: skip
PERSONAL = ("nickname", "gender", "profile_url", "avatar", "ip_location")


def _row(**fields: object) -> dict[str, Any]:
    """A MediaCrawler Weibo comment row (counts are strings, as MediaCrawler writes them)."""
    row: dict[str, Any] = {
        "comment_id": "5150000000000001",
        "create_time": CREATED,
        "create_date_time": "2025-07-01 10:00:00",
        "note_id": "5149000000000001",
        "content": "回复<a href='https://m.weibo.cn/n/网友甲'>@网友甲</a>:已转交属地派出所处理",
        "sub_comment_count": "0",
        "comment_like_count": "1.2万",
        "last_modify_ts": 1751421600000,
        "ip_location": "北京",
        "parent_comment_id": "5150000000000000",
        "user_id": "1288915263",
        "nickname": "平安北京",
        "gender": "m",
        "profile_url": "https://m.weibo.cn/u/1288915263",
        "avatar": "https://tvax1.sinaimg.cn/crop.0.0.180.180.180/a.jpg",
    }
    row.update(fields)
    return row


def _jsonl(path: Path, lines: list[object]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    return path


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _read(path: Path) -> list[ImportItem]:
    return list(WeiboCommentsImporter().read(path))


def _comments(items: list[ImportItem]) -> list[CommentRecord]:
    return [i.primary for i in items if isinstance(i.primary, CommentRecord)]


def _quarantined(items: list[ImportItem]) -> list[QuarantineRecord]:
    return [i.primary for i in items if isinstance(i.primary, QuarantineRecord)]


def test_jsonl_row_becomes_a_comment_without_personal_data(tmp_path: Path) -> None:
    (item,) = _read(_jsonl(tmp_path / "comments.jsonl", [_row()]))
    comment = item.primary
    assert isinstance(comment, CommentRecord)
    assert item.related == []  # commenters do not become accounts
    assert (comment.platform, comment.comment_id, comment.note_id) == (
        "weibo",
        "5150000000000001",
        "5149000000000001",
    )
    assert comment.account_uid == "1288915263"
    assert comment.content == "回复@网友甲:已转交属地派出所处理"  # HTML link to plain text
    assert comment.parent_comment_id == "5150000000000000"
    assert (comment.likes, comment.sub_comments) == (12000, 0)
    assert comment.created_at == datetime(2025, 7, 1, 10, 0, tzinfo=CHINA_TZ)
    assert comment.observed_at == datetime(2025, 7, 2, 10, 0, tzinfo=CHINA_TZ)
    encoded = msgspec.json.encode(comment)
    assert not set(PERSONAL) & set(orjson.loads(encoded))
    for value in ("平安北京", "tvax1.sinaimg.cn", "m.weibo.cn/u/"):
        assert value.encode() not in encoded


def test_string_times_and_counts_and_root_comments(tmp_path: Path) -> None:
    rows = [
        _row(comment_id="1", create_time=str(CREATED), comment_like_count="37",
             sub_comment_count="1,204", parent_comment_id="1"),
        _row(comment_id="2", create_time="", create_date_time="2025-07-01 09:30:00",
             parent_comment_id="", comment_like_count=5, sub_comment_count=None),
        _row(comment_id="3", create_time=CREATED * 1000, last_modify_ts="", parent_comment_id="0"),
    ]  # fmt: skip
    first, second, third = _comments(_read(_jsonl(tmp_path / "c.jsonl", rows)))
    assert first.created_at == datetime(2025, 7, 1, 10, 0, tzinfo=CHINA_TZ)
    assert (first.likes, first.sub_comments) == (37, 1204)
    assert first.parent_comment_id is None  # Weibo's rootid of a top-level comment is itself
    assert second.created_at == datetime(2025, 7, 1, 9, 30, tzinfo=CHINA_TZ)
    assert (second.likes, second.sub_comments, second.parent_comment_id) == (5, None, None)
    assert third.created_at == first.created_at  # milliseconds read as such
    assert third.observed_at is None  # the import's own time is used
    assert third.parent_comment_id is None


def test_json_array_document(tmp_path: Path) -> None:
    path = tmp_path / "comments.json"
    rows = [_row(comment_id=str(n)) for n in range(1, 4)] + [["not", "a", "row"]]
    text = json.dumps(rows, ensure_ascii=False, indent=2)
    path.write_text(text, "utf-8")
    items = _read(path)
    assert [c.comment_id for c in _comments(items)] == ["1", "2", "3"]
    (bad,) = _quarantined(items)
    line = text.splitlines().index("  [") + 1  # where the fourth element opens
    assert bad.source == f"{path}:{line} (item 4)"
    assert "not a JSON object" in bad.reason


def test_csv_with_bom_string_counts_multiline_text_and_a_gbk_row(tmp_path: Path) -> None:
    body = _csv([
        _row(comment_id="1", create_time=str(CREATED)),
        _row(comment_id="2", comment_like_count="很多"),
        _row(comment_id="3", content="第一行\n第二行"),
    ])  # fmt: skip
    gbk = ",".join(str(v) for v in _row(comment_id="4", content="政务").values()).encode("gbk")
    path = tmp_path / "comments.csv"
    path.write_bytes(b"\xef\xbb\xbf" + body + gbk + b"\r\n")
    items = _read(path)
    assert len(items) == 4
    first, multi = _comments(items)
    assert (first.comment_id, first.likes) == ("1", 12000)
    assert first.created_at == datetime(2025, 7, 1, 10, 0, tzinfo=CHINA_TZ)
    assert multi.content == "第一行\n第二行"
    bad_count, gbk_row = _quarantined(items)
    assert bad_count.source == f"{path}:row 3"
    assert "comment_like_count" in bad_count.reason
    assert gbk_row.source == f"{path}:row 6"  # the two-line row took rows 4-5
    assert gbk_row.reason == GBK_HINT


def test_a_gbk_csv_file_is_refused_once_saying_how_to_convert(tmp_path: Path) -> None:
    # MediaCrawler's CSV opened in Excel and saved as "CSV" on Chinese Windows: GBK
    # throughout, its header ASCII. Refused whole, not quarantined row by row.
    path = tmp_path / "comments.csv"
    rows = [_row(comment_id="1"), _row(comment_id="2", content="路灯已修好，谢谢")]
    path.write_bytes(_csv(rows).decode("utf-8").encode("gbk"))
    with pytest.raises(InvalidInputError, match="looks like GBK") as caught:
        _read(path)
    assert "不是 UTF-8" in caught.value.message_zh and "GBK" in caught.value.message_zh
    assert "iconv -f GBK -t UTF-8" in caught.value.message_zh
    assert "iconv -f GBK -t UTF-8" in caught.value.message_en
    # Converted as the message says, the same file imports.
    path.write_bytes(path.read_bytes().decode("gbk").encode("utf-8"))
    assert len(_comments(_read(path))) == 2


def test_a_gbk_jsonl_file_is_quarantined_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.jsonl"
    lines = [json.dumps(_row(comment_id=str(n)), ensure_ascii=False) for n in range(1, 3)]
    path.write_bytes("\n".join(lines).encode("gbk") + b"\n")
    items = _read(path)
    assert [q.reason for q in _quarantined(items)] == [GBK_HINT, GBK_HINT]
    assert [q.source for q in _quarantined(items)] == [f"{path}:1", f"{path}:2"]


def test_bad_rows_are_quarantined_with_reason_and_line(tmp_path: Path) -> None:
    rows: list[object] = [
        _row(comment_id=""),
        _row(note_id=None),
        _row(user_id="None"),  # MediaCrawler writes str(None) for a missing author id
        {k: v for k, v in _row().items() if k != "user_id"} | {"creator_hash": "ab12"},
        _row(create_time="昨天下午"),
        _row(create_time=99_999_999_999_999),
        _row(create_time=-5),
        _row(create_time=None, create_date_time=None),
        _row(comment_like_count="-3"),
        _row(sub_comment_count="abc"),
        _row(content={"not": "text"}),
        {"note_id": "1", "liked_count": "3", "note_url": "https://m.weibo.cn/detail/1"},
        {"comment_id": "9", "aweme_id": "73", "user_id": "1", "create_time": CREATED},
        {"user_id": "1", "fans": "10万"},
        "just a string",
    ]
    path = _jsonl(tmp_path / "bad.jsonl", rows)
    path.write_bytes(path.read_bytes() + b'{"comment_id": "1", broken\n')
    items = _read(path)
    reasons = [q.reason for q in _quarantined(items)]
    assert len(items) == len(reasons) == 16
    expected = [
        "comment_id", "note_id", "user_id", "anonymised", "create_time", "impossible",
        "impossible", "missing create_time", "comment_like_count", "sub_comment_count",
        "content", "note row", "Douyin", "creator row", "not a JSON object", "invalid JSON",
    ]  # fmt: skip
    for reason, word in zip(reasons, expected, strict=True):
        assert word in reason
        assert " / " in reason  # 中文 / English
    assert [q.source for q in _quarantined(items)] == [f"{path}:{n}" for n in range(1, 17)]
    # The quarantine keeps the row for diagnosis, but not the commenter's personal data.
    assert all("平安北京" not in (q.raw or "") for q in _quarantined(items))
    assert '"user_id":"None"' in (_quarantined(items)[2].raw or "")


def test_jsonl_byte_ranges_read_every_line_once(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "c.jsonl", [_row(comment_id=str(n)) for n in range(1, 41)])
    ranges = split_ranges(path, 4, min_bytes=1)
    assert len(ranges) > 1
    ids = [
        item.primary.comment_id
        for r in ranges
        for item in WeiboCommentsImporter().read(path, byte_range=r)
        if isinstance(item.primary, CommentRecord)
    ]
    assert ids == [str(n) for n in range(1, 41)]


def test_whole_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="file not found"):
        WeiboCommentsImporter().read(tmp_path / "missing.jsonl")
    (tmp_path / "x.txt").write_text("comment_id,note_id\n1,2\n", "utf-8")
    with pytest.raises(InvalidInputError, match="not a JSON"):
        WeiboCommentsImporter().read(tmp_path / "x.txt")


def test_registered_as_a_format() -> None:
    assert isinstance(get_importer("weibo-comments"), WeiboCommentsImporter)
    assert "Weibo comments" in formats()["weibo-comments"]


# ---- property: malformed rows never raise, one item per row, every quarantine located

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"), max_size=12)
    | st.sampled_from(["", "-1", "1.2万", "inf", "²", "1e400", "None", "0", "昨天", "回复@"])
)
_NESTED = st.lists(_SCALARS, max_size=3) | st.dictionaries(
    st.text(max_size=6), _SCALARS, max_size=3
)
JSON = (
    _SCALARS
    | st.lists(_SCALARS | _NESTED, max_size=3)
    | st.dictionaries(st.text(max_size=6), _SCALARS | _NESTED, max_size=3)
)


def _mutated(changes: dict[str, Any]) -> dict[str, object]:
    row: dict[str, object] = _row()
    for key, value in changes.items():
        if value is None:
            row.pop(key, None)
        else:
            row[key] = value
    return row


ROWS = st.dictionaries(st.sampled_from(COLUMNS), JSON, max_size=4).map(_mutated) | JSON


def _check(items: list[ImportItem], expected: int, path: Path) -> None:
    assert len(items) == expected
    for item in items:
        if isinstance(item.primary, QuarantineRecord):
            assert item.primary.source.startswith(f"{path}:")
            assert item.primary.reason
        else:
            comment = item.primary
            assert isinstance(comment, CommentRecord)
            assert comment.comment_id and comment.note_id and comment.account_uid
            assert 2000 <= comment.created_at.year <= 2100
            assert all(n is None or n >= 0 for n in (comment.likes, comment.sub_comments))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        ROWS.map(orjson.dumps)
        | st.sampled_from([b"{", b'{"comment_id": ', "网友评论".encode("gbk")]),
        min_size=1,
        max_size=8,
    )
)
def test_jsonl_never_raises_on_malformed_rows(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        _check(list(WeiboCommentsImporter().read(path)), len(lines), path)


CSV_CELL = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10) | (
    st.sampled_from(["", "-1", "1.2万", "abc", str(CREATED), "2025-07-01 10:00:00", "None"])
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_rows(CSV_CELL, len(COLUMNS)))
# A GBK row whose quoted cell's last line (",刷") is UTF-8 too: read, not refused.
@example([(["", "\n", "刷"], True)])
def test_csv_never_raises_on_malformed_rows(rows: list[tuple[list[str], bool]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.csv"
        expected = write_csv(path, COLUMNS, rows, "评")
        if expected is None:  # GBK rows in a file of no other text: GBK as a whole
            with pytest.raises(InvalidInputError, match="GBK"):
                WeiboCommentsImporter().read(path)
            return
        _check(list(WeiboCommentsImporter().read(path)), expected, path)
