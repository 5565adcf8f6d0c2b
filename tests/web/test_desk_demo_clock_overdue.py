"""On the demo's data the desk's 超期 is judged on the demo's clock, as 督办 is.

``zhengwu demo`` replays a past period: its 督办 judges deadlines as of the period's end
(``servicedesk.demo.demo_clock``). The queue, a request's page, the 只看超期 filter and
the export judged them against today, so every request still open at the period's end
read 超期 (121 of them in the demo, where 16 were overdue and the demo said 督办 22).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx
import orjson
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.test_console_world import ConsoleWorld, build_console_world, login
from typer.testing import CliRunner

from zhengwu.auth import service as auth_service
from zhengwu.cli.desk_requests import app as desk_app
from zhengwu.config import get_settings
from zhengwu.servicedesk import demo
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import RequestIntake

END = datetime(2025, 7, 30, 16, tzinfo=UTC)  # 2025-07-31 00:00 China time: the period's end


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console city, two requests of the demo's July and the demo's truth file."""
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    with Session(committed_engine) as session:
        for key, day in (("early", 1), ("late", 29)):
            intake = RequestIntake.model_validate({
                "source": "form", "text": f"金水区经三路{day}号小区物业不维修漏水的房顶",
                "adcode": "410105", "submitted_at": datetime(2025, 7, day, 2, tzinfo=UTC),
            })  # fmt: skip
            outcome = desk_service.receive(  # taken in on the simulated clock, as the demo does
                session, intake=intake, actor=desk_service.SYSTEM, now=intake.submitted_at
            )  # fmt: skip
            world.requests[key] = outcome.request.public_id
            due = outcome.request.resolve_due
            assert due is not None and (due < END) == (key == "early")
        session.commit()
    truth = get_settings().data_dir / "demo-input" / "truth.json"
    truth.parent.mkdir(parents=True, exist_ok=True)
    truth.write_bytes(orjson.dumps({"window": {"start": "2025-07-01", "end": "2025-07-31"}}))
    return world


def _row(page: str, public_id: str) -> str:
    start = page.index(f'href="/console/desk/{public_id}"')
    return page[start : page.index("</tr>", start)]


def test_overdue_is_judged_on_the_demos_clock(client: httpx.Client, world: ConsoleWorld) -> None:
    login(client, "admin")
    early, late = world.requests["early"], world.requests["late"]
    queue = client.get("/console/desk").text
    assert "超期" in _row(queue, early)
    assert "超期" not in _row(queue, late)  # due in August: ahead at the period's end
    overdue = client.get("/console/desk", params={"overdue": "1"}).text
    assert early in overdue and late not in overdue
    page = client.get(f"/console/desk/{late}").text
    assert 'class="tag bad">超期' not in page
    exported = client.get("/api/desk/requests/export", params={"format": "csv"})
    assert exported.status_code == 200, exported.text
    rows = {r["诉求编号"]: r for r in csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff")))}
    assert (rows[early]["是否超期"], rows[late]["是否超期"]) == ("是", "否")
    api = client.get(
        "/api/desk/requests", params={"overdue": "true"}, headers={"Accept": "application/json"}
    )
    assert api.status_code == 200, api.text
    listed = {r["public_id"]: r["overdue"] for r in api.json()}
    assert listed.get(early) is True and late not in listed


def test_real_data_is_judged_against_today(client: httpx.Client, world: ConsoleWorld) -> None:
    (get_settings().data_dir / "demo-input" / "truth.json").unlink()
    login(client, "admin")
    queue = client.get("/console/desk").text
    assert "超期" in _row(queue, world.requests["late"])


def test_due_soon_starts_on_the_demos_clock(
    client: httpx.Client, world: ConsoleWorld, configured_database: str
) -> None:
    """The due-soon list on demo data: what falls due after the period's end, not after today."""
    login(client, "admin")
    early, late = world.requests["early"], world.requests["late"]
    found = client.get(
        "/api/desk/requests/due-soon", params={"hours": 720}, headers={"Accept": "application/json"}
    )
    assert found.status_code == 200, found.text
    listed = [r["public_id"] for r in found.json()]
    assert late in listed and early not in listed  # early was due before the period's end
    result = CliRunner().invoke(desk_app, ["due-soon", "--hours", "720", "--json"])
    assert result.exit_code == 0, result.output
    assert [row["public_id"] for row in orjson.loads(result.stdout.splitlines()[-1])] == [late]


def test_the_demos_clock_is_kept_in_the_database_without_truth_json(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, configured_database: str
) -> None:
    """The clock was read from ``truth.json`` alone: with the file gone (deleted, or a demo
    run that crashed after the simulation cleared its output) the demo's data fell on
    today's clock — every open request 超期, and 督办 stamped today. The demo stores it on
    its requests; a request taken in live gets none."""
    with Session(committed_engine) as session:
        assert demo.start_demo_clock(session, END) == 2  # the two taken in on the timeline
        live = desk_service.receive(session, actor=desk_service.SYSTEM, intake=RequestIntake(
            source="form", text="金水区经三路小区门口路灯不亮", adcode="410105"))  # fmt: skip
        session.commit()
        assert live.request.demo_period_end is None
    (get_settings().data_dir / "demo-input" / "truth.json").unlink()
    login(client, "admin")
    early, late = world.requests["early"], world.requests["late"]
    queue = client.get("/console/desk").text
    assert "超期" in _row(queue, early)
    assert "超期" not in _row(queue, late)
    overdue = client.get("/console/desk", params={"overdue": "1"}).text
    assert early in overdue and late not in overdue
    exported = client.get("/api/desk/requests/export", params={"format": "csv"})
    rows = {r["诉求编号"]: r for r in csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff")))}
    assert (rows[early]["是否超期"], rows[late]["是否超期"]) == ("是", "否")
    result = CliRunner().invoke(desk_app, ["escalate", "--json"])
    assert result.exit_code == 0, result.output
    # Both missed a deadline by the period's end (late: its response); 督办 is dated then.
    assert sorted(orjson.loads(result.stdout.splitlines()[-1])["supervised"]) == [early, late]
    with Session(committed_engine) as session:
        supervised = session.scalars(
            select(ServiceRequest.supervised_at).where(ServiceRequest.public_id.in_([early, late]))
        ).all()  # fmt: skip
    assert supervised == [END, END]  # as of the period's end, not today
