"""Crawler CSV importers: weibo-crawler posts and users.csv, weibo-search, weiboSpider."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import GBK_HINT
from zhengwu.ingest.registry import ImportItem, get_importer
from zhengwu.platforms.records import AccountRecord, PostRecord, QuarantineRecord
from zhengwu.platforms.timeparse import CHINA_TZ
from zhengwu.platforms.weibo.crawlers import (
    CRAWLER_POST_COLUMNS,
    ROOT_PREFIX,
    WeiboCrawlerCsvImporter,
    WeiboSearchCsvImporter,
    WeiboSpiderCsvImporter,
    account_from_path,
)

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
REPOST_COLUMNS = [
    *CRAWLER_POST_COLUMNS,
    "是否原创",
    "源用户id",
    "源用户昵称",
    *(ROOT_PREFIX + c for c in CRAWLER_POST_COLUMNS),
]
USER_COLUMNS = [
    "用户id", "昵称", "性别", "生日", "所在地", "IP属地", "学习经历", "公司", "注册时间", "阳光信用", "微博数", "粉丝数", "关注数",
    "简介", "主页", "头像", "高清头像", "微博等级", "会员等级", "是否认证", "认证类型", "认证信息", "上次记录微博信息",
]  # fmt: skip
SEARCH_COLUMNS = [
    "id", "bid", "user_id", "用户昵称", "微博正文", "头条文章url", "发布位置", "艾特用户", "话题", "转发数", "评论数",
    "点赞数", "发布时间", "发布工具", "微博图片url", "微博视频url", "retweet_id", "ip", "user_authentication",
    "会员类型", "会员等级",
]  # fmt: skip
SPIDER_COLUMNS = [
    "微博id", "微博正文", "头条文章url", "原始图片url", "被转发微博原始图片url", "是否为原创微博", "微博视频url", "发布位置", "发布时间",
    "发布工具", "点赞数", "转发数", "评论数",
]  # fmt: skip


def _csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(column, "") for column in header])
    return path


def _post(item: ImportItem) -> PostRecord:
    assert isinstance(item.primary, PostRecord), item.primary
    return item.primary


def _crawler_row(**values: str) -> dict[str, str]:
    row = {
        "id": "4929003466384131",
        "bid": "Ncr1xAbCd",
        "正文": "#北京暴雨# 请勿涉水通行 @北京发布",
        "位置": "北京·朝阳区",
        "日期": "2023-07-30T09:12:40",
        "工具": "微博 weibo.com",
        "点赞数": "1502",
        "评论数": "88",
        "转发数": "312",
        "话题": "北京暴雨",
        "@用户": "北京发布",
        "完整日期": "2023-07-30 09:12:40",
        "是否编辑过": "False",
        "编辑次数": "0",
    }
    row.update(values)
    return row


def _root_columns(**values: str) -> dict[str, str]:
    row = {
        "是否原创": "False",
        "源用户id": "2418542712",
        "源用户昵称": "北京发布",
        "源微博id": "4929002890287147",
        "源微博bid": "Ncq9zXyZw",
        "源微博正文": "#北京暴雨# 北京启动防汛一级应急响应",
        "源微博日期": "2023-07-30T08:30:00",
        "源微博工具": "微博 weibo.com",
        "源微博点赞数": "40210",
        "源微博评论数": "2877",
        "源微博转发数": "5321",
        "源微博话题": "北京暴雨",
        "源微博@用户": "",
        "源微博完整日期": "2023-07-30 08:30:00",
    }
    row.update(values)
    return row


# --- weibo-crawler posts ------------------------------------------------------------


def test_crawler_posts_with_retweet_columns(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "weibo" / "平安北京" / "1288915263.csv",
        REPOST_COLUMNS,
        [
            _crawler_row(是否原创="True"),
            _crawler_row(id="4929003466384132", 正文="转发微博", 话题="", **_root_columns()),
            _crawler_row(id="4929003466384133", 是否原创="False"),
        ],
    )
    items = list(WeiboCrawlerCsvImporter().read(path))
    assert len(items) == 3
    original = _post(items[0])
    assert original.account_uid == "1288915263"
    assert original.created_at == datetime(2023, 7, 30, 9, 12, 40, tzinfo=CHINA_TZ)
    assert (original.likes, original.comments, original.reposts) == (1502, 88, 312)
    assert (original.topics, original.mentions) == (["北京暴雨"], ["北京发布"])
    assert (original.bid, original.source, original.region_name) == (
        "Ncr1xAbCd",
        "微博 weibo.com",
        "北京·朝阳区",
    )
    assert not original.is_repost
    [author] = items[0].related
    assert isinstance(author, AccountRecord)
    assert (author.uid, author.name) == ("1288915263", "平安北京")

    repost = _post(items[1])
    assert repost.is_repost
    assert repost.root_post_id == "4929002890287147"
    assert repost.topics == []  # the crawler found none
    _, root, root_author = items[1].related
    assert isinstance(root, PostRecord)
    assert (root.post_id, root.bid, root.account_uid) == (
        "4929002890287147",
        "Ncq9zXyZw",
        "2418542712",
    )
    assert root.created_at == datetime(2023, 7, 30, 8, 30, tzinfo=CHINA_TZ)
    assert (root.likes, root.comments, root.reposts) == (40210, 2877, 5321)
    assert isinstance(root_author, AccountRecord)
    assert (root_author.uid, root_author.name) == ("2418542712", "北京发布")

    gone = _post(items[2])
    assert gone.is_repost
    assert gone.root_deleted
    assert gone.root_post_id is None
    assert len(items[2].related) == 1


def test_crawler_posts_only_original_columns(tmp_path: Path) -> None:
    row = _crawler_row(日期="2019-12-28", 完整日期="")
    del row["话题"]
    header = [c for c in CRAWLER_POST_COLUMNS if c != "话题"]  # an older file
    path = _csv(tmp_path / "1288915263.csv", header, [row])
    [item] = WeiboCrawlerCsvImporter().read(path)
    post = _post(item)
    assert post.created_at == datetime(2019, 12, 28, tzinfo=CHINA_TZ)
    assert post.topics == ["北京暴雨"]  # no 话题 column: read from the text
    assert post.account_uid == "1288915263"
    assert item.related == []  # not in weibo/<name>/: the folder name is not trusted


def test_account_uid_option_overrides_the_file_name(tmp_path: Path) -> None:
    path = _csv(tmp_path / "weibo" / "平安北京" / "posts.csv", REPOST_COLUMNS, [_crawler_row()])
    assert _post(next(WeiboCrawlerCsvImporter().read(path))).account_uid is None
    [item] = WeiboCrawlerCsvImporter(account_uid="1288915263").read(path)
    assert _post(item).account_uid == "1288915263"


def test_account_from_path() -> None:
    assert account_from_path(Path("weibo/平安北京/1288915263.csv"), None) == (
        "1288915263",
        "平安北京",
    )
    assert account_from_path(Path("weibo/1288915263/1288915263.csv"), None) == (
        "1288915263",
        None,
    )
    assert account_from_path(Path("tmp/1288915263.csv"), None) == ("1288915263", None)
    assert account_from_path(Path("weibo/平安北京/1288915263.csv"), "7") == ("7", None)


@pytest.mark.parametrize(
    ("values", "reason_part"),
    [
        ({"点赞数": "-5"}, "点赞数"),
        ({"评论数": "很多"}, "评论数"),
        ({"id": ""}, "missing id"),
        ({"完整日期": "2023-02-30 10:00:00"}, "bad 完整日期"),
        ({"完整日期": "", "日期": ""}, "missing 完整日期/日期"),
    ],
)
def test_crawler_bad_rows_are_quarantined(
    tmp_path: Path, values: dict[str, str], reason_part: str
) -> None:
    path = _csv(
        tmp_path / "1.csv", REPOST_COLUMNS, [_crawler_row(), _crawler_row(**values), _crawler_row()]
    )
    items = list(WeiboCrawlerCsvImporter().read(path))
    assert len(items) == 3
    bad = items[1].primary
    assert isinstance(bad, QuarantineRecord)
    assert bad.source == f"{path}:3"
    assert reason_part in bad.reason
    assert bad.raw is not None
    assert "4929003466384131" in bad.raw or not values.get("id", "x")


def test_gbk_row_and_long_row_are_quarantined(tmp_path: Path) -> None:
    path = _csv(tmp_path / "1.csv", list(CRAWLER_POST_COLUMNS), [_crawler_row()])
    with path.open("ab") as fh:
        fh.write("4929003466384139,b,北京暴雨,,,,,,2023-07-30,,1,2,3,,,,,\r\n".encode("gbk"))
        fh.write(b"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20\r\n")
    items = list(WeiboCrawlerCsvImporter().read(path))
    assert len(items) == 3
    gbk, long = items[1].primary, items[2].primary
    assert isinstance(gbk, QuarantineRecord)
    assert gbk.reason == GBK_HINT
    assert gbk.source == f"{path}:3"
    assert isinstance(long, QuarantineRecord)
    assert "20 fields" in long.reason


# --- weibo-crawler users.csv --------------------------------------------------------


def test_crawler_users_csv(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "users.csv",
        USER_COLUMNS,
        [
            {
                "用户id": "2176235777",
                "昵称": "广东政法",
                "性别": "m",
                "所在地": "广东 广州",
                "IP属地": "广东",
                "注册时间": "2011-06-13",
                "微博数": "34589",
                "粉丝数": "2081231",
                "关注数": "623",
                "简介": "广东省委政法委官方微博",
                "是否认证": "True",
                "认证类型": "1",
                "认证信息": "广东省政法委、省平安办、省综治办、省维稳办官方微博",
            },
            {
                "用户id": "1761179041",
                "昵称": "天气通",
                "所在地": "北京 海淀区",
                "粉丝数": "2265012",
                "简介": "汛期信息来自北京防汛办",
                "认证类型": "7",
                "认证信息": "新浪天气通官方微博",
            },
            {"用户id": "1", "昵称": "x", "粉丝数": "-1"},
            {"用户id": "", "昵称": "无名"},
        ],
    )
    items = list(WeiboCrawlerCsvImporter().read(path))
    gd, tq, negative, nameless = (i.primary for i in items)
    assert isinstance(gd, AccountRecord)
    assert (gd.uid, gd.name, gd.verified_type, gd.is_government) == (
        "2176235777",
        "广东政法",
        1,
        True,
    )
    assert gd.adcode == "440100"
    assert gd.created_at == datetime(2011, 6, 13, tzinfo=CHINA_TZ)
    assert (gd.followers, gd.friends, gd.statuses) == (2081231, 623, 34589)
    assert isinstance(tq, AccountRecord)
    assert (tq.verified_type, tq.is_government, tq.adcode) == (7, False, "110108")
    assert isinstance(negative, QuarantineRecord)
    assert "粉丝数" in negative.reason
    assert isinstance(nameless, QuarantineRecord)
    assert "用户id" in nameless.reason


# --- weibo-search -------------------------------------------------------------------


def _search_row(**values: str) -> dict[str, str]:
    row = {
        "id": "4929003466384131",
        "bid": "Ncr1xAbCd",
        "user_id": "1288915263",
        "用户昵称": "平安北京",
        "微博正文": "#北京暴雨# 请勿涉水通行 @北京发布",
        "发布位置": "北京·朝阳区",
        "艾特用户": "北京发布",
        "话题": "北京暴雨",
        "转发数": "312",
        "评论数": "88",
        "点赞数": "1502",
        "发布时间": "2023-07-30 09:12",
        "发布工具": "微博 weibo.com",
        "retweet_id": "",
        "ip": "北京",
        "user_authentication": "蓝V",
        "会员类型": "非会员",
        "会员等级": "",
    }
    row.update(values)
    return row


def test_search_rows_with_blue_v_authors(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "北京暴雨.csv",
        SEARCH_COLUMNS,
        [
            _search_row(),
            _search_row(
                id="4929003466384999",
                user_id="1669879400",
                用户昵称="某某办公家具有限公司",
                retweet_id="4929002890287147",
            ),
            _search_row(id="3", user_id="5", 用户昵称="北京发布粉丝团", user_authentication="黄V"),
            _search_row(id="4", 转发数="-1"),
        ],
    )
    items = list(WeiboSearchCsvImporter().read(path))
    assert len(items) == 4
    post = _post(items[0])
    assert (post.post_id, post.bid, post.account_uid) == (
        "4929003466384131",
        "Ncr1xAbCd",
        "1288915263",
    )
    assert post.created_at == datetime(2023, 7, 30, 9, 12, tzinfo=CHINA_TZ)
    assert (post.reposts, post.comments, post.likes) == (312, 88, 1502)
    assert (post.topics, post.mentions, post.region_name) == (["北京暴雨"], ["北京发布"], "北京")
    [author] = items[0].related
    assert isinstance(author, AccountRecord)
    assert (author.name, author.verified_type, author.is_government) == ("平安北京", None, True)
    company = items[1].related[0]
    assert isinstance(company, AccountRecord)
    assert company.is_government is False
    assert _post(items[1]).is_repost
    assert _post(items[1]).root_post_id == "4929002890287147"
    yellow = items[2].related[0]
    assert isinstance(yellow, AccountRecord)
    assert yellow.is_government is False
    assert isinstance(items[3].primary, QuarantineRecord)


# --- weiboSpider --------------------------------------------------------------------


def test_weibospider_rows(tmp_path: Path) -> None:
    row = {
        "微博id": "J4PGk4yMw",
        "微博正文": "#北京暴雨# 请勿涉水通行 @北京发布",
        "发布位置": "北京",
        "发布时间": "2020-03-19 20:03",
        "发布工具": "iPhone客户端",
        "点赞数": "1502",
        "转发数": "312",
        "评论数": "88",
        "是否为原创微博": "True",
    }
    path = _csv(
        tmp_path / "weibo" / "平安北京" / "1288915263.csv",
        SPIDER_COLUMNS,
        [row, {**row, "微博id": "J4PGk4yMx", "是否为原创微博": "False"}],
    )
    items = list(WeiboSpiderCsvImporter().read(path))
    post = _post(items[0])
    assert (post.post_id, post.bid, post.account_uid) == ("J4PGk4yMw", "J4PGk4yMw", "1288915263")
    assert post.created_at == datetime(2020, 3, 19, 20, 3, tzinfo=CHINA_TZ)
    assert (post.likes, post.reposts, post.comments) == (1502, 312, 88)
    assert (post.topics, post.mentions, post.source) == (["北京暴雨"], ["北京发布"], "iPhone客户端")
    assert not post.is_repost
    assert _post(items[1]).is_repost
    [author] = items[0].related
    assert isinstance(author, AccountRecord)
    assert author.name == "平安北京"


def test_weibospider_without_original_columns(tmp_path: Path) -> None:
    header = [c for c in SPIDER_COLUMNS if c not in {"被转发微博原始图片url", "是否为原创微博"}]
    path = _csv(
        tmp_path / "posts.csv",
        header,
        [{"微博id": "J4PGk4yMw", "微博正文": "你好", "发布时间": "2020-03-19 20:03"}],
    )
    [item] = WeiboSpiderCsvImporter(account_uid="1288915263").read(path)
    post = _post(item)
    assert post.account_uid == "1288915263"
    assert not post.is_repost
    assert post.likes is None


# --- not this format ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path_in_shared"),
    [
        ("weibo-crawler-csv", "weibo-cov/weibo_cov_v1_readme_sample.csv"),
        ("weibo-search-csv", "weibo-cov/weibo_cov_v2_readme_sample.csv"),
        ("weibospider-csv", "citizen-messages/taxonomy.csv"),
    ],
)
def test_wrong_header_raises_naming_expected_columns(name: str, path_in_shared: str) -> None:
    with pytest.raises(InvalidInputError, match="required columns"):
        list(get_importer(name).read(SHARED / path_in_shared))


def test_missing_and_empty_csv(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not found"):
        list(WeiboSearchCsvImporter().read(tmp_path / "none.csv"))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert list(WeiboSearchCsvImporter().read(empty)) == []


def test_csv_importers_are_not_splittable() -> None:
    for name in ("weibo-crawler-csv", "weibo-search-csv", "weibospider-csv", "weibo-cov-csv"):
        assert get_importer(name).splittable is False


@pytest.mark.parametrize("name", ["weibo-crawler-csv", "weibo-search-csv", "weibospider-csv",
                                  "weibo-cov-csv"])  # fmt: skip
def test_a_gbk_file_is_refused_saying_so(tmp_path: Path, name: str) -> None:
    # Opened in Excel and saved as "CSV" on Chinese Windows: the whole file is GBK.
    utf8 = _csv(tmp_path / "utf8" / "1234567890.csv", REPOST_COLUMNS, [_crawler_row()])
    gbk = tmp_path / "1234567890.csv"
    gbk.write_bytes(utf8.read_text("utf-8-sig").encode("gbk"))
    with pytest.raises(InvalidInputError, match="looks like GBK") as caught:
        list(get_importer(name).read(gbk))
    assert "不是 UTF-8" in caught.value.message_zh and "iconv" in caught.value.message_en
    assert "required columns" not in caught.value.message_en  # was: a header lacking columns
    binary = tmp_path / "2.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01\x80\x80\r\n")
    with pytest.raises(InvalidInputError, match="neither UTF-8 nor GBK"):
        list(get_importer(name).read(binary))


def test_a_workbook_saved_from_the_csv_is_read(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(CRAWLER_POST_COLUMNS))
    row = _crawler_row()
    sheet.append([row.get(c, "") for c in CRAWLER_POST_COLUMNS])
    path = tmp_path / "1234567890.xlsx"
    book.save(path)
    (item,) = WeiboCrawlerCsvImporter().read(path)
    assert _post(item).post_id == row["id"]


# --- weibo-crawler JSON (<uid>.json) ----------------------------------------------------

CRAWLER_JSON_USER = {
    "id": "1234567890", "screen_name": "平安郑州", "gender": "m", "birthday": "",
    "location": "河南 郑州", "ip_location": "IP属地：河南", "registration_time": "2011-06-13",
    "sunshine": "信用极好", "statuses_count": 12000, "followers_count": 1000000,
    "follow_count": 300, "description": "", "verified": True, "verified_type": 1,
    "verified_reason": "郑州市公安局官方微博", "urank": 48, "mbrank": 0,
}  # fmt: skip


def _json_post(post_id: int, **values: object) -> dict[str, object]:
    return {
        "user_id": 1234567890, "screen_name": "平安郑州", "id": post_id, "bid": "Ncr1xAbCd",
        "text": "#郑州暴雨# 请勿涉水 @郑州发布", "article_url": "", "pics": "", "video_url": "",
        "live_photo_url": "", "location": "郑州", "created_at": "2023-07-30T09:12:40",
        "source": "iPhone客户端", "attitudes_count": 1502, "comments_count": 88,
        "reposts_count": 312, "topics": "郑州暴雨", "at_users": "郑州发布",
        "full_created_at": "2023-07-30 09:12:40", "edited": False, "edit_count": 0, **values,
    }  # fmt: skip


def test_crawler_json_user_posts_and_retweet(tmp_path: Path) -> None:
    root = _json_post(4929003466384000, user_id=1288739185, screen_name="北京发布", text="原文",
                      created_at="2023-07-30T08:00:00", full_created_at="2023-07-30 08:00:00")  # fmt: skip
    posts = [_json_post(4929003466384131), _json_post(4929003466384132, retweet=root),
             _json_post(4929003466384133, created_at="", full_created_at=None), "x"]  # fmt: skip
    path = tmp_path / "weibo" / "平安郑州" / "1234567890.json"
    path.parent.mkdir(parents=True)
    body = json.dumps({"user": CRAWLER_JSON_USER, "weibo": posts}, ensure_ascii=False, indent=4)
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    user, original, repost, no_time, not_object = WeiboCrawlerCsvImporter().read(path)
    account = user.primary
    assert isinstance(account, AccountRecord)
    assert (account.uid, account.name, account.is_government) == ("1234567890", "平安郑州", True)
    assert (account.followers, account.friends, account.statuses, account.adcode) == (
        1_000_000, 300, 12_000, "410100",
    )  # fmt: skip
    post = _post(original)
    assert (post.post_id, post.account_uid, post.bid) == (
        "4929003466384131",
        "1234567890",
        "Ncr1xAbCd",
    )
    assert post.created_at == datetime(2023, 7, 30, 9, 12, 40, tzinfo=CHINA_TZ)
    assert (post.likes, post.comments, post.reposts) == (1502, 88, 312)
    assert (post.topics, post.mentions, post.is_repost) == (["郑州暴雨"], ["郑州发布"], False)
    shared = _post(repost)
    assert (shared.is_repost, shared.root_post_id) == (True, "4929003466384000")
    root_post, root_author = repost.related
    assert isinstance(root_post, PostRecord) and isinstance(root_author, AccountRecord)
    assert (root_post.account_uid, root_post.text) == ("1288739185", "原文")
    assert (root_author.uid, root_author.name) == ("1288739185", "北京发布")
    for item, where in ((no_time, "weibo[3]"), (not_object, "weibo[4]")):
        assert isinstance(item.primary, QuarantineRecord)
        assert item.primary.source == f"{path}:{where}"
    assert isinstance(no_time.primary, QuarantineRecord) and "日期" in no_time.primary.reason


def test_crawler_json_of_another_shape_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "1.json"
    path.write_text('{"statuses": []}', "utf-8")
    with pytest.raises(InvalidInputError, match="weibo-crawler JSON"):
        list(WeiboCrawlerCsvImporter().read(path))
    path.write_text('{"user": ', "utf-8")
    with pytest.raises(InvalidInputError, match="readable JSON"):
        list(WeiboCrawlerCsvImporter().read(path))
