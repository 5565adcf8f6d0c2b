"""A coordinator merges the request a citizen submitted into another one (合并重复求助):
the citizen's link and query code follow it to the request it was merged into — its
status is that request's, an update reaches it — instead of answering "已结束，不能再修改"
about a request that lives on (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from zhengwu.rescue import corrections, followup, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import Incident
from zhengwu.rescue.schemas import HelpSubmission

from .conftest import DISPATCHER, ORIGINAL, post


def test_a_citizen_s_key_follows_their_request_into_the_one_it_was_merged_into(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    taken = intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL)],
                           actor=DISPATCHER)  # fmt: skip
    survivor = taken.requests[("weibo", "1")]
    # The daughter asks for her parents on the form, in her own words: a request of its own.
    mine = intake.submit(session, incident=incident, actor=DISPATCHER, data=HelpSubmission(
        text="我爸妈在文化路那边的小区，二楼进水了，联系不上", phone="13700007777"))  # fmt: skip
    assert mine.id != survivor.id
    issued = followup.issue(session, request=mine, phone="13700007777")
    assert issued.code is not None
    corrections.merge_requests(session, survivor=survivor, other=mine, actor=DISPATCHER,
                               reason="电话核实是同一户")  # fmt: skip
    session.flush()

    key = followup.FollowupKey(token=issued.token)
    assert followup.find(session, key).id == survivor.id
    by_code = followup.FollowupKey(phone="137 0000 7777", code=issued.code)
    assert followup.find(session, by_code).id == survivor.id
    shown = followup.status(followup.find(session, key))
    assert shown.request_id == survivor.id and shown.open
    followup.add_update(session, request=followup.find(session, key),
                        data=followup.FollowupUpdateIn(text="水到三楼了", people=None))  # fmt: skip
    session.flush()
    merged = rescue_service.get_request(session, request_id=survivor.id)
    assert any(s.text.endswith("水到三楼了") for s in merged.sources if s.kind == "update")

    # The key made the merged-away request, not the survivor: it only asks to withdraw.
    found, creator = followup.open_key(session, key)
    assert not creator
    assert not followup.withdraw(session, request=found, data=followup.FollowupWithdrawIn(
        token=issued.token, reason="self_rescued"), creator=creator)  # fmt: skip
    assert rescue_service.get_request(session, request_id=survivor.id).state == "new"


def test_a_key_sees_the_updates_of_a_shared_request_with_their_phones_masked(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    """Two people asked for the same family (their submissions merged): each key sees the
    request's updates, the other's too — a phone in them masked, as on the public board."""
    incident = make_incident()
    plea = HelpSubmission(text="一楼进水，老人出不去", address="郑州市中原区桐柏路2号院",
                          people=2, name="李四", phone="13700007777")  # fmt: skip
    first = intake.submit(session, incident=incident, data=plea, actor=DISPATCHER)
    mine = followup.issue(session, request=first, phone="13700007777")
    second = intake.submit(session, incident=incident, data=plea, actor=DISPATCHER)
    assert second.id == first.id
    theirs = followup.issue(session, request=second, phone=None)
    followup.add_update(session, request=followup.find(session, followup.FollowupKey(
        token=mine.token)), data=followup.FollowupUpdateIn(
        text="我换了手机，打 13900001234", new_phone="13600005678"))  # fmt: skip
    session.flush()
    seen = followup.status(followup.find(session, followup.FollowupKey(token=theirs.token)))
    [update] = seen.updates
    assert "我换了手机" in update.text
    assert "13900001234" not in update.text and "13600005678" not in update.text
    assert "139****1234" in update.text
