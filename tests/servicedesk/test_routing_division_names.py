"""A rule's division by name, read as the 派单表 import reads it: in ``desk routing add`` and
``fallback --adcode``, in ``POST /api/desk/routing/rules`` (SQLite and PostgreSQL). A name
of several divisions is refused with the candidates, or taken within the home region."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.config import get_settings
from zhengwu.servicedesk.routing import division
from zhengwu.servicedesk.routing.models import RoutingRule

from .conftest import World
from .test_routing_fallback_cli import HOTLINE, _json, _orgs, _run


@pytest.mark.parametrize(
    ("given", "code"),
    [("岳麓区", "430104"), ("长沙市岳麓区", "430104"), ("湖南省长沙市岳麓区", "430104"),
     ("430104", "430104"), (" 郑州市金水区 ", "410105"), ("", None)],
    ids=["name", "with-city", "with-province", "code", "spaces", "empty"],
)  # fmt: skip
def test_a_division_is_read_by_code_or_name(given: str, code: str | None) -> None:
    assert division.rule_division(given) == code


@pytest.mark.parametrize(
    ("given", "zh", "en"),
    [("朝阳区", "「朝阳区」对应多个区划（110105 北京市朝阳区、220104 吉林省长春市朝阳区），请填写区划代码或上级名称",
      "'朝阳区' names several divisions (110105 北京市朝阳区, 220104 吉林省长春市朝阳区): give the code "
      "or the name with its city"),
     ("不存在区", "未知的区划「不存在区」", "unknown division '不存在区'"),
     ("4101", "区划代码应为 6 位数字：4101", "a division code has 6 digits: 4101")],
    ids=["ambiguous", "unknown", "short-code"],
)  # fmt: skip
def test_a_name_of_several_or_no_division_is_refused(given: str, zh: str, en: str) -> None:
    with pytest.raises(division.DivisionNameError) as refused:
        division.rule_division(given)
    assert (refused.value.zh, refused.value.en) == (zh, en)


@pytest.fixture
def beijing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The deployment's home region is 北京市 (ZHENGWU_DESK_HOME_ADCODE)."""
    monkeypatch.setenv("ZHENGWU_DESK_HOME_ADCODE", "110000")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_an_ambiguous_name_is_taken_within_the_home_region(beijing: None) -> None:
    assert division.rule_division("朝阳区") == "110105"


def _adcodes(engine: Engine) -> list[str | None]:
    with Session(engine) as session:
        rules = session.scalars(select(RoutingRule).where(RoutingRule.valid_to.is_(None)))
        return sorted(r.adcode or "" for r in rules)  # type: ignore[misc]


def test_routing_add_and_fallback_take_a_division_name(
    configured_database: str, committed_engine: Engine
) -> None:
    orgs = _orgs(committed_engine)
    hotline = str(orgs[HOTLINE])
    added = _run("routing", "add", "--category", "05", "--adcode", "长沙市岳麓区", "--org", hotline)
    assert "长沙市岳麓区 → 430104 湖南省长沙市岳麓区" in added.stdout
    _run("routing", "add", "--category", "05", "--adcode", "金水区", "--org", hotline)
    fallback = _json("routing", "fallback", "--adcode", "郑州市二七区", "--org", hotline)
    assert [r["adcode"] for r in fallback["fallbacks"]] == ["410103"]
    assert _adcodes(committed_engine) == ["410103", "410105", "430104"]
    # A name of several divisions (北京、长春 both have a 朝阳区) is refused with them.
    several = _run("routing", "add", "--adcode", "朝阳区", "--org", hotline, code=2)
    assert "110105 北京市朝阳区" in several.output and "220104 吉林省长春市朝阳区" in several.output
    assert "names several divisions" in several.output and "Traceback" not in several.output
    unknown = _run("routing", "fallback", "--adcode", "不存在区", "--org", hotline, code=2)
    assert "未知的区划「不存在区」" in unknown.output
    assert "unknown division '不存在区'" in unknown.output
    assert _adcodes(committed_engine) == ["410103", "410105", "430104"]  # nothing more added


def test_the_api_takes_a_division_name(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    w = committed_world
    with httpx.Client(base_url=live_server, timeout=120) as client:

        def add(adcode: str) -> httpx.Response:
            rule = {"category_code": "02", "adcode": adcode, "organization_id": w.orgs["js_eco"]}
            return client.post("/api/desk/routing/rules", headers=w.headers("admin"), json=[rule])

        added = add("郑州市二七区")
        assert added.status_code == 201, added.text
        assert [r["adcode"] for r in added.json()] == ["410103"]
        several = add("朝阳区")
        assert several.status_code == 422, several.text
        body = several.json()
        assert "110105 北京市朝阳区、220104 吉林省长春市朝阳区" in body["message_zh"]
        assert "names several divisions (110105 北京市朝阳区" in body["message_en"]
        assert add("").status_code == 422  # not a rule anywhere by accident
    assert "410103" in _adcodes(committed_engine)
