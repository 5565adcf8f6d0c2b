"""Distribution through the outbox: targets, scheduling, refusals, failures, the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.errors import ForbiddenError, InvalidInputError
from zhengwu.library import distribution, service
from zhengwu.library.models import DistributionPlan, DistributionTarget
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage

from .world import World


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
                                DistributionPlan(account_ids=accounts))  # fmt: skip
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
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before
    assert session.scalar(select(func.count()).select_from(DistributionTarget)) == 0
    # The provincial office plans for its sub-matrices too.
    province = service.create(session, world["office_henan"], title="全省通稿")
    wanted = DistributionPlan(
        account_ids=[world.accounts["ly_weibo"], world.accounts["prov_weibo"]]
    )
    done = distribution.plan(session, world["office_henan"], province, wanted)
    assert [t.state for t in done] == ["queued", "queued"]


def test_scheduled_targets_wait_for_their_time(session: Session, world: World) -> None:
    item = service.create(
        session, world["op_police"], title="明早发布", matrix_id=world.matrices["zz"]
    )
    now = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    plan = DistributionPlan(account_ids=[world.accounts["police_weibo"]],
                            scheduled_at=now + timedelta(hours=2), text="定时发布的文案")  # fmt: skip
    [target] = distribution.plan(session, world["op_police"], item, plan, now=now)
    assert target.state == "planned" and target.outbox_id is None
    assert distribution.report(session, item).counts["planned"] == 1
    assert distribution.release_due(session, now=now + timedelta(hours=1)) == 0
    assert distribution.release_due(session, now=now + timedelta(hours=2)) == 1
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
                            scheduled_at=now - timedelta(minutes=1))  # fmt: skip
    assert distribution.plan(session, world["op_police"], item, late, now=now)[0].state == "queued"
