"""weibo-mblog: m.weibo.cn container responses, cards, mblogs (HTML, display counts, dates)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.registry import ImportItem, get_importer
from zhengwu.platforms.records import AccountRecord, PostRecord, QuarantineRecord
from zhengwu.platforms.timeparse import CHINA_TZ
from zhengwu.platforms.weibo.importers import WeiboMblogImporter

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
NOW = datetime(2019, 6, 20, 15, 30, tzinfo=CHINA_TZ)


def _read(path: Path, now: datetime | None = NOW) -> list[ImportItem]:
    return list(WeiboMblogImporter(now=now).read(path))


def _write(path: Path, lines: list[object]) -> Path:
    raw = [line if isinstance(line, bytes) else orjson.dumps(line) for line in lines]
    path.write_bytes(b"\n".join(raw) + b"\n")
    return path


def _post(item: ImportItem) -> PostRecord:
    assert isinstance(item.primary, PostRecord), item.primary
    return item.primary


def _mblog(**overrides: object) -> dict[str, object]:
    mblog: dict[str, object] = {
        "created_at": "刚刚",
        "id": "4383183661430868",
        "bid": "HyTZc60ew",
        "text": "<a href='/n/北京发布'>@北京发布</a> 收到",
        "user": {"id": 1288915263, "screen_name": "平安北京", "verified_type": 1},
        "reposts_count": 0,
        "comments_count": 0,
        "attitudes_count": 0,
    }
    mblog.update(overrides)
    return mblog


def _container(*mblogs: dict[str, object]) -> dict[str, object]:
    cards = [{"card_type": 9, "mblog": m} for m in mblogs]
    return {"ok": 1, "data": {"cardlistInfo": {"page": 1}, "cards": cards}}


def test_registered_with_a_now_option() -> None:
    importer = get_importer("weibo-mblog")
    assert isinstance(importer, WeiboMblogImporter)
    assert importer.now is None
    assert importer.splittable is True


def test_container_response_cards() -> None:
    items = _read(FIXTURES / "mblog_container.json")
    # 3 posts (one inside a card_type 11 group), the notice card skipped, an empty post card
    assert [type(i.primary).__name__ for i in items] == [
        "PostRecord",
        "PostRecord",
        "PostRecord",
        "QuarantineRecord",
    ]
    bad = items[3].primary
    assert isinstance(bad, QuarantineRecord)
    assert bad.source.endswith("mblog_container.json:1#5")
    assert "card_type 9" in bad.reason


def test_html_mblog_becomes_plain_text_with_counts() -> None:
    item = _read(FIXTURES / "mblog_container.json")[0]
    post = _post(item)
    assert post.post_id == "4383183661430868"
    assert post.bid == "HyTZc60ew"
    assert post.text == (
        "#北京暴雨#【暴雨蓝色预警】@北京气象 发布暴雨蓝色预警信号，请市民注意防范&减少外出"
        "[加油]\n转发扩散 ...全文"
    )
    assert post.topics == ["北京暴雨"]
    assert post.mentions == ["北京气象"]
    assert (post.reposts, post.comments, post.likes) == (1_000_000, 12_000, 30512)
    assert post.created_at == datetime(2019, 6, 14, tzinfo=CHINA_TZ)  # "06-14"
    assert post.region_name == "北京"  # "发布于 北京"
    assert post.plays == 12_000  # "1.2万次播放"
    assert post.source == "微博 weibo.com"
    assert post.observed_at == NOW
    [author] = item.related
    assert isinstance(author, AccountRecord)
    assert (author.uid, author.name, author.verified_type) == ("1288915263", "平安北京", 1)
    assert author.is_government
    assert author.followers == 11_983_000  # "1198.3万"
    assert author.friends == 903  # follow_count
    assert author.statuses == 70212


def test_relative_dates_and_retweet() -> None:
    items = _read(FIXTURES / "mblog_container.json")
    repost = _post(items[1])
    assert repost.created_at == NOW - timedelta(minutes=5)
    assert repost.text == "转发微博[赞]"
    assert repost.is_repost
    assert repost.root_post_id == "4383090000000002"
    _, root, root_author = items[1].related
    assert isinstance(root, PostRecord)
    assert root.created_at == datetime(2019, 6, 20, 12, 0, tzinfo=CHINA_TZ)  # "3小时前"
    assert root.mentions == ["首都网警"]
    assert root.topics == ["防诈"]
    assert root.bid == "HyRqA1b2C"
    assert isinstance(root_author, AccountRecord)
    assert root_author.name == "北京网信"
    assert root_author.is_government
    grouped = _post(items[2])
    assert grouped.created_at == datetime(2019, 6, 19, 12, 0, tzinfo=CHINA_TZ)  # "昨天 12:00"
    assert grouped.topics == ["全民国家安全教育日"]


def test_now_defaults_to_the_file_mtime(tmp_path: Path) -> None:
    path = _write(tmp_path / "page.jsonl", [_container(_mblog(created_at="10分钟前"))])
    written = datetime(2021, 7, 20, 18, 0, tzinfo=CHINA_TZ)
    os.utime(path, (written.timestamp(), written.timestamp()))
    [item] = _read(path, now=None)
    post = _post(item)
    assert post.created_at == written - timedelta(minutes=10)
    assert post.observed_at == written


def test_long_mblog_is_read_with_its_full_html_text(tmp_path: Path) -> None:
    # m.weibo.cn cuts a long post's HTML text ("…<a href=/status/…>全文</a>") and gives
    # the whole in longText.longTextContent, HTML as well.
    cut = '今晚有雨，出行请注意…<a href="/status/4383183661430868">全文</a>'
    full = (
        '今晚有雨，出行请注意安全。<br /><a href="https://m.weibo.cn/search?containerid=1">'
        '#北京暴雨#</a> <a href="/n/北京发布">@北京发布</a> <img alt=[心] src="x.png" />'
    )
    mblog = _mblog(text=cut, isLongText=True, longText={"longTextContent": full})
    path = _write(tmp_path / "page.jsonl", [_container(mblog)])
    [item] = _read(path)
    post = _post(item)
    assert post.text == "今晚有雨，出行请注意安全。\n#北京暴雨# @北京发布 [心]"
    assert (post.topics, post.mentions) == (["北京暴雨"], ["北京发布"])


def test_seconds_ago_counts_back_from_the_file_mtime(tmp_path: Path) -> None:
    # "N秒前" is read like "刚刚" and "N分钟前", not quarantined as an unknown time.
    path = _write(tmp_path / "page.jsonl", [_container(_mblog(created_at="45秒前"))])
    written = datetime(2021, 7, 20, 18, 0, 30, tzinfo=CHINA_TZ)
    os.utime(path, (written.timestamp(), written.timestamp()))
    [item] = _read(path, now=None)
    assert _post(item).created_at == written - timedelta(seconds=45)


def test_naive_now_is_china_time(tmp_path: Path) -> None:
    path = _write(tmp_path / "one.jsonl", [_mblog()])
    [item] = _read(path, now=datetime(2019, 6, 20, 15, 30))
    assert _post(item).created_at == NOW


def test_jsonl_of_responses_mblogs_cards_and_lists(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "mixed.jsonl",
        [
            _container(_mblog(id="1"), _mblog(id="2")),
            _mblog(id="3"),
            [_mblog(id="4"), _mblog(id="5")],
            {"card_type": 9, "mblog": _mblog(id="6")},
            {"cards": [{"card_type": 9, "mblog": _mblog(id="7")}]},
            {"ok": 1, "data": _mblog(id="8")},  # statuses/show
            {"ok": 1, "data": {"cards": []}},  # an empty last page
            {"mblog": _mblog(id="9")},
        ],
    )
    items = _read(path)
    assert [_post(i).post_id for i in items] == [str(n) for n in range(1, 10)]
    assert items[0].primary is not items[1].primary
    sources = [i.primary for i in items]
    assert all(isinstance(s, PostRecord) for s in sources)


def test_user_info_response_gives_an_account(tmp_path: Path) -> None:
    user = {
        "id": 2418542712,
        "screen_name": "北京发布",
        "statuses_count": 52110,
        "verified": True,
        "verified_type": 1,
        "verified_type_ext": 1,
        "verified_reason": "北京市人民政府新闻办公室官方微博",
        "description": "北京市人民政府新闻办公室官方微博",
        "followers_count": "1265.3万",
        "follow_count": 1432,
    }
    path = _write(tmp_path / "user.jsonl", [{"ok": 1, "data": {"userInfo": user}}])
    [item] = _read(path)
    account = item.primary
    assert isinstance(account, AccountRecord)
    assert (account.uid, account.name, account.is_government) == ("2418542712", "北京发布", True)
    assert account.followers == 12_653_000
    assert account.friends == 1432


def test_ajax_status_and_api_time(tmp_path: Path) -> None:
    ajax = {
        "created_at": "Tue Feb 23 12:28:47 +0800 2021",
        "id": 4607282348556731,
        "idstr": "4607282348556731",
        "mblogid": "K2aBc3dEf",
        "text": '<a href="/n/北京发布">@北京发布</a> 通知',
        "text_raw": "@北京发布 通知 #春运#",
        "user": {"id": 1288915263, "idstr": "1288915263", "screen_name": "平安北京"},
        "reposts_count": 1,
        "comments_count": 2,
        "attitudes_count": 3,
    }
    path = _write(tmp_path / "ajax.jsonl", [ajax])
    post = _post(_read(path)[0])
    assert post.bid == "K2aBc3dEf"
    assert post.text == "@北京发布 通知 #春运#"
    assert post.topics == ["春运"]
    assert post.created_at == datetime(2021, 2, 23, 12, 28, 47, tzinfo=CHINA_TZ)


def test_hidden_root_without_deleted_flag_counts_as_deleted(tmp_path: Path) -> None:
    root = {"id": "4383000000000099", "text": "抱歉，此微博已被作者删除。查看帮助：", "user": None}
    path = _write(tmp_path / "gone.jsonl", [_mblog(retweeted_status=root)])
    [item] = _read(path)
    post = _post(item)
    assert post.root_deleted
    assert post.root_post_id == "4383000000000099"
    assert len(item.related) == 1  # author only


def test_video_card_without_play_count(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "video.jsonl",
        [
            _mblog(page_info={"type": "article", "page_title": "通告"}),
            _mblog(page_info={"type": "video", "play_count": 3456}),
        ],
    )
    article, video = (_post(i) for i in _read(path))
    assert article.plays is None
    assert video.plays == 3456


@pytest.mark.parametrize(
    ("line", "reason_part"),
    [
        ({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}, "这里还没有内容"),
        ({"ok": 1}, "without data"),
        ({"cards": "none"}, "cards is not a list"),
        ({"cards": [5]}, "card is not an object"),
        (_mblog(reposts_count="很多"), "reposts_count"),
        (_mblog(attitudes_count=-1), "$.attitudes_count"),
        (_mblog(created_at="13-45"), "bad created_at"),
        (_mblog(page_info={"type": "video", "play_count": "很多次播放"}), "play_count"),
        (_mblog(user={"id": 1, "screen_name": "x", "followers_count": "一万"}), "followers"),
        ({"data": [1, 2]}, "neither a status nor a user"),
        # m.weibo.cn statuses/extend (gottaegbert/weiboAPI response.js): no status id.
        (
            {"ok": 1, "data": {"ok": 1, "longTextContent": "全文<br />", "reposts_count": 0}},
            "long-text response (statuses/extend or ajax/statuses/longtext) is not a status: "
            "it has no status id",
        ),
    ],
)
def test_bad_records_are_quarantined(tmp_path: Path, line: object, reason_part: str) -> None:
    path = _write(tmp_path / "bad.jsonl", [_mblog(), line])
    items = _read(path)
    assert len(items) == 2
    bad = items[1].primary
    assert isinstance(bad, QuarantineRecord)
    assert bad.source.startswith(f"{path}:2")
    assert reason_part in bad.reason


def test_api_statuses_are_accepted_too() -> None:
    items = _read(FIXTURES / "api_timeline.json")
    assert len(items) == 4
    assert _post(items[1]).root_post_id == "4929002890287147"


@pytest.mark.parametrize(
    "path",
    [
        SHARED / "weibo-hot-search" / "2023-02-13.json",
        SHARED / "wechat" / "wnma3mz_gongqingtuan_zhongyang_article_list.jsonl",
    ],
)
def test_other_formats_raise(path: Path) -> None:
    with pytest.raises(InvalidInputError, match="weibo-mblog"):
        _read(path)
