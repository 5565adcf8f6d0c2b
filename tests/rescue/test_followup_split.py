"""A coordinator splits a citizen's submission back off a request (拆分, intake.unmerge):
the citizen's link and query code go with it, to the split-off request — their updates
land there, a withdrawal closes it — and no longer open the request left behind, another
family's, which the key can neither update nor close (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.rescue import corrections, followup, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpRequest, HelpSource, Incident
from zhengwu.rescue.schemas import FollowupIssued, HelpSubmission

from .conftest import DISPATCHER, ORIGINAL, post

MINE = HelpSubmission(text="我爸妈在文化路那边的小区，二楼进水了，联系不上", phone="13700007777")
THEIRS = HelpSubmission(text="桐柏路2号院一楼进水，老人出不去", phone="13600006666", people=2)


def _key(issued: FollowupIssued) -> followup.FollowupKey:
    return followup.FollowupKey(token=issued.token)


def _source_of(session: Session, data: HelpSubmission) -> HelpSource:
    """Return the source a submission of ``data`` made (the newest, as the last one sent)."""
    found = select(HelpSource).where(
        HelpSource.text.endswith(data.text), HelpSource.kind != "update"
    )
    return session.scalars(found.order_by(HelpSource.id.desc()).limit(1)).one()


def _updates(session: Session, request: HelpRequest) -> list[str]:
    fresh = rescue_service.get_request(session, request_id=request.id)
    return [s.text for s in fresh.sources if s.kind == "update"]


def _withdraw(session: Session, issued: FollowupIssued) -> bool:
    found, creator = followup.open_key(session, _key(issued))
    return followup.withdraw(session, request=found, data=followup.FollowupWithdrawIn(
        token=issued.token, reason="self_rescued"), creator=creator)  # fmt: skip


def test_split_after_a_merge_the_key_opens_the_split_off_request(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    taken = intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL)],
                           actor=DISPATCHER)  # fmt: skip
    family = taken.requests[("weibo", "1")]
    mine = intake.submit(session, incident=incident, actor=DISPATCHER, data=MINE)
    issued = followup.issue(session, request=mine, phone="13700007777")
    assert issued.code is not None
    corrections.merge_requests(session, survivor=family, other=mine, actor=DISPATCHER,
                               reason="电话核实是同一户")  # fmt: skip
    session.flush()
    assert followup.find(session, _key(issued)).id == family.id
    # A call shows they are not: the coordinator splits the daughter's form back off.
    split = intake.unmerge(session, source=_source_of(session, MINE), actor=DISPATCHER,
                           reason="回电核实不是同一户")  # fmt: skip
    session.flush()
    assert split.id not in (family.id, mine.id)
    by_code = followup.FollowupKey(phone="137 0000 7777", code=issued.code)
    for key in (_key(issued), by_code):
        assert followup.find(session, key).id == split.id
    assert followup.status(followup.find(session, _key(issued))).request_id == split.id

    followup.add_update(session, request=followup.find(session, _key(issued)),
                        data=followup.FollowupUpdateIn(text="水到三楼了，换号 13900001234",
                                                       new_phone="13500005555"))  # fmt: skip
    session.flush()
    assert [t for t in _updates(session, split) if "水到三楼了" in t]
    assert _updates(session, family) == []
    [shown] = followup.status(followup.find(session, _key(issued))).updates
    assert "139****1234" in shown.text
    assert "13900001234" not in shown.text and "13500005555" not in shown.text

    # The split-off request is the key's own: it withdraws it; the family's stays open.
    assert _withdraw(session, issued)
    assert rescue_service.get_request(session, request_id=split.id).state == "announced"
    assert rescue_service.get_request(session, request_id=family.id).state == "new"


def test_a_key_split_off_a_request_it_created_cannot_close_the_family_left_there(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    """The daughter's form made the request; another family's, merged into it by mistake,
    stays there when hers is split off: her link, which made the request, no longer
    opens it — it neither updates nor closes the other family's request."""
    incident = make_incident()
    mine = intake.submit(session, incident=incident, actor=DISPATCHER, data=MINE)
    issued = followup.issue(session, request=mine, phone="13700007777")
    other = intake.submit(session, incident=incident, actor=DISPATCHER, data=THEIRS)
    assert other.id != mine.id
    theirs = followup.issue(session, request=other, phone="13600006666")
    corrections.merge_requests(session, survivor=mine, other=other, actor=DISPATCHER,
                               reason="疑似同一户")  # fmt: skip
    session.flush()
    split = intake.unmerge(session, source=_source_of(session, MINE), actor=DISPATCHER,
                           reason="不是同一户")  # fmt: skip
    session.flush()
    assert followup.find(session, _key(issued)).id == split.id
    # The other family's key stays with their words, on the request left behind.
    assert followup.find(session, _key(theirs)).id == mine.id

    followup.add_update(session, request=followup.find(session, _key(issued)),
                        data=followup.FollowupUpdateIn(text="已经联系上了，在等船"))  # fmt: skip
    session.flush()
    assert _updates(session, mine) == []
    assert followup.status(followup.find(session, _key(theirs))).updates == []

    assert _withdraw(session, issued)
    assert rescue_service.get_request(session, request_id=mine.id).state == "new"
    assert rescue_service.get_request(session, request_id=split.id).state == "announced"
    # Their key joined the request by a merge: it only asks there.
    assert not _withdraw(session, theirs)
    assert rescue_service.get_request(session, request_id=mine.id).state == "new"


def test_a_key_that_joined_a_request_makes_the_one_its_submission_is_split_into(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    """A second submission that intake merged into the first (the same words) only asks to
    withdraw there; split off, its request is its own and it closes it."""
    incident = make_incident()
    first = intake.submit(session, incident=incident, actor=DISPATCHER, data=THEIRS)
    creators = followup.issue(session, request=first, phone="13600006666")
    second = intake.submit(session, incident=incident, actor=DISPATCHER, data=THEIRS)
    assert second.id == first.id
    joined = followup.issue(session, request=second, phone=None)
    assert not followup.open_key(session, _key(joined))[1]
    split = intake.unmerge(session, source=_source_of(session, THEIRS), actor=DISPATCHER,
                           reason="两户")  # fmt: skip
    session.flush()
    assert followup.open_key(session, _key(joined)) == (split, True)
    assert followup.open_key(session, _key(creators)) == (first, True)
    assert _withdraw(session, joined)
    assert rescue_service.get_request(session, request_id=first.id).state == "new"
