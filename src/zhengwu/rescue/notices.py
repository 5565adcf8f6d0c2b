"""Closing notices (结束公告): what they say, their queue under every mirror, their delivery.

A notice is read by the volunteers who shared the post. "请勿重复救援，请勿再拨打求助电话"
makes them stop, so it is said only where the coordinator closed the request as done:
everyone it lists rescued or relocated, or help no longer needed. A partial closure says
how many were helped and how many may still be waiting; an unreachable one says that
nobody knows whether they are safe; neither tells anyone to stop. A count nobody knows is
never written as one ("共 1 人" for a request whose people were never counted).

Notices are queued in the outbox, one under every post that carried the request; the
request is *resolved* (已结束·公告待发送) until the outbox has delivered every one of them,
then *announced* (:func:`announce_delivered`, run after each delivery pass). With no
outbox connector configured (``ZHENGWU_OUTBOX_CONNECTOR=none``) they stay queued and the
request stays resolved: nothing is called announced that reached no platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.db.base import utcnow
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage
from zhengwu.rescue import clock
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpRequest, HelpSource, Incident
from zhengwu.rescue.workflow import flush_or_conflict, transition

NOTICE_CHANNELS = ("post",)  # forms and spreadsheet rows have no post to answer under
KIND = "rescue_notice"
OUTCOME_LABELS = {
    "rescued": "已获救",
    "relocated": "已安全转移",
    "no_longer_needed": "已无需救援",
    "unreachable": "多次联系不上，停止跟进",
    # Withdrawn by the citizen through their follow-up link (zhengwu.rescue.followup):
    # never worded as rescued by a team.
    "self_rescued": "求助人告知已脱险（撤回）",
    "withdrawn": "求助人撤回（信息有误）",
}
# The outcomes a citizen sets by withdrawing their own request.
WITHDRAWN_OUTCOMES = ("self_rescued", "withdrawn")
# The outcomes that say people were helped: closing with one of them while people are
# still listed needs the coordinator's explicit confirmation (zhengwu.rescue.dispatch).
HELPED_OUTCOMES = ("rescued", "relocated")
_VERBS = {"rescued": ("获救", "救出"), "relocated": ("安全转移", "转移")}
WORKER = Principal(role="admin", username="system", display_name="系统（消息发送）")
ANNOUNCE_BATCH = 500  # requests announced per transaction


def people_en(count: int) -> str:
    """Return "1 person" or "N people"."""
    return f"{count} person" if count == 1 else f"{count} people"


def people_remaining(request: HelpRequest) -> int | None:
    """Return how many of the people a request lists were not helped; None when unknown."""
    if request.people_total is None:
        return None
    return max(request.people_total - request.people_helped, 0)


def is_partial(request: HelpRequest) -> bool:
    """Return whether a request closed as rescued or relocated still lists people waiting."""
    return request.outcome in HELPED_OUTCOMES and bool(people_remaining(request))


def _call(hotline: str | None) -> str:
    return f"请拨打 {hotline} 或 110、119" if hotline else "请拨打 110 或 119"


def notice_text(request: HelpRequest, *, hotline: str | None = None) -> str:
    """Return the closing notice of a resolved request (posted under every mirror).

    ``hotline``: the incident's 求助热线, named where people may still need help.
    """
    when = f"{(request.resolved_at or utcnow()).astimezone(rescue_service.CHINA_TZ):%m月%d日 %H:%M}"
    ref = f"（求助编号 #{request.id}）"
    stop = "请勿重复救援，请勿再拨打求助电话。感谢转发的每一位网友！"
    helped, total = request.people_helped, request.people_total
    outcome = request.outcome or ""
    if outcome in HELPED_OUTCOMES:
        state, verb = _VERBS[outcome]
        remaining = people_remaining(request)
        if remaining:
            done = f"已{verb} {helped} 人，" if helped else ""
            label = f"部分{state}" if helped else "仍有人待救"
            return (
                f"【{label}】此求助已于 {when} 结束登记：{done}仍有 {remaining} 人待救或下落"
                f"待核实。如知道他们的消息，或他们仍需救援，{_call(hotline)}。{ref}"
            )
        if total is not None:
            return f"【已{state}】此求助已于 {when} 确认全部{state}，共 {total} 人。{stop}{ref}"
        counted = f"（已{verb} {helped} 人）" if helped else ""
        return f"【已{state}】此求助已于 {when} 确认{state}{counted}。{stop}{ref}"
    if outcome == "no_longer_needed":
        before = f"（此前已救出 {helped} 人）" if helped else ""
        return f"【已无需救援】此求助已于 {when} 经核实不再需要救援{before}。{stop}{ref}"
    if outcome == "unreachable":
        before = f"，此前已救出 {helped} 人" if helped else ""
        return (
            f"【联系不上】此求助多次联系求助人未果，已于 {when} 停止跟进{before}。"
            f"求助人是否脱险尚未核实：如知道他们的下落，或他们仍需救援，{_call(hotline)}。{ref}"
        )
    if outcome == "self_rescued":
        return f"【求助人已脱险】求助人于 {when} 告知已自行脱险或已获救，撤回了此求助。{stop}{ref}"
    if outcome == "withdrawn":
        return (
            f"【求助已撤回】求助人于 {when} 告知此求助信息有误，撤回了此求助，请勿据此前往救援。"
            f"如发现有人仍需救援，{_call(hotline)}。{ref}"
        )
    return f"【已处理】此求助已于 {when} 结束。{ref}"


def queue_notices(
    session: Session,
    *,
    request: HelpRequest,
    sources: Sequence[HelpSource] | None = None,
    now: datetime | None = None,
) -> int:
    """Queue the closing notice under every mirror not yet told; return how many.

    ``now`` is when they are queued (the messages' ``created_at``, the sources'
    ``notified_at``): the real clock unless the caller replays history (the demo).
    """
    incident = session.get(Incident, request.incident_id)
    body = notice_text(request, hotline=incident.hotline if incident else None)
    now = now or clock.now(session, request.incident_id)
    count = 0
    for source in request.sources if sources is None else sources:
        if source.notified_at is not None or source.channel not in NOTICE_CHANNELS:
            continue
        outbox_service.enqueue(
            session, kind=KIND, platform=source.platform, body=body,
            target_post_id=source.post_id, entity_type="help_request", entity_id=request.id,
            now=now,
        )  # fmt: skip
        source.notified_at = now
        count += 1
    return count


@dataclass(frozen=True, slots=True)
class MirrorNotice:
    """The closing notice of one mirror: where it goes and how far it got.

    ``state``: ``queued`` (待发送), ``delivered`` (已发送), ``failed`` (发送失败), or
    ``none`` for a mirror that has no post to answer under (a form, a spreadsheet row)
    or whose notice was not queued.
    """

    source_id: int
    channel: str
    platform: str
    post_id: str
    url: str | None
    state: str
    body: str | None
    queued_at: datetime | None
    delivered_at: datetime | None
    error: str | None
    attempts: int
    last_error: str | None = None  # the last delivery failure, kept while it waits
    last_error_at: datetime | None = None


def deliveries(session: Session, *, request: HelpRequest) -> list[MirrorNotice]:
    """Return the closing notice of every mirror of ``request`` with its delivery state."""
    messages = {
        (m.platform, m.target_post_id): m
        for m in outbox_service.for_entity(
            session, entity_type="help_request", entity_id=request.id
        )
        if m.kind == KIND
    }
    found: list[MirrorNotice] = []
    for source in request.sources:
        message = messages.get((source.platform, source.post_id))
        found.append(MirrorNotice(
            source_id=source.id, channel=source.channel, platform=source.platform,
            post_id=source.post_id, url=source.url,
            state=message.state if message else "none", body=message.body if message else None,
            queued_at=message.created_at if message else None,
            delivered_at=message.delivered_at if message else None,
            error=message.error if message else None, attempts=message.attempts if message else 0,
            last_error=message.last_error if message else None,
            last_error_at=message.last_error_at if message else None,
        ))  # fmt: skip
    return found


def connector_configured() -> bool:
    """Return whether the outbox has a connector, i.e. whether notices leave the machine."""
    return get_settings().outbox_connector != "none"


def announce_delivered(session: Session, *, limit: int = ANNOUNCE_BATCH) -> int:
    """Move resolved requests whose every notice was delivered to announced; return how many."""
    notice = (
        select(OutboxMessage.id)
        .where(OutboxMessage.entity_type == "help_request")
        .where(OutboxMessage.entity_id == HelpRequest.id, OutboxMessage.kind == KIND)
    )
    ready = session.scalars(
        select(HelpRequest.id)
        .where(HelpRequest.state == "resolved")
        .where(notice.where(OutboxMessage.state == "delivered").exists())
        .where(~notice.where(OutboxMessage.state != "delivered").exists())
        .order_by(HelpRequest.id)
        .limit(limit)
    ).all()
    for request_id in ready:
        request = rescue_service.get_request(session, request_id=request_id)
        delivered = sum(1 for s in request.sources if s.notified_at is not None)
        transition(session, request=request, to="announced", actor=WORKER,
                   data={"notices": delivered})  # fmt: skip
        flush_or_conflict(session, request)
    return len(ready)
