"""Rates of the service desk per organisation, matrix, category and period.

Definitions (a period holds the requests *received* in it, China local time; requests
closed as duplicate or invalid are not counted — they are not separate problems):

- n: requests received;
- 回应率 response_rate = requests with a first response (受理, a reply or the closing) / n;
- response_ontime_rate = first responses within the response deadline / n;
- 办结率 resolution_rate = requests resolved (办结; a reopened one only once re-resolved) / n;
- 按时办结率 ontime_rate = resolved by the (possibly extended) deadline / resolved;
- 满意率 satisfaction_rate = follow-ups rated 4 or 5 / follow-ups (回访);
- handling time: **working days** (fractional, on the desk's calendar) from receipt to
  resolution, mean and median over the resolved requests.

A rate whose denominator is 0 is None (null), never 0 or 1.
"""

from __future__ import annotations

import csv
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.errors import InvalidInputError
from zhengwu.servicedesk import deadlines
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.models import ServiceRequest

GroupBy = Literal["organization", "matrix", "category"]
_CN = ZoneInfo("Asia/Shanghai")
_NOT_COUNTED = ("duplicate", "invalid")


@dataclass(slots=True)
class RateRow:
    """The rates of one group (organisation, matrix or first-level category) in a period."""

    key: str
    name: str
    n: int = 0
    responded: int = 0
    responded_on_time: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    followed_up: int = 0
    satisfied: int = 0
    response_rate: float | None = None
    response_ontime_rate: float | None = None
    resolution_rate: float | None = None
    ontime_rate: float | None = None
    satisfaction_rate: float | None = None
    mean_handling_days: float | None = None
    median_handling_days: float | None = None


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """Return [start, end) of a period: ``2025``, ``2025-Q3``, ``2025-07``, ``2025-07-01``,
    or ``2025-07-01..2025-07-15`` (inclusive days), in China local time."""

    def at(d: date) -> datetime:
        return datetime.combine(d, time(), tzinfo=_CN)

    p = period.strip()
    try:
        if ".." in p:
            a, b = p.split("..", 1)
            return at(date.fromisoformat(a)), at(date.fromisoformat(b) + timedelta(days=1))
        if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", p):
            y, q = int(m[1]), int(m[2])
            start = date(y, 3 * q - 2, 1)
            end = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
            return at(start), at(end)
        if re.fullmatch(r"\d{4}", p):
            return at(date(int(p), 1, 1)), at(date(int(p) + 1, 1, 1))
        if m := re.fullmatch(r"(\d{4})-(\d{2})", p):
            y, mo = int(m[1]), int(m[2])
            return at(date(y, mo, 1)), at(date(y + mo // 12, mo % 12 + 1, 1))
        d = date.fromisoformat(p)
        return at(d), at(d + timedelta(days=1))
    except ValueError:
        raise InvalidInputError(
            f"无法识别的统计周期：{period}（如 2025-07、2025-Q3、2025）",
            f"unreadable period {period!r} (e.g. 2025-07, 2025-Q3, 2025)",
        ) from None


def _bound(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=_CN)
    return datetime.combine(value, time(), tzinfo=_CN)


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _finish(row: RateRow, days: list[float]) -> RateRow:
    row.response_rate = _ratio(row.responded, row.n)
    row.response_ontime_rate = _ratio(row.responded_on_time, row.n)
    row.resolution_rate = _ratio(row.resolved, row.n)
    row.ontime_rate = _ratio(row.resolved_on_time, row.resolved)
    row.satisfaction_rate = _ratio(row.satisfied, row.followed_up)
    if days:
        row.mean_handling_days = round(statistics.fmean(days), 2)
        row.median_handling_days = round(statistics.median(days), 2)
    return row


def _groups(
    session: Session, by: GroupBy, requests: Sequence[ServiceRequest]
) -> dict[int, list[tuple[str, str]]]:
    """Return request id → the (key, name) groups it counts in."""
    out: dict[int, list[tuple[str, str]]] = {}
    if by == "organization":
        names = dict(session.execute(select(Organization.id, Organization.name)).all())
        for r in requests:
            oid = r.organization_id
            out[r.id] = [(str(oid), names.get(oid, "")) if oid else ("-", "未派单")]
    elif by == "category":
        tree = category_service.get_tree(session, include_inactive=True)
        labels = {c.code: c.name for c in tree}
        for r in requests:
            top = category_service.top_level(tree, r.category_code)
            out[r.id] = [(top, labels[top]) if top else ("-", "未分类")]
    else:
        matrices = dict(session.execute(select(Matrix.id, Matrix.name)).all())
        of_org: dict[int, set[int]] = defaultdict(set)
        rows = session.execute(
            select(Account.organization_id, MatrixMember.matrix_id)
            .join(MatrixMember, MatrixMember.account_id == Account.id)
            .where(Account.organization_id.is_not(None))
        )
        for oid, mid in rows:
            if oid is not None:
                of_org[oid].add(mid)
        for r in requests:
            ids = set(of_org.get(r.organization_id, set())) if r.organization_id else set()
            if r.matrix_id is not None:
                ids.add(r.matrix_id)
            out[r.id] = [(str(m), matrices.get(m, "")) for m in sorted(ids)] or [("-", "无矩阵")]
    return out


def compute(
    session: Session, *, start: date | datetime, end: date | datetime, by: GroupBy = "organization"
) -> list[RateRow]:
    """Return the rates of every group over the requests received in [start, end)."""
    requests = list(
        session.scalars(
            select(ServiceRequest).where(
                ServiceRequest.received_at >= _bound(start),
                ServiceRequest.received_at < _bound(end),
                ServiceRequest.state.not_in(_NOT_COUNTED),
            )
        )
    )
    groups = _groups(session, by, requests)
    rows: dict[str, RateRow] = {}
    days: dict[str, list[float]] = defaultdict(list)
    for r in requests:
        for key, name in groups[r.id]:
            row = rows.setdefault(key, RateRow(key=key, name=name))
            _count(row, r, days[key])
    return sorted((_finish(row, days[k]) for k, row in rows.items()), key=lambda x: (-x.n, x.key))


def _count(row: RateRow, r: ServiceRequest, days: list[float]) -> None:
    row.n += 1
    if r.first_response_at is not None:
        row.responded += 1
        if r.response_due is None or r.first_response_at <= r.response_due:
            row.responded_on_time += 1
    if r.resolved_at is not None:
        row.resolved += 1
        if r.resolve_due is None or r.resolved_at <= r.resolve_due:
            row.resolved_on_time += 1
        days.append(max(deadlines.working_days_between(r.received_at, r.resolved_at), 0.0))
    if r.satisfaction is not None:
        row.followed_up += 1
        row.satisfied += r.satisfaction >= 4


INDEX_SCHEMA = pa.schema(
    [
        ("organization_id", pa.int64()),
        ("response_rate", pa.float64()),
        ("resolution_rate", pa.float64()),
        ("ontime_rate", pa.float64()),
        ("satisfaction_rate", pa.float64()),
        ("n", pa.int64()),
    ]
)


def rates_for_index(session: Session, start: date | datetime, end: date | datetime) -> pa.Table:
    """Return the per-organisation rates of [start, end) for the index's 服务力 dimension."""
    rows = [r for r in compute(session, start=start, end=end, by="organization") if r.key != "-"]
    return pa.Table.from_pylist(
        [
            {"organization_id": int(r.key), "response_rate": r.response_rate,
             "resolution_rate": r.resolution_rate, "ontime_rate": r.ontime_rate,
             "satisfaction_rate": r.satisfaction_rate, "n": r.n}
            for r in rows
        ],
        schema=INDEX_SCHEMA,
    )  # fmt: skip


COLUMN_LABELS = {
    "key": "编号", "name": "名称", "n": "受理量", "responded": "已回应", "responded_on_time": "按时回应",
    "resolved": "已办结", "resolved_on_time": "按时办结", "followed_up": "已回访", "satisfied": "满意",
    "response_rate": "回应率", "response_ontime_rate": "按时回应率", "resolution_rate": "办结率",
    "ontime_rate": "按时办结率", "satisfaction_rate": "满意率",
    "mean_handling_days": "平均办理时长(工作日)", "median_handling_days": "办理时长中位数(工作日)",
}  # fmt: skip


def as_dicts(rows: Iterable[RateRow]) -> list[dict[str, Any]]:
    """Return rows as plain dicts (for JSON)."""
    return [asdict(r) for r in rows]


def write_csv(rows: Iterable[RateRow], path: Path) -> None:
    """Write rows as UTF-8 CSV (with BOM, so spreadsheet programs read the Chinese header)."""
    names = [f.name for f in fields(RateRow)]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([f"{COLUMN_LABELS[n]} {n}" for n in names])
        for row in rows:
            writer.writerow(["" if v is None else v for v in (getattr(row, n) for n in names)])


def write_xlsx(rows: Iterable[RateRow], path: Path, *, title: str = "rates") -> None:
    """Write rows as an Excel sheet with Chinese column headers."""
    from openpyxl import Workbook

    names = [f.name for f in fields(RateRow)]
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([COLUMN_LABELS[n] for n in names])
    for row in rows:
        sheet.append([getattr(row, n) for n in names])
    book.save(path)
