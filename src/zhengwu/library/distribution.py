"""分发: publish a library item on chosen accounts of a matrix through the outbox.

Planning writes one :class:`DistributionTarget` per account. A target whose account's
platform has no publishing connector configured (``ZHENGWU_DISTRIBUTION_PLATFORMS``) or
whose account is closed is recorded as failed with its reason — never dropped. The others
are queued in the outbox at once, or at their scheduled time by :func:`release_due`, which
checks them again then (connector, account, matrix, planner) and fails, with the reason, what
may no longer be published; their delivered / failed status is read back from the outbox
message.

An item is published once per account: an account the item is already planned, queued or
delivered on is skipped (and named in the answer) unless the planner asks for it again
(``again``, recorded in the audit entry). A failed earlier target does not count, so a
failed publication can simply be planned again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, MatrixMember
from zhengwu.audit import service as audit_service
from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.db.base import utcnow
from zhengwu.errors import ForbiddenError, InvalidInputError, NotFoundError
from zhengwu.library import access
from zhengwu.library.models import (
    TARGET_STATES,
    ContentItem,
    DistributionPlan,
    DistributionReport,
    DistributionTarget,
    SkippedTarget,
    TargetRead,
)
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage

ENTITY = "library_distribution"
MAX_BODY = 5000
# A scheduled time this far back is taken as a mistake (a stale form, a wrong date), not "now".
PAST_GRACE = timedelta(minutes=5)
_CHINA = timezone(timedelta(hours=8))


def message_text(item: ContentItem, text: str | None = None) -> str:
    """Return what is published: the given text, or the item's title and body."""
    body = (text or "").strip() or f"{item.title}\n\n{item.body}".strip()
    return body[:MAX_BODY]


def eligible_accounts(session: Session, principal: Principal) -> list[tuple[Account, int]]:
    """Return the accounts ``principal`` may publish on, each with the matrix it sits in.

    The members of its distribution matrices (:func:`access.distribution_matrices`); for an
    operator (账号运营) only its own organisation's among them: sitting in the same city
    matrix does not let one body's operator post on another body's account.
    """
    query = (
        select(Account, MatrixMember.matrix_id)
        .join(MatrixMember, MatrixMember.account_id == Account.id)
        .where(MatrixMember.matrix_id.in_(access.distribution_matrices(principal)))
        .order_by(MatrixMember.matrix_id, Account.platform, Account.name, Account.id)
    )
    if principal.role == "operator":
        query = query.where(Account.organization_id == principal.organization_id)
    rows = session.execute(query)
    seen: set[int] = set()
    out: list[tuple[Account, int]] = []
    for account, matrix_id in rows:
        if account.id not in seen:
            seen.add(account.id)
            out.append((account, matrix_id))
    return out


def _enqueue(session: Session, target: DistributionTarget, account: Account, body: str) -> None:
    message = outbox_service.enqueue(
        session, kind="distribution", platform=account.platform, body=body,
        account_uid=account.uid, entity_type=ENTITY, entity_id=target.id,
    )  # fmt: skip
    session.flush()
    target.outbox_id = message.id
    target.state = "queued"


def _refuse_past(when: datetime | None, now: datetime) -> None:
    """Refuse a scheduled time more than :data:`PAST_GRACE` before ``now``."""
    if when is None or when >= now - PAST_GRACE:
        return
    shown = when.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M")
    raise InvalidInputError(
        f"计划时间已过（{shown} 北京时间）：请选择将来的时间，或留空立即排队",
        f"the scheduled time {when.isoformat()} is in the past: "
        "choose a future time, or leave it empty to queue now",
    )


@dataclass(slots=True)
class PlanOutcome:
    """What planning did: the new targets, and the accounts skipped as already distributed."""

    targets: list[DistributionTarget] = field(default_factory=list)
    skipped: list[SkippedTarget] = field(default_factory=list)


def already_distributed(
    session: Session, item: ContentItem, account_ids: list[int]
) -> dict[int, SkippedTarget]:
    """Return, per account of ``account_ids``, the earliest live target of ``item`` there.

    Live: planned (waiting for its time), or in the outbox queued or delivered. Failed
    targets and failed outbox messages are not live.
    """
    if not account_ids:
        return {}
    rows = session.execute(
        select(DistributionTarget, Account, OutboxMessage.state)
        .join(Account, Account.id == DistributionTarget.account_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == DistributionTarget.outbox_id)
        .where(DistributionTarget.item_id == item.id,
               DistributionTarget.account_id.in_(account_ids),
               DistributionTarget.state != "failed")
        .order_by(DistributionTarget.id)
    ).all()  # fmt: skip
    found: dict[int, SkippedTarget] = {}
    for target, account, sent in rows:
        state = sent if target.outbox_id is not None else target.state
        if state in ("planned", "queued", "delivered") and account.id not in found:
            found[account.id] = SkippedTarget(
                account_id=account.id, account_name=account.name, platform=account.platform,
                state=state, target_id=target.id,
            )  # fmt: skip
    return found


def plan(
    session: Session,
    principal: Principal,
    item: ContentItem,
    data: DistributionPlan,
    *,
    now: datetime | None = None,
) -> PlanOutcome:
    """Plan the distribution of ``item`` to accounts of the planner's matrix.

    The whole plan is refused (403) when one account is outside the planner's matrices, so
    nothing half-planned is kept; a scheduled time in the past (beyond
    :data:`PAST_GRACE`) is refused (422) rather than silently sent at once. Accounts the
    item is already distributed to (:func:`already_distributed`) are skipped unless
    ``data.again``; the item's row is locked (PostgreSQL) so that two plans at once — a
    double click — cannot both queue it.
    """
    access.require_library(principal)
    if not access.can_read(session, principal, item):
        raise NotFoundError(f"内容 {item.id} 不存在", f"library item {item.id} not found")
    session.execute(select(ContentItem.id).where(ContentItem.id == item.id).with_for_update())
    now = now or utcnow()
    if data.scheduled_at is not None and data.scheduled_at.tzinfo is None:
        raise InvalidInputError("计划时间须带时区（例如 +08:00）",
                                "scheduled_at needs a time zone, e.g. +08:00")  # fmt: skip
    _refuse_past(data.scheduled_at, now)
    allowed = {a.id: (a, m) for a, m in eligible_accounts(session, principal)}
    account_ids = list(dict.fromkeys(data.account_ids))
    for account_id in account_ids:
        if account_id not in allowed:
            if session.get(Account, account_id) is None:
                raise NotFoundError(f"账号 {account_id} 不存在", f"account {account_id} not found")
            if principal.role == "operator":
                raise ForbiddenError(
                    f"账号 {account_id} 不是本单位在矩阵中的账号，不能分发（请由矩阵管理员分发）",
                    f"account {account_id} is not one of your organisation's matrix accounts: "
                    "ask the matrix office to distribute to it",
                )
            raise ForbiddenError(
                f"账号 {account_id} 不在您的矩阵中，不能分发",
                f"account {account_id} is outside your matrix",
            )
    earlier = already_distributed(session, item, account_ids)
    outcome = PlanOutcome(skipped=[] if data.again else list(earlier.values()))
    platforms = set(get_settings().distribution_platforms)
    body = message_text(item, data.text)
    later = data.scheduled_at is not None and data.scheduled_at > now
    targets = outcome.targets
    for account_id in account_ids:
        if account_id in earlier and not data.again:
            continue
        account, matrix_id = allowed[account_id]
        target = DistributionTarget(
            item_id=item.id, account_id=account.id, matrix_id=matrix_id, state="planned",
            scheduled_at=data.scheduled_at, text=(data.text or "").strip() or None,
            planned_by_id=principal.user_id,
            planned_by_name=principal.display_name, planned_at=now,
        )  # fmt: skip
        refusal = _refusal(account, platforms)
        if refusal is not None:
            target.state, target.reason = "failed", refusal
        session.add(target)
        session.flush()
        if target.state == "planned" and not later:
            _enqueue(session, target, account, body)
        targets.append(target)
    audit_service.record(
        session, entity_type="library_item", entity_id=item.id, action="distribute",
        actor=principal,
        data={"accounts": account_ids, "text": body if data.text else None,
              "scheduled_at": data.scheduled_at.isoformat() if data.scheduled_at else None,
              "failed": [t.account_id for t in targets if t.state == "failed"],
              "skipped": [s.account_id for s in outcome.skipped],
              "again": sorted(earlier) if data.again else []},
    )  # fmt: skip
    return outcome


def _refusal(
    account: Account, platforms: set[str], *, in_matrix: bool = True, planner: str | None = None
) -> str | None:
    """Return why ``account`` cannot be published on now (Chinese / English), or None.

    ``planner``: what :func:`_planner_refusal` found about the user who planned it.
    """
    if account.platform not in platforms:
        return (f"未配置「{account.platform}」平台的发布通道 / "
                f"no publishing connector configured for {account.platform}")  # fmt: skip
    if account.status != "active":
        return f"账号已停用 / account is {account.status}"
    if not in_matrix:
        return ("账号已不在计划时所在的矩阵中，未发布 / "
                "the account has left the matrix it was planned in: not published")  # fmt: skip
    return planner


PLANNER_DISABLED = ("计划人的账户已停用，定时分发未发布 / "
                    "the user who planned it has been disabled: not published")  # fmt: skip
PLANNER_OUT_OF_SCOPE = (
    "计划人已无权在该账号发布（角色或范围已变更），定时分发未发布 / "
    "the user who planned it may no longer publish on this account "
    "(role or scope changed): not published"
)


def _planner_refusal(
    session: Session, planner_id: int | None, account_id: int, cache: dict[int, set[int] | None]
) -> str | None:
    """Return why the planner ``planner_id`` may no longer publish on ``account_id``, or None.

    The planner as the user is now: disabled (or deleted), or with a role or scope that no
    longer reaches the account. ``cache`` keeps each planner's accounts for one release.
    """
    if planner_id is None:  # planned by a local administrator (the CLI)
        return None
    if planner_id not in cache:
        user = session.get(User, planner_id)
        cache[planner_id] = (
            {a.id for a, _ in eligible_accounts(session, auth_service.principal_of(user))}
            if user is not None and user.is_active
            else None
        )
    allowed = cache[planner_id]
    if allowed is None:
        return PLANNER_DISABLED
    return None if account_id in allowed else PLANNER_OUT_OF_SCOPE


@dataclass(slots=True)
class Release:
    """What :func:`release_due` did: the targets queued, and those refused with their reason."""

    queued: list[DistributionTarget] = field(default_factory=list)
    refused: list[DistributionTarget] = field(default_factory=list)


def release_due(session: Session, *, now: datetime | None = None) -> Release:
    """Queue the planned targets whose time has come; return what was queued and refused.

    What was true when the release was planned is checked again at its time: a target whose
    platform lost its connector, whose account was closed or left the matrix it was planned
    in, or whose planner was disabled or may no longer publish on it (a new role or scope)
    since is marked failed with the reason (bilingual, shown in the distribution report),
    never released and never left waiting unexplained.
    """
    now = now or utcnow()
    due = session.execute(
        select(DistributionTarget, Account, ContentItem)
        .join(Account, Account.id == DistributionTarget.account_id)
        .join(ContentItem, ContentItem.id == DistributionTarget.item_id)
        .where(DistributionTarget.state == "planned", DistributionTarget.scheduled_at <= now)
        .order_by(DistributionTarget.id)
    ).all()
    done = Release()
    if not due:
        return done
    platforms = set(get_settings().distribution_platforms)
    members = {
        (matrix_id, account_id)
        for matrix_id, account_id in session.execute(
            select(MatrixMember.matrix_id, MatrixMember.account_id).where(
                MatrixMember.account_id.in_({t.account_id for t, _, _ in due})
            )
        )
    }
    planners: dict[int, set[int] | None] = {}
    for target, account, item in due:
        in_matrix = target.matrix_id is None or (target.matrix_id, account.id) in members
        planner = _planner_refusal(session, target.planned_by_id, account.id, planners)
        refusal = _refusal(account, platforms, in_matrix=in_matrix, planner=planner)
        if refusal is not None:
            target.state, target.reason = "failed", refusal
            done.refused.append(target)
            continue
        _enqueue(session, target, account, message_text(item, target.text))
        done.queued.append(target)
    return done


def report(
    session: Session, item: ContentItem, skipped: list[SkippedTarget] | None = None
) -> DistributionReport:
    """Return every target of ``item`` with its status read back from the outbox.

    ``skipped``: the accounts a plan just left out (see :class:`PlanOutcome`).
    """
    rows = session.execute(
        select(DistributionTarget, Account, OutboxMessage)
        .join(Account, Account.id == DistributionTarget.account_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == DistributionTarget.outbox_id)
        .where(DistributionTarget.item_id == item.id)
        .order_by(DistributionTarget.planned_at.desc(), DistributionTarget.id)
    ).all()
    targets: list[TargetRead] = []
    for target, account, message in rows:
        state, reason = target.state, target.reason
        if message is not None:
            state = message.state  # queued, delivered or failed: the outbox knows
            reason = message.error or reason
        targets.append(
            TargetRead(
                id=target.id,
                account_id=account.id,
                account_name=account.name,
                platform=account.platform,
                state=state,
                reason=reason,
                scheduled_at=target.scheduled_at,
                outbox_id=target.outbox_id,
                external_id=message.external_id if message else None,
                planned_by_name=target.planned_by_name,
                planned_at=target.planned_at,
                delivered_at=message.delivered_at if message else None,
                last_error=message.last_error if message else None,
                last_error_at=message.last_error_at if message else None,
                attempts=message.attempts if message else 0,
            )
        )
    counts = Counter(t.state for t in targets)
    return DistributionReport(
        item_id=item.id, counts={s: counts.get(s, 0) for s in TARGET_STATES}, targets=targets,
        skipped=skipped or [],
    )  # fmt: skip
