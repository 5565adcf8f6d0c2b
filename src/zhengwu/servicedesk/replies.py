"""Public replies on the source post: the first response and the closing notice (outbox).

The citizen asked in public, so the answer goes under the same post, spoken by the matrix
account they addressed (or, when they only used a hashtag, an account of the handling body,
else the matrix's lead account). Reply texts are masked like every public text; published
office numbers (公开电话) stay readable.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts import phones as published_phones
from zhengwu.accounts.models import Account, Matrix, Organization
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage
from zhengwu.servicedesk import masking
from zhengwu.servicedesk.models import SOCIAL_SOURCES, ServiceRequest

_CN = ZoneInfo("Asia/Shanghai")


def speaking_account(session: Session, request: ServiceRequest) -> str | None:
    """Return the uid of the account that answers on the request's platform."""
    if request.account_uid:
        return request.account_uid
    if request.platform is None:
        return None
    if request.organization_id is not None:
        uid = session.scalar(
            select(Account.uid)
            .where(Account.organization_id == request.organization_id,
                   Account.platform == request.platform)
            .order_by(Account.id).limit(1)
        )  # fmt: skip
        if uid:
            return uid
    if request.matrix_id is not None:
        lead = session.scalar(
            select(Account.uid)
            .join(Matrix, Matrix.lead_account_id == Account.id)
            .where(Matrix.id == request.matrix_id, Account.platform == request.platform)
        )
        if lead:
            return lead
    return None


def organization_name(session: Session, organization_id: int | None) -> str:
    """Return an organisation's name for a reply ("相关部门" when none is set)."""
    if organization_id is None:
        return "相关部门"
    org = session.get(Organization, organization_id)
    return org.name if org else "相关部门"


def first_response_text(session: Session, request: ServiceRequest) -> str:
    """Return the 受理 reply: received, who handles it, by when."""
    due = request.resolve_due.astimezone(_CN).strftime("%m月%d日") if request.resolve_due else ""
    by_when = f"，将于{due}前办结答复" if due else ""
    return (
        f"您好，您反映的问题已受理（编号 {request.public_id}），"
        f"由{organization_name(session, request.organization_id)}办理{by_when}。感谢您的监督！"
    )


def closing_text(session: Session, request: ServiceRequest, reply: str) -> str:
    """Return the 办结 notice: the answer and the request number."""
    org = organization_name(session, request.organization_id)
    return f"【办结】{reply}（编号 {request.public_id}，{org}）如仍有问题，可凭编号申请重新办理。"


def queue(
    session: Session, *, request: ServiceRequest, kind: str, body: str,
    now: datetime | None = None,
) -> OutboxMessage | None:  # fmt: skip
    """Queue a reply under the source post; None when the request came in without a post.

    ``now`` is the time of the action that answers (default: the real clock), so a reply of
    a replayed or simulated action is queued at that action's time.
    """
    if request.platform not in SOCIAL_SOURCES or not request.source_post_id:
        return None
    return outbox_service.enqueue(
        session, kind=kind, platform=request.platform, target_post_id=request.source_post_id,
        account_uid=speaking_account(session, request),
        body=masking.mask_staff(session, body, request, keep=published_phones.directory(session)),
        entity_type="request", entity_id=request.id, now=now,
    )  # fmt: skip
