"""The compliance gate: windows, the own-reply check, and manual flags with who/when/why."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from zhengwu.errors import ConflictError, InvalidInputError, NotFoundError
from zhengwu.index import compliance as gate
from zhengwu.index import ranking
from zhengwu.index.dimensions import load_dimensions

from .conftest import CHINA, World, china


def test_flags_record_who_when_why_and_are_lifted_the_same_way(world: World) -> None:
    acc = world.account("weibo", "5001", world.org("郑州交警"), name="郑州交警")
    flag = gate.flag_account(world.session, account=acc, kind="bought_followers",
                             reason="平台通报异常涨粉", by="张三",
                             at=datetime(2025, 7, 10, tzinfo=UTC))  # fmt: skip
    assert (flag.flagged_by, flag.reason) == ("张三", "平台通报异常涨粉")
    assert [f.id for f in gate.list_flags(world.session, active_on=date(2025, 7, 20))] == [flag.id]
    assert gate.list_flags(world.session, active_on=date(2025, 7, 9)) == []
    lifted = gate.lift_flag(world.session, flag_id=flag.id, reason="复核为误报", by="李四",
                            at=datetime(2025, 8, 1, tzinfo=UTC))  # fmt: skip
    assert (lifted.lifted_by, lifted.lift_reason) == ("李四", "复核为误报")
    assert gate.active_flags(world.session, date(2025, 7, 31)).num_rows == 1
    assert gate.active_flags(world.session, date(2025, 8, 2)).num_rows == 0
    with pytest.raises(ConflictError):
        gate.lift_flag(world.session, flag_id=flag.id, reason="again", by="王五")
    with pytest.raises(InvalidInputError, match="unknown flag kind"):
        gate.flag_account(world.session, account=acc, kind="rude", reason="x", by="y")
    with pytest.raises(InvalidInputError):
        gate.flag_account(world.session, account=acc, kind="coerced_likes", reason=" ", by="y")
    with pytest.raises(NotFoundError):
        gate.lift_flag(world.session, flag_id=999_999, reason="x", by="y")


def test_find_account_by_platform_uid_or_unique_name(world: World) -> None:
    org = world.org("郑州发布")
    acc = world.account("weibo", "6001", org, name="郑州发布")
    world.account("wechat", "gh_6001", org, name="郑州发布")
    assert gate.find_account(world.session, "weibo:6001").id == acc.id
    with pytest.raises(InvalidInputError, match="weibo:6001"):
        gate.find_account(world.session, "郑州发布")
    with pytest.raises(NotFoundError):
        gate.find_account(world.session, "weibo:nobody")


def test_flagged_accounts_are_excluded_and_counted(world: World) -> None:
    org = world.org("郑州发布")
    good = world.account("weibo", "g", org)
    bad = world.account("weibo", "b", org)
    for uid in ("g", "b"):
        world.daily("weibo", uid, "2025-07-01", 31, reposts=3, likes=9)
    gate.flag_account(world.session, account=bad, kind="security_incident", reason="泄露个人信息",
                      by="网信办", at=datetime(2025, 7, 15, tzinfo=UTC))  # fmt: skip
    run = world.run("2025-07")
    rows = {r["account_uid"]: r for r in world.totals(run.run_id, "weibo")}
    assert rows["b"]["compliance_reasons"] == ["flag:security_incident"]
    assert rows["b"]["excluded"]
    assert rows["g"]["rank"] == 1
    result = ranking.ranking(world.con, run.run_id, platform="weibo")
    assert result["excluded_count"] == 1
    assert result["excluded"][0]["account_uid"] == "b"
    assert good.id != bad.id


def test_report_lists_failing_accounts_with_reasons(world: World) -> None:
    org = world.org("郑州发布")
    world.account("weibo", "busy", org, name="活跃号")
    world.account("weibo", "asleep", org, name="僵尸号")
    world.account("douyin", "dy", org, name="抖音号")
    world.daily("weibo", "busy", "2025-07-01", 31, text="回复@网友：收到")
    world.post("weibo", "asleep", china("2025-06-01"))
    world.daily("douyin", "dy", "2025-07-25", 6, plays=100)
    dims = load_dimensions(world.session)
    report = gate.report(world.con, dims.accounts, gate.FLAGS_SCHEMA.empty_table(),
                         date(2025, 7, 31), gate.ComplianceRules(window_days=14))  # fmt: skip
    rows = {r["uid"]: r for r in report["rows"]}
    assert rows["asleep"]["reasons"] == ["no_post", "no_replies"]
    last = rows["asleep"]["last_post_at"]
    assert (last, last.utcoffset()) == (datetime(2025, 6, 1, 4, 0, tzinfo=UTC), CHINA)
    assert rows["busy"]["status"] == "pass"
    assert rows["busy"]["replies_in_window"] == 14
    assert rows["dy"]["status"] == "pass"  # own replies are not checked on Douyin
    assert report["reply_check_applied"] == ["weibo"]
    assert (report["failing"], report["by_reason"]) == (1, {"no_post": 1, "no_replies": 1})
    week = gate.report(world.con, dims.accounts, gate.FLAGS_SCHEMA.empty_table(),
                       date(2025, 8, 7), gate.ComplianceRules(window_days=7, reply_check=False))  # fmt: skip
    assert {r["uid"] for r in week["rows"] if r["status"] == "fail"} == {"asleep", "busy", "dy"}


def test_reply_check_is_skipped_where_no_reply_is_visible(world: World) -> None:
    world.account("weibo", "plain", world.org("郑州发布"))
    world.daily("weibo", "plain", "2025-07-01", 31)
    dims = load_dimensions(world.session)
    report = gate.report(world.con, dims.accounts, gate.FLAGS_SCHEMA.empty_table(),
                         date(2025, 7, 31), gate.ComplianceRules())  # fmt: skip
    assert report["failing"] == 0
    assert report["reply_check_applied"] == []


def test_window_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from zhengwu.config import get_settings

    monkeypatch.setenv("ZHENGWU_COMPLIANCE_WINDOW_DAYS", "10")
    get_settings.cache_clear()
    assert gate.ComplianceRules.from_settings().window_days == 10
    assert gate.ComplianceRules.from_settings(window_days=7).window_days == 7
    assert gate.window_bounds(date(2025, 7, 31), 7) == (
        datetime(2025, 7, 24, 16),
        datetime(2025, 7, 31, 16),
    )
