"""Stored masked texts follow the masking rules' version: when the rules change, the worker
job ``published-numbers`` and ``zhengwu desk remask`` mask every stored text again
(SQLite and PostgreSQL).

"Stored under the old rules" is simulated as the rules before the names rule left it: the
masked text with the name readable, and the stored version one below the code's.
"""

from __future__ import annotations

import orjson
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.accounts import phones
from zhengwu.accounts.models import Account, Organization
from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.cli.desk_requests import app
from zhengwu.db.engine import unit_of_work
from zhengwu.jobs.registry import get_job
from zhengwu.jobs.runner import run_jobs
from zhengwu.library import service as library
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage
from zhengwu.privacy import MASKING_RULES_VERSION
from zhengwu.search import indexer
from zhengwu.search import service as search
from zhengwu.search.models import SearchDocument
from zhengwu.servicedesk import presenters, remask, replies, service
from zhengwu.servicedesk.models import MaskingState, ServiceRequest
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

NAMED = "楼道堆满杂物，物业王芳的电话打不通"  # the names rule masks 王芳; the rules before did not
OLD = NAMED  # what the rules before stored
NEW = "楼道堆满杂物，物业王*的电话打不通"
PLAIN = "文化路井盖丢失，请尽快处理"  # the same under both rules
OFFICE = "0371-66661234"
ADMIN = Principal(role="admin", user_id=1, username="admin")


def _request(session: Session, text: str) -> int:
    request = service.create_request(
        session, intake=RequestIntake(source="form", text=text), actor=SYSTEM
    )
    session.flush()
    return request.id


def _old_rules(session: Session, *request_ids: int, cursor: int = 0, text: str = OLD) -> None:
    """Store ``request_ids`` as the old rules masked them (``text``); record the old rules'
    version."""
    for request_id in request_ids:
        session.execute(
            update(ServiceRequest.__table__)
            .where(ServiceRequest.__table__.c.id == request_id)
            .values(text_masked=text)
        )  # fmt: skip
    state = session.get(MaskingState, 1)
    if state is None:
        state = MaskingState(id=1, numbers=[], pending=[], cursor=0)
        session.add(state)
    state.rules_version, state.rules_kind, state.rules_cursor = MASKING_RULES_VERSION - 1, None, 0
    session.flush()


def _stored(session: Session, request_id: int) -> tuple[str, int, object]:
    session.expire_all()
    row = session.execute(
        select(ServiceRequest.text_masked, ServiceRequest.version, ServiceRequest.updated_at)
        .where(ServiceRequest.id == request_id)
    ).one()  # fmt: skip
    return row.text_masked, row.version, row.updated_at


def _until_done(session: Session, limit: int = remask.BATCH) -> list[remask.RemaskReport]:
    steps = [remask.step(session, limit=limit)]
    while steps[-1].more:
        steps.append(remask.step(session, limit=limit))
    return steps


def _state(session: Session) -> MaskingState:
    session.expire_all()
    state = session.get(MaskingState, 1)
    assert state is not None
    return state


def test_a_text_stored_under_old_rules_is_masked_again_and_only_it_is_reindexed(
    session: Session, world: World
) -> None:
    named, plain = _request(session, NAMED), _request(session, PLAIN)
    assert _stored(session, named)[0] == NEW  # intake masks with today's rules
    _old_rules(session, named)
    indexer.refresh(session, ["requests"])
    # The problem: the old mask lets a staff search match the name.
    assert [h.key for h in search.search(session, ADMIN, "王芳", kinds=["requests"]).hits]
    _, named_version, _ = _stored(session, named)
    plain_before = _stored(session, plain)
    assert indexer.pending(session)["requests"] == 0

    steps = _until_done(session)
    assert sum(s.checked for s in steps) == 2 and sum(s.remasked for s in steps) == 1
    assert all(s.rules for s in steps)
    text, version, _ = _stored(session, named)
    assert text == NEW and version == named_version  # no edit: a handler's lock holds
    assert _stored(session, plain) == plain_before  # unchanged: updated_at stays
    assert indexer.pending(session)["requests"] == 1  # the refresh re-indexes just that one
    indexer.refresh(session, ["requests"])
    assert search.search(session, ADMIN, "王芳", kinds=["requests"]).hits == []
    state = _state(session)
    assert (state.rules_version, state.rules_kind, state.rules_cursor) == (
        MASKING_RULES_VERSION, None, 0,
    )  # fmt: skip


def test_nothing_is_read_when_the_versions_match(session: Session, world: World) -> None:
    named = _request(session, NAMED)
    _old_rules(session, named)
    _until_done(session)
    assert _stored(session, named)[0] == NEW
    # Stored with the name readable again, while the recorded version is the code's: the
    # job reads nothing (it trusts the version), so the text stays as it is.
    session.execute(
        update(ServiceRequest.__table__)
        .where(ServiceRequest.__table__.c.id == named).values(text_masked=OLD)
    )  # fmt: skip
    before = _stored(session, named)
    report = remask.step(session)
    assert report == remask.RemaskReport() and not report.rules
    assert _stored(session, named) == before


def test_an_interrupted_pass_continues_where_it_stopped(session: Session, world: World) -> None:
    ids = [_request(session, NAMED) for _ in range(5)]
    _old_rules(session, *ids)
    first = remask.step(session, limit=2)
    assert (first.checked, first.remasked, first.more, first.rules) == (2, 2, True, True)
    state = _state(session)
    assert (state.rules_kind, state.rules_cursor) == ("requests", ids[1])
    assert state.rules_version == MASKING_RULES_VERSION - 1  # not recorded before the end

    # Interrupted here (the step was committed). A row before the cursor is not read again
    # by the rest of the pass: stored old once more, it stays so.
    session.execute(
        update(ServiceRequest.__table__)
        .where(ServiceRequest.__table__.c.id == ids[0]).values(text_masked=OLD)
    )  # fmt: skip
    rest = _until_done(session, limit=2)
    assert [(s.checked, s.remasked) for s in rest] == [(2, 2), (1, 1), (0, 0)]
    assert _stored(session, ids[0])[0] == OLD
    assert [_stored(session, i)[0] for i in ids[1:]] == [NEW] * 4
    assert _state(session).rules_version == MASKING_RULES_VERSION


def test_a_number_changed_during_the_rules_pass_is_taken_up_after_it(
    session: Session, world: World
) -> None:
    ids = [_request(session, f"第{i}次拨打{OFFICE}没人接") for i in range(3)]
    named = _request(session, NAMED)
    _old_rules(session, named)
    assert remask.step(session, limit=2).rules  # ids[0], ids[1] masked with no office number
    org = session.get(Organization, world.orgs["js_housing"])
    assert org is not None
    phones.set_public_phones(session, organization=org, phones=[OFFICE], actor=SYSTEM)
    _until_done(session, limit=2)
    assert _stored(session, named)[0] == NEW
    for request_id in ids:  # those before the cursor too: the numbers' pass followed
        assert OFFICE in _stored(session, request_id)[0]
    state = _state(session)
    assert state.pending == [] and state.rules_version == MASKING_RULES_VERSION


def test_library_items_indexed_under_old_rules_are_indexed_again(
    session: Session, world: World
) -> None:
    item = library.create(
        session, world.principals["admin"], title="物业服务", matrix_id=world.matrices["zz"],
        body=NAMED,
    )  # fmt: skip
    other = library.create(session, world.principals["admin"], title="防汛提示",
                           body="远离低洼地带", matrix_id=world.matrices["zz"])  # fmt: skip
    session.flush()

    def indexed(item_id: int) -> str:
        return session.scalars(
            select(SearchDocument.body).where(SearchDocument.kind == library.SEARCH_KIND,
                                              SearchDocument.key == str(item_id))
        ).one()  # fmt: skip

    assert indexed(item.id) == NEW
    session.execute(
        update(SearchDocument).where(SearchDocument.kind == library.SEARCH_KIND,
                                     SearchDocument.key == str(item.id)).values(body=OLD)
    )  # fmt: skip
    other_before = indexed(other.id)
    _old_rules(session)
    steps = _until_done(session)
    assert sum(s.reindexed for s in steps) == 1
    session.expire_all()
    assert indexed(item.id) == NEW and indexed(other.id) == other_before


def test_the_worker_job_and_the_command(configured_database: str, committed_engine: Engine,
                                        committed_world: World) -> None:  # fmt: skip
    runner = CliRunner()

    def cli(*args: str) -> dict[str, object]:
        result = runner.invoke(app, ["remask", *args, "--json"])
        assert result.exit_code == 0, result.output
        data = orjson.loads(result.stdout.splitlines()[-1])
        assert isinstance(data, dict)
        return data

    with unit_of_work(committed_engine) as session:
        named, plain = _request(session, NAMED), _request(session, PLAIN)
        _old_rules(session, named)
        _, _, plain_updated = _stored(session, plain)
    old = MASKING_RULES_VERSION - 1

    dry = cli("--dry-run")
    assert dry == {"rules_version": MASKING_RULES_VERSION, "stored_version": old, "checked": 2,
                   "remasked": 1, "library_reindexed": 0, "steps": 1, "dry_run": True,
                   "outbox_remasked": 0}  # fmt: skip
    with unit_of_work(committed_engine) as session:
        assert _stored(session, named)[0] == OLD  # a dry run writes nothing
        assert remask.stored_version(session) == old

    done = cli()
    assert (done["stored_version"], done["checked"], done["remasked"]) == (old, 2, 1)
    assert done["dry_run"] is False
    with unit_of_work(committed_engine) as session:
        assert _stored(session, named)[0] == NEW
        assert _stored(session, plain)[2] == plain_updated
        assert remask.stored_version(session) == MASKING_RULES_VERSION

    # Up to date: without --all nothing is read; --all reads everything, changes nothing.
    assert cli()["checked"] == 0
    assert (cli("--all")["checked"], cli("--all")["remasked"]) == (2, 0)
    assert cli("--all", "--dry-run")["checked"] == 2

    # The worker job does the same pass by itself.
    with unit_of_work(committed_engine) as session:
        _old_rules(session, named)
    [report] = run_jobs([get_job("published-numbers")], engine=committed_engine)
    assert report.ok and report.counts["remasked"] == 1
    with unit_of_work(committed_engine) as session:
        assert _stored(session, named)[0] == NEW
        assert remask.stored_version(session) == MASKING_RULES_VERSION

    text = runner.invoke(app, ["remask", "--all", "--dry-run"])
    assert text.exit_code == 0 and "would change 0" in text.stdout


def test_a_posts_phone_is_masked_at_intake_as_the_rules_pass_masks_it(
    session: Session, world: World
) -> None:
    # A post has no phone field: the phone kept is the first one in its text. Its stored
    # text is masked with that phone, so a rules pass finds nothing to change (it once
    # re-masked 137****4337 to 137******37 on every demo).
    text = "#12345# 金水区文化路红绿灯坏了，我姓林，电话13735754337"
    request = service.create_request(
        session,
        intake=RequestIntake(source="weibo", text=text, source_ref="weibo:8001"),
        actor=SYSTEM,
    )
    session.flush()
    assert request.citizen_phone == "13735754337"
    assert request.text_masked.endswith("电话137******37")
    report = remask.preview(session, everything=True)
    assert report.remasked == 0


def test_a_library_item_with_tags_is_not_indexed_again_by_the_rules_pass(
    session: Session, world: World
) -> None:
    # Tags given out of the database's order (防汛 before 科普): the document indexed at
    # creation is the one the pass would write, so a pass finds nothing to index again (the
    # demo's first worker run re-indexed 3 of its 5 items, every one with two tags or more).
    item = library.create(
        session, world.principals["admin"], title="防汛避险常识", body="远离低洼地带",
        matrix_id=world.matrices["zz"], tags=["防汛", "科普", "气象"],
    )  # fmt: skip
    session.flush()
    session.expire_all()
    assert library.remask_index(session, after=item.id - 1, dry_run=True)[:2] == (1, 0)


def test_replies_waiting_in_the_outbox_are_masked_again_delivered_ones_when_shown(
    session: Session, world: World
) -> None:
    """A reply queued under the old rules went out with their masks: the rules pass covered
    requests and library items, not the outbox. Now it masks the replies not yet delivered
    (queued, failed) again; a delivered one stays the record of what was published, shown
    masked by today's rules to a reader who may not see personal data."""
    intake = RequestIntake(source="weibo", text=PLAIN, source_ref="weibo:7301",
                           account_uid="1002", citizen_name="李秀英")  # fmt: skip
    request = service.create_request(session, intake=intake, actor=SYSTEM)
    session.flush()
    queued = replies.queue(session, request=request, kind="first_response", body=NAMED)
    failed = replies.queue(session, request=request, kind="progress", body=NAMED)
    delivered = replies.queue(session, request=request, kind="closing", body=NAMED)
    assert queued is not None and failed is not None and delivered is not None
    # Not a reply: a distribution is the body's own published content, never masked.
    other = outbox_service.enqueue(session, kind="distribution", platform="weibo", body=NAMED,
                                   entity_type="library_distribution", entity_id=1)  # fmt: skip
    session.flush()
    assert queued.body == NEW  # queued today: masked by today's rules
    table = OutboxMessage.__table__

    def stored_under_old_rules() -> None:
        for message, state in ((queued, "queued"), (failed, "failed"), (delivered, "delivered")):
            session.execute(
                update(table).where(table.c.id == message.id).values(body=OLD, state=state)
            )  # fmt: skip
        _old_rules(session)

    stored_under_old_rules()
    steps = _until_done(session)
    session.expire_all()
    assert (queued.body, failed.body) == (NEW, NEW)  # what a gateway publishes next
    assert delivered.body == OLD and other.body == NAMED
    assert _state(session).rules_version == MASKING_RULES_VERSION
    assert sum(s.outbox for s in steps) == 2
    shown = presenters.detail(session, request, PUBLIC)
    assert shown.masked and [m.body for m in shown.outbox] == [NEW, NEW, NEW]
    handler = presenters.detail(session, request, world.principals["js_housing"])
    assert [m.body for m in handler.outbox] == [NEW, NEW, OLD]
    # The dry run counts them.
    stored_under_old_rules()
    assert remask.preview(session).outbox_remasked == 2


POST = "噪音扰民，家住幸福路12号3栋2单元501 //@雨夜小鹿:转发 @平安郑州 @人民路88号商场"
POST_MASKED = "噪音扰民，家住幸福路＊＊＊ //@＊＊＊:转发 @平安郑州 @＊＊＊"


def test_rules_5_mask_handles_and_a_homes_door_in_stored_texts(session: Session) -> None:
    """Version 5: a citizen's handle and a home's door are masked, intake and the pass
    alike; a government account's handle stays (a citizen's account of the same table
    does not)."""
    _intake_and_pass(session, [
        Account(platform="weibo", uid="9001", name="平安郑州", is_government=True),
        Account(platform="weibo", uid="9002", name="雨夜小鹿", is_government=False),
    ], POST, old=POST, masked=POST_MASKED)  # fmt: skip


def _intake_and_pass(
    session: Session, accounts: list[Account], post: str, *, old: str, masked: str
) -> None:
    """Intake masks ``post`` as ``masked`` (``accounts`` on file); stored as the rules
    before masked it (``old``), the pass masks it as ``masked`` again."""
    session.add_all(accounts)
    request_id = _request(session, post)
    assert _stored(session, request_id)[0] == masked
    _old_rules(session, request_id, text=old)
    _until_done(session)
    assert _stored(session, request_id)[0] == masked


# Version 6: a government account however written (@cctv新闻 for CCTV新闻, ＠ＳＺ交警) stays,
# a citizen's full-width ＠handle is masked, and so is a home written as a bare street
# number after a home cue; a shop's room stays readable.
POST_6 = ("我家在解放路23号，楼下华润万家超市101室通宵装修 ＠吃面的老李头 @cctv新闻 ＠ＳＺ交警 "
          "@平安郑州- @平安郑州求助")  # fmt: skip
POST_6_MASKED = ("我家在解放路＊＊＊，楼下华润万家超市101室通宵装修 @＊＊＊ @cctv新闻 ＠ＳＺ交警 "
                 "@平安郑州- @＊＊＊")  # fmt: skip
# What version 5 stored: the government accounts written otherwise masked, the citizen's
# full-width handle and the home's number readable, the shop's room masked.
POST_5_STORED = ("我家在解放路23号，楼下华润万家超市＊＊＊通宵装修 ＠吃面的老李头 @＊＊＊ @＊＊＊ "
                 "@＊＊＊ @＊＊＊")  # fmt: skip


def test_rules_6_recognise_government_handles_however_written_and_homes_by_their_cue(
    session: Session, world: World
) -> None:
    _intake_and_pass(session, [
        Account(platform="weibo", uid="9101", name="CCTV新闻", is_government=True),
        Account(platform="weibo", uid="9102", name="SZ交警", organization_id=world.orgs["police"]),
        Account(platform="weibo", uid="9103", name="吃面的老李头", is_government=False),
    ], POST_6, old=POST_5_STORED, masked=POST_6_MASKED)  # fmt: skip


# Version 10: a name that closes its clause after 我是 though it holds 名 or 向, a citizen's
# handle run into a word addressed to them (masked up to it), a card number mistyped after
# a card cue; an order number that passes Luhn stays readable after its cue.
POST_10 = ("我是张阳名，退款请打到银行卡号6222000000000001 订单号6222000000000009 "
           "@吃面的老李头请帮忙")  # fmt: skip
POST_10_MASKED = ("我是张*，退款请打到银行卡号****0001 订单号6222000000000009 "
                  "@＊＊＊请帮忙")  # fmt: skip
# What version 9 stored: the name and the mistyped card readable, the order number masked
# as a card, the handle masked with the words after it.
POST_9_STORED = ("我是张阳名，退款请打到银行卡号6222000000000001 订单号****0009 "
                 "@＊＊＊")  # fmt: skip


def test_rules_10_mask_a_self_introduction_a_mistyped_card_and_a_handles_words_apart(
    session: Session,
) -> None:
    _intake_and_pass(session, [], POST_10, old=POST_9_STORED, masked=POST_10_MASKED)
