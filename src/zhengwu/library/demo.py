"""The demo's content-library step: a few items of the office's matrix, one distributed.

A new user opens 内容库 and finds what an office files there (a 权威 warning, a 原创 guide,
a 首发 notice …) and one item already sent to accounts of the matrix, so the follow-up
view (分发情况) has targets to show. Everything goes through the library's own services,
as the office's demo login, so the items, labels, audit entries and search index are
those a person would have made in the console.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts.models import Account
from zhengwu.auth import service as auth_service
from zhengwu.auth.demo import office_matrix
from zhengwu.auth.models import User
from zhengwu.library import distribution, service
from zhengwu.library.models import DistributionPlan

# (title, body, tags, labels); {city} is the matrix's city. The last one is distributed.
ITEMS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "防汛避险常识：暴雨来临前后这样做",
        "暴雨来临前：关注预警信息，检查门窗和排水；暴雨中：不在低洼处、地下通道和河边停留，"
        "远离电线杆和广告牌；积水中行车先探明水深。遇险请拨打 119、110。",
        ("防汛", "科普"),
        ("原创",),
    ),
    (
        "{city}12345热线本月诉求办理情况通报",
        "本月热线共受理市民诉求，办结情况、满意度和典型案例见全文。各单位请对照整改。",
        ("12345", "诉求办理"),
        ("原创", "权威"),
    ),
    (
        "独家：直击{city}防汛一线抢险队伍",
        "记者跟随抢险队伍连续 36 小时记录排涝、转移群众的现场。",
        ("防汛", "视频"),
        ("独家",),
    ),
    (
        "{city}夏季文旅消费季活动安排发布",
        "7 月至 8 月，全市景区推出夜游、非遗展演和惠民票价，详情见各县区文旅部门发布。",
        ("文旅",),
        ("首发",),
    ),
    (
        "【暴雨红色预警】{city}气象台发布暴雨红色预警信号",
        "预计未来 3 小时全市大部地区降雨量将达 100 毫米以上。请停止户外作业和集会，"
        "低洼地带群众及时转移，学校、幼儿园采取停课措施。",
        ("防汛", "气象", "预警"),
        ("权威", "首发"),
    ),
)


def run(session: Session, analytics: Any, truth: dict[str, Any]) -> dict[str, Any]:
    """Add the demo items as the office (once: nothing when the library has items already)
    and distribute the last one to the lead account and one active account of each other
    platform (queued in the outbox: the demo has no publishing connector)."""
    matrix = office_matrix(session)
    user = session.scalars(select(User).where(User.username == "office")).first()
    if matrix is None or user is None:
        return {"items": 0, "note": "没有矩阵或矩阵管理员 / no matrix or office login"}
    office = auth_service.principal_of(user)
    if service.list_items(session, office, service.ItemFilters(limit=1))[0]:
        return {"items": 0, "note": "内容库已有内容 / library already filled"}
    division = regions.get(matrix.adcode) if matrix.adcode else None
    city = division.name if division else matrix.name
    items = [
        service.create(session, office, title=title.format(city=city), body=body,
                       matrix_id=matrix.id, tags=tags, labels=labels)
        for title, body, tags, labels in ITEMS
    ]  # fmt: skip
    lead = session.get(Account, matrix.lead_account_id) if matrix.lead_account_id else None
    chosen = [lead.id] if lead else []
    platforms = {lead.platform} if lead else set()
    for account, _ in distribution.eligible_accounts(session, office):
        if account.status == "active" and account.platform not in platforms:
            platforms.add(account.platform)
            chosen.append(account.id)
    if not chosen:  # a matrix without accounts: nothing to distribute to
        return {"items": len(items), "distributed": 0}
    outcome = distribution.plan(session, office, items[-1], DistributionPlan(account_ids=chosen))
    return {"items": len(items), "distributed": f"#{items[-1].id} → {len(outcome.targets)}"}
