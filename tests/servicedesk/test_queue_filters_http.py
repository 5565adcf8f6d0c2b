"""The filters of the desk queue and the public board over HTTP: times without an offset are
China time, and a value that is not one of a filter's choices is a 422, not an empty list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.servicedesk import service
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

CHINA = timezone(timedelta(hours=8))
# 07:00 on 1 July in China is still 30 June in UTC: a date read as UTC would misplace it.
EARLY_JULY_1 = datetime(2025, 7, 1, 7, 0, tzinfo=CHINA)
EVENING_JUNE_30 = datetime(2025, 6, 30, 20, 0, tzinfo=CHINA)


@pytest.fixture
def client(live_server: str, committed_world: World) -> Iterator[httpx.Client]:
    """A client of the running server, as the admin."""
    headers = committed_world.headers("admin")
    with httpx.Client(base_url=live_server, timeout=120, headers=headers) as client:
        yield client


@pytest.fixture
def requests(committed_engine: Engine, committed_world: World) -> dict[str, str]:
    """Two requests either side of midnight, China time; name → public id."""
    with Session(committed_engine) as session:
        ids = {}
        for name, at in (("july", EARLY_JULY_1), ("june", EVENING_JUNE_30)):
            intake = RequestIntake(source="api", text=f"金水区路灯不亮 {name}", submitted_at=at)
            ids[name] = service.create_request(session, intake=intake, actor=SYSTEM).public_id
        session.commit()
    return ids


def _listed(client: httpx.Client, ids: dict[str, str], **params: str) -> set[str]:
    r = client.get("/api/desk/requests", params=params)
    assert r.status_code == 200, r.text
    names = {v: k for k, v in ids.items()}
    return {names[row["public_id"]] for row in r.json() if row["public_id"] in names}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"start": "2025-07-01"}, {"july"}),  # a bare date: midnight in China
        ({"end": "2025-07-01"}, {"june"}),
        ({"start": "20250701"}, {"july"}),  # ISO 8601 basic format, not a Unix timestamp
        ({"start": "2025-07-01T00:00:00"}, {"july"}),  # no offset: China time
        ({"start": "2025-06-30T21:00", "end": "2025-07-01T08:00"}, {"july"}),
        ({"start": "2025-07-01T00:00:00Z"}, set()),  # an offset is kept: 08:00 in China
        ({"start": "2025-06-30T12:00:00+00:00"}, {"july", "june"}),
    ],
)
def test_queue_times_without_an_offset_are_china_time(
    client: httpx.Client, requests: dict[str, str], params: dict[str, str], expected: set[str]
) -> None:
    assert _listed(client, requests, **params) == expected


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01", "2025-07-01T25:00"])
def test_an_unreadable_time_is_422_in_both_languages(client: httpx.Client, value: str) -> None:
    r = client.get("/api/desk/requests", params={"start": value})
    assert r.status_code == 422
    body = r.json()
    assert "不是 ISO 8601 日期或时间" in body["message_zh"]
    assert "not an ISO 8601 date or time" in body["message_en"]
    assert body["fields"][0]["loc"] == ["query", "start"]


def test_routing_rules_at_a_bare_date(client: httpx.Client) -> None:
    r = client.get("/api/desk/routing/rules", params={"at": "2099-01-01"})
    assert r.status_code == 200, r.text
    assert len(r.json()) == 4  # the test city's rules
    assert client.get("/api/desk/routing/rules", params={"at": "soon"}).status_code == 422


def test_an_unknown_state_is_422_listing_the_valid_ones(
    client: httpx.Client, requests: dict[str, str]
) -> None:
    assert _listed(client, requests, state="received") == {"july", "june"}
    r = client.get("/api/desk/requests", params=[("state", "received"), ("state", "bogus")])
    assert r.status_code == 422
    body = r.json()
    assert body["message_zh"].startswith("state 的取值无效：bogus")
    assert "received（已接收）" in body["message_zh"] and "invalid（无效件）" in body["message_zh"]
    assert "valid values: received, accepted," in body["message_en"]


def test_the_public_board_refuses_an_unknown_state(
    live_server: str, requests: dict[str, str]
) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as public:
        assert public.get("/api/public/requests", params={"state": "received"}).status_code == 200
        r = public.get("/api/public/requests", params={"state": "open"})
        assert r.status_code == 422
        assert "valid values: received" in r.json()["message_en"]
