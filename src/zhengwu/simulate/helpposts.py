"""A simulated stream of help posts during a flood (#…暴雨互助#), in Weibo open API v2 shape.

:func:`write_help_posts` writes ``help/posts.jsonl`` (one status per line, user embedded,
reposts carrying ``retweeted_status``) and ``help/truth.jsonl`` (each post id → the help
request it belongs to, or ``null``). The stream has what real incident streams have
(He et al. 2022; the 2021 Henan spreadsheet): template posts 【姓名】【年龄】…, free text,
reposts, copies re-posted by strangers with small edits, updates ("已获救"), prayers, news,
official notices and reposts of them. The notices are posted by the struck city's own
government accounts (its 发布 and emergency bureau, handed in as embedded Weibo users), so
importing the stream adds no government account that the account list does not hold;
without such accounts there are no notices. Attention is heavy-tailed: a few requests collect
most mirrors, most collect none or one. The truth file is what the merge benchmark scores
precision and recall against.

Self-contained on purpose (numpy, orjson, the divisions table): the simulator package
calls it as one stream among others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from zhengwu import regions

CHINA = timezone(timedelta(hours=8))
WEIBO_TIME = "%a %b %d %H:%M:%S %z %Y"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红玉梅志文宏斌春燕鹏辉"
_STREETS = [
    "文化路",
    "农业路",
    "建设路",
    "人民路",
    "解放路",
    "黄河路",
    "嵩山路",
    "桐柏路",
    "伏牛路",
    "航海路",
    "金水路",
    "经三路",
    "纬五路",
    "花园路",
    "丰产路",
    "东风路",
    "大学路",
    "陇海路",
    "中州大道",
    "商城路",
    "紫荆山路",
    "未来路",
    "长江路",
    "淮河路",
]
_ESTATES = [
    "金水花园",
    "幸福家园",
    "锦绣华庭",
    "阳光小区",
    "绿城小区",
    "鑫苑小区",
    "建业新城",
    "碧桂园",
    "兴华小区",
    "紫荆花园",
    "书香苑",
    "康桥华城",
    "永威小区",
    "正商城",
    "联盟新城",
    "英协花园",
    "银河小区",
    "滨河花园",
]
_VILLAGE_HEADS = ["东", "西", "南", "北", "前", "后", "上", "下", "大", "小", "新", "老"]
_VILLAGE_STEMS = [
    "王庄",
    "李庄",
    "张湾",
    "刘寨",
    "陈营",
    "杨村",
    "黄岗",
    "赵楼",
    "孙庄",
    "马沟",
    "河口",
    "柳林",
    "杏园",
    "枣林",
]
_TOWN_SUFFIX = ("镇", "乡", "街道")
_TOWN_STEMS = [
    "城关",
    "新店",
    "城郊",
    "白沙",
    "龙湖",
    "高村",
    "米河",
    "大冶",
    "王村",
    "古城",
    "官渡",
    "孟庄",
    "薛店",
    "八岗",
]

_HAZARDS = (
    "水已到二楼", "水已经齐腰深", "水还在上涨", "一楼已经淹了", "水快淹到房顶了",
    "房子后面山体滑坡", "村子被水围了", "地下车库进水",
)  # fmt: skip
_SITUATIONS = (
    "家中{old}名老人被困", "{n}人被困在家中", "有{n}个人被困，其中有孩子", "老人行动不便",
    "孩子发高烧", "家里停电停水两天了", "手机快没电了", "有孕妇，预产期快到了",
    "老人有心脏病需要吃药", "食物和饮用水都没了", "有人受伤流血", "婴儿奶粉没了",
)  # fmt: skip
_PLEAS = ("求救援！", "请求救援！", "急需冲锋舟！", "求扩散！", "急急急！", "谢谢大家帮帮忙！")
_COPY_PREFIX = ("求扩散！", "急！！", "帮转 ", "扩散一下 ", "【求助】", "转：", "")
_COPY_SUFFIX = ("", " 求转发", " 帮帮忙", "！！", " 大家帮忙扩散", " 🙏")
_REPOST_COMMENTS = (
    "转发微博", "扩散", "求扩散！", "帮转", "扩散扩散", "希望平安", "转", "一定要平安啊",
    "有附近的救援队吗", "@蓝天救援队 @河南消防",
)  # fmt: skip
_RESCUED = (
    "已获救，谢谢大家！请不要再打电话了", "人已经救出来了，感谢救援队！", "已经安全转移，谢谢！",
    "已获救，请勿重复救援", "家人已获救，感谢所有帮忙的人",
)  # fmt: skip
_PRAYERS = (
    "祈福{city}，愿大家平安！", "{city}加油！挺住！", "愿所有被困的人都能平安 🙏",
    "看得心里好难受，{city}一定要挺住", "为救援人员点赞，辛苦了！", "天佑{city}",
)  # fmt: skip
_NEWS = (
    "【{city}遭遇特大暴雨】据气象部门消息，{city}24小时降雨量突破历史极值，多地出现内涝。",
    "【多支救援队伍驰援{city}】消防、蓝天救援队等力量已抵达{county}，全力开展救援。",
    "【最新】{county}已转移安置群众{k}人，救援工作仍在进行中。",
    "据{city}发布消息，{county}部分道路积水严重，请市民非必要不出行。",
)  # fmt: skip
_NOTICES = (
    "【防汛救援求助电话】{city}防汛抗旱指挥部：如遇险情请拨打119、110或救援热线{hotline}。",
    "【提醒】{county}各避难场所已开放，需要转移的群众可就近前往，咨询电话{hotline}。",
    "【权威发布】请求助群众按格式发布信息：姓名、地址、人数、联系方式、情况描述。",
)  # fmt: skip


@dataclass(slots=True)
class _Request:
    """One true help request and the facts every mirror repeats."""

    key: str
    name: str
    age: int
    phone: str
    address: str
    people: int
    text: str
    posted: datetime
    weight: float


class _Stream:
    """Draws posts for one incident and collects (status, truth) rows."""

    def __init__(
        self,
        rng: np.random.Generator,
        city_adcode: str,
        start: datetime,
        officials: Sequence[dict[str, Any]] = (),
    ) -> None:
        city = regions.get(city_adcode)
        if city is None:
            raise ValueError(f"unknown city adcode {city_adcode!r}")
        self.rng = rng
        self.city = city.name
        self.counties = [c.name for c in regions.children(city_adcode)] or [city.name]
        self.start = start.astimezone(UTC)
        self.tag = help_hashtag(city_adcode)
        self.officials = list(officials)
        self.rows: list[tuple[datetime, dict[str, Any], str | None, str]] = []
        self.phones: set[str] = set()
        self.addresses: set[str] = set()
        self.users = 0

    # -- small draws ------------------------------------------------------------------
    def pick(self, items: tuple[str, ...] | list[str] | str) -> str:
        """Return one item drawn uniformly."""
        return items[int(self.rng.integers(len(items)))]

    def chance(self, p: float) -> bool:
        """Return True with probability ``p``."""
        return bool(self.rng.random() < p)

    def user(self) -> dict[str, Any]:
        """Return a new embedded Weibo user (an ordinary citizen)."""
        self.users += 1
        uid = 5_000_000_000 + self.users
        name = f"用户{uid % 10_000_000:07d}"
        return {
            "id": uid, "idstr": str(uid), "screen_name": name, "name": name,
            "verified": False, "verified_type": -1,
            "followers_count": int(self.rng.integers(10, 5000)),
        }  # fmt: skip

    def official(self) -> dict[str, Any]:
        """Return one of the city's government accounts, as its statuses embed it."""
        return self.officials[int(self.rng.integers(len(self.officials)))]

    def phone(self) -> str:
        """Return an unused mobile number."""
        while True:
            number = self.pick(("13", "15", "18", "17")) + f"{int(self.rng.integers(10**9)):09d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def person(self) -> str:
        """Return a plausible Chinese name."""
        given = self.pick(_GIVEN) + (self.pick(_GIVEN) if self.chance(0.6) else "")
        return self.pick(_SURNAMES) + given

    def address(self) -> str:
        """Return an unused street or village address in one of the city's counties."""
        while True:
            county = self.pick(self.counties)
            if self.chance(0.55):
                place = (
                    f"{self.pick(_STREETS)}{int(self.rng.integers(1, 300))}号"
                    f"{self.pick(_ESTATES)}{int(self.rng.integers(1, 40))}号楼"
                )
            else:
                town = self.pick(_TOWN_STEMS) + self.pick(_TOWN_SUFFIX)
                place = f"{town}{self.pick(_VILLAGE_HEADS)}{self.pick(_VILLAGE_STEMS)}村"
            city = self.city if self.chance(0.7) else ""
            address = f"{city}{county}{place}"
            if address not in self.addresses:
                self.addresses.add(address)
                return address

    def styled_phone(self, phone: str) -> str:
        """Return ``phone`` as people write it (spaces, dashes, or plain)."""
        style = int(self.rng.integers(4))
        if style == 1:
            return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
        if style == 2:
            return f"{phone[:3]} {phone[3:7]} {phone[7:]}"
        return phone

    def later(self, when: datetime, mean_hours: float) -> datetime:
        """Return a time after ``when``, exponentially distributed."""
        return when + timedelta(seconds=float(self.rng.exponential(mean_hours * 3600)) + 30)

    # -- posts ------------------------------------------------------------------------
    def status(
        self, when: datetime, text: str, user: dict[str, Any], root: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Return a status without its id (ids are given in time order at the end)."""
        status: dict[str, Any] = {
            "created_at": when.astimezone(CHINA).strftime(WEIBO_TIME), "text": text,
            "source": '<a href="http://app.weibo.com/t/feed/6vtZb0" rel="nofollow">微博 weibo.com</a>',
            "user": user, "reposts_count": 0, "comments_count": int(self.rng.integers(0, 20)),
            "attitudes_count": int(self.rng.integers(0, 50)), "favorited": False,
            "truncated": False, "pic_urls": [], "geo": None,
        }  # fmt: skip
        if root is not None:
            status["retweeted_status"] = root
            root["reposts_count"] += 1
        return status

    def add(self, when: datetime, status: dict[str, Any], truth: str | None, kind: str) -> None:
        """Queue one post for output."""
        self.rows.append((when, status, truth, kind))

    def help_text(self, req_name: str, age: int, phone: str, address: str, people: int) -> str:
        """Return an original help post in one of the styles people use."""
        old = int(self.rng.integers(1, 3))
        situation = self.pick(_SITUATIONS).format(n=people, old=old)
        hazard = self.pick(_HAZARDS)
        shown = self.styled_phone(phone)
        tag = self.tag if self.chance(0.8) else ""
        style = int(self.rng.integers(5))
        if style <= 1:  # the circulated template
            county_first = address.replace(self.city, "")
            return (
                f"{tag}【姓名】{req_name}【年龄】{age}【所在城市】{self.city}"
                f"【所在小区】{county_first}【联系方式】{shown}"
                f"【情况描述】{situation}，{hazard}，共{people}人，{self.pick(_PLEAS)}"
            )
        if style == 2:  # colon-labelled lines
            return (
                f"{tag}求助信息\n求助人：{req_name}\n地址：{address}\n被困人数：{people}人\n"
                f"联系电话：{shown}\n情况：{situation}，{hazard}"
            )
        if style == 3:  # free text, first person
            return (
                f"{tag}{self.pick(_PLEAS)}{address}，{situation}，{hazard}，家里一共{people}口人，"
                f"我是{req_name}，电话{shown}"
            )
        return (  # free text on behalf of relatives
            f"{tag}求助！我家人在{address}，{situation}，{hazard}，一共{people}个人，"
            f"联系不上了，{req_name}的电话：{shown}，{self.pick(_PLEAS)}"
        )

    def copy_text(self, text: str) -> str:
        """Return ``text`` re-posted by a stranger with small edits."""
        body = text
        if self.chance(0.3):
            body = body.replace(self.tag, "")
        if self.chance(0.3):
            body = body.replace("，", " ").replace("！", "!")
        if self.chance(0.2) and len(body) > 60:
            body = body[: int(len(body) * 0.85)]
        return f"{self.pick(_COPY_PREFIX)}{body}{self.pick(_COPY_SUFFIX)}"


def _weights(rng: np.random.Generator, n: int) -> np.ndarray:
    # Heavy-tailed attention: 5 % of help posts got over 95 % of the attention (He et al.).
    raw = rng.pareto(1.1, n) + 0.05
    return np.asarray(raw / raw.sum())


def help_hashtag(city_adcode: str) -> str:
    """Return the hashtag the help posts of a city's flood carry (``#郑州暴雨互助#``)."""
    city = regions.get(city_adcode)
    if city is None:
        raise ValueError(f"unknown city adcode {city_adcode!r}")
    return f"#{city.short_name}暴雨互助#"


def write_help_posts(
    out_dir: Path,
    *,
    rng: np.random.Generator,
    city_adcode: str,
    start: datetime,
    n_posts: int,
    officials: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Write ``help/posts.jsonl`` and ``help/truth.jsonl`` for one city's flood; return counts.

    ``officials`` are the embedded Weibo users of the city's government accounts that post
    the official notices; with none, the stream has no notices.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    stream = _Stream(rng, city_adcode, start, officials)
    n_requests = max(1, int(n_posts * 0.3))
    n_noise = int(n_posts * 0.15)
    requests: list[_Request] = []
    for i in range(n_requests):
        name, age = stream.person(), int(rng.integers(18, 90))
        phone, address = stream.phone(), stream.address()
        people = int(min(rng.geometric(0.35), 30))
        text = stream.help_text(name, age, phone, address, people)
        posted = stream.start + timedelta(hours=float(rng.uniform(0, 48)))
        requests.append(_Request(f"R{i:06d}", name, age, phone, address, people, text, posted, 0.0))
    for request, weight in zip(requests, _weights(rng, n_requests), strict=True):
        request.weight = float(weight)

    originals: dict[str, dict[str, Any]] = {}
    for request in requests:
        status = stream.status(request.posted, request.text, stream.user())
        originals[request.key] = status
        stream.add(request.posted, status, request.key, "original")

    n_updates = min(n_requests, int(n_requests * 0.25))
    for request in (requests[int(i)] for i in rng.choice(n_requests, n_updates, replace=False)):
        _update(stream, request, originals[request.key])

    n_mirrors = max(0, n_posts - n_requests - n_updates - n_noise)
    chosen = rng.choice(n_requests, n_mirrors, p=_weights_of(requests))
    for index in chosen:
        request = requests[int(index)]
        _mirror(stream, request, originals[request.key])
    _noise(stream, n_posts - len(stream.rows))
    return _write(out_dir, stream, n_requests)


def _weights_of(requests: list[_Request]) -> np.ndarray:
    weights = np.array([r.weight for r in requests])
    return np.asarray(weights / weights.sum())


def _update(stream: _Stream, request: _Request, original: dict[str, Any]) -> None:
    when = stream.later(request.posted, 6)
    rescued = stream.pick(_RESCUED)
    style = int(stream.rng.integers(3))
    if style == 0:  # the author reposts the request with the news
        status = stream.status(when, rescued, stream.user(), original)
    elif style == 1:  # a new post naming the place or the phone
        ref = request.address if stream.chance(0.5) else stream.styled_phone(request.phone)
        status = stream.status(
            when, f"{stream.tag}【更新】{ref} {request.name}{rescued}", stream.user()
        )
    else:  # the request re-posted with a marker in front
        status = stream.status(when, f"【已获救】{request.text}", stream.user())
    stream.add(when, status, request.key, "update")


def _mirror(stream: _Stream, request: _Request, original: dict[str, Any]) -> None:
    when = stream.later(request.posted, 3)
    if stream.chance(0.62):
        comment = stream.pick(_REPOST_COMMENTS)
        if stream.chance(0.3):
            comment = f"{comment}//@用户{int(stream.rng.integers(10**7)):07d}:{stream.pick(_REPOST_COMMENTS)}"
        stream.add(
            when, stream.status(when, comment, stream.user(), original), request.key, "repost"
        )
    else:
        text = stream.copy_text(request.text)
        stream.add(when, stream.status(when, text, stream.user()), request.key, "copy")


def _noise(stream: _Stream, count: int) -> None:
    notices: list[dict[str, Any]] = []
    hotline = f"0371-{int(stream.rng.integers(60000000, 69999999))}"
    for _ in range(max(0, count)):
        when = stream.start + timedelta(hours=float(stream.rng.uniform(0, 60)))
        values = {
            "city": stream.city, "county": stream.pick(stream.counties),
            "k": int(stream.rng.integers(100, 20000)), "hotline": hotline,
        }  # fmt: skip
        roll = stream.rng.random()
        if roll < 0.45:
            text = stream.pick(_PRAYERS).format(**values)
            tag = stream.tag if stream.chance(0.6) else ""
            stream.add(when, stream.status(when, tag + text, stream.user()), None, "prayer")
        elif roll < 0.7 or not stream.officials:
            text = stream.pick(_NEWS).format(**values)
            stream.add(when, stream.status(when, text, stream.user()), None, "news")
        elif roll < 0.8 or not notices:
            text = stream.pick(_NOTICES).format(**values)
            status = stream.status(when, text, stream.official())
            notices.append(status)
            stream.add(when, status, None, "notice")
        else:
            root = notices[int(stream.rng.integers(len(notices)))]
            comment = stream.pick(("扩散", "转发微博", "收到，扩散", "大家注意"))
            stream.add(
                when, stream.status(when, comment, stream.user(), root), None, "notice_repost"
            )


def _write(out_dir: Path, stream: _Stream, n_requests: int) -> dict[str, Any]:
    folder = out_dir / "help"
    folder.mkdir(parents=True, exist_ok=True)
    # Reposts come after their root in time, so giving ids in time order keeps ids
    # increasing as on Weibo and lets a root's id be known when its reposts are written.
    stream.rows.sort(key=lambda row: row[0])
    base = 4_660_000_000_000_000
    for number, (_, status, _, _) in enumerate(stream.rows):
        status["id"] = base + number
        status["idstr"] = status["mid"] = str(base + number)
    kinds: dict[str, int] = {}
    with (folder / "posts.jsonl").open("wb") as posts, (folder / "truth.jsonl").open("wb") as truth:
        for _, status, request_key, kind in stream.rows:
            posts.write(orjson.dumps(status) + b"\n")
            row = {"id": status["idstr"], "request": request_key, "kind": kind}
            truth.write(orjson.dumps(row) + b"\n")
            kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "posts": len(stream.rows),
        "requests": n_requests,
        "hashtag": stream.tag,
        "kinds": dict(sorted(kinds.items())),
        "posts_path": str(folder / "posts.jsonl"),
        "truth_path": str(folder / "truth.jsonl"),
    }
