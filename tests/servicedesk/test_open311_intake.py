"""POST fields → intake, and GET /requests filters, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from zhengwu.servicedesk.category.models import Category
from zhengwu.servicedesk.open311.documents import CLOSED_STATES, EXTRA_KEY, status_of
from zhengwu.servicedesk.open311.errors import Open311Error
from zhengwu.servicedesk.open311.intake import attributes, build_intake
from zhengwu.servicedesk.open311.query import parse_datetime, parse_filter
from zhengwu.servicedesk.workflow import OPEN_STATES

CN = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 10, 20, 12, 0, tzinfo=UTC)

CATEGORY = Category(
    code="0199", name="井盖缺失", description="", keywords=[], group="城乡建设",
    attributes=[
        {"code": "depth", "datatype": "number", "required": True, "description": "深度（米）"},
        {"code": "kinds", "datatype": "multivaluelist", "required": False, "description": "类型",
         "values": [{"key": "cover", "name": "井盖"}, {"key": "grate", "name": "雨水箅子"}]},
        {"code": "seen", "datatype": "datetime", "required": False, "description": "发现时间"},
        {"code": "where", "datatype": "singlevaluelist", "required": False, "description": "位置",
         "values": [{"key": "road", "name": "车道"}, {"key": "walk", "name": "人行道"}]},
    ],
)  # fmt: skip


def form(extra: dict[str, list[str]] | None = None, **values: str) -> dict[str, list[str]]:
    base = {
        "service_code": ["0199"],
        "attribute[depth]": ["0.5"],
        **{k: [v] for k, v in values.items()},
    }
    return {**base, **(extra or {})}


def errors_of(exc: pytest.ExceptionInfo[Open311Error]) -> list[str]:
    return exc.value.descriptions


def test_attribute_fields_single_and_multi() -> None:
    found = attributes({
        "attribute[depth]": ["0.5"], "attribute[kinds][]": ["cover", "grate"],
        "attribute[empty]": [" "], "description": ["x"],
    })  # fmt: skip
    assert found == {"depth": ["0.5"], "kinds": ["cover", "grate"], "empty": []}


def test_a_complete_request_becomes_an_intake() -> None:
    data = form(
        {"attribute[kinds][]": ["cover", "grate"], "attribute[unknown]": ["x"]},
        lat="34.7578", long="113.6655", description="文化路井盖丢了", first_name="伟",
        last_name="张", phone="13800001234", email="zw@example.com", account_id="u-9",
        device_id="d-1", media_url="https://img.example.com/1.jpg", address_id="A-77",
    )  # fmt: skip
    intake = build_intake(data, CATEGORY, key_id=3, adcode="410100", fmt="xml")
    assert intake.source == "open311"
    assert intake.text == "文化路井盖丢了"
    assert intake.category_code == "0199"
    assert (intake.lat, intake.lon) == (34.7578, 113.6655)
    assert intake.adcode is None  # coordinates say more than the jurisdiction
    assert intake.citizen_name == "张伟"  # family name first
    assert (intake.citizen_phone, intake.citizen_email) == ("13800001234", "zw@example.com")
    assert intake.citizen_uid == "3:acct:u-9"
    assert intake.attributes == {
        "depth": 0.5, "kinds": ["cover", "grate"],
        EXTRA_KEY: {"api_key_id": 3, "address_id": "A-77", "account_id": "u-9", "device_id": "d-1"},
    }  # fmt: skip
    assert intake.media_url == "https://img.example.com/1.jpg"


def test_a_request_without_description_is_summarised() -> None:
    intake = build_intake(
        form({"attribute[where]": ["walk"]}, address_string="金水区文化路"), CATEGORY,
        key_id=1, adcode=None, fmt="json",
    )  # fmt: skip
    assert intake.text == "井盖缺失；深度（米）：0.5；位置：人行道；地址：金水区文化路"
    assert intake.address == "金水区文化路"
    assert intake.citizen_name is None
    assert intake.citizen_uid is None


def test_western_names_and_the_jurisdiction_as_the_only_location() -> None:
    intake = build_intake(
        form(address_id="A-1", first_name="Wei", last_name="Zhang"), CATEGORY, key_id=1,
        adcode="410105", fmt="xml",
    )  # fmt: skip
    assert intake.citizen_name == "Wei Zhang"
    assert intake.adcode == "410105"


def test_every_problem_is_reported_at_once() -> None:
    bad = {"service_code": ["0199"], "lat": ["34.7"], "description": ["长" * 4001],
           "attribute[kinds][]": ["cover", "lid"], "attribute[seen]": ["yesterday"],
           "attribute[where]": ["roof"], "media_url": ["ftp://x"]}  # fmt: skip
    with pytest.raises(Open311Error) as exc:
        build_intake(bad, CATEGORY, key_id=1, adcode=None, fmt="json")
    assert exc.value.status_code == 400
    assert exc.value.fmt == "json"
    found = " | ".join(errors_of(exc))
    for part in ("lat and long", "longer than 4000", "depth is required", "invalid kinds",
                 "seen must be an ISO 8601", "invalid value for where", "media_url"):  # fmt: skip
        assert part in found
    assert len(errors_of(exc)) == 7


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "a location is required"),
        ({"lat": ["91"], "long": ["113"]}, "out of range"),
        ({"address_string": ["路" * 300]}, "address_string"),
        ({"address_string": ["x"], "attribute[depth]": ["deep"]}, "depth must be a number"),
        ({"address_string": ["x"], "email": ["x" * 200]}, "email"),
    ],
)
def test_single_problems(extra: dict[str, list[str]], message: str) -> None:
    data = {"service_code": ["0199"], "attribute[depth]": ["1"], **extra}
    with pytest.raises(Open311Error) as exc:
        build_intake(data, CATEGORY, key_id=1, adcode=None, fmt="xml")
    assert any(message in e for e in errors_of(exc))


# ---------------------------------------------------------------- GET /requests filters


def test_dates_naive_dates_and_an_unescaped_plus() -> None:
    assert parse_datetime("2025-10-01", "start_date", "xml") == datetime(2025, 10, 1, tzinfo=CN)
    assert parse_datetime("2025-10-01T08:00:00Z", "start_date", "xml") == datetime(
        2025, 10, 1, 8, tzinfo=UTC
    )
    # "+08:00" sent unescaped in a query string arrives as " 08:00".
    assert parse_datetime("2025-10-01T08:00:00 08:00", "start_date", "xml") == datetime(
        2025, 10, 1, 0, tzinfo=UTC
    )
    with pytest.raises(Open311Error, match="not ISO 8601"):
        parse_datetime("last week", "start_date", "xml")


def test_default_window_is_the_last_90_days() -> None:
    f = parse_filter({"jurisdiction_id": [""]}, now=NOW, adcode=None, fmt="xml")
    assert (f.start, f.end) == (NOW - timedelta(days=90), NOW)
    assert f.states is None
    assert f.ids == ()
    assert f.codes == ()


def test_one_date_reaches_90_days_from_it() -> None:
    start = parse_filter({"start_date": ["2025-01-01T00:00:00+08:00"]}, now=NOW, adcode=None,
                         fmt="xml")  # fmt: skip
    assert start.end is not None
    assert start.start is not None
    assert start.end - start.start == timedelta(days=90)
    end = parse_filter({"end_date": ["2025-06-01"]}, now=NOW, adcode=None, fmt="xml")
    assert end.end == datetime(2025, 6, 1, tzinfo=CN)
    assert end.start == datetime(2025, 3, 3, tzinfo=CN)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start_date": ["2025-01-01"], "end_date": ["2025-06-01"]}, "exceed 90 days"),
        ({"start_date": ["2025-06-01"], "end_date": ["2025-01-01"]}, "before start_date"),
        ({"status": ["pending"]}, "open or closed"),
    ],
)
def test_bad_filters(query: dict[str, list[str]], message: str) -> None:
    with pytest.raises(Open311Error, match=message) as exc:
        parse_filter(query, now=NOW, adcode=None, fmt="json")
    assert exc.value.status_code == 400


def test_status_and_ids() -> None:
    assert parse_filter({"status": ["open"]}, now=NOW, adcode=None, fmt="xml").states == OPEN_STATES
    closed = parse_filter({"status": ["Closed"]}, now=NOW, adcode=None, fmt="xml").states
    assert closed == CLOSED_STATES == {"resolved", "followed_up", "duplicate", "invalid"}
    both = parse_filter({"status": ["open,closed"]}, now=NOW, adcode=None, fmt="xml")
    assert both.states is None
    ids = parse_filter(
        {"service_request_id": ["SR1, SR2,SR1"], "status": ["bogus"], "start_date": ["x"]},
        now=NOW, adcode="410105", fmt="xml",
    )  # fmt: skip
    assert ids.ids == ("SR1", "SR2")  # overrides all else: the bad status and date are ignored
    assert ids.adcode is None
    assert ids.start is None


def test_status_mapping() -> None:
    assert {status_of(s) for s in OPEN_STATES} == {"open"}
    assert {status_of(s) for s in CLOSED_STATES} == {"closed"}
