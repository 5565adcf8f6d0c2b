"""Douyin importer: MediaCrawler aweme/creator rows (JSONL, CSV, JSON) and raw API awemes."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import GBK_HINT, split_ranges
from zhengwu.ingest.registry import ImportItem, get_importer
from zhengwu.platforms.douyin.importers import DouyinAwemeImporter
from zhengwu.platforms.douyin.payloads import extract_douyin_topics
from zhengwu.platforms.records import AccountRecord, PostRecord, QuarantineRecord
from zhengwu.platforms.timeparse import CHINA_TZ

from .fuzzfiles import csv_rows, write_csv

CREATED = 1700000000  # 2023-11-15 06:13:20 China time


def _row(**fields: object) -> dict[str, Any]:
    """A MediaCrawler aweme row (counts are strings, as MediaCrawler writes them)."""
    row: dict[str, Any] = {
        "aweme_id": "7300000000000000001",
        "aweme_type": "0",
        "title": "暴雨预警",
        "desc": "注意防范 #暴雨预警 #北京天气#出行提示 @北京发布 ",
        "create_time": CREATED,
        "user_id": "110000001",
        "sec_uid": "MS4wLjABAAAA",
        "nickname": "北京应急",
        "user_signature": "北京市应急管理局官方抖音号",
        "liked_count": "1.2万",
        "collected_count": "300",
        "comment_count": "45",
        "share_count": "6",
        "ip_location": "北京",
        "last_modify_ts": 1700003600000,
        "aweme_url": "https://www.douyin.com/video/7300000000000000001",
        "source_keyword": "暴雨",
    }
    row.update(fields)
    return row


def _creator(**fields: object) -> dict[str, Any]:
    row: dict[str, Any] = {
        "user_id": "110000002",
        "nickname": "平安北京",
        "gender": "未知",
        "avatar": "https://p3.douyinpic.com/a.jpeg",
        "desc": "北京市公安局官方抖音号",
        "ip_location": "北京",
        "follows": "12",
        "fans": "300.5万",
        "interaction": "9000万",
        "videos_count": "2100",
        "last_modify_ts": 1700003600000,
    }
    row.update(fields)
    return row


def _raw_aweme(aweme_id: str = "7300000000000000009", **fields: object) -> dict[str, Any]:
    aweme: dict[str, Any] = {
        "aweme_id": aweme_id,
        "aweme_type": 68,
        "desc": "汛期安全提示#防汛",
        "create_time": CREATED,
        "statistics": {
            "digg_count": 1000,
            "collect_count": 20,
            "comment_count": 30,
            "share_count": 40,
            "play_count": 0,
        },
        "author": {
            "uid": "110000003",
            "sec_uid": "MS4wLjABAAAB",
            "nickname": "某某市发布",
            "custom_verify": "",
            "enterprise_verify_reason": "某某市人民政府新闻办公室",
            "follower_count": 50000,
        },
        "ip_label": "广东",
    }
    aweme.update(fields)
    return aweme


def _write(path: Path, lines: Sequence[object]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    return path


def _quarantined(items: list[ImportItem]) -> list[QuarantineRecord]:
    return [i.primary for i in items if isinstance(i.primary, QuarantineRecord)]


def test_mediacrawler_aweme_row(tmp_path: Path) -> None:
    (item,) = DouyinAwemeImporter().read(_write(tmp_path / "aweme.jsonl", [_row()]))
    post = item.primary
    assert isinstance(post, PostRecord)
    assert (post.platform, post.post_id, post.account_uid) == (
        "douyin",
        "7300000000000000001",
        "110000001",
    )
    assert post.text == _row()["desc"]
    assert post.title == "暴雨预警"
    assert post.topics == ["暴雨预警", "北京天气", "出行提示"]
    assert post.mentions == ["北京发布"]
    assert (post.likes, post.favorites, post.comments, post.shares) == (12000, 300, 45, 6)
    assert post.plays is None  # MediaCrawler does not export plays
    assert post.region_name == "北京"
    assert post.url == "https://www.douyin.com/video/7300000000000000001"
    assert post.created_at == datetime(2023, 11, 15, 6, 13, 20, tzinfo=CHINA_TZ)
    assert post.observed_at == datetime(2023, 11, 15, 7, 13, 20, tzinfo=CHINA_TZ)
    (author,) = item.related
    assert isinstance(author, AccountRecord)
    assert (author.uid, author.name) == ("110000001", "北京应急")
    assert author.description == "北京市应急管理局官方抖音号"
    # No verify reason in a MediaCrawler row: not marked government by name alone.
    assert author.is_government is False


def test_play_count_column_and_sec_uid_fallback(tmp_path: Path) -> None:
    rows = [_row(play_count="8万"), _row(user_id="", nickname="", play_count=0)]
    first, second = DouyinAwemeImporter().read(_write(tmp_path / "a.jsonl", rows))
    assert isinstance(first.primary, PostRecord)
    assert first.primary.plays == 80000
    assert isinstance(second.primary, PostRecord)
    assert second.primary.account_uid == "MS4wLjABAAAA"
    assert second.primary.plays is None  # 0 = not disclosed
    assert second.related == []  # no nickname: no author record


def test_creator_row(tmp_path: Path) -> None:
    rows = [
        _creator(),
        _creator(user_id="9", nickname="某某公司", enterprise_verify_reason="某某有限公司"),
    ]
    police, company = DouyinAwemeImporter().read(_write(tmp_path / "creator.jsonl", rows))
    account = police.primary
    assert isinstance(account, AccountRecord)
    assert (account.platform, account.uid, account.name) == ("douyin", "110000002", "平安北京")
    assert (account.followers, account.friends, account.statuses) == (3005000, 12, 2100)
    assert account.description == "北京市公安局官方抖音号"
    assert account.location == "北京"
    assert account.observed_at == datetime(2023, 11, 15, 7, 13, 20, tzinfo=CHINA_TZ)
    assert account.is_government is False  # no verify reason
    assert isinstance(company.primary, AccountRecord)
    assert company.primary.verified_reason == "某某有限公司"
    assert company.primary.is_government is False  # blue V, but a company


def test_a_creator_then_its_aweme_rows_keep_the_creators_counts(tmp_path: Path) -> None:
    # MediaCrawler's creator row (fans, follows, videos_count), then a video of the same
    # account whose row names its author without counts: the account keeps the counts.
    from zhengwu.ingest.collect import Collector

    creator = _creator(user_id="110000001", nickname="北京应急")
    path = _write(tmp_path / "creator_and_awemes.jsonl", [creator, _row(), _row(aweme_id="2")])
    collector = Collector(observed_at=datetime(2023, 11, 16, tzinfo=CHINA_TZ))
    for item in DouyinAwemeImporter().read(path):
        collector.add(item)
    [account] = collector.accounts.values()
    assert (account.name, account.followers, account.friends, account.statuses) == (
        "北京应急", 3005000, 12, 2100,
    )  # fmt: skip
    assert account.description == "北京市应急管理局官方抖音号"  # the later row's signature
    assert account.location == "北京"


def test_raw_api_awemes_in_aweme_list(tmp_path: Path) -> None:
    police = _raw_aweme(
        "7300000000000000010",
        aweme_type=0,
        author={"uid": "5", "nickname": "平安北京", "custom_verify": "政务号 北京市公安局"},
        statistics={"digg_count": 1, "play_count": 999},
    )
    influencer = _raw_aweme(
        "7300000000000000011",
        author={"uid": "6", "nickname": "美食达人", "custom_verify": "美食自媒体"},
    )
    response = {"status_code": 0, "aweme_list": [_raw_aweme(), police, influencer, None]}
    path = tmp_path / "post.json"
    path.write_text(json.dumps(response, ensure_ascii=False, indent=2), "utf-8")
    items = list(DouyinAwemeImporter().read(path))
    assert len(items) == 4
    note = items[0].primary
    assert isinstance(note, PostRecord)
    assert note.url == "https://www.douyin.com/note/7300000000000000009"  # aweme_type 68
    assert (note.likes, note.favorites, note.comments, note.shares) == (1000, 20, 30, 40)
    assert note.plays is None
    assert note.topics == ["防汛"]
    assert note.region_name == "广东"
    assert note.account_uid == "110000003"
    (city,) = items[0].related
    assert isinstance(city, AccountRecord)
    assert city.followers == 50000
    assert city.is_government is True  # blue V (enterprise_verify_reason) + 人民政府
    assert isinstance(items[1].primary, PostRecord)
    assert items[1].primary.plays == 999
    assert items[1].primary.url == "https://www.douyin.com/video/7300000000000000010"
    assert [r.is_government for r in items[1].related if isinstance(r, AccountRecord)] == [True]
    assert [r.is_government for r in items[2].related if isinstance(r, AccountRecord)] == [False]
    (bad,) = _quarantined(items)
    assert bad.source == f"{path}:item 4"
    assert "not a JSON object" in bad.reason


def test_search_result_and_detail_wrappers(tmp_path: Path) -> None:
    lines = [
        {"type": 1, "aweme_info": _raw_aweme("1")},
        {"aweme_detail": _raw_aweme("2"), "status_code": 0},
    ]
    items = list(DouyinAwemeImporter().read(_write(tmp_path / "a.jsonl", lines)))
    assert [i.primary.post_id for i in items if isinstance(i.primary, PostRecord)] == ["1", "2"]


def test_csv_rows(tmp_path: Path) -> None:
    header = list(_row())
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header)
    writer.writeheader()
    writer.writerow(_row())
    writer.writerow(_row(aweme_id="2", liked_count="abc"))
    writer.writerow(_row(aweme_id="3", desc="多行\n描述 #话题"))
    data = buffer.getvalue().encode("utf-8")
    gbk = ",".join(str(v) for v in _row(aweme_id="4", desc="政务").values()).encode("gbk")
    path = tmp_path / "aweme.csv"
    path.write_bytes(b"\xef\xbb\xbf" + data + gbk + b"\r\n")
    items = list(DouyinAwemeImporter().read(path))
    assert len(items) == 4
    first = items[0].primary
    assert isinstance(first, PostRecord)
    assert first.likes == 12000
    assert first.created_at == datetime(2023, 11, 15, 6, 13, 20, tzinfo=CHINA_TZ)
    bad_count, gbk_row = _quarantined(items)
    assert bad_count.source == f"{path}:row 3"
    assert "liked_count" in bad_count.reason
    multi = items[2].primary
    assert isinstance(multi, PostRecord)
    assert multi.text == "多行\n描述 #话题"
    assert multi.topics == ["话题"]
    assert gbk_row.source == f"{path}:row 6"  # the multi-line row took rows 4-5
    assert gbk_row.reason == GBK_HINT
    assert gbk_row.raw is not None


def test_a_gbk_csv_file_is_refused_once(tmp_path: Path) -> None:
    # MediaCrawler's aweme and creator CSVs saved from Excel as GBK: refused whole, saying so.
    for name, row in (("aweme.csv", _row()), ("creator.csv", _creator())):
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
        path = tmp_path / name
        path.write_bytes(buffer.getvalue().encode("gbk"))
        with pytest.raises(InvalidInputError, match="looks like GBK") as caught:
            DouyinAwemeImporter().read(path)
        assert "iconv -f GBK -t UTF-8" in caught.value.message_en
        assert "iconv -f GBK -t UTF-8" in caught.value.message_zh


def test_csv_and_document_are_read_by_the_first_byte_range_only(tmp_path: Path) -> None:
    path = tmp_path / "aweme.json"
    path.write_text(json.dumps([_row(aweme_id=str(n)) for n in range(50)], indent=2), "utf-8")
    ranges = split_ranges(path, 3, min_bytes=1)
    counts = [len(list(DouyinAwemeImporter().read(path, byte_range=r))) for r in ranges]
    assert counts == [50, 0, 0]


def test_jsonl_byte_ranges_cover_every_line_once(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.jsonl", [_row(aweme_id=str(n)) for n in range(40)])
    ranges = split_ranges(path, 4, min_bytes=1)
    ids = [
        item.primary.post_id
        for r in ranges
        for item in DouyinAwemeImporter().read(path, byte_range=r)
        if isinstance(item.primary, PostRecord)
    ]
    assert ids == [str(n) for n in range(40)]


def test_bad_records_are_quarantined(tmp_path: Path) -> None:
    rows: list[object] = [
        _row(aweme_id=""),
        _row(create_time="昨天"),
        _row(create_time=99_999_999_999),
        _row(comment_count="-3"),
        _row(share_count="很多"),
        _row(desc={"not": "text"}),
        _raw_aweme(statistics=[1, 2]),
        _creator(fans="-1"),
        _creator(nickname=None),
        {"hello": "world"},
        "just a string",
        _row(create_time=None),
        {"comment_id": "1", "aweme_id": "7300000000000000001", "content": "评论"},
    ]
    path = _write(tmp_path / "bad.jsonl", rows)
    items = list(DouyinAwemeImporter().read(path))
    reasons = [q.reason for q in _quarantined(items)]
    assert len(items) == len(reasons) == 13
    expected = [
        "aweme_id", "create_time", "impossible", "comment_count", "share_count", "desc",
        "statistics", "fans", "nickname", "unrecognised", "not a JSON object", "create_time",
        "comment row",
    ]  # fmt: skip
    for reason, word in zip(reasons, expected, strict=True):
        assert word in reason
    assert [q.source for q in _quarantined(items)] == [f"{path}:{n}" for n in range(1, 14)]


def test_whole_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        DouyinAwemeImporter().read(tmp_path / "missing.csv")
    (tmp_path / "x.txt").write_text("aweme_id,desc\n1,x\n", "utf-8")
    with pytest.raises(InvalidInputError):
        DouyinAwemeImporter().read(tmp_path / "x.txt")
    (tmp_path / "n.json").write_text("42\n", "utf-8")
    with pytest.raises(InvalidInputError):
        DouyinAwemeImporter().read(tmp_path / "n.json")


def test_registered() -> None:
    importer = get_importer("douyin-aweme")
    assert isinstance(importer, DouyinAwemeImporter)
    assert importer.splittable is True


def test_douyin_topics() -> None:
    assert extract_douyin_topics("#话题一 #话题二#话题三，完") == ["话题一", "话题二", "话题三"]
    assert extract_douyin_topics("微博式#话题#也行 #话题") == ["话题", "也行"]
    assert extract_douyin_topics("没有话题 # 空") == []
    assert extract_douyin_topics("重复 #a #a") == ["a"]


# ---- property: malformed records never raise, one item per record

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"), max_size=12)
    | st.sampled_from(["", "-1", "1.2万", "inf", "²", "1e400", "#", "#话题", "68"])
)
# Two levels of nesting, spelled out: st.recursive's extend check can warn spuriously.
_NESTED = st.lists(_SCALARS, max_size=3) | st.dictionaries(
    st.text(max_size=6).filter(lambda k: k != "aweme_list"), _SCALARS, max_size=3
)
JSON = (
    _SCALARS
    | st.lists(_SCALARS | _NESTED, max_size=3)
    | st.dictionaries(
        st.text(max_size=6).filter(lambda k: k != "aweme_list"), _SCALARS | _NESTED, max_size=3
    )
)
AWEME_KEYS = [
    "aweme_id", "aweme_type", "desc", "title", "create_time", "user_id", "sec_uid", "nickname",
    "liked_count", "collected_count", "comment_count", "share_count", "play_count",
    "ip_location", "last_modify_ts", "aweme_url", "statistics", "author", "ip_label",
    "statistics.digg_count", "statistics.play_count", "author.uid", "author.nickname",
    "author.custom_verify", "author.enterprise_verify_reason", "author.follower_count",
    "aweme_info", "aweme_detail",
]  # fmt: skip
CREATOR_KEYS = ["user_id", "nickname", "desc", "ip_location", "follows", "fans", "videos_count"]


def mutated(base: dict[str, Any], keys: list[str]) -> st.SearchStrategy[dict[str, object]]:
    """Records like ``base`` with some fields (dotted paths) replaced or removed."""

    def apply(changes: dict[str, Any]) -> dict[str, object]:
        record: dict[str, object] = json.loads(json.dumps(base))
        for path, value in changes.items():
            *parents, leaf = path.split(".")
            target: object = record
            for parent in parents:
                target = target.get(parent) if isinstance(target, dict) else None
            if isinstance(target, dict):
                if value is None:
                    target.pop(leaf, None)
                else:
                    target[leaf] = value
        return record

    return st.dictionaries(st.sampled_from(keys), JSON, max_size=4).map(apply)


RECORDS = (
    mutated(_row(), AWEME_KEYS)
    | mutated(_raw_aweme(), AWEME_KEYS)
    | mutated(_creator(), CREATOR_KEYS)
    | JSON
)


def _check(items: list[ImportItem], expected: int, path: Path) -> None:
    assert len(items) == expected
    for item in items:
        if isinstance(item.primary, QuarantineRecord):
            assert item.primary.source.startswith(f"{path}:")
            assert item.primary.reason
        else:
            assert isinstance(item.primary, PostRecord | AccountRecord)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        RECORDS.map(orjson.dumps) | st.sampled_from([b"{", b'{"aweme_id": ', "抖音".encode("gbk")]),
        min_size=1,
        max_size=8,
    )
)
def test_jsonl_never_raises_on_malformed_records(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        _check(list(DouyinAwemeImporter().read(path)), len(lines), path)


CSV_CELL = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10) | (
    st.sampled_from(["", "-1", "1.2万", "abc", "1700000000", "昨天", "99999999999999"])
)
CSV_HEADER = ["aweme_id", "desc", "create_time", "user_id", "nickname", "liked_count", "fans"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_rows(CSV_CELL, len(CSV_HEADER)))
def test_csv_never_raises_on_malformed_rows(rows: list[tuple[list[str], bool]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.csv"
        expected = write_csv(path, CSV_HEADER, rows, "政")
        if expected is None:  # GBK rows in a file of no other text: GBK as a whole
            with pytest.raises(InvalidInputError, match="GBK"):
                DouyinAwemeImporter().read(path)
            return
        _check(list(DouyinAwemeImporter().read(path)), expected, path)
