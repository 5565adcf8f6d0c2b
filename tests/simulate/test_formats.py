"""Every file parses as its real format, with the keys the real platforms use."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson

from zhengwu.ingest.registry import get_importer
from zhengwu.platforms.records import QuarantineRecord
from zhengwu.simulate.output import SimulatedOutput, weibo_time

# Keys of open API v2 statuses seen in the real samples (FORMATS.md 1a).
STATUS_KEYS = {
    "created_at", "id", "idstr", "mid", "can_edit", "show_additional_indication", "text",
    "source_allowclick", "source_type", "source", "favorited", "truncated",
    "in_reply_to_status_id", "in_reply_to_user_id", "in_reply_to_screen_name", "pic_urls",
    "geo", "is_paid", "mblog_vip_type", "user", "reposts_count", "comments_count",
    "attitudes_count", "visible",
}  # fmt: skip
USER_KEYS = {
    "id", "idstr", "screen_name", "name", "province", "city", "location", "description",
    "profile_image_url", "gender", "followers_count", "friends_count", "statuses_count",
    "created_at", "verified", "verified_type", "verified_reason",
}  # fmt: skip
FULL_USER_KEYS = USER_KEYS | {"url", "profile_url", "domain", "favourites_count", "avatar_hd",
                              "bi_followers_count", "lang", "verified_trade", "online_status"}  # fmt: skip
WECHAT_KEYS = [
    "title", "link", "publishAt", "readNum", "likeNum", "likeNum2", "msgBiz", "msgMid", "msgIdx",
    "sourceUrl", "cover", "digest", "isFail", "author", "copyrightStat", "accountName",
    "updateNumAt",
]  # fmt: skip
AWEME_KEYS = {
    "aweme_id", "aweme_type", "title", "desc", "create_time", "user_id", "sec_uid", "nickname",
    "liked_count", "collected_count", "comment_count", "share_count", "play_count",
    "ip_location", "aweme_url",
}  # fmt: skip
CREATOR_KEYS = {"user_id", "nickname", "desc", "ip_location", "follows", "fans", "interaction",
                "videos_count"}  # fmt: skip


def test_every_json_file_parses(city: SimulatedOutput) -> None:
    files = city.files()
    assert {f.suffix for f in files} >= {".jsonl", ".json", ".csv"}
    for path in files:
        if path.suffix == ".jsonl":
            lines = path.read_bytes().splitlines()
            assert lines, path
            assert all(isinstance(orjson.loads(line), dict) for line in lines)
        elif path.suffix == ".json":
            assert orjson.loads(path.read_bytes())


def test_weibo_statuses_have_the_real_keys_and_consistent_ids(city: SimulatedOutput) -> None:
    window_start = date(2025, 7, 1)
    seen = 0
    for status in city.statuses():
        assert set(status) >= STATUS_KEYS
        assert set(status["user"]) >= USER_KEYS
        assert status["id"] == int(status["idstr"]) == int(status["mid"])
        when = weibo_time(status["created_at"])
        assert when.utcoffset() is not None
        assert when.date() >= window_start
        # A Weibo id carries its time: id >> 22 is the unix time minus 515483463.
        assert (status["id"] >> 22) + 515_483_463 == int(when.timestamp())
        assert status["source"].startswith("<a href=")
        for picture in status["pic_urls"]:
            assert picture["thumbnail_pic"].startswith("http://wx")
        if status["pic_urls"]:
            assert status["original_pic"].endswith(".jpg")
        seen += 1
    assert seen == city.truth["platforms"]["weibo"]["posts"]


def test_weibo_reposts_embed_their_root_or_the_deleted_stub(month: SimulatedOutput) -> None:
    reposts = [s for s in month.statuses() if "retweeted_status" in s]
    assert reposts
    deleted = [s["retweeted_status"] for s in reposts if s["retweeted_status"].get("deleted")]
    alive = [s["retweeted_status"] for s in reposts if not s["retweeted_status"].get("deleted")]
    assert deleted
    assert len(deleted) < len(alive)
    for stub in deleted:
        assert stub["deleted"] == "1"
        assert stub["state"] == 7
        assert stub["text"].startswith("抱歉，此微博已被作者删除")
        assert "user" not in stub
    for root in alive:
        assert set(root) >= STATUS_KEYS
        assert "retweeted_status" not in root


def test_weibo_users_are_full_user_objects(city: SimulatedOutput) -> None:
    users = list(city.jsonl("weibo/users.jsonl"))
    assert len(users) == city.truth["counts"]["accounts"]["weibo"]
    for user in users:
        assert set(user) >= FULL_USER_KEYS
        assert len(user["province"]) == 2
        assert user["province"].isdigit()
        assert user["city"].isdigit()
        weibo_time(user["created_at"])


def test_wechat_rows_are_wechat_spider_exports(city: SimulatedOutput) -> None:
    pushes: dict[tuple[str, str], list[int]] = {}
    for row in city.jsonl("wechat/articles.jsonl"):
        assert list(row) == WECHAT_KEYS
        assert row["link"].startswith(f"https://mp.weixin.qq.com/s?__biz={row['msgBiz']}&mid=")
        assert row["publishAt"].endswith("+08:00")
        assert 0 <= row["readNum"] <= 100_001
        assert row["copyrightStat"] in (11, 100)
        pushes.setdefault((row["msgBiz"], row["msgMid"]), []).append(int(row["msgIdx"]))
    # A push holds 1–5 articles numbered from the headline (idx 1).
    assert all(
        sorted(idx) == list(range(1, len(idx) + 1)) and len(idx) <= 5 for idx in pushes.values()
    )
    assert max(len(idx) for idx in pushes.values()) > 1


def test_douyin_rows_are_mediacrawler_rows(city: SimulatedOutput) -> None:
    for row in city.jsonl("douyin/aweme.jsonl"):
        assert set(row) >= AWEME_KEYS
        assert all(
            isinstance(row[k], str) and row[k].isdigit()
            for k in ("liked_count", "comment_count", "share_count", "play_count")
        )
        assert isinstance(row["create_time"], int)
        assert int(row["aweme_id"]) >> 32 == row["create_time"]
        assert row["aweme_url"] == f"https://www.douyin.com/video/{row['aweme_id']}"
    creators = list(city.jsonl("douyin/creators.jsonl"))
    assert creators
    assert all(set(c) >= CREATOR_KEYS for c in creators)


def test_the_platform_importers_accept_every_record(city: SimulatedOutput) -> None:
    plan = [
        ("weibo-api", "weibo/users.jsonl"),
        ("weibo-api", "weibo/statuses-2025-07.jsonl"),
        ("weibo-comments", "weibo/comments-2025-07.jsonl"),
        ("wechat-articles", "wechat/articles.jsonl"),
        ("douyin-aweme", "douyin/aweme.jsonl"),
    ]
    for fmt, relative in plan:
        items = list(get_importer(fmt).read(Path(city.root / relative)))
        assert items, relative
        refused = [i.primary for i in items if isinstance(i.primary, QuarantineRecord)]
        assert refused == [], relative
