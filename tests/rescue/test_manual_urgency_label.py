"""A masked view of a request whose urgency staff set by hand: the reason reads 人工设定,
once, whoever set it and however often (the names are hidden: ``manual``)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.rescue import access, corrections, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.labels import urgency_reason
from zhengwu.rescue.models import Incident
from zhengwu.rescue.schemas import RequestEdit

from .conftest import DISPATCHER, ORIGINAL, post

OTHER_DISPATCHER = Principal(role="dispatcher", user_id=None, username="d2", display_name="王调度")
OPERATOR = Principal(role="operator", user_id=None, username="o", display_name="值班员")


def test_a_hand_set_urgency_reads_in_chinese_in_a_masked_view(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL)], actor=DISPATCHER)
    [request] = rescue_service.requests_of(session, incident=incident)
    for actor, urgency in ((DISPATCHER, "normal"), (OTHER_DISPATCHER, "critical")):
        corrections.edit_request(session, request=request, actor=actor, data=RequestEdit(
            urgency=urgency, reason="电话核实：老人卧床"))  # fmt: skip
    session.flush()
    assert [r for r in request.urgency_reasons if r.startswith("manual")] == [
        "manual:调度员", "manual:王调度"]  # fmt: skip
    for principal in (PUBLIC, OPERATOR):
        reasons = access.view(principal, request).urgency_reasons
        assert [r for r in reasons if r.startswith("manual")] == ["manual"]  # once, unsigned
        # The console's request page shows each reason through urgency_reason.
        assert urgency_reason("manual") == "人工设定"
    full = access.view(DISPATCHER, request).urgency_reasons
    assert [urgency_reason(r) for r in full if r.startswith("manual")] == [
        "人工设定「调度员」", "人工设定「王调度」"]  # fmt: skip
