"""Every ``--org`` of the CLI takes an id, a code or an exact name, through one resolver."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.accounts.models import Organization
from zhengwu.accounts.service import resolve_organization
from zhengwu.auth.models import User
from zhengwu.cli.desk_requests import app as desk_app
from zhengwu.cli.library import app as library_app
from zhengwu.cli.users import app as users_app
from zhengwu.errors import InvalidInputError, NotFoundError
from zhengwu.library.models import ContentItem
from zhengwu.servicedesk.routing.models import RoutingRule

runner = CliRunner()


def _orgs(session: Session) -> dict[str, Organization]:
    orgs = {
        "housing": Organization(external_id="o12", name="金水区住房和城乡建设局", level="县",
                                sector="住建", adcode="410105"),
        "twin_a": Organization(external_id="t1", name="城区公安分局", level="县", sector="公安",
                               adcode="410105"),
        "twin_b": Organization(external_id="t2", name="城区公安分局", level="县", sector="公安",
                               adcode="410300"),
    }  # fmt: skip
    session.add_all(orgs.values())
    session.flush()
    # A code that is also another organisation's id: "42"-style refs can clash.
    clash = Organization(external_id=str(orgs["housing"].id), name="编号撞车的机构", level="县",
                         sector="发布", adcode="410105")  # fmt: skip
    session.add(clash)
    session.flush()
    orgs["clash"] = clash
    return orgs


def test_resolver_takes_id_code_and_name_and_names_the_candidates(session: Session) -> None:
    orgs = _orgs(session)
    housing = orgs["housing"]
    assert resolve_organization(session, "o12") is housing
    assert resolve_organization(session, " 金水区住房和城乡建设局 ") is housing
    assert resolve_organization(session, str(orgs["twin_a"].id)) is orgs["twin_a"]
    # An id that is another's code: refused with both, then told apart by prefix.
    with pytest.raises(InvalidInputError) as caught:
        resolve_organization(session, str(housing.id))
    assert f"#{housing.id} code:o12 金水区住房和城乡建设局" in caught.value.message_en
    assert "编号撞车的机构" in caught.value.message_zh and "#编号" in caught.value.message_zh
    assert resolve_organization(session, f"#{housing.id}") is housing
    assert resolve_organization(session, f"id:{housing.id}") is housing
    assert resolve_organization(session, f"code:{housing.id}") is orgs["clash"]
    with pytest.raises(InvalidInputError, match="names several organisations") as twins:
        resolve_organization(session, "城区公安分局")
    assert "code:t1" in twins.value.message_en and "code:t2" in twins.value.message_en
    assert resolve_organization(session, "code:t2") is orgs["twin_b"]
    with pytest.raises(NotFoundError) as missing:
        resolve_organization(session, "不存在的局")
    assert missing.value.message_zh.startswith("找不到机构：不存在的局")
    with pytest.raises(NotFoundError):
        resolve_organization(session, "name:o12")  # o12 is a code, not a name


def test_every_org_option_resolves_the_same_way(
    configured_database: str, committed_engine: Engine
) -> None:
    with Session(committed_engine) as session:
        orgs = _orgs(session)
        ids = {k: o.id for k, o in orgs.items()}
        session.commit()
    name = "金水区住房和城乡建设局"
    routed = runner.invoke(desk_app, ["routing", "add", "--org", name, "--adcode", "410105"])
    assert routed.exit_code == 0, routed.output
    made = runner.invoke(users_app, ["create", "wang", "--role", "handler", "--org", name,
                                     "--password", "long-enough-1", "--json"])  # fmt: skip
    assert made.exit_code == 0, made.output
    added = runner.invoke(library_app, ["add", "--title", "通知", "--org", "o12", "--json"])
    assert added.exit_code == 0, added.output
    with Session(committed_engine) as session:
        rule = session.scalars(select(RoutingRule)).one()
        user = session.scalars(select(User).where(User.username == "wang")).one()
        item = session.get(ContentItem, json.loads(added.stdout)["id"])
        assert rule.organization_id == user.organization_id == ids["housing"]
        assert item is not None and item.organization_id == ids["housing"]
    for app, args in (
        (desk_app, ["routing", "add", "--org", "城区公安分局"]),
        (users_app, ["create", "li", "--role", "handler", "--org", "城区公安分局",
                     "--password", "long-enough-1"]),
        (library_app, ["add", "--title", "x", "--org", "城区公安分局"]),
    ):  # fmt: skip
        refused = runner.invoke(app, args)
        assert refused.exit_code == 2, refused.output
        assert "对应多个机构" in refused.output and "code:t1" in refused.output
        unknown = runner.invoke(app, [a if a != "城区公安分局" else "无此局" for a in args])
        assert unknown.exit_code == 2 and "no organisation '无此局'" in unknown.output
