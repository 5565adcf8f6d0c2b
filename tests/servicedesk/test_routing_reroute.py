"""Re-routing the requests that wait with no body (未派单) through the rules in force now:
a fallback added later routes what came in before it, audited as a route that says so and
why it waited; returned requests, an office's kept ones it would send out of the office's
sight, and those still without a rule stay as they are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.audit.models import AuditEntry
from zhengwu.errors import ForbiddenError
from zhengwu.servicedesk import access, service
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.routing import fallback, reroute
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRule, RoutingRuleCreate
from zhengwu.servicedesk.schemas import ActionInput, RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

NO_PLACE = "公司一直没给我们交社保，离职时才发现断缴了8年"  # 0502, names no place
ZHONGYUAN = "郑州市中原区某医院挂号难，服务态度差"  # 0701 in 中原区: no rule of 07 anywhere
JINSHUI = "郑州市金水区文化路小区物业乱收费"  # 0101 in 金水区: 金水住建's rule
LUOYANG = "洛阳市涧西区某小区物业乱收费，电梯停运两周"  # 0101 in 洛阳: 洛阳住建's rule


def _form(text: str, phone: str | None = None) -> RequestIntake:
    return RequestIntake(source="form", text=text, citizen_phone=phone)


def _routes(session: Session, request: ServiceRequest) -> list[AuditEntry]:
    history = audit_service.history(session, entity_type="request", entity_id=request.id)
    return [e for e in history if e.action == "route"]


def _fallback(session: Session, world: World) -> None:
    rule = RoutingRuleCreate(organization_id=world.orgs["hotline"])
    routing_service.add_rules(session, rules=[rule], actor=SYSTEM, note="12345 兜底")


def test_a_fallback_added_later_routes_what_waited_and_says_why(
    session: Session, world: World
) -> None:
    nowhere = service.create_request(session, intake=_form(NO_PLACE), actor=SYSTEM)
    queued = service.create_request(session, intake=_form(ZHONGYUAN), actor=SYSTEM)
    returned = service.create_request(session, intake=_form(JINSHUI), actor=SYSTEM)
    service.perform(session, request=returned, action="return",
                    actor=world.principals["js_housing"],
                    data=ActionInput(reason="不属于本单位职责"))  # fmt: skip
    assert (nowhere.organization_id, nowhere.matrix_id) == (None, None)  # on no one's queue
    assert (queued.organization_id, queued.matrix_id) == (None, world.matrices["zz"])
    assert (returned.state, returned.organization_id) == ("returned", None)
    before = {r.id: (r.received_at, r.response_due, r.resolve_due, r.version)
              for r in (nowhere, queued)}  # fmt: skip
    _fallback(session, world)
    assert reroute.waiting_count(session) == 2

    # A dry run says what would happen and writes nothing.
    entries = session.scalar(select(func.count(AuditEntry.id)))
    planned = reroute.reroute(session, actor=SYSTEM, dry_run=True)
    assert (planned.waiting, planned.rerouted, planned.fallbacks) == (2, 2, 2)
    assert (planned.returned, planned.no_rule, planned.kept_in_office) == (1, 0, 0)
    assert session.scalar(select(func.count(AuditEntry.id))) == entries
    session.refresh(nowhere)
    assert nowhere.organization_id is None

    done = reroute.reroute(session, actor=SYSTEM)
    assert (done.waiting, done.rerouted, done.fallbacks, done.changed) == (2, 2, 2, 0)
    assert done.version == routing_service.table_version(session)
    hotline = world.orgs["hotline"]
    by_id = {r.public_id: r for r in done.routed}
    assert by_id[nowhere.public_id].organization == "郑州市12345政务服务便民热线"
    assert {(r.organization_id, r.waiting, r.fallback) for r in done.routed} == {
        (hotline, "no_rule", "no_place"), (hotline, "no_rule", "no_rule_for_place"),
    }  # fmt: skip

    session.refresh(nowhere)
    session.refresh(queued)
    # The one on no queue goes on its body's matrix; the one on a matrix's queue stays there.
    assert (nowhere.organization_id, nowhere.matrix_id) == (hotline, world.matrices["zz"])
    assert (queued.organization_id, queued.matrix_id) == (hotline, world.matrices["zz"])
    for req in (nowhere, queued):
        assert req.state == "received" and req.routing_rule_id is not None
        received, response_due, resolve_due, version = before[req.id]
        # The clock runs from receipt: nothing about the deadlines moves.
        assert (req.received_at, req.response_due, req.resolve_due) == (
            received, response_due, resolve_due,
        )  # fmt: skip
        assert req.version == version + 1
    first, again = _routes(session, nowhere)
    assert first.reason == service.NO_RULE
    assert again.reason == reroute.reason("no_rule", "no_place")
    assert "重新派单" in again.reason and "re-routed" in again.reason
    assert fallback.WHY["no_place"][0] in again.reason
    assert again.data == {
        "routing_rule_id": nowhere.routing_rule_id, "organization_id": hotline,
        "table_version": done.version, "category_code": "0502", "adcode": None,
        "fallback": "no_place", "rerouted": {"waiting": "no_rule", "matrix_id": None},
    }  # fmt: skip
    assert again.actor_name == SYSTEM.display_name
    assert _routes(session, queued)[-1].data["rerouted"] == {  # type: ignore[index]
        "waiting": "no_rule", "matrix_id": world.matrices["zz"],
    }  # fmt: skip

    # The returned one is the office's to dispatch; the run itself is audited.
    session.refresh(returned)
    assert (returned.state, returned.organization_id) == ("returned", None)
    (run,) = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "routing_reroute"))
    assert run.action == "reroute" and run.data is not None
    assert (run.data["rerouted"], run.data["returned"]) == (2, 1)
    assert routing_service.ownerless(session) == 0
    assert reroute.waiting_count(session) == 0
    assert reroute.reroute(session, actor=SYSTEM).waiting == 0


def test_a_request_taken_in_before_any_rule_says_so(session: Session, world: World) -> None:
    first_rule = session.scalar(select(func.min(RoutingRule.valid_from)))
    assert first_rule is not None
    early = first_rule - timedelta(days=2)
    # Taken in (a replay of history) before the table had any rule: it waited for one.
    old = service.receive(session, intake=_form(JINSHUI), actor=SYSTEM, now=early).request
    assert old.organization_id is None
    done = reroute.reroute(session, actor=SYSTEM)
    assert (done.rerouted, done.fallbacks) == (1, 0)
    session.refresh(old)
    assert old.organization_id == world.orgs["js_housing"]
    route = _routes(session, old)[-1]
    assert route.reason == reroute.reason("no_rules", None)
    assert route.data is not None and "fallback" not in route.data
    assert route.data["rerouted"]["waiting"] == "no_rules"


def test_what_still_matches_no_rule_waits_untouched(session: Session, world: World) -> None:
    nowhere = service.create_request(session, intake=_form(NO_PLACE), actor=SYSTEM)
    version = nowhere.version
    done = reroute.reroute(session, actor=SYSTEM)
    assert (done.waiting, done.no_rule, done.rerouted) == (1, 1, 0)
    session.refresh(nowhere)
    assert (nowhere.organization_id, nowhere.version) == (None, version)
    assert len(_routes(session, nowhere)) == 1
    # Nothing routed: no run entry either.
    assert session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.entity_type == "routing_reroute")
    ) == 0  # fmt: skip


def test_an_offices_kept_request_is_routed_only_inside_its_matrix(
    session: Session, world: World
) -> None:
    office = world.principals["office"]
    zz = world.matrices["zz"]
    queue = access.OfficeQueue(session, zz)
    kept = {}
    for key, text, phone in (("nowhere", NO_PLACE, "13811110002"),
                             ("luoyang", LUOYANG, "13811110003")):  # fmt: skip
        outcome = service.receive(session, intake=_form(text, phone), actor=office, office=queue)
        assert outcome.kept_in_office, key
        kept[key] = outcome.request
        assert (outcome.request.matrix_id, outcome.request.organization_id) == (zz, None)
    _fallback(session, world)  # the centre is a body of the office's matrix

    done = reroute.reroute(session, actor=SYSTEM)
    assert (done.waiting, done.rerouted, done.kept_in_office) == (2, 1, 1)
    (routed,) = done.routed
    assert (routed.public_id, routed.waiting) == (kept["nowhere"].public_id, "office_queue")
    session.refresh(kept["nowhere"])
    assert (kept["nowhere"].organization_id, kept["nowhere"].matrix_id) == (
        world.orgs["hotline"], zz,
    )  # fmt: skip
    route = _routes(session, kept["nowhere"])[-1]
    assert route.reason == reroute.reason("office_queue", "no_place")
    assert route.data is not None and route.data["rerouted"] == {"waiting": "office_queue",
                                                                 "matrix_id": zz}  # fmt: skip
    # 洛阳's rule would take it out of the office's sight: it stays for the office.
    session.refresh(kept["luoyang"])
    assert (kept["luoyang"].organization_id, kept["luoyang"].matrix_id) == (None, zz)
    assert len(_routes(session, kept["luoyang"])) == 1


def test_a_request_dispatched_meanwhile_is_left_to_who_dispatched_it(
    session: Session, world: World
) -> None:
    nowhere = service.create_request(session, intake=_form(NO_PLACE), actor=SYSTEM)
    _fallback(session, world)
    rerouter = reroute._Rerouter(session, actor=SYSTEM, now=nowhere.received_at + timedelta(
        seconds=1), dry_run=False)  # fmt: skip
    (rows,) = list(reroute._batches(session))
    # The admin dispatches it by hand between the re-route's read and its write.
    service.perform(session, request=nowhere, action="assign", actor=world.principals["admin"],
                    data=ActionInput(organization_id=world.orgs["police"], reason="人工派单"))  # fmt: skip
    summary = reroute.RerouteSummary(dry_run=False)
    rerouter.route(rows[0], None, summary)
    assert (summary.changed, summary.rerouted) == (1, 0)
    session.refresh(nowhere)
    assert (nowhere.state, nowhere.organization_id) == ("assigned", world.orgs["police"])
    assert len(_routes(session, nowhere)) == 1


@pytest.mark.parametrize("user", ["office", "js_housing", "dispatcher"])
def test_only_the_admin_reroutes(session: Session, world: World, user: str) -> None:
    service.create_request(session, intake=_form(NO_PLACE), actor=SYSTEM)
    _fallback(session, world)
    with pytest.raises(ForbiddenError):
        reroute.reroute(session, actor=world.principals[user], dry_run=True)
