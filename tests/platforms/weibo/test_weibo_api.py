"""weibo-api: open API v2 statuses and users in every layout, quirks and bad records."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import msgspec
import orjson
import pytest

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import GBK_HINT, RAW_CHARS, split_ranges
from zhengwu.ingest.registry import ImportItem, formats, get_importer
from zhengwu.platforms.records import AccountRecord, PostRecord, QuarantineRecord
from zhengwu.platforms.timeparse import CHINA_TZ
from zhengwu.platforms.weibo.importers import WeiboApiImporter

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
WEIBO_FORMATS = {
    "weibo-api",
    "weibo-mblog",
    "weibo-crawler-csv",
    "weibo-search-csv",
    "weibospider-csv",
    "weibo-cov-csv",
}


def _read(path: Path, **kwargs: object) -> list[ImportItem]:
    return list(WeiboApiImporter().read(path, **kwargs))  # type: ignore[arg-type]


def _write(path: Path, lines: list[object]) -> Path:
    """Write JSON Lines; bytes are written as they are (broken lines)."""
    raw = [line if isinstance(line, bytes) else orjson.dumps(line) for line in lines]
    path.write_bytes(b"\n".join(raw) + b"\n")
    return path


def _timeline() -> list[dict[str, object]]:
    doc = orjson.loads((FIXTURES / "api_timeline.json").read_bytes())
    return list(doc["statuses"])


def _post(item: ImportItem) -> PostRecord:
    assert isinstance(item.primary, PostRecord), item.primary
    return item.primary


def _quarantine(item: ImportItem) -> QuarantineRecord:
    assert isinstance(item.primary, QuarantineRecord), item.primary
    return item.primary


def _status(**overrides: object) -> dict[str, object]:
    status: dict[str, object] = {
        "created_at": "Sun Jul 30 09:12:40 +0800 2023",
        "id": 4929003466384131,
        "idstr": "4929003466384131",
        "text": "#北京暴雨# 请注意安全 @北京发布",
        "user": {"id": 1288915263, "idstr": "1288915263", "screen_name": "平安北京"},
        "reposts_count": 1,
        "comments_count": 2,
        "attitudes_count": 3,
    }
    status.update(overrides)
    return status


# --- registry -----------------------------------------------------------------------


def test_every_weibo_format_is_registered() -> None:
    assert set(formats()) >= WEIBO_FORMATS
    importer = get_importer("weibo-api")
    assert isinstance(importer, WeiboApiImporter)
    assert importer.splittable is True
    assert importer.name == "weibo-api"


# --- the timeline document ----------------------------------------------------------


def test_timeline_wrapper_yields_one_item_per_status() -> None:
    items = _read(FIXTURES / "api_timeline.json")
    assert [_post(i).post_id for i in items] == [
        "4484462617545831",
        "4929003466384131",
        "3633461645036044",
        "4091509081366576",
    ]


def test_media_status_and_its_author() -> None:
    item = _read(FIXTURES / "api_timeline.json")[0]
    post = _post(item)
    assert post.platform == "weibo"
    assert post.account_uid == "2656274875"
    assert post.created_at == datetime(2020, 3, 19, 20, 3, 12, tzinfo=CHINA_TZ)
    assert post.text.startswith("【#全国新增确诊病例#】")
    assert post.topics == ["全国新增确诊病例"]
    assert post.mentions == ["国家卫健委"]
    assert (post.reposts, post.comments, post.likes, post.reads) == (1273, 3301, 20476, None)
    assert post.source == "iPhone客户端"
    assert not post.is_repost
    assert post.root_post_id is None
    [author] = item.related
    assert isinstance(author, AccountRecord)
    assert (author.uid, author.name, author.verified_type) == ("2656274875", "央视新闻", 3)
    assert author.is_government is False  # media (3), not government
    assert author.adcode == "110000"  # province "11", city "1000" = no city
    assert author.location == "北京"
    assert (author.followers, author.friends, author.statuses) == (107349282, 1853, 110723)
    assert author.created_at == datetime(2012, 2, 10, 17, 55, 37, tzinfo=CHINA_TZ)
    assert author.verified_reason == "中央广播电视总台央视新闻官方微博"


def test_repost_carries_root_and_root_author() -> None:
    item = _read(FIXTURES / "api_timeline.json")[1]
    post = _post(item)
    assert post.is_repost
    assert post.root_post_id == "4929002890287147"
    assert not post.root_deleted
    assert post.mentions == ["北京发布"]
    author, root, root_author = item.related
    assert isinstance(author, AccountRecord)
    assert author.name == "平安北京"
    assert author.is_government
    assert author.adcode == "110000"
    assert isinstance(root, PostRecord)
    assert (root.post_id, root.account_uid, root.topics) == (
        "4929002890287147",
        "2418542712",
        ["北京暴雨"],
    )
    assert (root.reposts, root.comments, root.likes) == (5321, 2877, 40210)
    assert isinstance(root_author, AccountRecord)
    assert root_author.name == "北京发布"
    assert root_author.is_government


def test_deleted_root_is_flagged_and_not_imported() -> None:
    item = _read(FIXTURES / "api_timeline.json")[2]
    post = _post(item)
    assert post.is_repost
    assert post.root_deleted
    assert post.root_post_id == "3633455433187497"
    [author] = item.related  # no root post, no root author
    assert isinstance(author, AccountRecord)
    assert author.name == "天气通"
    assert author.verified_type == 7
    assert author.is_government is False  # 防汛办 is only in the description
    assert author.adcode == "110108"  # 北京 海淀区


def test_truncated_long_text_is_kept_as_is() -> None:
    post = _post(_read(FIXTURES / "api_timeline.json")[3])
    assert post.text.endswith("…全文： http://m.weibo.cn/2656274875/4091509081366576")


# A long post (长微博) as the API gives it: the text cut at ~140 characters with "…全文",
# the full text in longText.longTextContent (statuses with isGetLongText=1).
_CUT = (
    "【暴雨预警】今夜北京有大暴雨，请减少外出…全文： http://m.weibo.cn/1288915263/4929003466384131"
)
_FULL = "【暴雨预警】今夜北京有大暴雨，请减少外出，远离河道。#北京暴雨# 请转告 @北京发布 @平安北京"


def test_long_post_is_read_with_its_full_text(tmp_path: Path) -> None:
    full_html = (
        "【暴雨预警】今夜北京有大暴雨，请减少外出，远离河道。<br />"
        '<a href="https://m.weibo.cn/search?containerid=231522type%3D1%26q%3D%23北京暴雨%23">'
        '#北京暴雨#</a> 请转告 <a href="/n/北京发布">@北京发布</a> <a href="/n/平安北京">@平安北京</a>'
    )
    root = _status(
        id=4929003466384000, idstr="4929003466384000", text=_CUT, isLongText=True,
        longText={"longTextContent": _FULL, "url_objects": []},
        user={"id": 2418542712, "idstr": "2418542712", "screen_name": "北京发布"},
    )  # fmt: skip
    path = _write(
        tmp_path / "long.jsonl",
        [
            _status(text=_CUT, isLongText=True, longText={"longTextContent": _FULL}),
            # A crawler's merged m.weibo.cn statuses/extend (HTML) and weibo.com ajax (plain).
            _status(idstr="2", text=_CUT, isLongText=True, longTextContent=full_html),
            _status(idstr="3", text_raw=_CUT, longTextContent="x", longTextContent_raw=_FULL),
            _status(idstr="4", text="转发", retweeted_status=root),
            # No full text after all: the cut text is what there is.
            _status(idstr="5", text=_CUT, isLongText=True, longText={"longTextContent": ""}),
        ],
    )
    items = _read(path)
    for item in items[:3]:
        post = _post(item)
        assert post.text.replace("\n", "") == _FULL, post.post_id
        assert post.topics == ["北京暴雨"]
        assert post.mentions == ["北京发布", "平安北京"]
    [repost_root] = [r for r in items[3].related if isinstance(r, PostRecord)]
    assert (repost_root.text, repost_root.topics) == (_FULL, ["北京暴雨"])
    assert _post(items[4]).text == _CUT


def test_long_text_of_another_shape_is_quarantined_with_its_path(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", [_status(longText="全文")])
    [item] = _read(path)
    assert "$.longText" in _quarantine(item).reason


def test_old_sample_uses_id_not_mid() -> None:
    [item] = _read(FIXTURES / "api_old_sample.json")
    post = _post(item)
    assert post.post_id == "11488058246"  # mid "5612814510546515491" differs
    assert post.likes is None  # no attitudes_count in 2011
    assert (post.reposts, post.comments) == (8, 9)
    assert post.source == "新浪微博"
    [author] = item.related
    assert isinstance(author, AccountRecord)
    assert author.uid == "1404376560"  # no idstr: str(id)
    assert author.verified_reason is None  # "" means none
    assert author.adcode == "110105"  # 北京 朝阳区
    assert author.is_government is False


def test_users_wrapper_yields_accounts() -> None:
    items = _read(FIXTURES / "api_users.json")
    accounts = [i.primary for i in items]
    assert all(isinstance(a, AccountRecord) for a in accounts)
    gd, cctv = accounts
    assert isinstance(gd, AccountRecord)
    assert isinstance(cctv, AccountRecord)
    assert (gd.uid, gd.name, gd.verified_type, gd.is_government) == (
        "2176235777",
        "广东政法",
        1,
        True,
    )
    assert gd.adcode == "440100"
    assert gd.verified_reason == "广东省政法委、省平安办、省综治办、省维稳办官方微博"
    assert gd.created_at == datetime(2011, 6, 13, 9, 37, 44, tzinfo=CHINA_TZ)
    assert (gd.followers, gd.friends, gd.statuses) == (2081231, 623, 34589)
    assert cctv.is_government is False
    assert all(not i.related for i in items)


# --- JSON Lines ---------------------------------------------------------------------


def test_jsonl_gives_the_same_records_as_the_document(tmp_path: Path) -> None:
    path = _write(tmp_path / "timeline.jsonl", [*_timeline()])
    from_lines = [msgspec.json.encode(i.primary) for i in _read(path)]
    from_doc = [msgspec.json.encode(i.primary) for i in _read(FIXTURES / "api_timeline.json")]
    assert from_lines == from_doc
    related = [len(i.related) for i in _read(path)]
    assert related == [1, 3, 1, 1]


def test_jsonl_mixes_statuses_users_lists_and_wrappers(tmp_path: Path) -> None:
    users = orjson.loads((FIXTURES / "api_users.json").read_bytes())
    statuses = _timeline()
    path = _write(
        tmp_path / "mixed.jsonl",
        [
            statuses[0],
            users["users"][0],
            [statuses[1], statuses[2]],
            {"statuses": [statuses[3]], "total_number": 1},
            {"users": users["users"], "next_cursor": 0},
        ],
    )
    items = _read(path)
    kinds = [type(i.primary).__name__ for i in items]
    assert (
        kinds
        == ["PostRecord", "AccountRecord", "PostRecord", "PostRecord", "PostRecord"]
        + ["AccountRecord"] * 2
    )


def test_a_user_without_a_screen_name_is_kept_with_its_counts(tmp_path: Path) -> None:
    """A blank or missing screen_name is an unknown name, not a reason to drop the user:
    its followers and verified_type still count (the upsert keeps a stored name)."""
    blank = {"idstr": "71", "screen_name": "", "followers_count": 5, "verified_type": 1}
    missing = {"id": 72, "followers_count": 6, "created_at": "Mon Jun 13 09:37:44 +0800 2011"}
    spaces = {"idstr": "73", "screen_name": "  ", "name": "备用名", "followers_count": 7}
    path = _write(
        tmp_path / "nameless.jsonl",
        [blank, missing, {"users": [blank, missing]}, _status(user=missing), spaces],
    )
    items = _read(path)
    accounts = [i.primary for i in items[:4]] + [items[4].related[0], items[5].primary]
    assert all(isinstance(a, AccountRecord) for a in accounts), accounts
    got = [(a.uid, a.name, a.followers) for a in accounts if isinstance(a, AccountRecord)]
    twice = [("71", "", 5), ("72", "", 6)]
    assert got == [*twice, *twice, ("72", "", 6), ("73", "备用名", 7)]
    assert isinstance(accounts[0], AccountRecord) and accounts[0].is_government is True
    assert _post(items[4]).account_uid == "72"
    doc = tmp_path / "bare.json"
    doc.write_bytes(orjson.dumps(missing, option=orjson.OPT_INDENT_2))
    [bare] = _read(doc)
    assert isinstance(bare.primary, AccountRecord) and bare.primary.followers == 6


def test_a_long_text_response_is_quarantined_with_how_to_import_it(tmp_path: Path) -> None:
    """The separate long-text responses carry no status id (m.weibo.cn statuses/extend,
    weibo.com ajax/statuses/longtext): not a status, said so with how to import it."""
    extend = {"ok": 1, "data": {"ok": 1, "longTextContent": "全文", "reposts_count": 0}}
    ajax = {"ok": 1, "data": {"longTextContent": "<p>全文</p>", "longTextContent_raw": "全文"}}
    bare = {"longTextContent": "全文"}
    with_id = {"idstr": "5", "longTextContent": "全文"}
    for first in (_status(), bare):  # first in its file too: read, not refused
        path = _write(tmp_path / "longtext.jsonl", [first, extend, ajax, bare, with_id])
        items = _read(path)
        reasons = [_quarantine(i).reason for i in items[1:]]
        assert len(reasons) == 4
        for reason in reasons:
            assert "长微博全文响应" in reason and "不是微博" in reason
            assert "a long-text response (statuses/extend or ajax/statuses/longtext)" in reason
            assert "merge its longTextContent into the status as longText.longTextContent" in reason
        assert all("it has no status id" in r for r in reasons[:3])
        assert "it has status id 5 but no created_at, author or text" in reasons[3]
        assert _quarantine(items[1]).raw == orjson.dumps(extend).decode()


def test_quirky_values_are_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "quirks.jsonl",
        [
            _status(idstr=None, id="4929003466384131", reposts_count="1,234"),
            _status(comments_count="1.2万", attitudes_count="100万+"),
            _status(
                user={
                    "id": "1288915263",
                    "screen_name": "平安北京",
                    "province": 11,
                    "city": 1000,
                    "verified_type": "1",
                    "followers_count": "1198.3万",
                }
            ),
            _status(user=None, uid=1288915263),
        ],
    )
    items = _read(path)
    first, second, third, fourth = (_post(i) for i in items)
    assert first.post_id == "4929003466384131"
    assert first.reposts == 1234
    assert (second.comments, second.likes) == (12_000, 1_000_000)
    account = items[2].related[0]
    assert isinstance(account, AccountRecord)
    assert (account.uid, account.verified_type, account.is_government) == (
        "1288915263",
        1,
        True,
    )
    assert account.followers == 11_983_000
    assert account.adcode == "110000"
    assert fourth.account_uid == "1288915263"
    assert items[3].related == []
    assert third.account_uid == "1288915263"


def test_same_author_gives_equal_but_separate_records(tmp_path: Path) -> None:
    path = _write(tmp_path / "same.jsonl", [_status(), _status(id=2, idstr="2")])
    a, b = (i.related[0] for i in _read(path))
    assert a == b
    assert a is not b


def test_observed_at_is_stamped_when_given(tmp_path: Path) -> None:
    seen = datetime(2023, 7, 30, 10, 0, tzinfo=CHINA_TZ)
    path = _write(tmp_path / "one.jsonl", [_status()])
    [item] = WeiboApiImporter(observed_at=seen).read(path)
    assert _post(item).observed_at == seen
    assert item.related[0].observed_at == seen
    [plain] = _read(path)
    assert _post(plain).observed_at is None


@pytest.mark.parametrize(
    ("line", "reason_part"),
    [
        (b'{"created_at": "Sun Jul 30 09:12:40 +0800 2023", "id": 1, "te', "broken JSON"),
        (b"not json at all", "broken JSON"),
        ('{"text": "北京"}'.encode("gbk"), GBK_HINT),
        (orjson.dumps(_status(reposts_count=-3)), "$.reposts_count"),
        (orjson.dumps(_status(user={"id": 1, "screen_name": "x", "friends_count": -1})), "$.user"),
        (orjson.dumps(_status(attitudes_count="很多")), "attitudes_count"),
        (orjson.dumps(_status(comments_count=1.5)), "$.comments_count"),
        (orjson.dumps(_status(id=None, idstr=None)), "missing status id"),
        (orjson.dumps(_status(created_at=None)), "missing created_at"),
        (orjson.dumps(_status(text=None)), "missing text"),
        (orjson.dumps(_status(created_at="Fri Feb 30 23:47:24 +0800 2017")), "bad created_at"),
        (orjson.dumps(_status(created_at="someday")), "bad created_at"),
        (orjson.dumps(_status(deleted="1")), "deleted"),
        (orjson.dumps(_status(user="平安北京")), "$.user"),
        (b'"just a string"', "not a JSON object"),
        (b"null", "not a JSON object"),
        (b'{"title": "not weibo"}', "neither a status nor a user"),
        (b'{"statuses": 5}', "statuses is not a list"),
        (orjson.dumps({"id": 1, "screen_name": "x", "followers_count": -7}), "$.followers_count"),
        (orjson.dumps({"screen_name": "x", "followers_count": 3}), "user without id"),
    ],
)
def test_bad_lines_are_quarantined_with_location_and_reason(
    tmp_path: Path, line: bytes, reason_part: str
) -> None:
    path = _write(tmp_path / "bad.jsonl", [_status(), line, _status(id=3, idstr="3")])
    items = _read(path)
    assert len(items) == 3
    assert isinstance(items[0].primary, PostRecord)
    assert isinstance(items[2].primary, PostRecord)
    bad = _quarantine(items[1])
    assert bad.source == f"{path}:2"
    assert reason_part in bad.reason
    assert bad.raw


def test_list_line_gives_one_item_per_element(tmp_path: Path) -> None:
    path = _write(tmp_path / "list.jsonl", [_status(), [1, _status(), "x"]])
    items = _read(path)
    assert len(items) == 4
    assert [_quarantine(items[1]).source, _quarantine(items[3]).source] == [
        f"{path}:2#1",
        f"{path}:2#3",
    ]
    assert isinstance(items[2].primary, PostRecord)


def test_quarantine_keeps_a_bad_line_whole_up_to_raw_chars(tmp_path: Path) -> None:
    """A long status (a 2,000-character 长微博) is kept whole, as a sheet's row is; a line
    past RAW_CHARS is cut there."""
    long_bad = orjson.dumps(_status(reposts_count=-1, text="长" * 2000))
    longer = orjson.dumps(_status(reposts_count=-1, text="长" * RAW_CHARS))
    path = _write(tmp_path / "long.jsonl", [_status(), long_bad, longer])
    items = _read(path)
    bad, cut = _quarantine(items[1]).raw, _quarantine(items[2]).raw
    assert bad == long_bad.decode() and len(bad) > 2000
    assert cut is not None and len(cut) == RAW_CHARS
    assert cut == longer.decode()[:RAW_CHARS]


def test_blank_lines_and_bom_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + orjson.dumps(_status()) + b"\n\n  \n" + orjson.dumps(_status())
    )
    items = _read(path)
    assert len(items) == 2
    assert all(isinstance(i.primary, PostRecord) for i in items)


def test_empty_file_gives_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n\n")
    assert _read(path) == []


# --- byte ranges --------------------------------------------------------------------


def test_byte_ranges_split_the_file_exactly(tmp_path: Path) -> None:
    lines: list[object] = [_status(id=i, idstr=str(i)) for i in range(1, 301)]
    lines[150] = b"{broken"
    path = _write(tmp_path / "ranges.jsonl", lines)
    whole = [msgspec.json.encode(i.primary) for i in _read(path)]
    size = path.stat().st_size
    for parts in (2, 3, 7):
        ranges = split_ranges(path, parts, min_bytes=1)
        assert ranges[0][0] == 0
        assert ranges[-1][1] == size
        pieces = [msgspec.json.encode(i.primary) for r in ranges for i in _read(path, byte_range=r)]
        assert pieces == whole
    bad = [q for q in whole if b'"quarantine"' in q]
    assert len(bad) == 1
    assert f"{path}:151".encode() in bad[0]


def test_document_is_read_once_across_ranges() -> None:
    path = FIXTURES / "api_timeline.json"
    size = path.stat().st_size
    first = _read(path, byte_range=(0, size // 2))
    second = _read(path, byte_range=(size // 2, size))
    assert len(first) == 4
    assert second == []


# --- not this format ----------------------------------------------------------------


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not found"):
        _read(tmp_path / "nope.jsonl")


def test_hot_search_archive_is_not_weibo_api() -> None:
    with pytest.raises(InvalidInputError, match="weibo-api"):
        _read(SHARED / "weibo-hot-search" / "2020-11-24.json")


@pytest.mark.parametrize("name", ["weibo-api", "weibo-mblog"])
def test_not_this_format_says_what_it_takes_in_each_language(name: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        list(
            get_importer(name).read(
                SHARED / "wechat" / "wnma3mz_gongqingtuan_zhongyang_article_list.jsonl"
            )
        )
    zh, en = caught.value.message_zh, caught.value.message_en
    assert "期望" in zh and "comm_msg_info" in zh
    assert "expected" in en and "comm_msg_info" in en
    # The English message is English (it carried 对象、列表 … 或 / 响应 … 或其列表).
    assert not any("\u4e00" <= c <= "\u9fff" for c in en), en


def test_weibo_crawler_json_is_pointed_to_its_format(tmp_path: Path) -> None:
    path = tmp_path / "1234567890.json"
    user = {"id": "1", "screen_name": "平安郑州"}
    post = {"id": 2, "text": "x", "created_at": "2023-07-30T09:12:40"}
    path.write_text(orjson.dumps({"user": user, "weibo": [post]}).decode(), "utf-8")
    with pytest.raises(InvalidInputError, match="weibo-crawler-csv"):  # was: 1 record quarantined
        _read(path)


def test_wechat_article_list_is_not_weibo_api() -> None:
    with pytest.raises(InvalidInputError, match="comm_msg_info"):
        _read(SHARED / "wechat" / "wnma3mz_gongqingtuan_zhongyang_article_list.jsonl")


def test_csv_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,bid,正文\n1,abc,你好\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="JSON"):
        _read(path)


def test_mblog_response_points_to_weibo_mblog() -> None:
    with pytest.raises(InvalidInputError, match="weibo-mblog"):
        _read(FIXTURES / "mblog_container.json")


def test_pretty_document_of_another_shape_raises(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{\n  "errcode": 40001,\n  "errmsg": "invalid credential"\n}\n')
    with pytest.raises(InvalidInputError, match="errcode"):
        _read(path)


def test_counts_beyond_64_bits_are_quarantined(tmp_path: Path) -> None:
    huge = b'{"created_at": "Sun Jul 30 09:12:40 +0800 2023", "id": 1, "text": "x", '
    path = _write(
        tmp_path / "huge.jsonl",
        [
            _status(),
            huge + b'"reposts_count": 99999999999999999999999}',
            huge + b'"reposts_count": "99999999999999999999999"}',
            huge + b'"page_info": {"play_count": -4}}',
        ],
    )
    items = _read(path)
    assert "$.reposts_count" in _quarantine(items[1]).reason
    assert "count too large" in _quarantine(items[2]).reason
    assert "page_info.play_count" in _quarantine(items[3]).reason


def test_pretty_list_of_statuses_and_bare_user_documents(tmp_path: Path) -> None:
    statuses = tmp_path / "statuses.json"
    statuses.write_bytes(orjson.dumps(_timeline(), option=orjson.OPT_INDENT_2))
    items = _read(statuses)
    assert [_post(i).post_id for i in items][:2] == ["4484462617545831", "4929003466384131"]
    assert len(items) == 4
    users = orjson.loads((FIXTURES / "api_users.json").read_bytes())["users"]
    bare = tmp_path / "user.json"
    bare.write_bytes(orjson.dumps(users[0], option=orjson.OPT_INDENT_2))
    [item] = _read(bare)
    assert isinstance(item.primary, AccountRecord)
    assert item.primary.name == "广东政法"
    listed = tmp_path / "users.json"
    listed.write_bytes(orjson.dumps(users))  # one line: a JSON list
    assert [i.primary.uid for i in _read(listed) if isinstance(i.primary, AccountRecord)] == [
        "2176235777",
        "2656274875",
    ]


def test_pretty_document_with_a_bad_element(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(
        orjson.dumps([_status(), _status(reposts_count=-1), 7], option=orjson.OPT_INDENT_2)
    )
    items = _read(path)
    assert isinstance(items[0].primary, PostRecord)
    assert _quarantine(items[1]).source == f"{path}:1#2"
    assert "$.reposts_count" in _quarantine(items[1]).reason
    assert _quarantine(items[2]).source == f"{path}:1#3"
