"""The index JSON API over real HTTP, per route and role (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.test_console_world import ConsoleWorld, build_console_world, login

from zhengwu.accounts.models import Matrix, MatrixMember
from zhengwu.audit.models import AuditEntry
from zhengwu.auth import service as auth_service
from zhengwu.index.models import ComplianceFlag, PublishedRun

READERS = ("admin", "office", "operator")
OTHERS = ("handler", "dispatcher", "verifier", "team", None)  # None = the anonymous public
OpenAs = Callable[[str | None], tuple[httpx.Client, dict[str, str]]]
WCI_V2 = {"R": 10000, "n": 100, "Rmax": 300, "Z": 4000, "Zmax": 60}


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, committed, with posts and an index run of 2025-07."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine)


@pytest.fixture
def server(live_server: str, world: ConsoleWorld) -> str:
    """The running app's base URL, once the world is built."""
    return live_server


@pytest.fixture
def as_role(server: str) -> Iterator[OpenAs]:
    """Open a client logged in as a role (None = anonymous); yield (client, csrf) pairs."""
    clients: list[httpx.Client] = []

    def open_as(username: str | None) -> tuple[httpx.Client, dict[str, str]]:
        client = httpx.Client(base_url=server, timeout=60)
        clients.append(client)
        if username is None:
            return client, {}
        return client, {"X-CSRF-Token": login(client, username)}

    yield open_as
    for client in clients:
        client.close()


def _routes(world: ConsoleWorld) -> list[str]:
    account = world.accounts["police_weibo"]
    return [
        "/api/index/systems",
        "/api/index/systems/zhengwu-4d",
        "/api/index/periods",
        "/api/index/rankings",
        f"/api/index/accounts/{account}/explain?period=2025-07",
        "/api/index/compliance?period=2025-07",
    ]


def test_reading_routes_per_role(world: ConsoleWorld, as_role: OpenAs) -> None:
    open_as = as_role
    for username in READERS:
        client, _ = open_as(username)
        for path in _routes(world):
            r = client.get(path)
            assert r.status_code == 200, (username, path, r.text)
            assert r.json(), (username, path)
        ranking = client.get("/api/index/rankings").json()
        assert ranking["run_id"] == world.run_id
        assert ranking["published"] is False
    for other in OTHERS:
        client, _ = open_as(other)
        for path in _routes(world):
            r = client.get(path)
            assert r.status_code == 403, (other, path, r.text)
            body = r.json()
            assert body["error"] == "ForbiddenError"
            assert body["message_zh"] and body["message_en"]


def test_without_a_system_the_api_reads_the_default_system(
    as_role: OpenAs, world: ConsoleWorld
) -> None:
    # A preset run over the same period (newrank_nri: WeChat only) sorts before zhengwu-4d:
    # it was the API's default, so a Weibo ranking or explanation of 2025-07 was refused,
    # where the CLI, the console and the report read zhengwu-4d.
    admin, csrf = as_role("admin")
    preset = admin.post("/api/index/runs", json={"system": "newrank_nri", "period": "2025-07"},
                        headers=csrf)  # fmt: skip
    assert preset.status_code == 201, preset.text
    for query in ({}, {"period": "2025-07"}):
        ranking = admin.get("/api/index/rankings", params={**query, "platform": "weibo"})
        assert ranking.status_code == 200, ranking.text
        assert ranking.json()["run_id"] == world.run_id == "zhengwu-4d/2025-07"
        checked = admin.get("/api/index/compliance", params=query).json()
        assert checked["run_id"] == world.run_id
    account = world.accounts["police_weibo"]
    explained = admin.get(f"/api/index/accounts/{account}/explain", params={"period": "2025-07"})
    assert explained.status_code == 200, explained.text
    assert explained.json()["system"] == "zhengwu-4d"
    chosen = admin.get("/api/index/rankings", params={"system": "newrank_nri"}).json()
    assert chosen["run_id"] == "newrank_nri/2025-07"


def test_systems_periods_and_methodology(as_role: OpenAs, world: ConsoleWorld) -> None:
    client, _ = as_role("operator")
    names = {s["name"] for s in client.get("/api/index/systems").json()}
    assert {"zhengwu-4d", "qingbo_wci_v2", "newrank_nri"} <= names
    system = client.get("/api/index/systems/zhengwu-4d").json()
    assert system["methodology"].startswith("# ")
    assert "zhengwu-4d" in system["methodology"]
    assert abs(sum(d["weight"] for d in system["dimensions"]) - 1.0) < 1e-9
    missing = client.get("/api/index/systems/no-such-system")
    assert missing.status_code == 404
    assert "no-such-system" in missing.json()["message_zh"]
    periods = client.get("/api/index/periods").json()
    assert [p["run_id"] for p in periods] == [world.run_id]
    assert periods[0]["published"] is False
    computed = datetime.fromisoformat(periods[0]["created_at"])
    assert computed.utcoffset() == timedelta(0)  # an offset, like every API time


def test_rankings_groupings_movement_and_explain(as_role: OpenAs, world: ConsoleWorld) -> None:
    admin, admin_csrf = as_role("admin")
    # A June run gives July's ranking something to move against.
    june = admin.post("/api/index/runs", json={"period": "2025-06"}, headers=admin_csrf)
    assert june.status_code == 201, june.text
    assert june.json()["run_id"] == "zhengwu-4d/2025-06"
    client, _ = as_role("office")
    july = client.get(
        "/api/index/rankings", params={"period": "2025-07", "platform": "weibo", "excluded": "list"}
    )
    body = july.json()
    assert body["previous_run"] == "zhengwu-4d/2025-06"
    rows = body["groups"][0]["rows"]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r["movement"] is not None for r in rows)  # compared with June: a number or "new"
    names = {r["name"] for r in rows} | {e["name"] for e in body["excluded"]}
    assert {"平安郑州", "金水住建", "洛阳住建"} <= names
    by_sector = client.get(
        "/api/index/rankings",
        params={"period": "2025-07", "platform": "weibo", "by": "sector", "group": "公安"},
    ).json()
    assert [g["group_key"] for g in by_sector["groups"]] == ["公安"]
    assert {r["sector"] for g in by_sector["groups"] for r in g["rows"]} == {"公安"}
    # The best of the sector stands at 100 within it (组内百分位), the platform's percentile
    # is kept beside it.
    police = by_sector["groups"][0]["rows"]
    assert police[0]["group_percentile"] == 100.0
    assert all(r["group_percentile"] is not None and "percentile" in r for r in police)
    henan = client.get(
        "/api/index/rankings",
        params={"period": "2025-07", "platform": "weibo", "by": "region", "group": "410300"},
    ).json()
    assert henan["by"] == "city"
    assert [r["name"] for g in henan["groups"] for r in g["rows"]] == ["洛阳住建"]
    assert client.get("/api/index/rankings", params={"by": "region"}).status_code == 422
    top1 = client.get("/api/index/rankings", params={"platform": "weibo", "top": 1}).json()
    assert sum(len(g["rows"]) for g in top1["groups"]) == 1
    bad = client.get("/api/index/rankings", params={"by": "colour"})
    assert bad.status_code == 422
    assert "colour" in bad.json()["message_en"]
    typo = client.get("/api/index/rankings", params={"period": "2025-07", "platform": "tiktok"})
    assert typo.status_code == 422  # not 200 with no groups
    assert "ranks no platform 'tiktok'; choose one of " in typo.json()["message_en"]
    assert "weibo" in typo.json()["message_en"] and "tiktok" in typo.json()["message_zh"]
    account = world.accounts["police_weibo"]
    out = client.get(f"/api/index/accounts/{account}/explain", params={"period": "2025-07"}).json()
    assert out["uid"] == "1001"
    assert abs(out["contributions_total"] - out["score"]) < 1e-6
    assert client.get("/api/index/accounts/999999/explain").status_code == 404
    assert client.get("/api/index/rankings", params={"period": "2024-01"}).status_code == 404


def test_rankings_count_the_excluded_and_list_them_on_request(
    as_role: OpenAs, world: ConsoleWorld
) -> None:
    client, _ = as_role("operator")
    weibo = {"period": "2025-07", "platform": "weibo"}
    counted = client.get("/api/index/rankings", params=weibo)
    assert counted.status_code == 200
    body = counted.json()
    assert "excluded" not in body  # a national run has ~150 000: the count alone by default
    assert body["excluded_count"] == 1  # 郑州12345, silent since 10 July
    assert body["excluded_count"] == sum(g["excluded_count"] for g in body["groups"])
    listed = client.get("/api/index/rankings", params={**weibo, "excluded": "list"}).json()
    assert [e["name"] for e in listed["excluded"]] == ["郑州12345"]
    assert listed["excluded"][0]["compliance_reasons"] == ["no_post"]
    assert (listed["excluded_offset"], listed["excluded_limit"]) == (0, 1000)
    assert {k: v for k, v in listed.items() if not k.startswith("excluded")} == {
        k: v for k, v in body.items() if not k.startswith("excluded")
    }
    page = {**weibo, "excluded": "list", "excluded_limit": 1}
    first = client.get("/api/index/rankings", params={**page, "excluded_offset": 0}).json()
    after = client.get("/api/index/rankings", params={**page, "excluded_offset": 1}).json()
    assert first["excluded"] == listed["excluded"] and after["excluded"] == []
    assert after["excluded_count"] == 1  # the count is of all, whatever the page
    for bad in ({"excluded": "all"}, {"excluded_limit": 0}, {"excluded_offset": -1}):
        r = client.get("/api/index/rankings", params={**weibo, **bad})
        assert r.status_code == 422, bad


def test_compliance_report_of_a_run(as_role: OpenAs, world: ConsoleWorld) -> None:
    client, _ = as_role("office")
    report = client.get("/api/index/compliance", params={"period": "2025-07"}).json()
    assert report["check_date"] == "2025-07-31"
    assert report["run_id"] == world.run_id
    failing = {r["name"] for r in report["rows"] if r["status"] == "fail"}
    assert {"郑州12345", "中原文旅"} <= failing  # silent since 10 July / never posted
    assert "平安郑州" not in failing
    # Stored as 02:00 UTC: the API gives China time with its offset, as desk times carry Z.
    last = {r["name"]: r["last_post_at"] for r in report["rows"]}
    assert last["郑州12345"] == "2025-07-10T10:00:00+08:00"
    assert last["中原文旅"] is None
    only = client.get("/api/index/compliance", params={"failing_only": True}).json()
    assert {r["status"] for r in only["rows"]} == {"fail"}
    # Another check day, with the run's rules: two days after its last post, 郑州12345 passes.
    earlier = client.get(
        "/api/index/compliance", params={"period": "2025-07", "date": "2025-07-12"}
    ).json()
    assert earlier["check_date"] == "2025-07-12"
    assert earlier["window_days"] == report["window_days"]
    assert "郑州12345" not in {r["name"] for r in earlier["rows"] if r["status"] == "fail"}
    bad = client.get("/api/index/compliance", params={"period": "2025-07", "date": "2025-02-30"})
    assert bad.status_code == 422


def test_compliance_report_is_paged(as_role: OpenAs, world: ConsoleWorld) -> None:
    client, _ = as_role("office")
    full = client.get("/api/index/compliance", params={"period": "2025-07"}).json()
    assert (full["total"], full["limit"], full["offset"]) == (full["accounts"], 100, 0)
    assert len(full["rows"]) == full["accounts"] >= 3
    statuses = [r["status"] for r in full["rows"]]
    assert statuses == sorted(statuses)  # failing first ('fail' < 'pass')
    # Pages of one row rebuild the report; the summary always covers every account.
    pages = [
        client.get(
            "/api/index/compliance", params={"period": "2025-07", "limit": 1, "offset": o}
        ).json()
        for o in range(full["total"])
    ]
    assert [p["rows"][0] for p in pages] == full["rows"]
    assert {(p["total"], p["failing"], str(p["by_reason"])) for p in pages} == {
        (full["total"], full["failing"], str(full["by_reason"]))
    }
    failing = client.get(
        "/api/index/compliance", params={"period": "2025-07", "failing_only": True, "limit": 1}
    ).json()
    assert failing["total"] == full["failing"] >= 2
    assert failing["rows"] == full["rows"][:1] and failing["accounts"] == full["accounts"]
    past = client.get(
        "/api/index/compliance", params={"period": "2025-07", "offset": full["total"]}
    ).json()
    assert past["rows"] == [] and past["total"] == full["total"]
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        refused = client.get("/api/index/compliance", params={"period": "2025-07", **bad})
        assert refused.status_code == 422, bad
        assert refused.json()["message_zh"] and refused.json()["message_en"], bad


def _compliance_names(client: httpx.Client, **params: object) -> set[str]:
    """Return the account names of a whole compliance report (one page of every row)."""
    r = client.get("/api/index/compliance", params={"period": "2025-07", **params})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["total"] == report["accounts"] == len(report["rows"])
    return {row["name"] for row in report["rows"]}


ZZ_NAMES = {"平安郑州", "郑州警方", "金水住建", "郑州12345", "中原文旅"}
ZZ_POLICE_NAMES = {"平安郑州", "郑州警方"}


def test_compliance_report_is_limited_to_the_office_matrix(
    as_role: OpenAs, world: ConsoleWorld
) -> None:
    everyone = ZZ_NAMES | {"洛阳住建"}
    for username in ("admin", "operator"):  # every account, as before
        client, _ = as_role(username)
        assert _compliance_names(client) == everyone, username
    office, _ = as_role("office")
    assert _compliance_names(office) == ZZ_NAMES  # its matrix and the police matrix below
    office_ly, _ = as_role("office_ly")
    assert _compliance_names(office_ly) == {"洛阳住建"}
    # The summary counts the office's accounts only (郑州12345 and 中原文旅 fail).
    summary = office.get("/api/index/compliance", params={"limit": 1}).json()
    assert (summary["accounts"], summary["failing"]) == (5, 2)


def test_compliance_report_by_matrix(as_role: OpenAs, world: ConsoleWorld) -> None:
    police, zz, ly = (world.matrices[k] for k in ("zz_police", "zz", "ly"))
    office, _ = as_role("office")
    assert _compliance_names(office, matrix=police) == ZZ_POLICE_NAMES
    assert _compliance_names(office, matrix=zz) == ZZ_NAMES
    failing = office.get(
        "/api/index/compliance", params={"matrix": police, "failing_only": True}
    ).json()
    assert (failing["accounts"], failing["failing"], failing["rows"]) == (2, 0, [])
    for username in ("admin", "operator"):
        client, _ = as_role(username)
        assert _compliance_names(client, matrix=ly) == {"洛阳住建"}, username
        assert _compliance_names(client, matrix=zz) == ZZ_NAMES, username
    # Another city's matrix, or one above its own, is refused; an unknown one is not found.
    office_ly, _ = as_role("office_ly")
    for client, outside in ((office, ly), (office_ly, zz), (office_ly, police)):
        refused = client.get("/api/index/compliance", params={"matrix": outside})
        assert refused.status_code == 403, refused.text
        body = refused.json()
        assert "矩阵" in body["message_zh"] and str(outside) in body["message_en"], body
    unknown = max(world.matrices.values()) + 1000
    for username in ("office", "admin"):
        client, _ = as_role(username)
        missing = client.get("/api/index/compliance", params={"matrix": unknown})
        assert missing.status_code == 404, missing.text
        assert missing.json()["message_zh"] and missing.json()["message_en"]
    for other in ("handler", None):  # the role is refused before the matrix is looked up
        client, _ = as_role(other)
        assert client.get("/api/index/compliance", params={"matrix": zz}).status_code == 403


def _row_matrices(client: httpx.Client, **params: object) -> dict[str, list[dict[str, object]]]:
    """Return each account's ``matrices`` in a whole compliance report, by account name."""
    r = client.get("/api/index/compliance", params={"period": "2025-07", **params})
    assert r.status_code == 200, r.text
    return {row["name"]: row["matrices"] for row in r.json()["rows"]}


def test_compliance_rows_name_their_matrices(
    as_role: OpenAs, world: ConsoleWorld, committed_engine: Engine
) -> None:
    """Each row names the matrices its account sits in (所属矩阵, as the matrix page and its
    export do): those of the subtree asked for (``?matrix=``), the office's own subtree
    without it, every matrix for admin and operator — by name, each ``{"id", "name"}``."""
    with Session(committed_engine) as session:  # 洛阳住建 in 郑州公安's matrix too
        session.add(MatrixMember(matrix_id=world.matrices["zz_police"],
                                 account_id=world.accounts["ly_weibo"]))  # fmt: skip
        session.commit()
        names = {row[0]: row[1] for row in session.execute(select(Matrix.id, Matrix.name))}

    def named(*keys: str) -> list[dict[str, object]]:
        ids = sorted((world.matrices[k] for k in keys), key=lambda m: (names[m], m))
        return [{"id": m, "name": names[m]} for m in ids]

    both = named("ly", "zz_police")
    assert [m["name"] for m in both] == ["洛阳政务新媒体矩阵", "郑州公安新媒体矩阵"]  # by name
    admin, _ = as_role("admin")
    every = _row_matrices(admin)
    assert every["洛阳住建"] == both
    assert every["平安郑州"] == named("zz", "zz_police") and every["郑州12345"] == named("zz")
    assert _row_matrices(admin, matrix=world.matrices["ly"]) == {"洛阳住建": named("ly")}
    office, _ = as_role("office")
    for params in ({}, {"matrix": world.matrices["zz"]}):  # its own subtree either way
        rows = _row_matrices(office, **params)
        assert rows["洛阳住建"] == named("zz_police") and rows["郑州12345"] == named("zz")
    police = _row_matrices(office, matrix=world.matrices["zz_police"])
    assert set(police) == ZZ_POLICE_NAMES | {"洛阳住建"}
    assert all(found == named("zz_police") for found in police.values())


def test_runs_are_admin_only(as_role: OpenAs, world: ConsoleWorld) -> None:
    for username in ("office", "operator", "handler", "dispatcher", "verifier", "team", None):
        client, csrf = as_role(username)
        r = client.post("/api/index/runs", json={"period": "2025-06"}, headers=csrf)
        assert r.status_code == 403, (username, r.text)
    admin, csrf = as_role("admin")
    forged = admin.post("/api/index/runs", json={"period": "2025-06"})
    assert forged.status_code == 403  # cookie session without the CSRF token
    assert "CSRF" in forged.json()["message_en"]
    bad = admin.post("/api/index/runs", json={"period": "2025-13"}, headers=csrf)
    assert bad.status_code == 422
    assert "2025-13" in bad.json()["message_zh"]
    done = admin.post("/api/index/runs", json={"period": "2025-07"}, headers=csrf)
    assert done.status_code == 201
    assert done.json()["accounts"] == 6
    # Another configuration under the same run id: 409 unless asked to replace.
    other = {"period": "2025-07", "compliance_days": 7}
    clash = admin.post("/api/index/runs", json=other, headers=csrf)
    assert clash.status_code == 409, clash.text
    assert "compliance window 14 → 7 days" in clash.json()["message_en"]
    assert '"replace": true' in clash.json()["message_en"]
    replaced = admin.post("/api/index/runs", json={**other, "replace": True}, headers=csrf)
    assert replaced.status_code == 201, replaced.text
    assert any("replaces the earlier run" in n for n in replaced.json()["notes"])
    periods = {p["run_id"]: p for p in admin.get("/api/index/periods").json()}
    assert periods["zhengwu-4d/2025-07"]["compliance_window_days"] == 7
    assert periods["zhengwu-4d/2025-07"]["system_digest"]


def test_publish_and_withdraw(
    as_role: OpenAs, world: ConsoleWorld, committed_engine: Engine
) -> None:
    for username in ("operator", "handler", "dispatcher", "verifier", "team", None):
        client, csrf = as_role(username)
        r = client.post("/api/index/publications", json={"period": "2025-07"}, headers=csrf)
        assert r.status_code == 403, (username, r.text)
    office, csrf = as_role("office")
    missing = office.post("/api/index/publications", json={"period": "2025-06"}, headers=csrf)
    assert missing.status_code == 404  # no stored run of June: nothing to publish
    done = office.post("/api/index/publications", json={"period": "2025-07"}, headers=csrf)
    assert done.status_code == 201, done.text
    assert done.json()["published_by"] == "office"
    again = office.post("/api/index/publications", json={"period": "2025-07"}, headers=csrf)
    assert again.json()["published_at"] == done.json()["published_at"]  # idempotent
    periods = office.get("/api/index/periods").json()
    assert periods[0]["published"] is True
    assert office.get("/api/index/rankings").json()["published"] is True
    with Session(committed_engine) as session:
        assert session.scalars(select(PublishedRun.run_id)).all() == [world.run_id]
    operator, op_csrf = as_role("operator")
    assert (
        operator.delete("/api/index/publications/zhengwu-4d/2025-07", headers=op_csrf).status_code
        == 403
    )
    admin, admin_csrf = as_role("admin")
    gone = admin.delete("/api/index/publications/zhengwu-4d/2025-07", headers=admin_csrf)
    assert gone.status_code == 204
    again_gone = admin.delete("/api/index/publications/zhengwu-4d/2025-07", headers=admin_csrf)
    assert again_gone.status_code == 404
    assert admin.get("/api/index/periods").json()[0]["published"] is False


def test_manual_flags(as_role: OpenAs, world: ConsoleWorld, committed_engine: Engine) -> None:
    payload = {
        "account": "weibo:1001",
        "kind": "bought_followers",
        "reason": "粉丝在一周内增长 40 万",
    }
    for username in ("operator", "handler", "dispatcher", "verifier", "team", None):
        client, csrf = as_role(username)
        r = client.post("/api/index/compliance/flags", json=payload, headers=csrf)
        assert r.status_code == 403, (username, r.text)
    office, csrf = as_role("office")
    made = office.post("/api/index/compliance/flags", json=payload, headers=csrf)
    assert made.status_code == 201, made.text
    flag = made.json()
    assert (flag["kind"], flag["flagged_by"], flag["account_id"]) == (
        "bought_followers", "office", world.accounts["police_weibo"]
    )  # fmt: skip
    foreign = office.post(
        "/api/index/compliance/flags", headers=csrf,
        json={"account_id": world.accounts["ly_weibo"], "kind": "coerced_likes", "reason": "刷量"},
    )  # fmt: skip
    assert foreign.status_code == 403
    assert "不在您管理的矩阵" in foreign.json()["message_zh"]
    bad_kind = office.post(
        "/api/index/compliance/flags", json={**payload, "kind": "rude"}, headers=csrf
    )
    assert bad_kind.status_code == 422
    assert "rude" in bad_kind.json()["message_zh"]
    no_account = office.post(
        "/api/index/compliance/flags", json={"kind": "coerced_likes", "reason": "x"}, headers=csrf
    )
    assert no_account.status_code == 422
    assert "account" in no_account.json()["message_en"]
    unknown = office.post(
        "/api/index/compliance/flags", json={**payload, "account": "weibo:404"}, headers=csrf
    )
    assert unknown.status_code == 404
    admin, admin_csrf = as_role("admin")
    other = admin.post(
        "/api/index/compliance/flags", headers=admin_csrf,
        json={"account": "洛阳住建", "kind": "security_incident", "reason": "泄露内部文件"},
    )  # fmt: skip
    assert other.status_code == 201
    with Session(committed_engine) as session:
        flags = session.scalars(select(ComplianceFlag).order_by(ComplianceFlag.id)).all()
        assert [(f.account_id, f.kind) for f in flags] == [
            (world.accounts["police_weibo"], "bought_followers"),
            (world.accounts["ly_weibo"], "security_incident"),
        ]
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "index_compliance_flag")
        ).all()
        assert len(audit) == 2
        assert {a.reason for a in audit} == {"粉丝在一周内增长 40 万", "泄露内部文件"}


def test_formula_presets(as_role: OpenAs) -> None:
    client, _ = as_role("operator")
    ok = client.post("/api/index/formula/qingbo_wci_v2", json={"inputs": WCI_V2})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["preset"] == "qingbo_wci_v2"
    assert body["value"] > 0
    assert body["breakdown"]
    missing = client.post(
        "/api/index/formula/qingbo_wci_v2", json={"inputs": {k: v for k, v in WCI_V2.items()
                                                             if k != "Rmax"}},
    )  # fmt: skip
    assert missing.status_code == 422
    assert "Rmax" in missing.json()["message_zh"]
    assert "Rmax" in missing.json()["message_en"]
    wrong = client.post(
        "/api/index/formula/qingbo_wci_v2", json={"inputs": {**WCI_V2, "R": "很多"}}
    )
    assert wrong.status_code == 422
    assert "R" in wrong.json()["message_en"]
    unknown = client.post("/api/index/formula/nope", json={"inputs": WCI_V2})
    assert unknown.status_code == 404
    assert "qingbo_wci_v2" in unknown.json()["message_zh"]  # the error lists the known ones
    shapeless = client.post("/api/index/formula/qingbo_wci_v2", json={"values": WCI_V2})
    assert shapeless.status_code == 422
    for username in ("handler", "team", None):
        other, _ = as_role(username)
        assert (
            other.post("/api/index/formula/qingbo_wci_v2", json={"inputs": WCI_V2}).status_code
            == 403
        )


def test_openapi_documents_the_index(server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json", timeout=60).json()
    paths = spec["paths"]
    for path in ("/api/index/systems", "/api/index/rankings", "/api/index/runs",
                 "/api/index/compliance/flags", "/api/index/formula/{name}",
                 "/api/public/rankings"):  # fmt: skip
        assert path in paths, path
    assert paths["/api/index/rankings"]["get"]["tags"] == ["index 影响力指数"]
    rankings = paths["/api/index/rankings"]["get"]
    assert "excluded=list" in rankings["description"]
    params = {p["name"]: p for p in rankings["parameters"]}
    assert {"excluded", "excluded_offset", "excluded_limit"} <= set(params)
    assert "count" in params["excluded"]["description"]
