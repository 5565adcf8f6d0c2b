"""The periodic jobs the worker runs, declared once: name, title, default interval, step.

A job's *step* does one transaction's worth of work in the session it is given and says
whether more is waiting; the runner commits each step and calls again while there is more,
so a long catch-up (the search index of 142,000 new accounts) never holds the database in
one long transaction, and what was committed is kept if a later step fails.

Domain services do the work; each step only translates their result into counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zhengwu.errors import InvalidInputError, did_you_mean

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

OUTBOX_BATCH = 500  # messages delivered per transaction
ESCALATION_BATCH = 200  # requests supervised per transaction


@dataclass(frozen=True, slots=True)
class Step:
    """What one transaction of a job did (counts by what was done), and if more is waiting."""

    counts: dict[str, int] = field(default_factory=dict)
    more: bool = False


@dataclass(frozen=True, slots=True)
class Job:
    """A periodic job: its name (CLI, settings), Chinese title, default interval, step."""

    name: str
    title: str
    interval: float  # seconds between the end of one run and the start of the next
    step: Callable[[Session], Step]
    summary: str


def _search_refresh(session: Session) -> Step:
    """Index a batch of the accounts and requests changed since the last refresh."""
    from zhengwu.search import indexer

    done = indexer.refresh(session, limit=indexer.BATCH)
    return Step(done, more=any(n >= indexer.BATCH for n in done.values()))


def _distribution_release(session: Session) -> Step:
    """Queue the scheduled distributions whose time has come (refused ones say why)."""
    from zhengwu.library import distribution

    done = distribution.release_due(session)
    for target in done.refused:  # the log (journald, cron mail) says which, and why
        log.warning(
            "定时分发未发布 / scheduled distribution refused: 内容 item %s → 账号 account %s: %s",
            target.item_id, target.account_id, target.reason,
        )  # fmt: skip
    return Step({"queued": len(done.queued), "refused": len(done.refused)})


def _outbox_delivery(session: Session) -> Step:
    """Deliver a batch of queued outbox messages through the configured connectors, then
    mark the help requests whose every closing notice was delivered as announced."""
    from zhengwu.outbox import service as outbox_service
    from zhengwu.rescue import notices

    connectors = outbox_service.default_connectors()
    # No connector configured: the messages wait, queued (a gateway reading the table may
    # still mark some delivered, so the announcement check runs all the same).
    report = (
        outbox_service.deliver_pending(session, connectors, limit=OUTBOX_BATCH)
        if connectors
        else outbox_service.DeliveryReport(waiting=outbox_service.queued_count(session))
    )
    announced = notices.announce_delivered(session)
    # A failed message stays queued for its next attempt: only a full batch of
    # deliveries means more is waiting now (retrying failures at once would not help).
    # ``waiting``: queued messages no connector here sends (a gateway may read them).
    counts = {"delivered": report.delivered, "failed": report.failed,
              "waiting": report.waiting, "announced": announced}  # fmt: skip
    return Step(
        counts, more=report.delivered >= OUTBOX_BATCH or announced >= notices.ANNOUNCE_BATCH
    )


def _desk_escalation(session: Session) -> Step:
    """Supervise (督办) a batch of open requests that missed a deadline — as of now, or on
    the demo's data as of its simulated period's end (the demo's own clock)."""
    from zhengwu.servicedesk import scheduled
    from zhengwu.servicedesk.demo import clock

    done = scheduled.escalate_overdue(session, limit=ESCALATION_BATCH, now=clock(session))
    return Step({"supervised": len(done)}, more=len(done) >= ESCALATION_BATCH)


def _published_numbers(session: Session) -> Step:
    """Re-mask a batch of the requests that mention a published number changed since."""
    from zhengwu.servicedesk import remask

    report = remask.step(session)
    return Step(report.counts(), more=report.more)


JOBS: tuple[Job, ...] = (
    # Run order within a round: released distributions and escalations are delivered in the
    # same round; re-masked requests are indexed in the same round; the search refresh,
    # the longest when catching up, comes last.
    Job("distribution-release", "定时分发", 60, _distribution_release,
        "queue scheduled content distributions that are due"),
    Job("desk-escalation", "超期督办", 300, _desk_escalation,
        "supervise open requests that missed a deadline"),
    Job("outbox-delivery", "消息发送", 30, _outbox_delivery,
        "deliver queued outbox messages (replies, notices, distributions); announce rescue "
        "requests whose notices were all delivered"),
    Job("published-numbers", "公开电话更新", 60, _published_numbers,
        "re-mask stored request texts after published numbers (公开电话) change"),
    Job("search-refresh", "搜索索引更新", 60, _search_refresh,
        "index the accounts and requests changed since the last refresh"),
)  # fmt: skip


def names() -> list[str]:
    """Return the names of every job, in run order."""
    return [job.name for job in JOBS]


def get_job(name: str) -> Job:
    """Return the job called ``name``, or raise a bilingual 422 listing the known ones."""
    for job in JOBS:
        if job.name == name:
            return job
    close_zh, close_en = did_you_mean(name, names())
    raise InvalidInputError(
        f"未知的后台任务：{name}{close_zh}（可选：{'、'.join(names())}）",
        f"unknown job {name!r}{close_en} (one of {', '.join(names())})",
    )


def select_jobs(wanted: Sequence[str] | None = None) -> list[Job]:
    """Return the jobs named in ``wanted`` in run order (all when None or empty)."""
    if not wanted:
        return list(JOBS)
    chosen = {get_job(name).name for name in wanted}
    return [job for job in JOBS if job.name in chosen]
