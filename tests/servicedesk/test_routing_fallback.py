"""Fallback rules (兜底): the 12345 centre owns what no specific rule routes, the route entry
says so and why, ``routing derive`` proposes the centre, and the rates count it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Matrix, Organization
from zhengwu.audit import service as audit_service
from zhengwu.audit.models import AuditEntry
from zhengwu.config import get_settings
from zhengwu.servicedesk import rates, service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.routing import fallback
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRuleCreate
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

NO_PLACE = "公司一直没给我们交社保，离职时才发现断缴了8年"  # 0502, names no place


@dataclass(frozen=True)
class Shape:
    adcode: str | None
    category_code: str | None


@pytest.mark.parametrize(
    ("rule", "adcode", "category", "expected"),
    [
        (Shape("410105", "01"), "410105", "0101", None),
        (Shape(None, None), None, "0502", "no_place"),
        (Shape(None, "05"), None, "0502", "no_place"),
        (Shape(None, None), "410102", "0701", "no_rule_for_place"),
        (Shape(None, "07"), "410102", "0701", "no_rule_for_place"),
        (Shape("410100", None), "410102", None, "no_category"),
        (Shape("410100", None), "410102", "0701", "no_rule_for_category"),
    ],
    ids=["specific", "anywhere-no-place", "per-category-no-place", "anywhere-placed",
         "per-category-placed", "city-unclassified", "city-no-category-rule"],
)  # fmt: skip
def test_why_a_fallback_routed(
    rule: Shape, adcode: str | None, category: str | None, expected: str | None
) -> None:
    assert fallback.why(rule, adcode=adcode, category_code=category) == expected
    assert fallback.is_fallback(rule) is (expected is not None)
    if expected is not None:
        zh, en = fallback.WHY[expected]
        said = fallback.reason(expected)
        assert zh in said and en in said and said.startswith("兜底派单")


def test_no_rule_at_all_means_no_why() -> None:
    assert fallback.why(None, adcode=None, category_code="0502") is None


def _route_entry(session: Session, request: ServiceRequest) -> AuditEntry:
    history = audit_service.history(session, entity_type="request", entity_id=request.id)
    return next(e for e in history if e.action == "route")


def _form(text: str) -> RequestIntake:
    return RequestIntake(source="form", text=text)


def _add(session: Session, *rules: RoutingRuleCreate) -> None:
    routing_service.add_rules(session, rules=list(rules), actor=SYSTEM, note="test fallback")


def test_without_a_fallback_a_request_with_no_place_waits_unassigned(
    session: Session, world: World
) -> None:
    req = service.create_request(session, intake=_form(NO_PLACE), actor=SYSTEM)
    assert (req.category_code, req.adcode) == ("0502", None)
    assert req.organization_id is None and req.matrix_id is None
    entry = _route_entry(session, req)
    assert entry.reason == service.NO_RULE
    assert entry.data is not None and "fallback" not in entry.data


def test_the_city_wide_fallback_takes_a_request_with_no_place(
    session: Session, world: World
) -> None:
    _add(session, RoutingRuleCreate(organization_id=world.orgs["hotline"]))
    req = service.create_request(session, intake=_form(NO_PLACE), actor=SYSTEM)
    assert req.organization_id == world.orgs["hotline"]
    assert req.routing_rule_id is not None
    assert req.matrix_id == world.matrices["zz"]  # the centre's matrix watches it
    # Deadlines run from receipt, as for any request.
    assert req.received_at < req.response_due < req.resolve_due
    entry = _route_entry(session, req)
    assert entry.reason == fallback.reason("no_place")
    assert entry.data is not None
    assert entry.data["fallback"] == "no_place"
    assert entry.data["organization_id"] == world.orgs["hotline"]
    assert entry.data["routing_rule_id"] == req.routing_rule_id

    # A request a specific rule routes never reaches the fallback, and says nothing of it.
    routed = service.create_request(
        session, intake=_form("郑州市金水区文化路小区物业乱收费"), actor=SYSTEM
    )
    assert routed.organization_id == world.orgs["js_housing"]
    specific = _route_entry(session, routed)
    assert specific.reason is None
    assert specific.data is not None and "fallback" not in specific.data


def test_a_place_without_a_rule_for_its_category_falls_back_and_says_which(
    session: Session, world: World
) -> None:
    text = "郑州市中原区某医院挂号难，服务态度差"  # 0701 in 中原区: no rule of 07 anywhere
    _add(session, RoutingRuleCreate(organization_id=world.orgs["hotline"]))
    anywhere = service.create_request(session, intake=_form(text), actor=SYSTEM)
    assert anywhere.organization_id == world.orgs["hotline"]
    assert _route_entry(session, anywhere).data["fallback"] == "no_rule_for_place"  # type: ignore[index]

    # The city's own fallback comes before the one for anywhere (division first).
    _add(session, RoutingRuleCreate(adcode="410100", organization_id=world.orgs["police"]))
    city = service.create_request(session, intake=_form(text + "，再次反映"), actor=SYSTEM)
    assert city.organization_id == world.orgs["police"]
    assert _route_entry(session, city).data["fallback"] == "no_rule_for_category"  # type: ignore[index]


def test_a_per_category_fallback_beats_the_city_wide_one(session: Session, world: World) -> None:
    _add(
        session,
        RoutingRuleCreate(organization_id=world.orgs["hotline"]),
        RoutingRuleCreate(category_code="05", organization_id=world.orgs["city_housing"]),
    )
    req = service.create_request(session, intake=_form(NO_PLACE), actor=SYSTEM)
    assert req.organization_id == world.orgs["city_housing"]
    assert _route_entry(session, req).data["fallback"] == "no_place"  # type: ignore[index]
    other = service.create_request(session, intake=_form("路灯不亮已经一周了"), actor=SYSTEM)
    assert other.organization_id == world.orgs["hotline"]


def test_the_rates_count_the_request_for_the_fallback_body(session: Session, world: World) -> None:
    _add(session, RoutingRuleCreate(organization_id=world.orgs["hotline"]))
    req = service.create_request(session, intake=_form(NO_PLACE), actor=SYSTEM)
    day = req.received_at.date()
    by_org = rates.compute(
        session, start=day - timedelta(days=1), end=day + timedelta(days=2), by="organization"
    )
    row = next(r for r in by_org if r.key == str(world.orgs["hotline"]))
    assert (row.n, row.responded, row.resolved) == (1, 0, 0)
    assert row.response_rate == 0.0  # counted against the centre, not left out
    assert all(r.key != "-" for r in by_org)  # nothing 未派单
    matrix = session.get(Matrix, world.matrices["zz"])
    assert matrix is not None
    inside = rates.matrix_row(session, matrix, start=day - timedelta(days=1),
                              end=day + timedelta(days=2))  # fmt: skip
    assert inside is not None and inside.n == 1


def _derive(session: Session) -> routing_service.Derivation:
    return routing_service.derive_rules(session, actor=SYSTEM)


def test_derive_proposes_the_city_centre_as_fallback(session: Session, world: World) -> None:
    hotline = world.orgs["hotline"]
    derivation = _derive(session)
    proposed = {(r.adcode, r.category_code): r.organization_id for r in derivation.fallbacks}
    # The only city with a centre: its own fallback, and the one for no place.
    assert proposed == {("410100", None): hotline, (None, None): hotline}
    assert set(derivation.fallbacks) <= set(derivation.rules)
    assert all("兜底" in r.note for r in derivation.fallbacks)
    assert derivation.notes == []
    assert _derive(session).rules == []  # the keys are taken: a second run adds nothing
    req = service.create_request(session, intake=_form(NO_PLACE), actor=SYSTEM)
    assert req.organization_id == hotline


def test_derive_prefers_the_12345_hotline_among_a_citys_bodies(session: Session) -> None:
    office = Organization(name="许昌市政务服务和大数据管理局", level="市", sector="政务服务",
                          adcode="411000")  # fmt: skip
    hotline = Organization(name="许昌市12345政务服务便民热线", level="市", sector="政务服务",
                           adcode="411000")  # fmt: skip
    session.add_all([office, hotline])
    session.flush()
    assert fallback.city_centres([office, hotline]) == {"411000": hotline}
    assert fallback.city_centres([office]) == {"411000": office}


def test_derive_sets_no_fallback_for_no_place_when_several_cities_have_a_centre(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ly = Organization(name="洛阳市12345政务服务便民热线", level="市", sector="政务服务",
                      adcode="410300")  # fmt: skip
    session.add(ly)
    session.flush()
    derivation = _derive(session)
    proposed = {(r.adcode, r.category_code): r.organization_id for r in derivation.fallbacks}
    assert proposed == {("410100", None): world.orgs["hotline"], ("410300", None): ly.id}
    (note,) = derivation.notes
    assert "洛阳市12345政务服务便民热线" in note and "several cities" in note
    assert "ZHENGWU_DESK_HOME_ADCODE" in note

    # With a home region the home city's centre takes the requests with no place.
    monkeypatch.setenv("ZHENGWU_DESK_HOME_ADCODE", "410300")
    get_settings.cache_clear()
    try:
        again = _derive(session)
    finally:
        monkeypatch.delenv("ZHENGWU_DESK_HOME_ADCODE")
        get_settings.cache_clear()
    assert [(r.adcode, r.category_code, r.organization_id) for r in again.fallbacks] == [
        (None, None, ly.id)
    ]


def test_derive_without_a_centre_says_requests_will_wait(session: Session) -> None:
    category_service.ensure_default_tree(session)
    session.add(Organization(name="郑州市住房和城乡建设局", level="市", sector="住建",
                             adcode="410100"))  # fmt: skip
    session.flush()
    derivation = _derive(session)
    assert derivation.rules and derivation.fallbacks == []
    (note,) = derivation.notes
    assert "没有兜底承办单位" in note and "no fallback body" in note
    assert "zhengwu desk routing fallback" in note
