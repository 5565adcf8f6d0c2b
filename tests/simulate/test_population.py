"""The simulated population: organisations, accounts and matrices look like the real thing."""

from __future__ import annotations

from collections import Counter

from zhengwu.regions import divisions
from zhengwu.simulate.output import SimulatedOutput
from zhengwu.simulate.tables import ACCOUNT_COLUMNS, ORG_COLUMNS


def test_city_scale_has_about_500_accounts_over_three_platforms(city: SimulatedOutput) -> None:
    _, accounts = city.csv("accounts.csv")
    per_platform = Counter(row["platform"] for row in accounts)
    assert set(per_platform) == {"weibo", "wechat", "douyin"}
    assert 400 <= len(accounts) <= 650
    # WeChat ≈ 60 % and Douyin ≈ 40 % of what Weibo has.
    assert per_platform["weibo"] > per_platform["wechat"] > per_platform["douyin"]


def test_organisations_have_levels_sectors_real_adcodes_and_parents(city: SimulatedOutput) -> None:
    header, orgs = city.csv("orgs.csv")
    assert header == list(ORG_COLUMNS)
    table = divisions()
    assert all(row["adcode"] in table for row in orgs)
    assert {row["level"] for row in orgs} <= {"中央", "省", "市", "县", "乡"}
    assert {"市", "县", "乡"} <= {row["level"] for row in orgs}
    sectors = {row["sector"] for row in orgs}
    assert {"公安", "消防", "文旅", "法院", "检察", "发布", "气象"} <= sectors
    ids = {row["org_id"] for row in orgs}
    assert len(ids) == len(orgs)
    parents = [row["parent_id"] for row in orgs if row["parent_id"]]
    assert len(parents) >= len(orgs) * 0.9
    assert set(parents) <= ids
    # Seed 0 is 郑州 and its districts.
    assert all(row["adcode"].startswith("4101") for row in orgs)


def test_account_names_follow_government_conventions(city: SimulatedOutput) -> None:
    header, accounts = city.csv("accounts.csv")
    assert header == list(ACCOUNT_COLUMNS)
    weibo = {row["name"]: row for row in accounts if row["platform"] == "weibo"}
    for name in ("郑州发布", "平安郑州", "郑州交警", "郑州消防", "郑州文旅"):
        assert name in weibo, name
        assert weibo[name]["org_id"]
        assert weibo[name]["verified_type"] == "1"
    assert any(name.endswith("人民法院") for name in weibo)
    users = [row for row in city.jsonl("weibo/users.jsonl") if row["screen_name"] == "平安郑州"]
    assert users[0]["verified_reason"] == "郑州市公安局官方微博"
    assert users[0]["location"] == "河南 郑州"
    assert (users[0]["province"], users[0]["city"]) == ("41", "1")


def test_non_government_accounts_have_no_organisation(city: SimulatedOutput) -> None:
    _, accounts = city.csv("accounts.csv")
    outsiders = [row for row in accounts if not row["org_id"]]
    kinds = Counter(int(row["verified_type"]) for row in outsiders)
    # Media (3), companies (2), quasi-official institutions (7) and ordinary users (-1).
    assert {3, 2, 7, -1} <= set(kinds)
    assert all(int(row["verified_type"]) != 1 for row in outsiders)
    truth_outsiders = {a["uid"] for a in city.truth["platforms"]["weibo"]["non_government"]}
    assert truth_outsiders == {r["uid"] for r in outsiders if r["platform"] == "weibo"}


def test_matrices_have_a_lead_and_members_that_exist(city: SimulatedOutput) -> None:
    import orjson

    matrices = orjson.loads((city.root / "matrices.json").read_bytes())
    _, accounts = city.csv("accounts.csv")
    known = {(row["platform"], row["uid"]) for row in accounts}
    regional = [m for m in matrices if m["kind"] == "regional"]
    assert len(regional) == 1
    lead = regional[0]["lead"]
    names = {(row["platform"], row["uid"]): row["name"] for row in accounts}
    assert names[(lead["platform"], lead["uid"])] == "郑州发布"
    assert any(m["kind"] == "vertical" and m["sector"] == "公安" for m in matrices)
    memberships: Counter[tuple[str, str]] = Counter()
    for matrix in matrices:
        assert set(matrix) == {"id", "name", "kind", "adcode", "sector", "lead", "members"}
        roles = Counter(member["role"] for member in matrix["members"])
        assert roles["lead"] == 1
        assert roles["member"] >= 2
        for member in matrix["members"]:
            assert (member["platform"], member["uid"]) in known
            memberships[(member["platform"], member["uid"])] += 1
    # An account may sit in several matrices (regional and vertical).
    assert max(memberships.values()) >= 2


def test_a_county_city_sharing_its_prefecture_name_does_not_double_it() -> None:
    # 文山市 lies in 文山州: both are 文山, so the city's names are taken when the county's
    # come. They read 文山市发布, 健康文山市 …, as real accounts do, not 文山文山发布.
    from zhengwu.simulate.config import SimulationConfig
    from zhengwu.simulate.population import build_population
    from zhengwu.simulate.scope import build_scope

    config = SimulationConfig(scale="city", seed=1, region="532600")
    population = build_population(config, build_scope("city", 1, "532600"))
    names = {
        platform: {account.name: account for account in accounts if account.kind == "gov"}
        for platform, accounts in population.accounts.items()
    }
    weibo = names["weibo"]
    assert weibo["文山发布"].adcode == "532600"
    assert weibo["文山市发布"].adcode == "532601"
    assert "健康文山市" in weibo and "文山市市场监管" in weibo
    doubled = [
        name
        for by_name in names.values()
        for name in by_name
        if any(name.count(place) > 1 for place in ("文山", "云南"))
    ]
    assert doubled == []
