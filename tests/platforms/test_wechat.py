"""WeChat importers: the real 共青团中央 article list, wechat_spider rows, datacube statistics."""

from __future__ import annotations

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
from zhengwu.platforms.records import AccountRecord, PostRecord, QuarantineRecord
from zhengwu.platforms.timeparse import CHINA_TZ
from zhengwu.platforms.wechat.importers import WechatArticlesImporter, WechatStatsImporter
from zhengwu.platforms.wechat.payloads import biz_of_fakeid, clean_url

REPO = Path(__file__).resolve().parents[2]
SAMPLE = (
    REPO.parent / "shared" / "data" / "wechat" / "wnma3mz_gongqingtuan_zhongyang_article_list.jsonl"
)
BIZ = "MzA3NTE5MzQzMA=="  # 共青团中央
URL = "http://mp.weixin.qq.com/s?__biz=QklaMQ==&amp;mid=2247483904&amp;idx={idx}&amp;sn=abc#rd"


def _write(path: Path, lines: Sequence[object]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    return path


def _posts(item: ImportItem) -> list[PostRecord]:
    records = [item.primary, *item.related]
    return [r for r in records if isinstance(r, PostRecord)]


def _quarantined(items: list[ImportItem]) -> list[QuarantineRecord]:
    return [i.primary for i in items if isinstance(i.primary, QuarantineRecord)]


# ---- the real profile article list (30 pushes of 共青团中央, Sept 2019)


@pytest.fixture(scope="module")
def sample_items() -> list[ImportItem]:
    return list(WechatArticlesImporter().read(SAMPLE))


def test_real_sample_is_30_pushes_of_73_articles(sample_items: list[ImportItem]) -> None:
    raw = [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines()]
    expected = sum(1 + len(r["app_msg_ext_info"]["multi_app_msg_item_list"]) for r in raw)
    assert len(raw) == 30
    assert expected == 73
    # One item per article: read counts the 73 articles stored, not the 30 pushes.
    assert len(sample_items) == 73
    assert all(len(_posts(item)) == 1 for item in sample_items)
    assert sum(p.is_headline is True for item in sample_items for p in _posts(item)) == 30
    assert _quarantined(sample_items) == []


def test_real_sample_leads_and_ids(sample_items: list[ImportItem]) -> None:
    first = sample_items[0]
    assert isinstance(first.primary, PostRecord)
    assert first.primary.post_id == "MzA3NTE5MzQzMA==:2655077856_1"
    assert first.primary.is_headline is True
    assert [p.post_id for item in sample_items[1:3] for p in _posts(item)] == [
        "MzA3NTE5MzQzMA==:2655077856_2",
        "MzA3NTE5MzQzMA==:2655077856_3",
    ]
    assert all(p.is_headline is False for item in sample_items[1:3] for p in _posts(item))
    ids = [p.post_id for item in sample_items for p in _posts(item)]
    assert len(set(ids)) == 73
    assert first.primary.created_at == datetime(2019, 9, 30, 6, 35, 8, tzinfo=CHINA_TZ)
    assert (
        first.primary.title
        == "赢了！焊接、数控、移动机器人……世界技能大赛中国青年再创新高！未来就要这样干！"
    )
    # No digest: the title is the text.
    assert first.primary.text == first.primary.title


def test_real_sample_account_is_the_biz_of_the_urls(sample_items: list[ImportItem]) -> None:
    posts = [p for item in sample_items for p in _posts(item)]
    assert {p.account_uid for p in posts} == {BIZ}
    assert biz_of_fakeid("3075193430") == BIZ  # __biz is base64 of the fakeid
    for post in posts:
        assert post.url is not None
        assert post.url.startswith("http://mp.weixin.qq.com/s?__biz=MzA3NTE5MzQzMA==&mid=")
        assert "&amp;" not in post.url
        assert "\\/" not in post.url
        assert post.reads is None
        assert post.likes is None


def test_real_sample_copyright_stat(sample_items: list[ImportItem]) -> None:
    raw = [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines()]
    stats = [
        a["copyright_stat"]
        for r in raw
        for a in [r["app_msg_ext_info"], *r["app_msg_ext_info"]["multi_app_msg_item_list"]]
    ]
    assert set(stats) == {100, 101}  # nothing declared 原创 (11) in this sample
    posts = [p for item in sample_items for p in _posts(item)]
    assert [p.is_original for p in posts] == [s == 11 for s in stats]


def test_real_sample_digest_escape_residue_is_undone(sample_items: list[ImportItem]) -> None:
    texts = {p.text for item in sample_items for p in _posts(item)}
    assert "每晚9:30\n陪你青听" in texts
    assert not any("\\n" in t for t in texts)


def test_real_sample_split_by_byte_range_reads_each_push_once(
    sample_items: list[ImportItem],
) -> None:
    ranges = split_ranges(SAMPLE, 4, min_bytes=1)
    assert len(ranges) == 4
    parts = [item for r in ranges for item in WechatArticlesImporter().read(SAMPLE, byte_range=r)]
    assert [_posts(i)[0].post_id for i in parts] == [_posts(i)[0].post_id for i in sample_items]


# ---- hand-written article lists


def _push(
    comm_id: int = 1000000001, *, content_url: str | None = None, **ext: object
) -> dict[str, Any]:
    lead = {
        "title": "标题&amp;一",
        "digest": "摘要 #青年大学习#",
        "content_url": URL.format(idx=1) if content_url is None else content_url,
        "copyright_stat": 11,
        "multi_app_msg_item_list": [
            {
                "title": "第二篇",
                "digest": "",
                "content_url": URL.format(idx=2),
                "copyright_stat": 100,
            },
            {"title": "已删除", "digest": "", "content_url": "", "del_flag": 1},
        ],
    }
    lead.update(ext)
    return {
        "comm_msg_info": {
            "id": comm_id,
            "type": 49,
            "datetime": 1700000000,
            "fakeid": "3075193430",
        },
        "app_msg_ext_info": lead,
    }


def test_push_fields_deleted_article_and_original(tmp_path: Path) -> None:
    items = list(WechatArticlesImporter().read(_write(tmp_path / "a.jsonl", [_push()])))
    assert len(items) == 3  # one item per article of the push
    lead, second, deleted = (post for item in items for post in _posts(item))
    assert lead.post_id == "QklaMQ==:2247483904_1"
    assert second.post_id == "QklaMQ==:2247483904_2"
    assert lead.account_uid == "QklaMQ=="
    assert lead.title == "标题&一"
    assert lead.text == "摘要 #青年大学习#"
    assert lead.topics == ["青年大学习"]
    assert second.text == "第二篇"
    assert (lead.is_original, second.is_original, deleted.is_original) == (True, False, None)
    # The deleted article has no URL: it is kept, named by the push id and its position,
    # and attributed through the fakeid.
    assert deleted.post_id == "MzA3NTE5MzQzMA==:1000000001_3"
    assert deleted.url is None
    assert deleted.account_uid == biz_of_fakeid("3075193430")
    assert [p.is_headline for p in (lead, second, deleted)] == [True, False, False]


def test_general_msg_list_string_wrapper(tmp_path: Path) -> None:
    inner = json.dumps({"list": [_push(1), _push(2, content_url=URL.format(idx=1) + "x")]})
    response = {"ret": 0, "errmsg": "ok", "general_msg_list": inner, "next_offset": 20}
    path = tmp_path / "profile_ext.json"
    path.write_text(json.dumps(response, indent=2), "utf-8")  # pretty-printed document
    items = list(WechatArticlesImporter().read(path))
    assert len(items) == 6  # two pushes of three articles
    assert all(isinstance(i.primary, PostRecord) for i in items)


def test_list_wrapper_array_and_jsonl_line_wrapper(tmp_path: Path) -> None:
    doc = tmp_path / "list.json"
    doc.write_text(json.dumps({"list": [_push(1), _push(2)]}), "utf-8")
    arr = tmp_path / "array.json"
    arr.write_text(json.dumps([_push(1), _push(2), _push(3)], indent=1), "utf-8")
    lines = _write(tmp_path / "lines.jsonl", [{"list": [_push(1)]}, _push(2)])
    # Three articles per push.
    assert len(list(WechatArticlesImporter().read(doc))) == 6
    assert len(list(WechatArticlesImporter().read(arr))) == 9
    items = list(WechatArticlesImporter().read(lines))
    assert len(items) == 6
    assert _quarantined(items) == []


def test_text_push_and_unsupported_push_type(tmp_path: Path) -> None:
    text_push = {"comm_msg_info": {"id": 7, "type": 1, "datetime": 1700000000, "content": "通知"}}
    image_push = {"comm_msg_info": {"id": 8, "type": 3, "datetime": 1700000000}}
    items = list(
        WechatArticlesImporter().read(_write(tmp_path / "a.jsonl", [text_push, image_push]))
    )
    assert isinstance(items[0].primary, PostRecord)
    assert items[0].primary.post_id == "7"
    assert items[0].primary.text == "通知"
    (bad,) = _quarantined(items)
    assert "type=3" in bad.reason
    assert bad.source.endswith("a.jsonl:2")


def test_bad_article_list_records_are_quarantined(tmp_path: Path) -> None:
    no_time = _push()
    del no_time["comm_msg_info"]["datetime"]
    far = _push()
    far["comm_msg_info"]["datetime"] = 99_999_999_999
    no_id = _push(content_url="")
    del no_id["comm_msg_info"]["id"]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b"\n".join(
            [
                orjson.dumps(no_time),
                b'{"comm_msg_info": {',
                "共青团".encode("gbk"),
                b"[1, 2]",
                orjson.dumps(far),
                orjson.dumps(no_id),
                orjson.dumps({"hello": "world"}),
                orjson.dumps({"general_msg_list": "{not json"}),
            ]
        )
    )
    items = list(WechatArticlesImporter().read(path))
    quarantined = _quarantined(items)
    assert len(items) == len(quarantined) == 8
    assert [q.source for q in quarantined] == [f"{path}:{n}" for n in range(1, 9)]
    reasons = [q.reason for q in quarantined]
    assert "datetime" in reasons[0]
    assert "invalid JSON" in reasons[1]
    assert reasons[2] == GBK_HINT
    assert "not a JSON object" in reasons[3]
    assert "impossible" in reasons[4]
    assert "missing article id" in reasons[5]
    assert "unrecognised record" in reasons[6]
    assert "general_msg_list" in reasons[7]
    assert quarantined[0].raw == orjson.dumps(no_time).decode()  # the line whole


def test_whole_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        WechatArticlesImporter().read(tmp_path / "missing.jsonl")
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", "utf-8")
    with pytest.raises(InvalidInputError):
        WechatArticlesImporter().read(tmp_path / "x.csv")
    (tmp_path / "x.json").write_text("hello\nworld\n", "utf-8")
    with pytest.raises(InvalidInputError):
        WechatArticlesImporter().read(tmp_path / "x.json")
    (tmp_path / "y.json").write_text('{\n  "list": [\n', "utf-8")
    with pytest.raises(InvalidInputError):
        WechatArticlesImporter().read(tmp_path / "y.json")


def test_registered() -> None:
    articles = get_importer("wechat-articles")
    stats = get_importer("wechat-stats", account_uid="B")
    assert isinstance(articles, WechatArticlesImporter)
    assert isinstance(stats, WechatStatsImporter)
    assert (articles.splittable, stats.splittable) == (True, True)
    assert stats.account_uid == "B"


def test_clean_url() -> None:
    assert clean_url("http:\\/\\/a\\/s?x=1&amp;y=2") == "http://a/s?x=1&y=2"


# ---- wechat_spider mongoexport rows


def _spider(**fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "title": "标题",
        "link": URL.format(idx=1),
        "publishAt": "2019-09-29T12:34:56.000Z",
        "readNum": 100001,
        "likeNum": 300,
        "likeNum2": 45,
        "msgBiz": "QklaMQ==",
        "msgMid": "2247483904",
        "msgIdx": 1,
        "digest": "摘要",
        "copyrightStat": 11,
        "isFail": False,
        "accountName": "共青团中央",
    }
    row.update(fields)
    return row


def test_spider_row_counts_ids_and_account(tmp_path: Path) -> None:
    rows = [
        _spider(updateNumAt={"$date": "2019-09-30T00:00:00Z"}),
        _spider(
            msgIdx={"$numberInt": "2"},
            publishAt={"$date": {"$numberLong": "1569760496000"}},
            readNum={"$numberInt": "12"},
            accountName="舌尖美食日记",
            copyrightStat=100,
        ),
        _spider(msgMid=None, msgIdx=None, link=URL.format(idx=3), accountName=None),
        _spider(isFail=True, readNum=0, likeNum=0, likeNum2=0, publishAt={"$date": 1569760496000}),
    ]
    items = list(WechatArticlesImporter().read(_write(tmp_path / "posts.json", rows)))
    assert _quarantined(items) == []
    first, second, third, failed = (_posts(i)[0] for i in items)
    assert first.post_id == "QklaMQ==:2247483904_1"
    assert first.is_headline is True
    assert (first.reads, first.likes, first.zaikan) == (100001, 300, 45)
    assert first.created_at == datetime(2019, 9, 29, 20, 34, 56, tzinfo=CHINA_TZ)
    assert first.observed_at == datetime(2019, 9, 30, 8, 0, tzinfo=CHINA_TZ)
    assert first.is_original is True
    assert first.url is not None
    assert "&amp;" not in first.url
    assert second.post_id == "QklaMQ==:2247483904_2"
    assert second.is_headline is False
    assert second.reads == 12
    assert second.is_original is False
    assert second.created_at == datetime.fromtimestamp(1569760496, CHINA_TZ)
    assert third.post_id == "QklaMQ==:2247483904_3"
    assert third.account_uid == "QklaMQ=="
    assert (failed.reads, failed.likes, failed.zaikan) == (None, None, None)
    account = items[0].related[0]
    assert isinstance(account, AccountRecord)
    assert (account.platform, account.uid, account.name) == ("wechat", "QklaMQ==", "共青团中央")
    assert account.is_government is True
    other = items[1].related[0]
    assert isinstance(other, AccountRecord)
    assert other.is_government is False
    assert items[2].related == []  # no account name: no account record


def test_bad_spider_rows_are_quarantined(tmp_path: Path) -> None:
    rows = [
        _spider(readNum=-1),
        _spider(likeNum="很多"),
        _spider(msgMid=None, link=None),
        _spider(publishAt=None),
        _spider(publishAt="2019-02-30T00:00:00Z"),
        _spider(title=["not", "text"]),
    ]
    items = list(WechatArticlesImporter().read(_write(tmp_path / "bad.jsonl", rows)))
    reasons = [q.reason for q in _quarantined(items)]
    assert len(reasons) == 6
    assert "readNum" in reasons[0]
    assert "likeNum" in reasons[1]
    assert "msgMid" in reasons[2]
    assert "publishAt" in reasons[3]
    assert "impossible" in reasons[4]
    assert "title" in reasons[5]


# ---- datacube statistics


def _total(msgid: str = "2247483904_1", **fields: object) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ref_date": "2023-03-01",
        "msgid": msgid,
        "title": "文章",
        "details": [
            {"stat_date": "2023-03-02", "target_user": 5000, "int_page_read_count": 900,
             "share_count": 20, "add_to_fav_count": 4},
            {"stat_date": "2023-03-01", "target_user": 5000, "int_page_read_count": 600,
             "share_count": 10, "add_to_fav_count": 2},
        ],
    }  # fmt: skip
    row.update(fields)
    return row


def test_datacube_total_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "MzA3NTE5MzQzMA==.json"
    path.write_text(json.dumps({"list": [_total()]}), "utf-8")
    items = list(WechatStatsImporter().read(path))
    assert len(items) == 1
    latest = items[0].primary
    assert isinstance(latest, PostRecord)
    assert (latest.post_id, latest.account_uid) == (
        f"{BIZ}:2247483904_1",
        BIZ,
    )  # from the file name
    assert (latest.reads, latest.shares, latest.favorites) == (900, 20, 4)
    assert latest.observed_at == datetime(2023, 3, 2, 23, 59, 59, tzinfo=CHINA_TZ)
    assert latest.created_at == datetime(2023, 3, 1, tzinfo=CHINA_TZ)
    assert latest.is_headline is True
    assert latest.title == "文章"
    # Earlier days are checked but not imported (the store keeps the latest observation).
    assert items[0].related == []


def test_datacube_bad_earlier_day_quarantines_the_row(tmp_path: Path) -> None:
    details = _total()["details"]
    bad = [details[0], {"stat_date": "2023-02-31", "int_page_read_count": 1}]
    path = _write(tmp_path / "s.jsonl", [_total(details=bad)])
    (item,) = WechatStatsImporter(account_uid="B").read(path)
    assert isinstance(item.primary, QuarantineRecord)
    assert "stat_date" in item.primary.reason


def test_datacube_account_uid_precedence(tmp_path: Path) -> None:
    wrapped = tmp_path / "stats.json"
    wrapped.write_text(json.dumps({"biz": "WRAP==", "list": [_total(), _total(biz="ROW==")]}))
    items = list(WechatStatsImporter(account_uid="PARAM==").read(wrapped))
    assert [_posts(i)[0].account_uid for i in items] == ["WRAP==", "ROW=="]
    lines = _write(tmp_path / "rows.jsonl", [_total(), {"account_uid": "L==", "list": [_total()]}])
    items = list(WechatStatsImporter(account_uid="PARAM==").read(lines))
    assert [_posts(i)[0].account_uid for i in items] == ["PARAM==", "L=="]
    assert _posts(next(iter(WechatStatsImporter().read(lines))))[0].account_uid == "rows"


def test_datacube_rows_that_are_not_cumulative_totals(tmp_path: Path) -> None:
    summary = {"ref_date": "2023-03-01", "msgid": "1_1", "title": "t", "int_page_read_count": 5}
    rows = [
        summary,
        dict(summary, user_source=99999999),
        dict(summary, user_source=2),
        {"ref_date": "2023-03-01", "user_source": 99999999, "int_page_read_count": 5},
        _total(user_source=0),
        _total(ref_date="2023-02-30"),
        _total(details=[]),
        _total(details=[{"stat_date": "2023-03-01", "int_page_read_count": -3}]),
        _total(msgid=""),
    ]
    items = list(WechatStatsImporter(account_uid="B").read(_write(tmp_path / "s.jsonl", rows)))
    reasons = [q.reason for q in _quarantined(items)]
    assert len(items) == len(reasons) == 9
    assert "getarticlesummary" in reasons[0]
    assert "getarticlesummary" in reasons[1]
    assert "user_source=2" in reasons[2]
    assert "per-channel" in reasons[2]
    assert "msgid" in reasons[3]
    assert "user_source=0" in reasons[4]
    assert "ref_date" in reasons[5]
    assert "details" in reasons[6]
    assert "int_page_read_count" in reasons[7]
    assert "msgid" in reasons[8]


def test_datacube_total_row_with_total_user_source_is_imported(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.jsonl", [_total(user_source=99999999)])
    (item,) = WechatStatsImporter(account_uid="B").read(path)
    assert isinstance(item.primary, PostRecord)
    assert item.primary.reads == 900


# ---- property: malformed records never raise, one item per record


_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"), max_size=12)
    | st.sampled_from(["", "-1", "1.2万", "inf", "²", "2023-02-30", "1e400", "&amp;", "\\/"])
)
# Two levels of nesting, spelled out: st.recursive's extend check can warn spuriously.
_NESTED = st.lists(_JSON_SCALARS, max_size=3) | st.dictionaries(
    st.text(max_size=6).filter(lambda k: k != "list"), _JSON_SCALARS, max_size=3
)
JSON = (
    _JSON_SCALARS
    | st.lists(_JSON_SCALARS | _NESTED, max_size=3)
    | st.dictionaries(
        st.text(max_size=6).filter(lambda k: k != "list"), _JSON_SCALARS | _NESTED, max_size=3
    )
)


def mutated(base: dict[str, object], keys: list[str]) -> st.SearchStrategy[dict[str, object]]:
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


def records_file(record: st.SearchStrategy[object]) -> st.SearchStrategy[list[bytes]]:
    """Lines of a JSON Lines file: records, broken JSON and GBK bytes."""
    line = (
        record.map(orjson.dumps)
        | JSON.filter(lambda v: not isinstance(v, dict)).map(orjson.dumps)
        | st.sampled_from([b"{", b'{"comm_msg_info": ', b"nan", "政务".encode("gbk")])
    )
    return st.lists(line, min_size=1, max_size=8)


PUSH_KEYS = [
    "comm_msg_info", "app_msg_ext_info", "comm_msg_info.id", "comm_msg_info.type",
    "comm_msg_info.datetime", "comm_msg_info.fakeid", "app_msg_ext_info.content_url",
    "app_msg_ext_info.title", "app_msg_ext_info.digest", "app_msg_ext_info.copyright_stat",
    "app_msg_ext_info.multi_app_msg_item_list",
]  # fmt: skip
SPIDER_KEYS = [
    "title", "link", "publishAt", "readNum", "likeNum", "likeNum2", "msgBiz", "msgMid",
    "msgIdx", "copyrightStat", "isFail", "accountName", "updateNumAt", "digest",
]  # fmt: skip
STATS_KEYS = [
    "ref_date", "msgid", "title", "user_source", "details", "biz", "int_page_read_count",
]  # fmt: skip


def _check(items: list[ImportItem], lines: list[bytes], path: Path, *, exact: bool) -> None:
    if exact:
        assert len(items) == len(lines)
    else:  # a line is at least one item: a push is one item per article
        assert len(items) >= len(lines)
        assert len([i for i in items if isinstance(i.primary, QuarantineRecord)]) <= len(lines)
    for item in items:
        if isinstance(item.primary, QuarantineRecord):
            assert item.primary.source.startswith(f"{path}:")
            assert item.primary.reason
        else:
            assert isinstance(item.primary, PostRecord)


def _run(importer: WechatArticlesImporter | WechatStatsImporter, lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        exact = isinstance(importer, WechatStatsImporter)
        _check(list(importer.read(path)), lines, path, exact=exact)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records_file(mutated(_push(), PUSH_KEYS) | mutated(_spider(), SPIDER_KEYS) | JSON))
def test_articles_never_raise_on_malformed_records(lines: list[bytes]) -> None:
    _run(WechatArticlesImporter(), lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records_file(mutated(_total(), STATS_KEYS) | mutated(_total(user_source=1), STATS_KEYS)))
def test_stats_never_raise_on_malformed_records(lines: list[bytes]) -> None:
    _run(WechatStatsImporter(account_uid="B"), lines)
