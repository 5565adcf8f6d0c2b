"""Distribution through the outbox: targets, scheduling, refusals, failures, the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, MatrixMember
from zhengwu.audit import service as audit
from zhengwu.auth.models import User
from zhengwu.errors import ForbiddenError, InvalidInputError
from zhengwu.library import distribution, service
from zhengwu.library.models import DistributionPlan, DistributionTarget
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage

from .world import World, deliver_after_two_failures


class BrokenConnector:
    """A connector whose platform is down."""

    platform = "wechat"

    def send(self, message: OutboxMessage) -> str:
        """Fail like a platform outage."""
        raise RuntimeError("公众号接口超时 / WeChat API timeout")


def test_plan_queue_deliver_and_report(session: Session, world: World) -> None:
    item = service.create(session, world["op_police"], title="暴雨防范提示", body="请远离低洼地带",
                          matrix_id=world.matrices["zz"], labels=["权威"])  # fmt: skip
    accounts = [world.accounts[k] for k in
                ("police_weibo", "police_douyin", "housing_wechat", "housing_toutiao")]  # fmt: skip
    targets = distribution.plan(session, world["office_zz"], item,
                                DistributionPlan(account_ids=accounts)).targets  # fmt: skip
    assert [t.state for t in targets] == ["queued", "queued", "queued", "failed"]
    assert "toutiao" in (targets[3].reason or "")  # no connector: failed, with the reason
    messages = outbox_service.for_entity(session, entity_type="library_distribution",
                                         entity_id=targets[0].id)  # fmt: skip
    assert messages[0].kind == "distribution" and messages[0].account_uid == "1001"
    assert messages[0].body == "暴雨防范提示\n\n请远离低洼地带"

    recorder = outbox_service.RecordingConnector()
    outbox_service.deliver_pending(session, [BrokenConnector(), recorder], max_attempts=1)
    report = distribution.report(session, item)
    by_name = {t.account_name: t for t in report.targets}
    assert by_name["平安郑州"].state == "delivered"
    assert by_name["平安郑州"].external_id == f"local-{targets[0].outbox_id}"
    assert by_name["郑州住房"].state == "failed"
    assert "超时" in (by_name["郑州住房"].reason or "")
    assert by_name["郑州住房头条号"].state == "failed"
    assert report.counts == {"planned": 0, "queued": 0, "delivered": 2, "failed": 2}
    assert len(recorder.sent) == 2


def test_targets_outside_the_matrix_are_refused(session: Session, world: World) -> None:
    item = service.create(session, world["op_police"], title="稿件", matrix_id=world.matrices["zz"])
    before = session.scalar(select(func.count()).select_from(OutboxMessage))
    with pytest.raises(ForbiddenError):
        distribution.plan(session, world["office_zz"], item, DistributionPlan(
            account_ids=[world.accounts["police_weibo"], world.accounts["ly_weibo"]]))  # fmt: skip
    with pytest.raises(ForbiddenError):  # an operator publishes on its own matrices only
        distribution.plan(session, world["op_police"], item,
                          DistributionPlan(account_ids=[world.accounts["prov_weibo"]]))  # fmt: skip
    # Nor on another body's account of the same matrix (郑州住房 is not the police's).
    with pytest.raises(ForbiddenError) as other_body:
        distribution.plan(session, world["op_police"], item, DistributionPlan(
            account_ids=[world.accounts["police_weibo"], world.accounts["housing_wechat"]]))  # fmt: skip
    assert "不是本单位在矩阵中的账号" in other_body.value.message_zh
    assert "not one of your organisation's" in other_body.value.message_en
    assert {a.id for a, _ in distribution.eligible_accounts(session, world["op_police"])} == {
        world.accounts["police_weibo"], world.accounts["police_douyin"]}  # fmt: skip
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before
    assert session.scalar(select(func.count()).select_from(DistributionTarget)) == 0
    # The provincial office plans for its sub-matrices too.
    province = service.create(session, world["office_henan"], title="全省通稿")
    wanted = DistributionPlan(
        account_ids=[world.accounts["ly_weibo"], world.accounts["prov_weibo"]]
    )
    done = distribution.plan(session, world["office_henan"], province, wanted).targets
    assert [t.state for t in done] == ["queued", "queued"]


def test_scheduled_targets_wait_for_their_time(session: Session, world: World) -> None:
    item = service.create(
        session, world["op_police"], title="明早发布", matrix_id=world.matrices["zz"]
    )
    now = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    plan = DistributionPlan(account_ids=[world.accounts["police_weibo"]],
                            scheduled_at=now + timedelta(hours=2), text="定时发布的文案")  # fmt: skip
    [target] = distribution.plan(session, world["op_police"], item, plan, now=now).targets
    assert target.state == "planned" and target.outbox_id is None
    assert distribution.report(session, item).counts["planned"] == 1
    assert distribution.release_due(session, now=now + timedelta(hours=1)).queued == []
    assert distribution.release_due(session, now=now + timedelta(hours=2)).queued == [target]
    assert target.state == "queued" and target.outbox_id is not None
    assert session.get(OutboxMessage, target.outbox_id).body == "定时发布的文案"  # type: ignore[union-attr]
    with pytest.raises(InvalidInputError):
        distribution.plan(session, world["op_police"], item, DistributionPlan(
            account_ids=[world.accounts["police_weibo"]], scheduled_at=datetime(2026, 7, 2)))  # fmt: skip
    # A time already past is refused (not sent at once as if it were "now"); a minute late is fine.
    past = DistributionPlan(account_ids=[world.accounts["police_weibo"]],
                            scheduled_at=now - timedelta(hours=1))  # fmt: skip
    with pytest.raises(InvalidInputError) as refused:
        distribution.plan(session, world["op_police"], item, past, now=now)
    assert "计划时间已过（2026-07-01 15:00 北京时间）" in refused.value.message_zh
    assert "in the past" in refused.value.message_en
    late = DistributionPlan(account_ids=[world.accounts["police_weibo"]],
                            scheduled_at=now - timedelta(minutes=1), again=True)  # fmt: skip
    [queued] = distribution.plan(session, world["op_police"], item, late, now=now).targets
    assert queued.state == "queued"


def test_a_refused_release_says_why(session: Session, world: World) -> None:
    """What changed between the plan and its time refuses the release, with the reason."""
    item = service.create(
        session, world["op_police"], title="周末发布", matrix_id=world.matrices["zz"]
    )
    now = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    at = now + timedelta(hours=2)
    office = [world.accounts[k] for k in ("police_weibo", "police_douyin", "housing_wechat")]
    distribution.plan(session, world["office_zz"], item,
                      DistributionPlan(account_ids=office, scheduled_at=at), now=now)  # fmt: skip
    distribution.plan(session, world["op_police"], item, DistributionPlan(
        account_ids=[world.accounts["police_weibo"]], scheduled_at=at, again=True), now=now)  # fmt: skip
    province = service.create(session, world["office_henan"], title="全省通稿")
    distribution.plan(session, world["office_henan"], province, DistributionPlan(
        account_ids=[world.accounts["ly_weibo"]], scheduled_at=at), now=now)  # fmt: skip
    # Since the plans: the Douyin account was closed, the housing account left the matrix,
    # the operator who planned the second one was disabled, the provincial office was moved
    # to 郑州's matrix (洛阳 is no longer within its reach).
    office = session.get(User, world["office_henan"].user_id)
    assert office is not None
    office.matrix_id = world.matrices["zz"]
    douyin = session.get(Account, world.accounts["police_douyin"])
    assert douyin is not None
    douyin.status = "closed"
    session.execute(delete(MatrixMember).where(
        MatrixMember.account_id == world.accounts["housing_wechat"]))  # fmt: skip
    operator = session.get(User, world["op_police"].user_id)
    assert operator is not None
    operator.is_active = False
    session.flush()
    done = distribution.release_due(session, now=at)
    assert [t.account_id for t in done.queued] == [world.accounts["police_weibo"]]
    reasons = {t.account_id: t.reason or "" for t in done.refused}
    assert reasons == {
        world.accounts["police_douyin"]: "账号已停用 / account is closed",
        world.accounts["housing_wechat"]: "账号已不在计划时所在的矩阵中，未发布 / "
        "the account has left the matrix it was planned in: not published",
        world.accounts["police_weibo"]: "计划人的账户已停用，定时分发未发布 / "
        "the user who planned it has been disabled: not published",
        world.accounts[
            "ly_weibo"
        ]: "计划人已无权在该账号发布（角色或范围已变更），定时分发未发布 / "
        "the user who planned it may no longer publish on this account "
        "(role or scope changed): not published",
    }
    assert distribution.report(session, province).counts["failed"] == 1
    report = distribution.report(session, item)
    assert report.counts == {"planned": 0, "queued": 1, "delivered": 0, "failed": 3}
    assert all(t.reason for t in report.targets if t.state == "failed")
    # Nothing is left waiting: a second release has nothing to do.
    again = distribution.release_due(session, now=at + timedelta(minutes=1))
    assert again.queued == [] and again.refused == []


def _outbox(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_an_item_is_published_once_per_account(session: Session, world: World) -> None:
    item = service.create(session, world["op_police"], title="暴雨红色预警",
                          matrix_id=world.matrices["zz"])  # fmt: skip
    weibo, douyin = world.accounts["police_weibo"], world.accounts["police_douyin"]
    wechat, toutiao = world.accounts["housing_wechat"], world.accounts["housing_toutiao"]
    office = world["office_zz"]
    first = distribution.plan(session, office, item,
                              DistributionPlan(account_ids=[weibo, toutiao]))  # fmt: skip
    assert [t.state for t in first.targets] == ["queued", "failed"] and first.skipped == []
    # Again with more accounts: 平安郑州 is skipped (named), the others queued; the failed
    # 头条号 target does not count as distributed, so it is planned (and fails) again.
    more = [weibo, douyin, wechat, toutiao]
    second = distribution.plan(session, office, item, DistributionPlan(account_ids=more))
    assert [t.account_id for t in second.targets] == [douyin, wechat, toutiao]
    assert [(s.account_id, s.account_name, s.state) for s in second.skipped] == [
        (weibo, "平安郑州", "queued")]  # fmt: skip
    assert _outbox(session) == 3
    # Everything already there: nothing new, and the audit entry says what was skipped.
    third = distribution.plan(session, office, item, DistributionPlan(account_ids=[weibo]))
    assert third.targets == [] and [s.account_id for s in third.skipped] == [weibo]
    assert _outbox(session) == 3
    # Delivered still counts; a failed outbox message (WeChat down) does not; a planned
    # (scheduled) target does.
    outbox_service.deliver_pending(session, [BrokenConnector(), outbox_service.RecordingConnector()],
                                   max_attempts=1)  # fmt: skip
    found = distribution.already_distributed(session, item, more)
    assert {k: v.state for k, v in found.items()} == {weibo: "delivered", douyin: "delivered"}
    now = datetime.now(UTC)
    later = DistributionPlan(account_ids=[wechat], scheduled_at=now + timedelta(hours=1))
    assert distribution.plan(session, office, item, later, now=now).skipped == []
    found = distribution.already_distributed(session, item, more)
    assert {k: v.state for k, v in found.items()} == {
        weibo: "delivered", douyin: "delivered", wechat: "planned"}  # fmt: skip
    # Asked for explicitly, it is published again, and the audit entry says so.
    again = distribution.plan(session, office, item,
                              DistributionPlan(account_ids=[weibo], again=True))  # fmt: skip
    assert [t.state for t in again.targets] == ["queued"] and again.skipped == []
    assert _outbox(session) == 4
    trail = audit.history(session, entity_type="library_item", entity_id=item.id)
    plans = [e.data for e in trail if e.action == "distribute"]
    assert [(d["skipped"], d["again"]) for d in plans] == [  # type: ignore[index]
        ([], []), ([weibo], []), ([weibo], []), ([], []), ([], [weibo])]  # fmt: skip
    report = distribution.report(session, item, again.skipped)
    assert report.skipped == [] and report.counts["planned"] == 1


def test_a_target_waiting_again_shows_its_last_delivery_error(
    session: Session, world: World
) -> None:
    """A WeChat target failed once, then waits for a connector: the report gives the
    waiting reason and keeps the last failure with its time (the page and CLI show both)."""
    item = service.create(session, world["op_police"], title="暴雨防范提示", body="请远离低洼地带",
                          matrix_id=world.matrices["zz"], labels=["权威"])  # fmt: skip
    distribution.plan(session, world["office_zz"], item,
                      DistributionPlan(account_ids=[world.accounts["housing_wechat"]]))  # fmt: skip
    outbox_service.deliver_pending(session, [BrokenConnector()], max_attempts=3)
    outbox_service.deliver_pending(session, [], max_attempts=3)  # WeChat's connector is gone
    [target] = distribution.report(session, item).targets
    assert (target.state, target.reason) == ("queued", outbox_service.waiting_reason("wechat"))
    assert target.last_error is not None and target.last_error.endswith("WeChat API timeout")
    assert target.last_error_at is not None
    line = outbox_service.last_error_line(target.last_error, target.last_error_at.isoformat())
    assert line.startswith("上次发送失败（20") and line.endswith("WeChat API timeout")


def test_the_report_counts_the_attempts_of_a_target_delivered_after_failures(
    session: Session, world: World
) -> None:
    """The report had no attempt count: a target delivered after two failed attempts read
    as one earlier failure (the page could not say 此前 2 次, nor the CLI)."""
    item = service.create(session, world["op_police"], title="暴雨防范提示", body="请远离低洼地带",
                          matrix_id=world.matrices["zz"], labels=["权威"])  # fmt: skip
    distribution.plan(session, world["office_zz"], item,
                      DistributionPlan(account_ids=[world.accounts["police_weibo"]]))  # fmt: skip
    [waiting] = distribution.report(session, item).targets
    assert (waiting.state, waiting.attempts) == ("queued", 0)
    deliver_after_two_failures(session)
    [target] = distribution.report(session, item).targets
    assert (target.state, target.attempts, target.reason) == ("delivered", 3, None)
    assert target.last_error is not None and target.last_error.startswith("第 2 次发送失败")
    line = outbox_service.last_error_line(
        target.last_error, target.last_error_at, delivered=True, attempts=target.attempts
    )
    assert line.startswith("此前 2 次发送失败（最近一次 20") and "），之后已发送" in line
    assert "/ 2 earlier attempt(s) failed (the last 20" in line
    assert distribution.report(session, item).model_dump(mode="json")["targets"][0]["attempts"] == 3
