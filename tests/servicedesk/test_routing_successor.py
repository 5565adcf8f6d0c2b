"""A rule given under a renamed or merged division's old code (江干区 330104, merged into
上城区 330102 in 2021) is stored under its successor — by ``routing add``, ``routing
fallback``, the API and the console alike — so that it routes the requests of that place
(placed under current codes), and the command line says so in both languages."""

from __future__ import annotations

import orjson
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.servicedesk import service
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRule, RoutingRuleCreate
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World
from .test_routing_fallback_cli import HOTLINE, _orgs, _run

SHANGCHENG = "杭州市上城区某小区物业乱收费，电梯停运两周"  # 0101, placed in 上城区 330102


def test_a_rule_of_an_old_code_is_stored_under_its_successor_and_routes(
    session: Session, world: World
) -> None:
    (rule,) = routing_service.add_rules(session, actor=SYSTEM, rules=[
        RoutingRuleCreate(adcode="330104", category_code="01", organization_id=world.orgs["police"]),
    ])  # fmt: skip
    assert rule.adcode == "330102"
    req = service.create_request(
        session, intake=RequestIntake(source="form", text=SHANGCHENG), actor=SYSTEM
    )
    assert req.adcode is not None and req.adcode.startswith("330102")
    assert (req.organization_id, req.routing_rule_id) == (world.orgs["police"], rule.id)


def test_a_new_rule_replaces_one_in_force_under_the_old_code(
    session: Session, world: World
) -> None:
    (legacy,) = routing_service.add_rules(session, actor=SYSTEM, rules=[
        RoutingRuleCreate(adcode="330102", category_code="01", organization_id=world.orgs["police"]),
    ])  # fmt: skip
    legacy.adcode = "330104"  # as `routing add` stored an old code before it moved them
    session.flush()
    (new,) = routing_service.add_rules(session, actor=SYSTEM, rules=[
        RoutingRuleCreate(adcode="330102", category_code="01", organization_id=world.orgs["hotline"]),
    ])  # fmt: skip
    session.refresh(legacy)
    assert legacy.retired_version == new.table_version
    in_force = session.scalars(
        select(RoutingRule).where(RoutingRule.valid_to.is_(None), RoutingRule.category_code == "01",
                                  RoutingRule.adcode.in_(("330102", "330104")))
    ).all()  # fmt: skip
    assert [(r.id, r.organization_id) for r in in_force] == [(new.id, world.orgs["hotline"])]


def test_the_note_names_both_divisions_in_both_languages() -> None:
    said = routing_service.successor_note("330104", "330102")
    assert said is not None
    assert "区划代码 330104（江干区，2021 年区划调整）已由 330102（上城区）承继" in said
    assert "division code 330104 (江干区, changed in 2021) was replaced by 330102 (上城区)" in said
    assert routing_service.successor_note("330102", "330102") is None
    assert routing_service.successor_note(None, None) is None


def test_routing_add_and_fallback_say_they_moved_the_code(
    configured_database: str, committed_engine: Engine
) -> None:
    _orgs(committed_engine)
    added = _run("routing", "add", "--category", "01", "--adcode", "330104", "--org", HOTLINE)
    assert "已添加规则" in added.stdout
    assert "区划代码 330104（江干区，2021 年区划调整）已由 330102（上城区）承继" in added.stdout
    assert "the rule is stored under 330102" in added.stdout
    # --json stays one JSON document: the note goes to stderr.
    named = _run("routing", "fallback", "--adcode", "330104", "--org", HOTLINE, "--json")
    shown = orjson.loads(named.stdout)
    assert {(r["adcode"], r["category_code"]) for r in shown["fallbacks"]} == {("330102", None)}
    assert "已由 330102（上城区）承继" in named.stderr and shown["version"] >= 2
    plain = _run("routing", "add", "--category", "02", "--adcode", "330102", "--org", HOTLINE)
    assert "承继" not in plain.output
