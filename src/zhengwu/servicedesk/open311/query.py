"""``GET /requests``: the spec's filters over the public requests.

- ``service_request_id`` (comma list) overrides every other filter;
- ``service_code`` (comma list) also takes the codes below it in the category tree;
- ``start_date`` / ``end_date`` (ISO 8601; a date alone is midnight in China; the "+" of
  an offset that a client forgot to escape arrives as a space and is restored), at most
  90 days apart; one alone reaches 90 days from it; none means the last 90 days;
- ``status`` = ``open``, ``closed`` or both; the newest 1000 requests at most;
- ``page`` (from 1) and ``page_size`` (1–1000, default 1000), a common extension of the
  spec, page through longer lists; anything but a positive whole number is a 400;
- ``channel`` (comma list), a zhengwu extension: the channels the requests came in by
  (:data:`~zhengwu.servicedesk.models.SOURCES`: weibo, form, api, open311, 12345, letter,
  visit, sms …); an unknown one is a 400 naming the valid ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Organization
from zhengwu.chinatime import parse_china_time
from zhengwu.servicedesk import service
from zhengwu.servicedesk.category.models import Category
from zhengwu.servicedesk.models import SOURCES, ServiceRequest
from zhengwu.servicedesk.open311.documents import CLOSED_STATES
from zhengwu.servicedesk.open311.errors import bad
from zhengwu.servicedesk.open311.intake import Fields, first
from zhengwu.servicedesk.open311.serialize import Format
from zhengwu.servicedesk.workflow import OPEN_STATES

MAX_RANGE = timedelta(days=90)
MAX_REQUESTS = 1000
_UNESCAPED_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """The filters of one ``GET /requests`` call, checked."""

    ids: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    states: frozenset[str] | None = None
    adcode: str | None = None
    channels: tuple[str, ...] = ()
    page: int = 1
    page_size: int = MAX_REQUESTS


def _split(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))


def parse_datetime(value: str, name: str, fmt: Format) -> datetime:
    """Return an ISO 8601 parameter as an aware datetime (naive = China time)."""
    value = _UNESCAPED_PLUS.sub(r"\1+\2", value.strip())
    try:
        return parse_china_time(value)
    except ValueError:
        raise bad(fmt, f"{name} 不是 ISO 8601 时间：{value} / {name} is not ISO 8601") from None


def _date_range(fields: Fields, now: datetime, fmt: Format) -> tuple[datetime, datetime]:
    start_s, end_s = first(fields, "start_date"), first(fields, "end_date")
    start = parse_datetime(start_s, "start_date", fmt) if start_s else None
    end = parse_datetime(end_s, "end_date", fmt) if end_s else None
    if start is None and end is None:
        return now - MAX_RANGE, now
    if start is None:
        assert end is not None
        return end - MAX_RANGE, end
    if end is None:
        return start, start + MAX_RANGE
    if end < start:
        raise bad(fmt, "end_date 早于 start_date / end_date is before start_date")
    if end - start > MAX_RANGE:
        raise bad(
            fmt, "start_date 与 end_date 相隔不能超过 90 天 / the range may not exceed 90 days"
        )
    return start, end


def _states(value: str, fmt: Format) -> frozenset[str] | None:
    wanted = set(_split(value.lower()))
    if not wanted or wanted == {"open", "closed"}:
        return None
    if not wanted <= {"open", "closed"}:
        raise bad(fmt, f"status 只能是 open 或 closed：{value} / status must be open or closed")
    return OPEN_STATES if wanted == {"open"} else CLOSED_STATES


def _channels(value: str, fmt: Format) -> tuple[str, ...]:
    """Return the channels of a ``channel`` parameter (any case), refusing an unknown one."""
    wanted = _split(value.lower())
    unknown = [c for c in wanted if c not in SOURCES]
    if unknown:
        shown = ", ".join(unknown)
        raise bad(
            fmt,
            f"channel 未知：{'、'.join(unknown)}（可选：{'、'.join(SOURCES)}）/ unknown channel: "
            f"{shown} (one of: {', '.join(SOURCES)})",
        )
    return wanted


def _positive(fields: Fields, name: str, default: int, most: int, fmt: Format) -> int:
    """Return a paging parameter: a whole number from 1 to ``most`` (absent: ``default``)."""
    value = first(fields, name)
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= most:
        raise bad(
            fmt,
            f"{name} 须为 1 到 {most} 之间的整数：{value} / "
            f"{name} must be a whole number from 1 to {most}: {value}",
        )
    return int(value)


def parse_filter(
    fields: Fields, *, now: datetime, adcode: str | None, fmt: Format
) -> RequestFilter:
    """Return the checked filters of a ``GET /requests`` call."""
    page = _positive(fields, "page", 1, 1_000_000, fmt)
    page_size = _positive(fields, "page_size", MAX_REQUESTS, MAX_REQUESTS, fmt)
    ids = _split(first(fields, "service_request_id"))
    if ids:  # overrides all else
        return RequestFilter(ids=ids[:MAX_REQUESTS], page=page, page_size=page_size)
    start, end = _date_range(fields, now, fmt)
    return RequestFilter(
        codes=_split(first(fields, "service_code")), start=start, end=end,
        states=_states(first(fields, "status"), fmt), adcode=adcode, page=page,
        page_size=page_size, channels=_channels(first(fields, "channel"), fmt),
    )  # fmt: skip


def _with_descendants(tree: Sequence[Category], codes: Sequence[str]) -> set[str]:
    wanted = set(codes)
    for category in tree:  # parents come before their children in the tree's order
        if category.parent_code in wanted:
            wanted.add(category.code)
    return wanted


def find_requests(
    session: Session, criteria: RequestFilter, tree: Sequence[Category]
) -> list[ServiceRequest]:
    """Return the public requests that match, newest first."""
    query = service.public_requests()
    if criteria.ids:
        query = query.where(ServiceRequest.public_id.in_(criteria.ids))
    else:
        if criteria.codes:
            codes = _with_descendants(tree, criteria.codes)
            query = query.where(ServiceRequest.category_code.in_(codes))
        if criteria.start is not None:
            query = query.where(ServiceRequest.received_at >= criteria.start)
        if criteria.end is not None:
            query = query.where(ServiceRequest.received_at <= criteria.end)
        if criteria.states is not None:
            query = query.where(ServiceRequest.state.in_(criteria.states))
        if criteria.adcode:
            query = query.where(ServiceRequest.adcode.startswith(_prefix(criteria.adcode)))
        if criteria.channels:
            query = query.where(ServiceRequest.source.in_(criteria.channels))
    query = query.order_by(ServiceRequest.received_at.desc(), ServiceRequest.id.desc())
    offset = (criteria.page - 1) * criteria.page_size
    return list(session.scalars(query.limit(criteria.page_size).offset(offset)))


def _prefix(adcode: str) -> str:
    """Return the code prefix of a division's area: 410000 → 41, 410100 → 4101."""
    for zeros in ("0000", "00"):
        if adcode.endswith(zeros):
            return adcode[: -len(zeros)]
    return adcode


def agencies(session: Session, requests: Sequence[ServiceRequest]) -> dict[int, str]:
    """Return the names of the organisations handling ``requests``."""
    ids = {r.organization_id for r in requests if r.organization_id is not None}
    if not ids:
        return {}
    rows = session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    )
    return {row.id: row.name for row in rows}
