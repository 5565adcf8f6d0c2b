"""Finding requests: by the hotline's ticket number and by the caller's phone (staff with
access only), from the API, the CLI and the console queue, whose filters (channel, region,
organisation, received dates) keep to its paging links and show a total."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.accounts import phones
from zhengwu.accounts.models import Organization
from zhengwu.servicedesk import service
from zhengwu.servicedesk.csvimport import import_csv
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World
from .test_export import ROWS, _write


@pytest.fixture
def imported(committed_engine: Engine, committed_world: World, tmp_path: Path) -> dict[str, str]:
    """The hotline tickets of test_export, committed; ticket → public id."""
    with Session(committed_engine) as session:
        import_csv(session, _write(tmp_path / "hotline.csv", ROWS), actor=SYSTEM)
        session.commit()
        rows = session.query(ServiceRequest.source_ref, ServiceRequest.public_id).all()
    return {ref.split(":", 1)[1]: pid for ref, pid in rows}


@pytest.fixture
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        yield client


def _ids(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return [row["public_id"] for row in r.json()]


def test_the_api_finds_a_ticket_and_a_phone_for_staff_with_access(
    http: httpx.Client, committed_world: World, imported: dict[str, str]
) -> None:
    admin = committed_world.headers("admin")
    assert _ids(http.get("/api/desk/requests", headers=admin, params={"ticket": "T2"})) == [
        imported["T2"]
    ]
    # The phone in any writing finds the caller's request.
    for phone in ("13811112222", "138-1111-2222", "+86 138 1111 2222"):
        found = _ids(http.get("/api/desk/requests", headers=admin, params={"phone": phone}))
        assert found == [imported["T1"]], phone
    assert (
        _ids(http.get("/api/desk/requests", headers=admin, params={"phone": "13900000000"})) == []
    )
    # A handler in another city has no access to it: nothing found.
    other = committed_world.headers("ly_housing")
    assert (
        _ids(http.get("/api/desk/requests", headers=other, params={"phone": "13811112222"})) == []
    )
    # A role that does not handle requests may not look a phone up, even among public ones.
    r = http.get("/api/desk/requests/export", headers=committed_world.headers("dispatcher"),
                 params={"phone": "13811112222"})  # fmt: skip
    assert r.status_code == 403
    assert "来电号码" in r.json()["message_zh"]
    bad = http.get("/api/desk/requests", headers=admin, params={"phone": "12"})
    assert bad.status_code == 422 and "invalid phone" in bad.json()["message_en"]


def test_the_find_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from zhengwu.cli.desk_requests import app
    from zhengwu.db import migrate
    from zhengwu.db.engine import get_engine

    migrate.upgrade(get_engine())
    runner = CliRunner()
    assert runner.invoke(app, ["import-csv", str(_write(tmp_path / "h.csv", ROWS))]).exit_code == 0
    by_ticket = runner.invoke(app, ["find", "--ticket", "T3", "--json"])
    assert by_ticket.exit_code == 0, by_ticket.output
    rows = orjson.loads(by_ticket.stdout)
    assert [r["ticket"] for r in rows] == ["T3"]
    by_phone = runner.invoke(app, ["find", "--phone", "138 1111 2222", "--json"])
    assert [r["ticket"] for r in orjson.loads(by_phone.stdout)] == ["T1"]
    assert orjson.loads(by_phone.stdout)[0]["citizen_phone"] == "13811112222"
    table = runner.invoke(app, ["find", "--ticket", "T1"])
    assert table.exit_code == 0 and "T1" in table.stdout
    neither = runner.invoke(app, ["find"])
    assert neither.exit_code != 0 and "give one of --ticket or --phone" in neither.output


def test_desk_show_takes_a_public_id_or_a_ticket_number(
    configured_database: str, imported: dict[str, str]
) -> None:
    """``desk show`` finds a request by its public id, its hotline ticket number (工单编号)
    bare or with its channel prefix; an unknown one is refused in both languages."""
    from typer.testing import CliRunner

    from zhengwu.cli.desk_requests import app

    runner = CliRunner()
    for ref in (imported["T2"], "T2", "12345:T2", " T2 "):
        shown = runner.invoke(app, ["show", ref])
        assert shown.exit_code == 0, shown.output
        assert orjson.loads(shown.stdout)["public_id"] == imported["T2"], ref
    missing = runner.invoke(app, ["show", "T999"])
    assert missing.exit_code == 2
    assert "诉求不存在：T999" in missing.output and "no such request: T999" in missing.output


def test_console_queue_search_filters_total_and_paging(
    http: httpx.Client, committed_world: World, committed_engine: Engine,
    imported: dict[str, str],
) -> None:  # fmt: skip
    # 105 web-form requests in 金水区, then the queue narrowed to them.
    now = datetime.now(UTC)
    with Session(committed_engine) as s:
        for i in range(105):
            s.add(ServiceRequest(
                public_id=f"SRF{i:06d}", citizen_token_hash="x" * 64, state="received",
                source="form", source_ref=f"form:f{i}", text=f"表单诉求{i}", text_masked=f"表单诉求{i}",
                fingerprint="f" * 40, adcode="410105", received_at=now - timedelta(minutes=i),
                resolve_due=now + timedelta(days=10),
            ))  # fmt: skip
        s.commit()
    admin = committed_world.headers("admin")
    page = http.get("/console/desk", headers=admin, params={"channel": "form", "region": "410100"})
    assert page.status_code == 200, page.text
    assert "共 105 件" in page.text
    assert "SRF000000" in page.text and imported["T1"] not in page.text
    found = re.search(r'href="\?([^"]*)">下一页', page.text)
    assert found is not None
    link = found[1].replace("&amp;", "&")
    assert "channel=form" in link and "region=410100" in link
    second = http.get(f"/console/desk?{link}", headers=admin)
    assert "SRF000104" in second.text and "SRF000000" not in second.text
    # The export link carries the filters.
    assert "/api/desk/requests/export?format=csv&amp;channel=form&amp;region=410100" in page.text
    # The search box: a ticket number, a phone.
    by_ticket = http.get("/console/desk", headers=admin, params={"ticket": "T2"})
    assert imported["T2"] in by_ticket.text and "共 1 件" in by_ticket.text
    by_phone = http.get("/console/desk", headers=admin, params={"phone": "138-1111-2222"})
    assert imported["T1"] in by_phone.text and "共 1 件" in by_phone.text
    # Received dates: the end date takes its whole day (China time).
    dates = http.get(
        "/console/desk", headers=admin, params={"start": "2025-07-02", "end": "2025-07-06"}
    )
    assert imported["T1"] in dates.text and imported["T2"] in dates.text
    assert imported["T3"] not in dates.text and "共 2 件" in dates.text


POST_PHONE = "13955556666"


def test_a_phone_written_in_a_social_post_finds_its_request(
    http: httpx.Client, committed_world: World, committed_engine: Engine,
    imported: dict[str, str],
) -> None:  # fmt: skip
    # A weibo post is filed under its author's account: the phone is only in its text.
    with Session(committed_engine) as s:
        housing = s.get(Organization, committed_world.orgs["js_housing"])
        assert housing is not None
        phones.set_public_phones(s, organization=housing, phones=["0371-66661234"], actor=SYSTEM)
        post = service.create_request(s, intake=RequestIntake(
            source="weibo", source_ref="weibo:9001", citizen_uid="c9001", account_uid="1002",
            text="@金水住建 郑州市金水区丰庆路小区物业乱收停车费，联系我 139-5555-6666",
        ), actor=SYSTEM)  # fmt: skip
        # A post that only quotes a published office number is not filed under it.
        office = service.create_request(s, intake=RequestIntake(
            source="weibo", source_ref="weibo:9002", citizen_uid="c9002", account_uid="1002",
            text="郑州市金水区丰庆路路灯不亮，打了0371-66661234没人接",
        ), actor=SYSTEM)  # fmt: skip
        s.commit()
        assert post.citizen_key == "weibo:c9001" and post.citizen_phone == POST_PHONE
        assert office.citizen_phone is None
        pid = post.public_id
    admin = committed_world.headers("admin")
    for phone in (POST_PHONE, "139 5555 6666", "+86-139-5555-6666"):
        assert _ids(http.get("/api/desk/requests", headers=admin, params={"phone": phone})) == [
            pid
        ], phone
    # The hotline caller's lookup is unchanged.
    found = _ids(http.get("/api/desk/requests", headers=admin, params={"phone": "13811112222"}))
    assert found == [imported["T1"]]
    # The handler the post was routed to finds it; another city's handler does not.
    mine = committed_world.headers("js_housing")
    assert _ids(http.get("/api/desk/requests", headers=mine, params={"phone": POST_PHONE})) == [pid]
    other = committed_world.headers("ly_housing")
    assert _ids(http.get("/api/desk/requests", headers=other, params={"phone": POST_PHONE})) == []
    # The console queue's search box finds it too.
    page = http.get("/console/desk", headers=admin, params={"phone": "139-5555-6666"})
    assert pid in page.text and "共 1 件" in page.text
    # The public never sees the phone: the board masks the post's text.
    board = http.get("/api/public/requests", params={"limit": 200})
    assert POST_PHONE not in board.text and "5555-6666" not in board.text
