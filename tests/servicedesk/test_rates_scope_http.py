"""``GET /api/desk/rates`` shows each staff role only what it oversees, over real HTTP.

An admin sees every organisation and matrix; the 郑州 office its matrix and the bodies
handling its requests, never 洛阳's; the 洛阳 office the other way round; a handler only its
own organisation's row (and no matrix rows); a role that handles no request nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta, timezone

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC
from zhengwu.servicedesk import service
from zhengwu.servicedesk.schemas import RequestIntake

from .conftest import World

CHINA = timezone(timedelta(hours=8))
TEXTS = {
    "js": "郑州市金水区丰庆路小区物业乱收停车费",  # js_housing, 郑州's matrix
    "ly": "洛阳市西工区小区物业乱收停车费没人管",  # ly_housing, 洛阳's matrix
    "zz": "郑州市某医院挂号排队三小时",  # nobody's yet: 郑州's queue
}


@pytest.fixture
def period(committed_engine: Engine, committed_world: World) -> str:
    """Take in one request per queue; return the month they were received in."""
    with Session(committed_engine) as s:
        made = {
            key: service.create_request(
                s, intake=RequestIntake(source="form", text=text), actor=PUBLIC
            )
            for key, text in TEXTS.items()
        }
        s.commit()
        w = committed_world
        assert made["js"].organization_id == w.orgs["js_housing"]
        assert made["ly"].organization_id == w.orgs["ly_housing"]
        assert made["ly"].matrix_id == w.matrices["ly"]
        assert made["zz"].organization_id is None and made["zz"].matrix_id == w.matrices["zz"]
        return made["js"].received_at.astimezone(CHINA).strftime("%Y-%m")


@pytest.fixture
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        yield client


def _keys(http: httpx.Client, world: World, user: str, period: str, by: str) -> dict[str, int]:
    got = http.get("/api/desk/rates", params={"period": period, "by": by},
                   headers=world.headers(user))  # fmt: skip
    assert got.status_code == 200, got.text
    return {row["key"]: row["n"] for row in got.json()}


def test_each_role_sees_the_rates_of_what_it_oversees(
    http: httpx.Client, committed_world: World, period: str
) -> None:
    w = committed_world
    js, ly = str(w.orgs["js_housing"]), str(w.orgs["ly_housing"])
    zz_m, ly_m = str(w.matrices["zz"]), str(w.matrices["ly"])

    everything = _keys(http, w, "admin", period, "organization")
    assert everything[js] == 1 and everything[ly] == 1 and everything["-"] == 1
    assert set(_keys(http, w, "admin", period, "matrix")) >= {zz_m, ly_m}

    # 郑州's office: its bodies and its unassigned queue, never 洛阳's.
    office = _keys(http, w, "office", period, "organization")
    assert office == {js: 1, "-": 1}
    assert _keys(http, w, "office", period, "matrix") == {zz_m: 2}
    assert sum(_keys(http, w, "office", period, "category").values()) == 2
    # 洛阳's office: the other way round.
    assert _keys(http, w, "ly_office", period, "organization") == {ly: 1}
    assert _keys(http, w, "ly_office", period, "matrix") == {ly_m: 1}

    # A handler: its own organisation only, its own requests by category.
    assert _keys(http, w, "js_housing", period, "organization") == {js: 1}
    assert sum(_keys(http, w, "js_housing", period, "category").values()) == 1
    assert _keys(http, w, "ly_housing", period, "organization") == {ly: 1}
    assert _keys(http, w, "js_eco", period, "organization") == {}
    by_matrix = http.get("/api/desk/rates", params={"period": period, "by": "matrix"},
                         headers=w.headers("js_housing"))  # fmt: skip
    assert by_matrix.status_code == 403
    assert "按单位、类别或渠道" in by_matrix.json()["message_zh"]
    assert "by organisation, category or channel" in by_matrix.json()["message_en"]

    # A role that handles no request gets none of it.
    refused = http.get("/api/desk/rates", params={"period": period},
                       headers=w.headers("dispatcher"))  # fmt: skip
    assert refused.status_code == 403 and refused.json()["message_en"]
