"""Weibo test helpers: a small generator of realistic open API v2 statuses.

Lines carry the full field set of real responses (FORMATS.md 1a/1b: ~60 status and user
keys, a tenth of them reposts with a nested root and its author), so that the decoder
skips as many unknown fields as it does on real data. Tests get it through the
``write_synth_statuses`` fixture (pytest runs with ``--import-mode=importlib``, so test
modules cannot import a sibling helper module).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

_PLACES = [("11", "5", "北京 朝阳区"), ("44", "1", "广东 广州"), ("33", "1", "浙江 杭州")]
_PLACES += [("34", "1", "安徽 合肥"), ("11", "1000", "北京"), ("51", "1", "四川 成都")]
_BODIES = ["公安局", "发布", "消防", "气象局", "交警", "网信办", "卫健委", "应急管理局"]
_TOPICS = ["北京暴雨", "防汛进行时", "平安守护", "我为群众办实事", "安全生产月", "文明出行"]
_SOURCE = '<a href="http://app.weibo.com/t/feed/6vtZb0" rel="nofollow">微博 weibo.com</a>'
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def api_time(dt: datetime) -> str:
    """Format a time like the open API: "Fri Mar 31 23:47:24 +0800 2017"."""
    local = dt.astimezone(UTC) + timedelta(hours=8)
    return (
        f"{_DAYS[local.weekday()]} {_MONTHS[local.month - 1]} {local.day:02d} "
        f"{local:%H:%M:%S} +0800 {local.year}"
    )


def make_user(rng: random.Random, uid: int) -> dict[str, Any]:
    """Return a full open API user object; about half are government accounts."""
    province, city, location = rng.choice(_PLACES)
    gov = rng.random() < 0.5
    name = f"{location.split()[0]}{rng.choice(_BODIES)}{uid % 1000}" if gov else f"用户{uid}"
    return {
        "id": uid, "idstr": str(uid), "class": 1, "screen_name": name, "name": name,
        "province": province, "city": city, "location": location,
        "description": "发布权威信息，服务人民群众。" if gov else "热爱生活",
        "url": "", "profile_image_url": f"http://tva1.sinaimg.cn/crop.0.0.180.180.50/{uid}.jpg",
        "cover_image_phone": "http://ww1.sinaimg.cn/crop.0.0.640.640.640/549d0121tw1egm1kjly3jj20hs0hsq4f.jpg",
        "profile_url": f"u/{uid}", "domain": "", "weihao": "", "gender": rng.choice("mf"),
        "followers_count": rng.randint(0, 5_000_000), "friends_count": rng.randint(0, 2000),
        "pagefriends_count": 0, "statuses_count": rng.randint(0, 80_000),
        "favourites_count": rng.randint(0, 500),
        "created_at": api_time(datetime(2011, 6, 13, 1, 37, 44, tzinfo=UTC)),
        "following": False, "allow_all_act_msg": False, "geo_enabled": True, "verified": gov,
        "verified_type": 1 if gov else -1, "remark": "", "insecurity": {"sexual_content": False},
        "ptype": 0, "allow_all_comment": True,
        "avatar_large": f"http://tva1.sinaimg.cn/crop.0.0.180.180.180/{uid}.jpg",
        "avatar_hd": f"http://tva1.sinaimg.cn/crop.0.0.180.180.1024/{uid}.jpg",
        "verified_reason": f"{name}官方微博" if gov else "", "verified_trade": "",
        "verified_reason_url": "", "verified_source": "", "verified_source_url": "",
        "verified_state": 0, "verified_level": 3 if gov else 0, "verified_reason_modified": "",
        "verified_contact_name": "", "verified_contact_email": "", "verified_contact_mobile": "",
        "follow_me": False, "online_status": 0, "bi_followers_count": rng.randint(0, 900),
        "lang": "zh-cn", "star": 0, "mbtype": 12, "mbrank": 6, "block_word": 0, "block_app": 1,
        "credit_score": 80, "user_ability": 10, "urank": 40,
    }  # fmt: skip


def make_status(
    rng: random.Random, sid: int, user: dict[str, Any], when: datetime, *, root: bool = True
) -> dict[str, Any]:
    """Return a full open API status; with ``root`` a tenth of them repost another status."""
    topic = rng.choice(_TOPICS)
    text = (
        f"【#{topic}#】今天{rng.randint(1, 30)}时起，全市启动防汛应急响应，请市民减少外出。"
        f"@{user['screen_name']} 提醒：注意出行安全。详情 http://t.cn/A6{sid % 100000:05d}"
    )
    status: dict[str, Any] = {
        "created_at": api_time(when), "id": sid, "idstr": str(sid), "mid": str(sid),
        "can_edit": False, "version": 2, "show_additional_indication": 0, "text": text,
        "textLength": len(text) * 2, "source_allowclick": 0, "source_type": 1,
        "source": _SOURCE, "favorited": False, "truncated": False,
        "in_reply_to_status_id": "", "in_reply_to_user_id": "", "in_reply_to_screen_name": "",
        "pic_urls": [{"thumbnail_pic": f"http://wx4.sinaimg.cn/thumbnail/{sid:x}.jpg"}],
        "thumbnail_pic": f"http://wx4.sinaimg.cn/thumbnail/{sid:x}.jpg",
        "bmiddle_pic": f"http://wx4.sinaimg.cn/bmiddle/{sid:x}.jpg",
        "original_pic": f"http://wx4.sinaimg.cn/large/{sid:x}.jpg",
        "geo": None, "is_paid": False, "mblog_vip_type": 0, "user": user,
        "reposts_count": rng.randint(0, 5000), "comments_count": rng.randint(0, 3000),
        "attitudes_count": rng.randint(0, 20000), "pending_approval_count": 0,
        "isLongText": False, "reward_exhibition_type": 0, "hide_flag": 0,
        "visible": {"type": 0, "list_id": 0}, "biz_ids": [0], "biz_feature": 4294967300,
        "hasActionTypeCard": 0, "darwin_tags": [], "hot_weibo_tags": [], "text_tag_tips": [],
        "mblogtype": 0, "userType": 0, "more_info_type": 0, "positive_recom_flag": 0,
        "content_auth": 0, "gif_ids": "", "is_show_bulletin": 2,
        "comment_manage_info": {"comment_permission_type": -1, "approval_comment_type": 0},
        "annotations": [{"mapi_request": True}],
    }  # fmt: skip
    if root and rng.random() < 0.1:
        root_user = make_user(rng, 1_000_000_000 + rng.randint(0, 500))
        status["retweeted_status"] = make_status(
            rng, sid + 7, root_user, when - timedelta(hours=3), root=False
        )
    return status


def write_statuses(path: Path, n: int, *, seed: int = 7, users: int = 2000) -> Path:
    """Write ``n`` status lines (JSON Lines) drawn from a pool of ``users`` authors."""
    rng = random.Random(seed)
    pool = [make_user(rng, 2_000_000_000 + i) for i in range(users)]
    start = datetime(2023, 7, 29, tzinfo=UTC)
    with path.open("wb") as fh:
        for i in range(n):
            when = start + timedelta(seconds=37 * i)
            status = make_status(rng, 4_900_000_000_000_000 + i * 13, rng.choice(pool), when)
            fh.write(orjson.dumps(status) + b"\n")
    return path


@pytest.fixture
def write_synth_statuses() -> Callable[[Path, int], Path]:
    """Return :func:`write_statuses` (writes ``n`` realistic status lines to a path)."""
    return write_statuses
