"""A citizen's key older than migration 0039 that its backfill could not bind
(``help_followups.source_id`` empty) after a coordinator split a submission off the
request it opens (拆分): it is bound at look-up to its submission when that can be told —
the only citizen's submission there was, or the only one that gave the phone it is looked
up with — and refused with a clear message otherwise. It opened the request left behind,
another family's: their status, their history, an update landing on it (SQLite and
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from zhengwu.errors import ConflictError
from zhengwu.rescue import corrections, followup, intake
from zhengwu.rescue.models import HelpFollowup, HelpRequest, Incident
from zhengwu.rescue.schemas import FollowupIssued

from .conftest import DISPATCHER, ORIGINAL, post
from .test_followup_split import MINE, THEIRS, _key, _source_of, _withdraw


def _older(session: Session, issued: FollowupIssued, request: HelpRequest) -> None:
    """Make ``issued`` a key from before 0039 the backfill left unbound: no source, the
    request its submission made or joined."""
    session.execute(update(HelpFollowup)
                    .where(HelpFollowup.token_hash == followup._hash(issued.token))
                    .values(source_id=None, request_id=request.id))  # fmt: skip
    session.expire_all()


def test_an_older_key_follows_the_only_submission_split_off(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    family = intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL)],
                            actor=DISPATCHER).requests[("weibo", "1")]  # fmt: skip
    mine = intake.submit(session, incident=incident, actor=DISPATCHER, data=MINE)
    issued = followup.issue(session, request=mine, phone="13700007777")
    corrections.merge_requests(session, survivor=family, other=mine, actor=DISPATCHER,
                               reason="电话核实是同一户")  # fmt: skip
    session.flush()
    _older(session, issued, mine)
    assert followup.open_key(session, _key(issued))[0].id == family.id  # merged: followed
    split = intake.unmerge(session, source=_source_of(session, MINE), actor=DISPATCHER,
                           reason="回电核实不是同一户")  # fmt: skip
    session.flush()
    found, creator = followup.open_key(session, _key(issued))
    assert (found.id, creator) == (split.id, True)  # not the family's left behind
    assert _withdraw(session, issued)
    assert session.get(HelpRequest, split.id).state == "announced"  # type: ignore[union-attr]
    assert session.get(HelpRequest, family.id).state == "new"  # type: ignore[union-attr]


def test_older_keys_refused_when_a_split_leaves_them_uncertain_the_phone_tells(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    """Two citizens' submissions merged into one family's request, one split off: a link
    cannot tell which is whose — refused, saying why and what to do —; the phone and code
    can, and bind it (the link then works too)."""
    incident = make_incident()
    family = intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL)],
                            actor=DISPATCHER).requests[("weibo", "1")]  # fmt: skip
    keys = {}
    for data, phone in ((MINE, "13700007777"), (THEIRS, "13600006666")):
        made = intake.submit(session, incident=incident, actor=DISPATCHER, data=data)
        keys[phone] = (followup.issue(session, request=made, phone=phone), made)
        corrections.merge_requests(session, survivor=family, other=made, actor=DISPATCHER,
                                   reason="疑似同一户")  # fmt: skip
        session.flush()
    for issued, made in keys.values():
        _older(session, issued, made)
    split = intake.unmerge(session, source=_source_of(session, MINE), actor=DISPATCHER,
                           reason="不是同一户")  # fmt: skip
    session.flush()
    for issued, _ in keys.values():
        with pytest.raises(ConflictError) as refused:
            followup.find(session, _key(issued))
        assert "无法确定哪一条是您提交的" in refused.value.message_zh
        assert "look up with the phone you gave" in refused.value.message_en
    mine, theirs = keys["13700007777"][0], keys["13600006666"][0]
    by_phone = followup.FollowupKey(phone="137 0000 7777", code=mine.code)
    assert followup.open_key(session, by_phone) == (split, True)
    assert followup.open_key(session, _key(mine)) == (split, True)  # bound for good
    theirs_by_phone = followup.FollowupKey(phone="13600006666", code=theirs.code)
    assert followup.open_key(session, theirs_by_phone) == (family, False)
    assert followup.find(session, _key(theirs)).id == family.id
