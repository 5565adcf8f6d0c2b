"""The filters of a request list — one definition for the queue, the API and the export.

:class:`RequestFilters` holds what a reader asked for (state, category, organisation,
channel, overdue, received period, region, ticket number); :func:`apply` narrows a SELECT of
requests by them. Access is not decided here: the SELECT passed in is already what the
reader may list (:func:`zhengwu.servicedesk.service.visible_query`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select, union
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.errors import ForbiddenError, InvalidInputError
from zhengwu.regions.codes import level_of, normalize_code
from zhengwu.servicedesk import access, deadlines, dedup
from zhengwu.servicedesk.models import SOURCES, RequestSource, ServiceRequest
from zhengwu.servicedesk.workflow import OPEN_STATES, STATE_LABELS

_Q = TypeVar("_Q", bound=Select[Any])


@dataclass(frozen=True, slots=True)
class RequestFilters:
    """What a request list is narrowed to; ``None`` (or empty) leaves a filter off.

    ``region`` is a division code or name (:func:`region_code`): a province or city takes
    in every division under it. ``channels`` are sources
    (:data:`~zhengwu.servicedesk.models.SOURCES`). ``ticket`` is the original hotline
    ticket number (工单编号) as imported, with or without its ``12345:`` / ``csv:`` prefix.
    ``phone`` is the caller's phone in any writing (``138-1111-2222``, ``+86 13811112222``):
    only for staff (:func:`check_phone_allowed`).
    ``unassigned`` keeps the open requests with no body (未派单: waiting to be dispatched),
    ``False`` the others.
    """

    states: Sequence[str] | None = None
    category_codes: Sequence[str] | None = None
    organization_id: int | None = None
    channels: Sequence[str] | None = None
    overdue: bool | None = None
    start: datetime | None = None
    end: datetime | None = None
    region: str | None = None
    ticket: str | None = None
    phone: str | None = None
    unassigned: bool | None = None


def check(filters: RequestFilters) -> None:
    """Refuse an unknown state, channel or region code (InvalidInputError, 422)."""
    for state in filters.states or ():
        if state not in STATE_LABELS:
            raise InvalidInputError(
                f"未知状态：{state}（可选：{'、'.join(STATE_LABELS)}）",
                f"unknown state: {state} (one of: {', '.join(STATE_LABELS)})",
            )
    for channel in filters.channels or ():
        if channel not in SOURCES:
            raise InvalidInputError(
                f"未知渠道：{channel}（可选：{'、'.join(SOURCES)}）",
                f"unknown channel: {channel} (one of: {', '.join(SOURCES)})",
            )
    if filters.phone is not None:
        phone_key(filters.phone)
    if filters.region is not None:
        region_code(filters.region)


def check_phone_allowed(filters: RequestFilters, principal: Principal) -> None:
    """Refuse a phone lookup by a role that does not read requests unmasked (403).

    Looking a phone up among even the masked public requests would tell who asked what.
    """
    if filters.phone is not None and not access.reads_requests(principal):
        raise ForbiddenError(
            "只有办理诉求的工作人员可以按来电号码查找", "only desk staff may look up a phone"
        )


def phone_key(phone: str) -> str:
    """Return the citizen key of a phone (how intake files a caller), or refuse it (422)."""
    key = dedup.citizen_key(source="", citizen_uid=None, phone=phone, email=None)
    if key is None or not key.startswith("phone:"):
        raise InvalidInputError(
            f"来电号码无效：{phone}（至少 7 位数字）", f"invalid phone: {phone} (7 digits or more)"
        )
    return key


def region_code(region: str) -> str:
    """Return the division code a region filter names: a code (2, 4 or 6 digits) or a
    name read as a routing rule's is (岳麓区, 长沙市岳麓区, 郑州市, 河南省: the deployment's
    home region decides a name several divisions bear); InvalidInputError (422) otherwise."""
    from zhengwu.servicedesk.routing.division import DivisionNameError, by_name

    text = region.strip()
    if text.isdigit():
        if region_prefix(text) is None:
            raise InvalidInputError(
                f"区划代码无效：{text}（应为 2、4 或 6 位数字，或区划名称）",
                f"invalid division code: {text} (2, 4 or 6 digits, or a division's name)",
            )
        return text
    try:
        return by_name(text, home=get_settings().desk_home_adcode)
    except DivisionNameError as exc:
        raise InvalidInputError(exc.zh, exc.en) from None


def region_prefix(code: str) -> str | None:
    """Return the prefix the codes under division ``code`` share (41 → "41"), or None."""
    normal = normalize_code(code)
    if normal is None:
        return None
    level = level_of(normal)
    return normal[:2] if level == "province" else normal[:4] if level == "city" else normal


def ticket_refs(ticket: str) -> list[str]:
    """Return the source references a hotline ticket number may be stored under."""
    ticket = ticket.strip()
    if ":" in ticket:
        return [ticket]
    return [f"{source}:{ticket}" for source in SOURCES]


def apply(query: _Q, filters: RequestFilters) -> _Q:
    """Return ``query`` (a SELECT over service_requests) narrowed by ``filters`` (checked)."""
    sr = ServiceRequest
    if filters.states:
        query = query.where(sr.state.in_(filters.states))
    if filters.category_codes:
        query = query.where(sr.category_code.in_(filters.category_codes))
    if filters.organization_id is not None:
        query = query.where(sr.organization_id == filters.organization_id)
    if filters.channels:
        query = query.where(sr.source.in_(filters.channels))
    if filters.start is not None:
        query = query.where(sr.received_at >= filters.start)
    if filters.end is not None:
        query = query.where(sr.received_at < filters.end)
    if filters.region:
        prefix = region_prefix(region_code(filters.region))
        if prefix is not None:
            query = query.where(sr.adcode.startswith(prefix, autoescape=True))
    if filters.overdue is not None:
        late = (sr.resolve_due < deadlines.desk_now_clause()) & sr.state.in_(OPEN_STATES)
        query = query.where(late) if filters.overdue else query.where(~late)
    if filters.unassigned is not None:
        # Open and no body: what waits for a 派单 (organization_id's index finds the NULLs).
        waiting = sr.organization_id.is_(None) & sr.state.in_(OPEN_STATES)
        query = query.where(waiting) if filters.unassigned else query.where(~waiting)
    if filters.ticket:
        # Every ticket a request carries is a source of it (merged copies too): the unique
        # index on request_sources.source_ref finds it.
        carriers = select(RequestSource.request_id).where(
            RequestSource.source_ref.in_(ticket_refs(filters.ticket))
        )
        query = query.where(sr.id.in_(carriers))
    if filters.phone:
        # A caller without a platform account is filed under their phone (dedup.citizen_key):
        # the (citizen_key, fingerprint) index finds their requests, whatever the channel.
        # A social post is filed under its account; the phone written in it is kept as the
        # request's phone, by its digits (service._citizen_phone).
        key = phone_key(filters.phone)
        query = query.where(
            or_(sr.citizen_key == key, sr.citizen_phone == key.removeprefix("phone:"))
        )
    return query


def count(session: Session, principal: Principal, filters: RequestFilters, *, cap: int) -> int:
    """Return how many requests ``principal`` may list under ``filters``, up to ``cap`` + 1.

    Staff with several ways of access (:func:`access.readable_ways`) are counted as the
    union of one query per way, each able to use an index (their OR in one query cannot).
    """
    from zhengwu.servicedesk import service

    ways = access.readable_ways(principal) if access.reads_requests(principal) else None
    if ways:
        ids = union(*(apply(select(ServiceRequest.id).where(way), filters) for way in ways))
        inner = ids.subquery()
        capped = select(inner.c.id).limit(cap + 1).subquery()
    else:
        query = apply(service.visible_query(principal), filters)
        capped = query.with_only_columns(ServiceRequest.id).limit(cap + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(capped)) or 0)
