"""Rates: definitions on a hand-made month, grouping, the index table, CSV/XLSX export."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.errors import InvalidInputError
from zhengwu.servicedesk import presenters, rates, service
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import ActionInput, RequestIntake

from .conftest import World

JULY = datetime(2025, 7, 1, 1, tzinfo=UTC)  # 09:00 in Beijing, a Tuesday


def _make(session: Session, world: World, text: str, at: datetime) -> ServiceRequest:
    return service.create_request(
        session, intake=RequestIntake(source="form", text=text, submitted_at=at), actor=PUBLIC
    )


def _month(session: Session, world: World) -> None:
    """Four 金水住建 requests and one 金水生态 request in July 2025, one duplicate."""
    lead, office = world.principals["js_housing"], world.principals["office"]

    def step(req: ServiceRequest, action: str, who: Principal, at: datetime, **kw: object) -> None:
        service.perform(session, request=req, action=action, actor=who,
                        data=ActionInput.model_validate(kw), now=at)  # fmt: skip

    a = _make(session, world, "金水区小区物业乱收费", JULY)
    step(a, "accept", lead, JULY + timedelta(hours=2))
    step(a, "resolve", lead, JULY + timedelta(days=2), reply_text="已退费")  # on time (15 days)
    step(a, "follow_up", office, JULY + timedelta(days=3), satisfaction=5)
    b = _make(session, world, "金水区小区电梯坏了物业不修", JULY + timedelta(days=1))
    step(b, "accept", lead, JULY + timedelta(days=3))  # late response (due next working day)
    step(b, "resolve", lead, JULY + timedelta(days=40), reply_text="已修")  # late
    step(b, "follow_up", office, JULY + timedelta(days=41), satisfaction=2)
    _make(session, world, "金水区小区物业不开门禁", JULY + timedelta(days=2))  # no response yet
    d = _make(session, world, "金水区小区物业乱收费了", JULY + timedelta(days=3))
    step(d, "duplicate", office, JULY + timedelta(days=3), duplicate_of=a.public_id)
    e = _make(session, world, "金水区工地夜间施工噪音扰民", JULY + timedelta(days=4))
    step(e, "accept", world.principals["js_eco"], JULY + timedelta(days=4, hours=1))
    _make(session, world, "金水区小区物业又乱收费", datetime(2025, 8, 2, tzinfo=UTC))  # August


def test_rates_by_organisation_follow_the_definitions(session: Session, world: World) -> None:
    _month(session, world)
    start, end = rates.period_bounds("2025-07")
    rows = {r.key: r for r in rates.compute(session, start=start, end=end, by="organization")}
    housing = rows[str(world.orgs["js_housing"])]
    assert (housing.n, housing.responded, housing.resolved, housing.followed_up) == (3, 2, 2, 2)
    assert housing.response_rate == pytest.approx(2 / 3, abs=1e-4)
    assert housing.response_ontime_rate == pytest.approx(1 / 3, abs=1e-4)
    assert housing.resolution_rate == pytest.approx(2 / 3, abs=1e-4)
    assert housing.ontime_rate == 0.5
    assert housing.satisfaction_rate == 0.5
    assert housing.mean_handling_days is not None
    assert housing.median_handling_days is not None
    assert 1 < housing.mean_handling_days < 40  # working days, fractional
    eco = rows[str(world.orgs["js_eco"])]
    assert (eco.n, eco.response_rate, eco.resolution_rate, eco.ontime_rate) == (1, 1.0, 0.0, None)
    assert eco.satisfaction_rate is None  # nothing followed up: unknown, not 0


def test_a_reopened_request_keeps_its_rating_in_the_rate(session: Session, world: World) -> None:
    """不满意 (2), 重启, 办结 again, 满意 (5): both ratings count; reopening erases neither."""
    lead, office = world.principals["js_housing"], world.principals["office"]

    def step(req: ServiceRequest, action: str, who: Principal, at: datetime, **kw: object) -> None:
        service.perform(session, request=req, action=action, actor=who,
                        data=ActionInput.model_validate(kw), now=at)  # fmt: skip

    def housing() -> rates.RateRow:
        start, end = rates.period_bounds("2025-07")
        rows = rates.compute(session, start=start, end=end, by="organization")
        return next(r for r in rows if r.key == str(world.orgs["js_housing"]))

    a = _make(session, world, "金水区小区物业乱收费", JULY)
    step(a, "accept", lead, JULY + timedelta(hours=2))
    step(a, "resolve", lead, JULY + timedelta(days=2), reply_text="已退费")
    step(a, "follow_up", office, JULY + timedelta(days=3), satisfaction=2)
    assert (housing().followed_up, housing().satisfaction_rate) == (1, 0.0)
    step(a, "reopen", office, JULY + timedelta(days=4), reason="市民不满意")
    assert a.satisfaction is None  # the new handling has no rating yet …
    assert (housing().followed_up, housing().satisfaction_rate) == (1, 0.0)  # … the 2 counts
    step(a, "resolve", lead, JULY + timedelta(days=6), reply_text="已全部退费")
    assert (housing().followed_up, housing().satisfaction_rate) == (1, 0.0)
    step(a, "follow_up", office, JULY + timedelta(days=7), satisfaction=5)
    row = housing()
    assert (row.followed_up, row.satisfied, row.satisfaction_rate) == (2, 1, 0.5)
    assert a.satisfaction == 5
    assert [r.satisfaction for r in presenters.detail(session, a, office).ratings] == [2, 5]


def test_rates_by_matrix_and_category(session: Session, world: World) -> None:
    _month(session, world)
    start, end = rates.period_bounds("2025-07")
    by_matrix = {r.key: r for r in rates.compute(session, start=start, end=end, by="matrix")}
    assert by_matrix[str(world.matrices["zz"])].n == 4
    by_category = {r.key: r for r in rates.compute(session, start=start, end=end, by="category")}
    assert (by_category["01"].n, by_category["02"].n) == (3, 1)
    assert by_category["01"].name == "城乡建设"


def test_rates_for_index_is_the_agreed_table(session: Session, world: World) -> None:
    _month(session, world)
    table = rates.rates_for_index(session, date(2025, 7, 1), date(2025, 8, 1))
    assert table.column_names == [
        "organization_id", "response_rate", "resolution_rate", "ontime_rate",
        "satisfaction_rate", "n",
    ]  # fmt: skip
    rows = {r["organization_id"]: r for r in table.to_pylist()}
    assert rows[world.orgs["js_housing"]]["n"] == 3
    assert rows[world.orgs["js_eco"]]["ontime_rate"] is None


def test_export_csv_and_xlsx(session: Session, world: World, tmp_path: Path) -> None:
    _month(session, world)
    start, end = rates.period_bounds("2025-07")
    rows = rates.compute(session, start=start, end=end, by="organization")
    rates.write_csv(rows, tmp_path / "r.csv")
    rates.write_xlsx(rows, tmp_path / "r.xlsx", title="2025-07")
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("编号 key,名称 name,受理量 n")
    assert len(lines) == 1 + len(rows)
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert sheet is not None
    assert sheet["J1"].value == "回应率"
    assert sheet.max_row == 1 + len(rows)
    # A body's name with a control character no cell may hold: left out of the cell only.
    odd = [dataclasses.replace(rows[0], name="金水区\x01住建局\x0b")]
    rates.write_xlsx(odd, tmp_path / "odd.xlsx")
    odd_sheet = load_workbook(tmp_path / "odd.xlsx").active
    assert odd_sheet is not None and odd_sheet["B2"].value == "金水区住建局"


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2025-07", datetime(2025, 7, 1), datetime(2025, 8, 1)),
        ("2025-12", datetime(2025, 12, 1), datetime(2026, 1, 1)),
        ("2025-Q3", datetime(2025, 7, 1), datetime(2025, 10, 1)),
        ("2025", datetime(2025, 1, 1), datetime(2026, 1, 1)),
        ("2025-07-01..2025-07-15", datetime(2025, 7, 1), datetime(2025, 7, 16)),
    ],
)
def test_periods(period: str, start: datetime, end: datetime) -> None:
    got = rates.period_bounds(period)
    assert [g.replace(tzinfo=None) for g in got] == [start, end]
    assert got[0].utcoffset() == timedelta(hours=8)


def test_bad_period() -> None:
    with pytest.raises(InvalidInputError):
        rates.period_bounds("July")


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    # Before: an empty period, every rate read over no request without a word.
    with pytest.raises(InvalidInputError) as refused:
        rates.period_bounds("2025-07-15..2025-07-01")
    assert "结束日期 2025-07-01 早于开始日期 2025-07-15" in refused.value.message_zh
    assert "before its first" in refused.value.message_en
    start, end = rates.period_bounds("2025-07-01..2025-07-01")  # one day is a period
    assert end - start == timedelta(days=1)
