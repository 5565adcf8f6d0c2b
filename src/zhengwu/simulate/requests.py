"""A simulated stream of citizens' requests (诉求) in the formats they really arrive in.

:func:`write_requests` writes, under ``<out>/requests/``:

- ``weibo-requests.jsonl`` — Weibo open API v2 statuses (user embedded): citizens who
  ``@平安郑州 …`` a matrix account, use #马上办# / #问政#, reply under an account
  ("回复@金水住建:…"), reposts of request posts by other people (``retweeted_status``), and
  the same citizen posting the same complaint again a few days later with small edits;
- ``form-requests.csv`` — entries of the web form (``zhengwu desk import-csv --source form``);
- ``12345-requests.csv`` — a hotline system's export (``zhengwu desk import-csv``);
- ``handling-events.json`` — what the bodies do with each request, for the demo: some
  bodies are slow (they miss deadlines and get supervised), some requests are returned,
  extended, reopened by unhappy citizens; every request gets a satisfaction score;
- ``truth.jsonl`` — per source: the true problem, category and place (to score the desk's
  de-duplication, classification and jurisdiction);
- ``labelled.csv`` — each problem's text and its true first-level category (columns
  ``label,text``): training data for ``zhengwu desk model train``.

The hotline export always holds one documented ticket, :func:`documented_ticket` of the
first day (``2025070112345`` for a stream from 2025-07-01): a request the commands' help
examples can name (``zhengwu desk show 2025070112345``) whatever the seed and length.

Texts carry personal data as people write it (names, 138-style mobile numbers), so the
masking has something to do. Places are real divisions: the counties of the accounts' city.
Self-contained (numpy, orjson, the divisions table): the simulator calls it as one stream.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import orjson

from zhengwu import regions

CHINA = timezone(timedelta(hours=8))
WEIBO_TIME = "%a %b %d %H:%M:%S %z %Y"
_ID_EPOCH, _SLOT_BASE = 515_483_463, (1 << 20) + 300_000  # weibo_format's id layout
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红玉梅志文宏斌春燕鹏辉"
_STREETS = ("文化路", "农业路", "建设路", "人民路", "解放路", "黄河路", "嵩山路", "中州大道",
            "花园路", "经三路", "纬五路", "商都路", "大学路", "工人路", "桐柏路", "航海路")  # fmt: skip
_ESTATES = ("幸福小区", "阳光花园", "金水苑", "锦绣家园", "书香门第", "翠竹园", "东方名城",
            "建业森林半岛", "民生家园", "和谐里", "丰华小区", "碧桂园")  # fmt: skip
_TAGS = ("#马上办#", "#问政#", "#12345#", "")

# (first-level category, sectors that handle it, templates). Slots: {place} {addr} {n} {days}
# {name} {phone}; every template names a real problem as citizens word it.
CATEGORIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "城乡建设",
        ("住建", "城管"),
        (
            "{addr}物业公司不作为，电梯坏了{days}天没人修，老人上下楼非常困难",
            "{addr}小区物业乱收停车费，每月涨到{n}00元，业委会也不管",
            "{place}{street}路面塌陷一个大坑，晚上没有路灯，已经有人骑电动车摔倒",
            "{addr}楼顶有人私搭乱建，加盖了两层彩钢房，存在安全隐患",
            "{addr}已经停水{days}天了，没有任何通知，请供水部门尽快处理",
            "{place}{street}井盖丢失，旁边就是小学，孩子上下学很危险",
            "我们{addr}的房子交房{n}年了还办不下来房产证，开发商一直推脱",
        ),
    ),
    (
        "环境保护",
        ("生态环境", "城管"),
        (
            "{addr}旁边工地夜间施工，凌晨两点还在打桩，噪音扰民严重",
            "{place}{street}的烧烤店油烟直排，整栋楼都是油烟味，窗户都不敢开",
            "{place}有工厂晚上偷偷排放废气，气味刺鼻，附近居民都咳嗽",
            "{place}{street}旁边的河道发黑发臭，还有污水直排进去",
            "{addr}垃圾站{days}天没人清运了，臭气熏天，苍蝇到处都是",
            "{addr}楼下广场舞音响开得太大，每天晚上吵到十点",
        ),
    ),
    (
        "交通运输",
        ("交通", "公安"),
        (
            "{place}{street}和{street2}路口红绿灯坏了{days}天，早晚高峰非常拥堵",
            "{n}路公交车经常不按时发车，等了四十分钟都不来，司机态度也差",
            "在{place}打车，出租车司机拒载还绕路，多收了{n}0块钱",
            "{place}{street}两边违停严重，消防通道都被堵死了",
            "{place}{street}的斑马线标线都磨没了，学生过马路很危险，希望重新划线",
        ),
    ),
    (
        "教育文体",
        ("教育", "文旅"),
        (
            "孩子今年上小学，我们住{addr}，学区划片一直不公布，家长很着急",
            "{place}某培训机构突然关门，预交的{n}万元学费不退，老板联系不上",
            "{place}某小学课后服务收费{n}00元一学期，还强制参加",
            "{place}的社区体育场地长期锁门，居民没地方锻炼",
        ),
    ),
    (
        "劳动和社会保障",
        ("人社", "医保"),
        (
            "我在{place}一个工地干活，老板拖欠工资{n}个月了，一共{n}万多元，讨了多次不给",
            "公司一直没给我们交社保，离职时才发现断缴了{n}年",
            "退休手续办了{n}个月，养老金还没有发放，请人社部门帮忙查一下",
            "在{place}的医院看病，医保报销比例和政策说的不一样",
            "公司违法辞退不给补偿，劳动合同也不给我们留一份",
        ),
    ),
    (
        "商贸旅游",
        ("市场监管", "文旅"),
        (
            "{place}{street}一家健身房卷款跑路，办的{n}000元会员卡没法退",
            "在{place}超市买到过期食品，找商家退换被拒绝",
            "{place}景区门票价格和公示的不一样，还强制购物",
            "{place}{street}的饭店卫生很差，吃完全家拉肚子，请市场监管部门查一下",
        ),
    ),
    (
        "卫生计生",
        ("卫健", "医保"),
        (
            "{place}人民医院挂号太难，排队{n}个小时，医生看病只用两分钟",
            "孩子在{place}社区卫生服务中心打疫苗，排了一上午还没打上",
            "生育登记网上办理一直提示失败，请问{place}线下在哪里办",
            "{place}某诊所乱收费，开的药比医院贵{n}倍",
        ),
    ),
)
_COPY_EDITS = (("非常", "特别"), ("，", "，真的"), ("请", "恳请"), ("！", "！！"))
_REPLIES = ("回复@{account}:", "@{account} ", "")
_REPOST_TEXT = ("扩散", "同问", "我们小区也是这样", "希望尽快解决", "转发微博", "顶一下")
_RETURN_REASONS = ("不属于本单位职责", "地址不在本辖区", "应由上级主管部门办理")
_REOPEN_REASONS = ("问题没有解决", "只是敷衍答复", "过几天又出现了")


class MatrixAccount(Protocol):
    """What the stream needs of an account (``zhengwu.simulate.population.Account`` fits)."""

    platform: str
    uid: str
    name: str
    sector: str
    adcode: str


@dataclass(slots=True)
class _Problem:
    key: str
    category: str
    adcode: str
    text: str
    name: str
    phone: str
    account: MatrixAccount | None
    posted: datetime
    channel: str
    events: list[dict[str, Any]] = field(default_factory=list)
    documented: bool = False  # the documented hotline ticket (no handling events: stays open)


class _Draw:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.users = 0
        self.ids = 0

    def pick(self, items: Sequence[Any] | str) -> Any:
        """Return one item drawn uniformly."""
        return items[int(self.rng.integers(len(items)))]

    def chance(self, p: float) -> bool:
        """Return True with probability ``p``."""
        return bool(self.rng.random() < p)

    def phone(self) -> str:
        """Return a mobile number as people write it."""
        prefix = str(self.pick(("138", "139", "137", "158", "186")))
        return prefix + f"{int(self.rng.integers(10**8)):08d}"

    def person(self) -> str:
        """Return a plausible Chinese name."""
        return str(
            self.pick(_SURNAMES)
            + self.pick(_GIVEN)
            + (self.pick(_GIVEN) if self.chance(0.6) else "")
        )

    def status_id(self, when: datetime) -> str:
        """Return a Weibo status id carrying the post's time."""
        self.ids += 1
        ts = int(when.timestamp())
        return str(((ts - _ID_EPOCH) << 22) | (_SLOT_BASE + self.ids % 1_000_000))

    def user(self) -> dict[str, Any]:
        """Return a new citizen's embedded Weibo user."""
        self.users += 1
        uid = 6_000_000_000 + self.users
        name = f"用户{uid % 10_000_000:07d}"
        return {"id": uid, "idstr": str(uid), "screen_name": name, "name": name,
                "verified": False, "verified_type": -1, "location": "",
                "followers_count": int(self.rng.integers(5, 3000))}  # fmt: skip


def _status(draw: _Draw, when: datetime, text: str, user: dict[str, Any],
            root: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    sid = draw.status_id(when)
    status: dict[str, Any] = {
        "created_at": when.astimezone(CHINA).strftime(WEIBO_TIME), "id": int(sid), "idstr": sid,
        "mid": sid, "text": text, "user": user, "reposts_count": 0,
        "comments_count": int(draw.rng.integers(0, 30)),
        "attitudes_count": int(draw.rng.integers(0, 80)), "favorited": False,
        "truncated": False, "pic_urls": [], "geo": None,
        "source": '<a href="http://app.weibo.com/t/feed/3G5oUM" rel="nofollow">iPhone客户端</a>',
    }  # fmt: skip
    if root is not None:
        status["retweeted_status"] = root
        root["reposts_count"] += 1
    return status


def _text(draw: _Draw, templates: Sequence[str], place: str, name: str, phone: str) -> str:
    street, street2 = draw.pick(_STREETS), draw.pick(_STREETS)
    addr = f"{place}{street}{int(draw.rng.integers(1, 300))}号{draw.pick(_ESTATES)}"
    body = str(draw.pick(templates)).format(
        place=place, street=street, street2=street2, addr=addr, name=name, phone=phone,
        n=int(draw.rng.integers(2, 9)), days=int(draw.rng.integers(2, 20)),
    )  # fmt: skip
    if draw.chance(0.6):  # people leave their phone (and often their name) in public
        body += f"，我姓{name[0]}，电话{phone}" if draw.chance(0.5) else f"，联系人{name}，{phone}"
    return body


def _handling(draw: _Draw, problem: _Problem, speed: float) -> list[dict[str, Any]]:
    """Return what happens to a request: offsets in hours from receipt, by whom, with what."""
    hours = float(draw.rng.exponential(6.0) * speed) + 0.5
    events: list[dict[str, Any]] = []

    def add(action: str, actor: str, **data: Any) -> None:
        events.append({"after_hours": round(hours, 2), "action": action, "actor": actor, **data})

    if draw.chance(0.06):
        add("return", "lead", reason=draw.pick(_RETURN_REASONS))
        hours += float(draw.rng.exponential(8.0)) + 1
        add("assign", "office", to="addressed")
        hours += float(draw.rng.exponential(6.0) * speed) + 0.5
    add("accept", "lead")
    hours += float(draw.rng.exponential(24.0) * speed) + 1
    add("start", "lead")
    if draw.chance(0.08):
        add("request_extension", "lead", days=5, reason="需要协调多个部门")
        hours += float(draw.rng.exponential(10.0)) + 1
        approve = draw.chance(0.8)
        add("approve_extension" if approve else "refuse_extension", "office",
            reason="同意" if approve else "期限内可以完成")  # fmt: skip
    hours += float(draw.rng.exponential(48.0) * speed) + 2
    add("resolve", "lead", reply_text="经核查，问题已处理完毕，感谢您的监督。")
    hours += float(draw.rng.exponential(24.0)) + 1
    satisfaction = int(draw.rng.choice([5, 4, 3, 2, 1], p=[0.5, 0.25, 0.1, 0.08, 0.07]))
    add("follow_up", "citizen", satisfaction=satisfaction)
    if satisfaction <= 2 and draw.chance(0.5):
        hours += float(draw.rng.exponential(24.0)) + 1
        add("reopen", "citizen", reason=draw.pick(_REOPEN_REASONS))
        hours += float(draw.rng.exponential(48.0) * speed) + 2
        add("resolve", "lead", reply_text="已再次现场核实并整改到位。")
    return events


def write_requests(
    out_dir: Path,
    *,
    accounts: Sequence[MatrixAccount],
    rng: np.random.Generator,
    start: date,
    days: int,
    per_day: float = 20.0,
) -> dict[str, Any]:
    """Write the request stream for ``days`` days from ``start``; return counts and paths.

    ``accounts`` are the government accounts citizens may address (Weibo ones are used);
    their divisions give the places. About 60 % of problems come in through Weibo, 25 %
    through the 12345 hotline and 15 % through the web form.
    """
    weibo = [a for a in accounts if a.platform == "weibo" and a.adcode]
    if not weibo:
        raise ValueError("no Weibo government accounts to address")
    draw = _Draw(rng)
    cities = sorted({a.adcode[:4] + "00" for a in weibo})
    counties = [c for city in cities for c in regions.children(city)] or [
        d for d in (regions.get(c) for c in cities) if d is not None
    ]
    by_sector: dict[str, list[MatrixAccount]] = {}
    for account in weibo:
        by_sector.setdefault(account.sector, []).append(account)
    # Some bodies are slow: a lognormal speed per account, a fifth of them three times slower.
    speed = {
        a.uid: float(rng.lognormal(0, 0.4)) * (3.0 if rng.random() < 0.2 else 1.0) for a in weibo
    }
    problems: list[_Problem] = []
    origin = datetime.combine(start, time(), tzinfo=CHINA)
    total = int(rng.poisson(per_day * days))
    for i in range(total):
        category, sectors, templates = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
        county = draw.pick(counties)
        name, phone = draw.person(), draw.phone()
        place = county.name if draw.chance(0.8) else county.short_name
        candidates = [a for s in sectors for a in by_sector.get(s, [])]
        local = [a for a in candidates if a.adcode == county.adcode] or candidates
        account = draw.pick(local) if local else draw.pick(weibo)
        channel = str(rng.choice(["weibo", "12345", "form"], p=[0.6, 0.25, 0.15]))
        posted = origin + timedelta(seconds=float(rng.uniform(0, days * 86400)))
        problem = _Problem(f"P{i:06d}", category, county.adcode, _text(draw, templates, place, name, phone),
                           name, phone, account, posted.astimezone(UTC), channel)  # fmt: skip
        problem.events = _handling(draw, problem, speed.get(account.uid, 1.0))
        problems.append(problem)
    if problems:  # the documented ticket: the first problem's county, the first morning
        first = problems[0]
        place = regions.get(first.adcode)
        problems.append(_Problem(
            "P-DOC", "城乡建设", first.adcode,
            f"{place.name if place else ''}幸福小区门口的路灯坏了一个多月，晚上出行很不方便，请尽快维修",
            "张先生", "13800001234", None, (origin + timedelta(hours=9, minutes=30)).astimezone(UTC),
            "12345", documented=True))  # fmt: skip
    return _write(out_dir / "requests", draw, problems)


def documented_ticket(start: date) -> str:
    """Return the hotline ticket number (工单编号) every simulated stream from ``start`` has."""
    return f"{start:%Y%m%d}12345"


def _write(folder: Path, draw: _Draw, problems: list[_Problem]) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    statuses: list[tuple[datetime, dict[str, Any]]] = []
    truth: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    form_rows: list[list[str]] = []
    hotline_rows: list[list[str]] = []
    kinds: dict[str, int] = {}

    def note(ref: str, problem: _Problem, kind: str) -> None:
        truth.append({"source_ref": ref, "problem": problem.key, "category": problem.category,
                      "adcode": problem.adcode, "kind": kind})  # fmt: skip
        kinds[kind] = kinds.get(kind, 0) + 1

    for n, p in enumerate(problems):
        local = p.posted.astimezone(CHINA)
        if p.channel == "weibo":
            assert p.account is not None
            citizen = draw.user()
            tag = draw.pick(_TAGS)
            lead = str(draw.pick(_REPLIES)).format(account=p.account.name)
            text = f"{tag}{lead or '@' + p.account.name + ' '}{p.text}"
            original = _status(draw, p.posted, text, citizen)
            statuses.append((p.posted, original))
            ref = f"weibo:{original['idstr']}"
            note(ref, p, "comment" if lead.startswith("回复") else "original")
            for _ in range(int(draw.rng.poisson(0.8))):  # others repost it
                when = p.posted + timedelta(minutes=float(draw.rng.exponential(120)) + 1)
                echo = f"{draw.pick(_REPOST_TEXT)}//@{citizen['screen_name']}:{text}"
                repost = _status(draw, when, echo, draw.user(), original)
                statuses.append((when, repost))
                note(f"weibo:{repost['idstr']}", p, "repost")
            if draw.chance(0.15):  # the same citizen posts it again a few days later
                when = p.posted + timedelta(hours=float(draw.rng.uniform(24, 96)))
                old, new = draw.pick(_COPY_EDITS)
                again = _status(draw, when, text.replace(old, new, 1) + " 还没人管吗？", citizen)
                statuses.append((when, again))
                note(f"weibo:{again['idstr']}", p, "copy")
        elif p.channel == "12345":
            ticket = documented_ticket(local.date()) if p.documented else f"{local:%Y%m%d}{n:06d}"
            ref = f"12345:{ticket}"
            hotline_rows.append([ticket, f"{local:%Y-%m-%d %H:%M:%S}", p.text[:18], p.text,
                                 p.category, p.adcode, "", p.name, p.phone])  # fmt: skip
            note(ref, p, "hotline")
        else:
            ref = f"form:{local:%Y%m%d}{n:06d}"
            form_rows.append([f"{local:%Y%m%d}{n:06d}", f"{local:%Y-%m-%d %H:%M:%S}", p.text,
                              "", p.name, p.phone])  # fmt: skip
            note(ref, p, "form")
        addressed = p.account.uid if p.account else None
        events.append({"source_ref": ref, "problem": p.key, "received_at": p.posted.isoformat(),
                       "addressed_uid": addressed, "events": p.events})  # fmt: skip

    statuses.sort(key=lambda row: row[0])
    with (folder / "weibo-requests.jsonl").open("wb") as out:
        for _, status in statuses:
            out.write(orjson.dumps(status) + b"\n")
    with (folder / "12345-requests.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["工单编号", "受理时间", "标题", "诉求内容", "问题分类", "区划代码", "事发地址",
                         "联系人", "联系电话"])  # fmt: skip
        writer.writerows(hotline_rows)
    with (folder / "form-requests.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["编号", "提交时间", "问题描述", "事发地址", "姓名", "电话"])
        writer.writerows(form_rows)
    with (folder / "labelled.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["label", "text"])
        writer.writerows([p.category, p.text] for p in problems)
    (folder / "handling-events.json").write_bytes(orjson.dumps(events, option=orjson.OPT_INDENT_2))
    with (folder / "truth.jsonl").open("wb") as out:
        for row in truth:
            out.write(orjson.dumps(row) + b"\n")
    return {
        "problems": len(problems),
        "weibo_statuses": len(statuses),
        "hotline_rows": len(hotline_rows),
        "form_rows": len(form_rows),
        "kinds": dict(sorted(kinds.items())),
        "paths": {name: str(folder / name) for name in (
            "weibo-requests.jsonl", "12345-requests.csv", "form-requests.csv",
            "handling-events.json", "truth.jsonl", "labelled.csv")},
    }  # fmt: skip
