"""Non-government accounts that share the platforms with government ones.

They exist so that government detection is exercised: media (verified_type 3, 央视新闻
style), companies (2, 城市地铁), campuses (4), quasi-official institutions (7, the
天气通 trap: its description names a flood-control office although it is a company),
and ordinary users (-1). None of them has an organisation in ``orgs.csv``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zhengwu.simulate.config import rng
from zhengwu.simulate.scope import CityUnit, Scope

if TYPE_CHECKING:
    from zhengwu.simulate.identity import IdentityFactory
    from zhengwu.simulate.population import Account

# (kind, verified_type, name, verified reason, description, platforms)
_LOCAL: tuple[tuple[str, int, str, str, str, str], ...] = (
    (
        "media",
        3,
        "{C}日报",
        "{C}日报社官方微博",
        "{C}日报社官方微博，权威新闻。",
        "weibo,wechat,douyin",
    ),
    ("media", 3, "{C}晚报", "{C}晚报官方微博", "关注民生，服务百姓。", "weibo,wechat"),
    (
        "media",
        3,
        "{C}广播电视台",
        "{C}广播电视台官方微博",
        "{C}本地新闻资讯。",
        "weibo,wechat,douyin",
    ),
    ("media", 3, "{C}新闻广播", "{C}广播电视台新闻广播官方微博", "听见{C}。", "weibo,douyin"),
    ("company", 2, "{C}地铁", "{C}地铁集团有限公司", "{C}地铁运营信息发布。", "weibo,wechat"),
    (
        "company",
        2,
        "国网{C}供电公司",
        "国网{C}供电公司官方微博",
        "电力服务热线95598。",
        "weibo,wechat",
    ),
    ("company", 2, "{C}公交集团", "{C}公共交通集团有限公司", "{C}公交出行服务。", "weibo"),
    (
        "quasi",
        7,
        "{C}天气通",
        "{C}天气通官方微博",
        "与{C}市防汛抗旱指挥部办公室合作发布天气预警信息。",
        "weibo",
    ),
    ("quasi", 7, "{C}红十字会", "{C}红十字会官方微博", "人道、博爱、奉献。", "weibo,wechat"),
    ("quasi", 7, "{C}志愿者联合会", "{C}志愿者联合会官方微博", "奉献、友爱、互助、进步。", "weibo"),
    ("campus", 4, "{C}职业技术学院", "{C}职业技术学院官方微博", "厚德强技。", "weibo,wechat"),
)
_NATIONAL: tuple[tuple[str, int, str, str, str, str], ...] = (
    ("media", 3, "央视新闻", "中央广播电视总台央视新闻官方微博", "“央视新闻”是中央广播电视总台新闻中心官方账号。", "weibo,wechat,douyin"),
    ("media", 3, "人民日报", "《人民日报》法人微博", "人民日报法人微博。参与、沟通、记录时代。", "weibo,wechat,douyin"),
    ("media", 3, "新华视点", "新华社新闻信息中心官方微博", "新华社重点栏目。", "weibo,wechat"),
    ("media", 3, "中国新闻网", "中国新闻网官方微博", "中国新闻社主办。", "weibo,wechat,douyin"),
    ("quasi", 7, "天气通", "天气通官方微博", "北京市防汛抗旱指挥部办公室官方合作伙伴，发布天气预警。", "weibo"),
)  # fmt: skip
_ADJ = ("快乐的", "爱吃", "想睡觉的", "努力的", "佛系", "早起的", "追风的", "安静的", "会飞的")
_NOUN = ("小猫", "土豆", "鱼丸", "橘子", "星星", "咸鱼", "面条", "奶茶", "包子", "柚子")
_USER_DESC = ("热爱生活。", "", "打工人。", "记录日常。", "吃喝玩乐在{C}", "")


def _user_name(rand: np.random.Generator, city: str) -> str:
    style = int(rand.integers(3))
    if style == 0:
        return "用户" + str(int(rand.integers(5_000_000_000, 7_999_999_999)))
    if style == 1:
        tail = ("小王", "吃货", "打工人", "阿杰", "土著", "老李", "小胖")
        return city + tail[int(rand.integers(len(tail)))] + str(int(rand.integers(10, 9999)))
    adjective = _ADJ[int(rand.integers(len(_ADJ)))]
    return adjective + _NOUN[int(rand.integers(len(_NOUN)))] + str(int(rand.integers(1, 999)))


def add_non_government(
    accounts: dict[str, list[Account]], scope: Scope, factory: IdentityFactory, seed: int
) -> None:
    """Append media, company, institution and user accounts to ``accounts``."""
    from zhengwu.simulate.population import Account

    rand = rng(seed, "nongov")
    share = {"city": 1.0, "province": 0.45, "national": 0.12}[scope.scale]
    users = {"city": 12, "province": 4, "national": 3}[scope.scale]
    specs: list[tuple[tuple[str, int, str, str, str, str], CityUnit | None]] = []
    if scope.central:
        specs.extend((spec, None) for spec in _NATIONAL)
    for unit in scope.units:
        if unit.kind == "direct_county":
            continue
        for spec in _LOCAL:
            if rand.random() < share:
                specs.append((spec, unit))
    for (kind, vtype, name, reason, desc, platforms), home in specs:
        city = home.place.short if home else ""
        for platform in platforms.split(","):
            account = Account(
                platform=platform, uid="", name="", org=-1, kind=kind, verified_type=vtype,
                verified_reason=reason.format(C=city), description=desc.format(C=city),
                created="", level="", sector=kind, place=city or "全国",
                adcode=home.place.adcode if home else "", unit=home.place.adcode if home else "",
                province=home.province.adcode if home else "",
            )  # fmt: skip
            account.name = factory.unique_name(platform, [name.format(C=city)])
            factory.assign_ids(account, years=dict.fromkeys(range(2010, 2020), 1))
            accounts[platform].append(account)
    for unit in scope.units:
        if unit.kind == "direct_county":
            continue
        for _ in range(int(rand.poisson(users))):
            account = Account(
                platform="weibo", uid="", name="", org=-1, kind="user", verified_type=-1,
                verified_reason="", description="", created="", level="", sector="user",
                place=unit.place.short, adcode=unit.place.adcode, unit=unit.place.adcode,
                province=unit.province.adcode,
            )  # fmt: skip
            account.name = factory.unique_name("weibo", [_user_name(rand, unit.place.short)])
            texts = _USER_DESC
            account.description = texts[int(rand.integers(len(texts)))].format(C=unit.place.short)
            factory.assign_ids(account, years=dict.fromkeys(range(2010, 2025), 1))
            accounts["weibo"].append(account)
