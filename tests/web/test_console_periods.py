"""Pages that show a period default to the latest month with requests, not the calendar's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.servicedesk.models import ServiceRequest

from .test_console_world import ConsoleWorld, build_console_world, login

OLD = datetime(2025, 7, 15, 2, 0, tzinfo=UTC)


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city with every request received in July 2025 (like the demo's)."""
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine)
    with Session(committed_engine) as session:
        session.execute(update(ServiceRequest).values(received_at=OLD))
        session.execute(
            update(ServiceRequest)
            .where(ServiceRequest.public_id == world.requests["old_housing"])
            .values(received_at=OLD - timedelta(days=40))  # June: not in the default month
        )
        session.commit()
    return world


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_matrix_rates_default_to_the_latest_month_with_requests(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    html = client.get(f"/console/matrix/{world.matrices['zz']}").text
    rates = _text(html[html.index('id="rates"') : html.index('id="incidents"')])
    assert "诉求办理率（2025-07）" in rates
    assert "受理量 2" in rates
    assert "默认为最近有诉求的月份 2025-07" in rates
    asked = client.get(f"/console/matrix/{world.matrices['zz']}", params={"period": "2025-06"})
    rates = _text(asked.text[asked.text.index('id="rates"') : asked.text.index('id="incidents"')])
    assert "诉求办理率（2025-06）" in rates and "受理量 1" in rates
    assert "默认为最近有诉求的月份" not in rates


def test_request_map_defaults_to_the_latest_month_with_requests(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    page = client.get("/console/map").text
    assert "各区县诉求（2025-07）" in page
    assert re.search(r'id="map-total">2<', page)
    assert "默认为最近有诉求的月份 2025-07" in page
    other = client.get("/console/map", params={"period": "2024-01"}).text
    assert re.search(r'id="map-total">0<', other)
    assert 'href="/console/map?tab=requests&amp;period=2025-07"' in other
