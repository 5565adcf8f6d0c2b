"""A small two-month scenario for report tests, built with the index tests' World factory.

郑州 and 洛阳 bodies with Weibo accounts (and one WeChat account) in June and July 2025:
the order changes between the months (movement), one July account stops posting early
(fails the compliance gate), and a matrix holds the 郑州 accounts.
"""

from __future__ import annotations

import pytest
from tests.index.conftest import World, analytics, world

__all__ = ["World", "analytics", "build_scenario", "scenario", "world"]

# name: (org, sector, level, adcode, June likes, July likes, July days posted)
WEIBO = {
    "平安郑州": ("郑州市公安局", "公安", "市", "410100", 40, 120, 31),
    "郑州消防": ("郑州市消防救援支队", "消防", "市", "410100", 150, 60, 31),
    "金水发布": ("郑州市金水区人民政府新闻办公室", "发布", "县", "410105", 10, 20, 31),
    "平安洛阳": ("洛阳市公安局", "公安", "市", "410300", 70, 80, 31),
    "停更的账号": ("郑州市统计局", "统计", "市", "410100", 30, 200, 5),
}
WECHAT = {"郑州公安微信": ("郑州市公安局", 50, 60)}


def build_scenario(world: World) -> World:
    """Store June and July posts of every account and both runs; return the world."""
    accounts = []
    for i, (name, (org_name, sector, level, adcode, june, july, days)) in enumerate(WEIBO.items()):
        org = world.orgs.get(org_name) or world.org(
            org_name, sector=sector, level=level, adcode=adcode
        )
        uid = f"10{i}"
        accounts.append(world.account("weibo", uid, org, name=name, followers=1000 * (i + 1)))
        world.daily("weibo", uid, "2025-06-01", 30, reposts=june // 10, comments=june // 5,
                    likes=june)  # fmt: skip
        world.daily("weibo", uid, "2025-07-01", days, reposts=july // 10, comments=july // 5,
                    likes=july)  # fmt: skip
    for name, (org_name, june, july) in WECHAT.items():
        world.account("wechat", "w1", world.orgs[org_name], name=name)
        world.daily("wechat", "w1", "2025-06-01", 30, reads=june * 10, likes=june)
        world.daily("wechat", "w1", "2025-07-01", 31, reads=july * 10, likes=july)
    world.matrix("郑州政务矩阵", [a for a in accounts if a.name != "平安洛阳"])
    world.run("2025-06")
    world.run("2025-07")
    return world


@pytest.fixture
def scenario(world: World) -> World:
    """The world with the two months stored and run."""
    return build_scenario(world)
