"""Stored masked texts follow the published numbers (公开电话) as they change: the worker job
``published-numbers`` (SQLite and PostgreSQL). The masking rules' version is recorded as
current here, so only the numbers' pass runs (the rules' pass: test_remask_rules.py)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from zhengwu.accounts import phones
from zhengwu.accounts.models import Organization
from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.jobs.registry import get_job
from zhengwu.jobs.runner import run_jobs
from zhengwu.library import service as library
from zhengwu.outbox.models import OutboxMessage
from zhengwu.privacy import MASKING_RULES_VERSION
from zhengwu.search import indexer
from zhengwu.search import service as search
from zhengwu.search.models import SearchDocument
from zhengwu.servicedesk import presenters, remask, replies, service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.models import MaskingState, ServiceRequest
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

OFFICE = "0371-66661234"  # 金水区住建局's line
CITIZEN = "13912345678"
TEXT = f"金水区花园路8号院电梯停运两周，打了住建局0371-66661234没人接，我的电话{CITIZEN}"
NOTHING = {"checked": 0, "remasked": 0, "reindexed": 0, "outbox": 0}  # a step's counts


@pytest.fixture(autouse=True)
def _rules_taken_up(request: pytest.FixtureRequest) -> None:
    """Record that the stored texts follow this version's rules (tests using ``session``)."""
    if "session" in request.fixturenames:
        session: Session = request.getfixturevalue("session")
        session.add(MaskingState(id=1, numbers=[], pending=[], cursor=0,
                                 rules_version=MASKING_RULES_VERSION))  # fmt: skip
        session.flush()


def _request(session: Session, text: str = TEXT, *, phone: str | None = CITIZEN,
             name: str | None = None) -> ServiceRequest:  # fmt: skip
    intake = RequestIntake(source="form", text=text, citizen_phone=phone, citizen_name=name)
    return service.create_request(session, intake=intake, actor=SYSTEM)


def _register(session: Session, world: World, numbers: list[str]) -> None:
    org = session.get(Organization, world.orgs["js_housing"])
    assert org is not None
    phones.set_public_phones(session, organization=org, phones=numbers, actor=SYSTEM)


def _stored(session: Session, request_id: int) -> tuple[str, int, object]:
    session.expire_all()
    row = session.execute(
        select(ServiceRequest.text_masked, ServiceRequest.version, ServiceRequest.updated_at)
        .where(ServiceRequest.id == request_id)
    ).one()  # fmt: skip
    return row.text_masked, row.version, row.updated_at


def test_a_number_registered_later_becomes_readable_in_requests_taken_in_before(
    session: Session, world: World
) -> None:
    first = _request(session)
    other = _request(session, "文化路井盖丢失，请尽快处理", phone=None)
    session.flush()
    assert "0371-****1234" in first.text_masked  # a landline like any other, then
    assert remask.step(session).counts() == NOTHING
    _, version, _ = _stored(session, first.id)
    other_before = _stored(session, other.id)

    _register(session, world, [OFFICE])
    report = remask.step(session)
    assert report.counts() == {**NOTHING, "checked": 1, "remasked": 1} and not report.more
    text, version_after, _ = _stored(session, first.id)
    assert "打了住建局0371-66661234没人接" in text
    assert CITIZEN not in text and text.endswith("我的电话139******78")  # the citizen's stays
    assert version_after == version  # no edit of the request: a handler's lock still holds
    assert _stored(session, other.id) == other_before  # not mentioned: not touched
    assert indexer.pending(session)["requests"] >= 1  # the search refresh follows
    # Taken up: the next step reads nothing.
    assert remask.step(session).counts() == NOTHING
    state = session.get(MaskingState, 1)
    assert state is not None and state.numbers == ["037166661234"] and state.pending == []


def _taken_in_while_registered(session: Session, world: World) -> ServiceRequest:
    """Register the office's number, then take in a request that gives it."""
    _register(session, world, [OFFICE])
    remask.step(session)
    request = _request(session)
    session.flush()
    assert OFFICE in request.text_masked
    return request


def test_a_withdrawn_number_is_hidden_on_the_board_at_once_and_in_the_stored_text_after(
    session: Session, world: World
) -> None:
    request = _taken_in_while_registered(session, world)
    _register(session, world, [])  # withdrawn: it was a person's line after all
    tree = category_service.get_tree(session, include_inactive=True)
    [row] = presenters.public_rows(session, [request], tree)
    assert OFFICE not in row.text and "0371-****1234" in row.text  # masked at display
    shown = presenters.detail(session, request, world.principals["ly_housing"])  # not its case
    assert shown.masked and OFFICE not in shown.text and "0371-****1234" in shown.text
    assert OFFICE in presenters.detail(session, request, world.principals["js_housing"]).text
    assert remask.step(session).remasked == 1
    text, _, _ = _stored(session, request.id)
    assert OFFICE not in text and "0371-****1234" in text
    assert CITIZEN not in text


def test_a_withdrawn_number_is_hidden_in_search_snippets_before_the_refresh(
    session: Session, world: World
) -> None:
    request = _taken_in_while_registered(session, world)
    indexer.refresh(session, ["requests"])
    admin = Principal(role="admin", user_id=1, username="admin")
    [hit] = search.search(session, admin, "电梯停运", kinds=["requests"]).hits
    assert hit.key == request.public_id and OFFICE in hit.snippet

    _register(session, world, [])  # withdrawn; neither the job nor the refresh has run
    [hit] = search.search(session, admin, "电梯停运", kinds=["requests"]).hits
    assert OFFICE not in hit.snippet and "0371-****1234" in hit.snippet
    assert OFFICE not in hit.snippet_html and CITIZEN not in hit.snippet


def test_the_citizens_own_name_stays_masked_when_re_masked(session: Session, world: World) -> None:
    request = _request(session, f"我是王小明，住建局电话{OFFICE}打不通", name="王小明")
    session.flush()
    _register(session, world, [OFFICE])
    remask.step(session)
    text, _, _ = _stored(session, request.id)
    assert text == f"我是王**，住建局电话{OFFICE}打不通"


def test_full_width_digits_are_found(session: Session, world: World) -> None:
    wide = _request(session, "住建局电话（０３７１）６６６６１２３４一直占线", phone=None)
    local = _request(session, "拨打66661234无人接听", phone=None)  # read, never masked
    session.flush()
    assert "0371-****1234" in wide.text_masked and "66661234" in local.text_masked
    _register(session, world, [OFFICE])
    report = remask.step(session)
    assert (report.checked, report.remasked) == (2, 1)
    assert "（０３７１）６６６６１２３４" in _stored(session, wide.id)[0]
    assert _stored(session, local.id)[0] == "拨打66661234无人接听"


def test_a_long_pass_goes_in_batches_and_restarts_when_the_directory_changes_again(
    session: Session, world: World
) -> None:
    ids = [_request(session, f"第{i}次拨打{OFFICE}，也打了0371-69690110", phone=None).id
           for i in range(5)]  # fmt: skip
    session.flush()
    _register(session, world, [OFFICE])
    first = remask.step(session, limit=2)
    assert (first.checked, first.remasked, first.more) == (2, 2, True)
    state = session.get(MaskingState, 1)
    assert state is not None and state.cursor == ids[1]

    # A second number is registered mid-pass: the pass starts over with both.
    org = session.get(Organization, world.orgs["js_eco"])
    assert org is not None
    phones.set_public_phones(session, organization=org, phones=["0371-69690110"], actor=SYSTEM)
    steps = []
    while True:
        step = remask.step(session, limit=2)
        steps.append((step.checked, step.remasked))
        if not step.more:
            break
    assert steps == [(2, 2), (2, 2), (1, 1)]
    for request_id in ids:
        text, _, _ = _stored(session, request_id)
        assert OFFICE in text and "0371-69690110" in text


def test_a_changed_setting_is_taken_up(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = _request(session, "防汛指挥部电话0371-69690110一直占线", phone=None)
    session.flush()
    assert "0371-69690110" not in request.text_masked
    monkeypatch.setenv("ZHENGWU_PUBLIC_PHONES", "0371-69690110")  # after a restart
    get_settings.cache_clear()
    assert remask.step(session).remasked == 1
    assert "0371-69690110" in _stored(session, request.id)[0]


def test_library_items_that_mention_a_changed_number_are_indexed_again(
    session: Session, world: World
) -> None:
    item = library.create(
        session, world.principals["admin"], title="电梯维修服务指南", matrix_id=world.matrices["zz"],
        body=f"小区电梯停运可拨打金水区住建局 {OFFICE} 反映。", tags=["电梯"],
    )  # fmt: skip
    unrelated = library.create(session, world.principals["admin"], title="防汛提示",
                               body="远离低洼地带", matrix_id=world.matrices["zz"])  # fmt: skip
    session.flush()

    def indexed(item_id: int) -> str:
        return session.scalars(
            select(SearchDocument.body).where(SearchDocument.kind == library.SEARCH_KIND,
                                              SearchDocument.key == str(item_id))
        ).one()  # fmt: skip

    assert OFFICE not in indexed(item.id)
    before = indexed(unrelated.id)
    _register(session, world, [OFFICE])
    assert remask.step(session).reindexed == 1
    assert OFFICE in indexed(item.id) and indexed(unrelated.id) == before


def test_the_worker_job_brings_the_board_in_line(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    w = committed_world
    with httpx.Client(base_url=live_server, timeout=120) as client:
        r = client.post("/api/requests", data={"text": TEXT, "citizen_phone": CITIZEN})
        assert r.status_code == 201, r.text
        pid = r.json()["public_id"]
        assert OFFICE not in client.get(f"/api/public/requests/{pid}").json()["text"]
        registered = client.patch(f"/api/organizations/{w.orgs['js_housing']}",
                                  json={"public_phones": [OFFICE]}, headers=w.headers("admin"))  # fmt: skip
        assert registered.status_code == 200, registered.text

        [report] = run_jobs([get_job("published-numbers")], engine=committed_engine)
        assert report.ok and report.counts["remasked"] == 1
        shown = client.get(f"/api/public/requests/{pid}").json()["text"]
        assert OFFICE in shown and CITIZEN not in shown
        [record] = client.get(f"/open311/v2/requests/{pid}.json").json()
        assert OFFICE in record["description"] and CITIZEN not in record["description"]


def test_a_withdrawn_number_is_masked_in_the_replies_waiting_in_the_outbox(
    session: Session, world: World
) -> None:
    """A reply queued while the number was registered carries it readable; withdrawn (a
    person's line after all), the numbers' pass masks it in the replies not yet delivered
    — a gateway may publish a queued one at any time — and leaves a delivered one, the
    record of what was published, and a reply that does not mention it."""
    _register(session, world, [OFFICE])
    remask.step(session)
    intake = RequestIntake(source="weibo", text="文化路井盖丢失，请尽快处理",
                           source_ref="weibo:7302", account_uid="1002")  # fmt: skip
    request = service.create_request(session, intake=intake, actor=SYSTEM)
    session.flush()
    body = f"已转住建局办理，可拨打{OFFICE}咨询"
    queued = replies.queue(session, request=request, kind="first_response", body=body)
    failed = replies.queue(session, request=request, kind="progress", body=body)
    delivered = replies.queue(session, request=request, kind="closing", body=body)
    other = replies.queue(session, request=request, kind="progress", body="已派人处理")
    assert queued and failed and delivered and other
    assert queued.body == body  # published: readable when it was queued
    failed.state, delivered.state = "failed", "delivered"
    session.flush()

    _register(session, world, [])  # withdrawn
    report = remask.step(session)
    assert report.outbox == 2 and not report.more
    session.expire_all()
    masked = "已转住建局办理，可拨打0371-****1234咨询"
    assert (queued.body, failed.body) == (masked, masked)
    assert delivered.body == body and other.body == "已派人处理"
    assert remask.step(session).counts() == NOTHING  # taken up
    stored = session.scalars(select(OutboxMessage.body).where(OutboxMessage.state != "delivered"))
    assert all(OFFICE not in b for b in stored)
