"""Weibo open API v2 shapes (FORMATS.md 1a/1b): user objects and status lines.

Status lines are assembled as bytes from pre-encoded, pre-escaped pieces with one
``bytes % tuple`` per line, not by dumping a dict per post: the national year writes 20+
million of them, and building ``str`` lines that hold Chinese then encoding them costs
more than the formatting itself. Strings that could need escaping go through
:func:`json_bytes`, so the output is valid JSON whatever a name contains.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from zhengwu.simulate.config import CHINA_TZ

# Weibo status ids carry their time: id >> 22 is the unix time minus this epoch.
ID_EPOCH = 515_483_463
ACCOUNT_BITS = 22  # the low bits hold the account slot; streams beyond the population
# (citizens, help posts) use slots from EXTRA_SLOTS upwards so ids never collide.
EXTRA_SLOTS = 1 << 20
DELETED_TEXT = "抱歉，此微博已被作者删除。查看帮助：http://t.cn/Rfd3rQV"
SOURCES = (
    ("http://app.weibo.com/t/feed/6vtZb0", "微博 weibo.com"),
    ("http://app.weibo.com/t/feed/3G5oUM", "iPhone客户端"),
    ("http://app.weibo.com/t/feed/5g0B8s", "微博网页版"),
    ("http://app.weibo.com/t/feed/4ACxed", "HUAWEI Mate 60 Pro"),
    ("http://app.weibo.com/t/feed/2llosp", "Android客户端"),
    ("http://app.weibo.com/t/feed/5yiHuw", "微博视频号"),
)
SOURCE_JSON = tuple(
    orjson.dumps(f'<a href="{url}" rel="nofollow">{name}</a>').decode() for url, name in SOURCES
)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CLOCK = tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400))
CLOCK_BYTES = tuple(c.encode() for c in CLOCK)
_B62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# One status: created_at (day prefix, clock, day suffix), id ×3, text (escaped, without
# quotes), pic_urls body, picture keys, author block, retweet part, reposts, comments, likes.
STATUS_LINE = (
    b'{"created_at":"%s%s%s","id":%d,"idstr":"%d","mid":"%d","can_edit":false,'
    b'"show_additional_indication":0,"text":"%s","pic_urls":[%s]%s,%s%s,'
    b'"reposts_count":%d,"comments_count":%d,"attitudes_count":%d,'
    b'"pending_approval_count":0,"isLongText":false,"mlevel":0,'
    b'"visible":{"type":0,"list_id":0},"biz_feature":0,"darwin_tags":[],"hot_weibo_tags":[],'
    b'"text_tag_tips":[],"mblogtype":0,"userType":0}\n'
)
RETWEET_KEY = b',"retweeted_status":'
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def json_bytes(text: str) -> bytes:
    """Return a JSON string's content (no quotes) as UTF-8, escaped when needed."""
    if _NEEDS_ESCAPE.search(text):
        return orjson.dumps(text)[1:-1]
    return text.encode()


def status_id(ts: int, slot: int) -> int:
    """Return a Weibo status id for a post at unix time ``ts`` by account slot ``slot``."""
    return ((ts - ID_EPOCH) << ACCOUNT_BITS) | slot


def api_time(ts: int) -> str:
    """Return the open API's created_at ("Tue Jul 01 09:37:44 +0800 2025")."""
    dt = datetime.fromtimestamp(ts, CHINA_TZ)
    return (
        f"{_WEEKDAYS[dt.weekday()]} {_MONTHS[dt.month - 1]} {dt.day:02d} "
        f"{CLOCK[dt.hour * 3600 + dt.minute * 60 + dt.second]} +0800 {dt.year}"
    )


class DayClock:
    """Fast created_at pieces for posts inside a window (one prefix per day)."""

    def __init__(self, start_ts: int, days: int) -> None:
        self.start_ts = start_ts
        self.prefix: list[bytes] = []
        self.suffix: list[bytes] = []
        for d in range(days + 1):
            dt = datetime.fromtimestamp(start_ts + d * 86_400, CHINA_TZ)
            self.prefix.append(
                f"{_WEEKDAYS[dt.weekday()]} {_MONTHS[dt.month - 1]} {dt.day:02d} ".encode()
            )
            self.suffix.append(f" +0800 {dt.year}".encode())

    def __call__(self, ts: int) -> bytes:
        """Return created_at for a unix time inside the window."""
        day, sec = divmod(ts - self.start_ts, 86_400)
        return self.prefix[day] + CLOCK_BYTES[sec] + self.suffix[day]


def _link(value: int) -> str:
    value = (value * 2_654_435_761) % (62**6)
    chars = []
    for _ in range(6):
        value, r = divmod(value, 62)
        chars.append(_B62[r])
    return "http://t.cn/A6" + "".join(chars)


# Links repeat across millions of posts anyway; a table keeps them off the hot path.
_LINKS = tuple(_link(v) for v in range(1 << 14))


def short_link(value: int) -> str:
    """Return a t.cn short link derived from a number."""
    return _LINKS[value & 0x3FFF]


_PIC_ENDS = tuple(f'{k}j.jpg"}}'.encode() for k in range(10))


def pictures_json(uid_hex: str, status: int, count: int) -> tuple[bytes, bytes]:
    """Return the ``pic_urls`` list body and the thumbnail/bmiddle/original keys."""
    if count == 0:
        return b"", b""
    # A sinaimg picture id (pid): the uploader's uid in hex, then a per-picture part.
    host = f"http://wx{status % 4 + 1}.sinaimg.cn"
    pid = f"{uid_hex}ly1h{status:014x}"
    head = f'{{"thumbnail_pic":"{host}/thumbnail/{pid}'.encode()
    urls = b",".join([head + _PIC_ENDS[k] for k in range(count)])
    extra = (
        f',"thumbnail_pic":"{host}/thumbnail/{pid}0j.jpg",'
        f'"bmiddle_pic":"{host}/bmiddle/{pid}0j.jpg","original_pic":"{host}/large/{pid}0j.jpg"'
    )
    return urls, extra.encode()


def account_block(source_json: str, user_json: bytes) -> bytes:
    """Return the keys of a status that only depend on its author (source, user …)."""
    head = (
        f'"source_allowclick":0,"source_type":1,"source":{source_json},"favorited":false,'
        f'"truncated":false,"in_reply_to_status_id":"","in_reply_to_user_id":"",'
        f'"in_reply_to_screen_name":"","geo":null,"is_paid":false,"mblog_vip_type":0,'
        f'"user":'
    )
    return head.encode() + user_json


def deleted_json(created: bytes, sid: int) -> bytes:
    """Return the stub the API shows for a deleted reposted status."""
    return (
        b'{"created_at":"%s","id":%d,"idstr":"%d","mid":"%d","text":"%s","deleted":"1","state":7}'
        % (created, sid, sid, sid, DELETED_TEXT.encode())
    )


def user_object(
    *,
    uid: str,
    name: str,
    province: str,
    city: str,
    location: str,
    description: str,
    gender: str,
    followers: int,
    friends: int,
    statuses: int,
    created: str,
    verified_type: int,
    verified_reason: str,
    full: bool,
) -> dict[str, Any]:
    """Return a user object; ``full`` adds what users/show has beyond the status-embedded user."""
    created_dt = datetime.fromisoformat(created).replace(tzinfo=CHINA_TZ)
    # Registration times spread over the day, derived from the uid (deterministic).
    created_dt += timedelta(seconds=int(uid) % 86_400)
    avatar = f"https://tvax{int(uid) % 4 + 1}.sinaimg.cn/crop.0.0.180.180.50/{int(uid):x}ly8g.jpg"
    verified = verified_type >= 0
    user: dict[str, Any] = {
        "id": int(uid),
        "idstr": uid,
        "screen_name": name,
        "name": name,
        "province": province,
        "city": city,
        "location": location,
        "description": description,
        "profile_image_url": avatar,
        "gender": gender,
        "followers_count": followers,
        "friends_count": friends,
        "statuses_count": statuses,
        "created_at": api_time(int(created_dt.astimezone(UTC).timestamp())),
        "verified": verified,
        "verified_type": verified_type,
        "verified_reason": verified_reason,
    }
    if full:
        user.update(
            {"class": 1},
            url="",
            profile_url=f"u/{uid}",
            domain="",
            favourites_count=0,
            avatar_large=avatar.replace(".50/", ".180/"),
            avatar_hd=avatar.replace(".50/", ".1024/"),
            bi_followers_count=min(friends, followers) // 3,
            lang="zh-cn",
            mbtype=12 if verified else 0,
            mbrank=6 if verified else 0,
            urank=36 if verified else 9,
            weihao="",
            pagefriends_count=0,
            cover_image_phone="https://ww1.sinaimg.cn/crop.0.0.640.640.640/549d0121tw1egm1kjly3jj20hs0hsq4f.jpg",
            following=False,
            allow_all_act_msg=verified,
            geo_enabled=True,
            remark="",
            ptype=0,
            allow_all_comment=True,
            verified_trade="",
            verified_reason_url="",
            verified_source="",
            verified_source_url="",
            verified_state=0 if verified else -1,
            verified_level=3 if verified else 0,
            follow_me=False,
            online_status=0,
            star=0,
            block_word=0,
            block_app=0,
            credit_score=80,
        )
    return user
