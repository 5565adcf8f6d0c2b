"""Verification claims (认领核实): one verifier calls a victim, not two at once.

A verifier (or dispatcher) claims an open request before calling; the claim holds for
:data:`CLAIM_MINUTES` and shows in the queue. Another claim, or a verification by anyone
else, while it holds is a :class:`ClaimTakenError` (409) naming the claimer and their team.
Recording a verification releases the claim; so does its holder (or a dispatcher), and
time does by itself.

The claim is one row per request (``help_claims.request_id`` is unique): taking over an
expired claim is a conditional UPDATE, a new claim an INSERT, so of two verifiers racing
the database lets exactly one win.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.errors import ConflictError, ForbiddenError
from zhengwu.rescue.models import HelpRequest, Team, VerificationClaim
from zhengwu.rescue.schemas import ClaimView, HelpRequestView
from zhengwu.rescue.workflow import OPEN_STATES

CLAIM_MINUTES = 15  # long enough for a few calls; a verifier who left does not block for long
CLAIMERS = ("verifier", "dispatcher")


class ClaimTakenError(ConflictError):
    """The request is being verified by someone else (409, with who and until when)."""

    def __init__(self, request_id: int, claim: VerificationClaim) -> None:
        who = claim.claimer_name + (f"（{claim.team_name}）" if claim.team_name else "")
        who_en = claim.claimer_name + (f" ({claim.team_name})" if claim.team_name else "")
        super().__init__(
            f"求助 #{request_id} 正由 {who} 核实中，请勿重复拨打；认领到期或核实后可再认领",
            f"help request #{request_id} is being verified by {who_en}; do not call too — "
            "it can be claimed again once verified or when the claim expires",
        )
        self.claimer_name, self.team_name = claim.claimer_name, claim.team_name
        self.expires_at = claim.expires_at

    def to_dict(self) -> dict[str, object]:
        """Return the error with who holds the claim and until when."""
        return {**super().to_dict(), "claimed_by": self.claimer_name,
                "team_name": self.team_name, "expires_at": self.expires_at.isoformat()}  # fmt: skip


def _held(session: Session, request_id: int, now: datetime) -> VerificationClaim | None:
    claim = session.scalar(
        select(VerificationClaim)
        .where(VerificationClaim.request_id == request_id)
        .execution_options(populate_existing=True)
    )
    return claim if claim is not None and claim.expires_at > now else None


def claim(
    session: Session, *, request: HelpRequest, actor: Principal, minutes: int = CLAIM_MINUTES
) -> VerificationClaim:
    """Claim ``request`` for verification by ``actor`` (renewing their own claim).

    Raises :class:`ClaimTakenError` (409) while someone else's claim holds.
    """
    actor.require(*CLAIMERS)
    if request.state not in OPEN_STATES:
        raise ConflictError(
            f"求助 #{request.id} 已结束，无需核实", f"help request #{request.id} is closed"
        )
    now = utcnow()
    team = session.get(Team, actor.team_id) if actor.team_id else None
    values = {"username": actor.username, "claimer_name": actor.display_name,
              "team_name": team.name if team else None, "claimed_at": now,
              "expires_at": now + timedelta(minutes=minutes)}  # fmt: skip
    # Take over an expired claim, or renew one's own: one conditional UPDATE.
    taken = session.execute(
        update(VerificationClaim)
        .where(VerificationClaim.request_id == request.id)
        .where(
            (VerificationClaim.expires_at <= now) | (VerificationClaim.username == actor.username)
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount == 0:  # type: ignore[attr-defined]
        try:
            with session.begin_nested():
                session.add(VerificationClaim(request_id=request.id, **values))
        except IntegrityError:
            held = _held(session, request.id, now)
            if held is None:  # pragma: no cover - released between the two statements
                raise ConflictError("认领冲突，请重试", "claim conflict, try again") from None
            raise ClaimTakenError(request.id, held) from None
    found = _held(session, request.id, now)
    if found is None or found.username != actor.username:  # pragma: no cover - see above
        raise ConflictError("认领冲突，请重试", "claim conflict, try again")
    audit_service.record(
        session, entity_type="help_request", entity_id=request.id, action="claim", actor=actor,
        at=now, data={"expires_at": found.expires_at.isoformat()},
    )  # fmt: skip
    return found


def check(session: Session, *, request: HelpRequest, actor: Principal) -> None:
    """Raise :class:`ClaimTakenError` if someone other than ``actor`` holds a claim."""
    held = _held(session, request.id, utcnow())
    if held is not None and held.username != actor.username:
        raise ClaimTakenError(request.id, held)


def release(
    session: Session, *, request: HelpRequest, actor: Principal, reason: str | None = None
) -> bool:
    """Drop the claim on ``request`` (its holder, or a dispatcher); return whether one held.

    A verification releases it by itself (:func:`zhengwu.rescue.dispatch.verify`).
    """
    actor.require(*CLAIMERS)
    held = _held(session, request.id, utcnow())
    if held is not None and held.username != actor.username and not actor.has_role("dispatcher"):
        raise ForbiddenError(
            f"认领属于 {held.claimer_name}，只有本人或调度员可以释放",
            f"the claim belongs to {held.claimer_name}: only they or a dispatcher may release it",
        )
    done = session.execute(
        delete(VerificationClaim)
        .where(VerificationClaim.request_id == request.id)
        .execution_options(synchronize_session=False)
    )
    if held is not None:
        audit_service.record(
            session, entity_type="help_request", entity_id=request.id, action="release_claim",
            actor=actor, reason=reason, data={"claimed_by": held.claimer_name},
        )  # fmt: skip
    return bool(done.rowcount) and held is not None  # type: ignore[attr-defined]


def active(session: Session, request_ids: Collection[int]) -> dict[int, VerificationClaim]:
    """Return the claims holding now on ``request_ids``, by request id."""
    if not request_ids:
        return {}
    now = utcnow()
    rows = session.scalars(
        select(VerificationClaim)
        .where(VerificationClaim.request_id.in_(list(request_ids)))
        .where(VerificationClaim.expires_at > now)
    )
    return {c.request_id: c for c in rows}


def view(claim: VerificationClaim | None, principal: Principal) -> ClaimView | None:
    """Return a claim as rescue staff see it (None for anyone else: it names staff)."""
    if claim is None or not principal.has_role("dispatcher", "verifier", "team"):
        return None
    return ClaimView(by=claim.claimer_name, team_name=claim.team_name,
                     claimed_at=claim.claimed_at, expires_at=claim.expires_at,
                     mine=claim.username == principal.username)  # fmt: skip


def attach(
    session: Session, principal: Principal, views: Sequence[HelpRequestView]
) -> list[HelpRequestView]:
    """Return ``views`` with the claim holding on each, for those who may see claims."""
    held = active(session, [v.id for v in views])
    return [v.model_copy(update={"claim": view(held.get(v.id), principal)}) for v in views]
