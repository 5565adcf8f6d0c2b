"""Bad input the API's schema let through, found by fuzzing the OpenAPI spec (schemathesis)
against a running demo: each is a bilingual 4xx over real HTTP, never a 500, and nothing of
it is written. On SQLite and on PostgreSQL, whose limits differ (PostgreSQL's INTEGER ids,
VARCHAR lengths and NUL-free texts; SQLite's 64-bit integers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import Principal
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpRequest, Incident, MatchKey, SetAside, Team
from zhengwu.rescue.schemas import IncidentCreate
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.models import Category
from zhengwu.servicedesk.models import ServiceRequest

from .test_console_world import ConsoleWorld, build_console_world

CJK = re.compile(r"[\u4e00-\u9fff]")
HUGE = 2**64  # beyond SQLite's 64-bit integers and PostgreSQL's INTEGER and BIGINT
DISPATCHER = Principal(role="dispatcher", user_id=None, username="d", display_name="调度员")
OUT_OF_RANGE = ("请求中的数字超出范围", "a number in the request is out of range")


@dataclass
class Setup:
    url: str
    admin: dict[str, str]
    incident_id: int


@pytest.fixture
def setup(live_server: str, committed_engine: Engine) -> Setup:
    with Session(committed_engine) as session:
        user = auth_service.create_user(
            session, username="fuzz_admin", password="password-123", role="admin"
        )
        token = auth_service.create_token(session, user, "test")
        incident = rescue_service.create_incident(
            session,
            data=IncidentCreate(
                name="许昌暴雨", regions=["411000"], keywords=["求助"],
                starts_at=datetime(2025, 7, 1, tzinfo=UTC),
            ),
            actor=DISPATCHER,
        )  # fmt: skip
        category_service.ensure_default_tree(session)  # as a deployment has it
        session.add(Category(code="fz01", name="物业管理", group="物业管理",
                             description="物业服务", keywords=["物业"]))  # fmt: skip
        session.commit()
        incident_id = incident.id
    return Setup(live_server, {"Authorization": f"Bearer {token}"}, incident_id)


def _bilingual(response: httpx.Response, status: int) -> tuple[str, str]:
    assert response.status_code == status, response.text
    body = response.json()
    zh, en = body["message_zh"], body["message_en"]
    assert CJK.search(zh), zh
    assert not CJK.search(en), en
    assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()
    return zh, en


# Each a request the fuzzer answered with a 500 (SQLite: OverflowError; PostgreSQL:
# "integer out of range" / "bigint out of range"): an id or offset in the path, the query
# or the body beyond what the database holds.
HUGE_NUMBERS: list[tuple[str, str, Any]] = [
    ("GET", f"/api/accounts/{HUGE}", None),
    ("GET", f"/api/accounts?offset={HUGE}", None),
    ("GET", f"/api/matrices?parent_id={HUGE}", None),
    ("GET", f"/api/public/requests?offset={HUGE}", None),
    ("GET", f"/api/index/accounts/{HUGE}/explain", None),
    ("GET", f"/api/library/items/{HUGE}", None),
    ("DELETE", f"/api/library/items/{HUGE}", None),
    ("GET", f"/api/rescue/incidents/{HUGE}/export.csv", None),
    ("GET", f"/api/rescue/requests/{HUGE}", None),
    ("POST", f"/api/rescue/requests/{HUGE}/claim", {}),
    ("POST", f"/api/rescue/requests/{HUGE}/assignments", {"team_id": 1}),
    ("POST", f"/api/matrices/{HUGE}/members", {"account_id": 1}),
    ("POST", "/api/index/compliance/flags",
     {"account_id": HUGE, "kind": "bought_followers", "reason": "测试"}),
    ("POST", "/api/desk/routing/rules", [{"organization_id": HUGE}]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body"), HUGE_NUMBERS, ids=[f"{m} {p}" for m, p, _ in HUGE_NUMBERS]
)
def test_a_number_beyond_the_database_is_a_bilingual_422(
    setup: Setup, method: str, path: str, body: Any
) -> None:
    with httpx.Client(base_url=setup.url, timeout=60) as client:
        r = client.request(method, path, json=body, headers=setup.admin)
        zh, en = _bilingual(r, 422)
        assert zh.startswith(OUT_OF_RANGE[0]) and "2147483647" in zh, zh
        assert en.startswith(OUT_OF_RANGE[1]), en
        # The public (no login) gets a clear 4xx too, never the server's error.
        anonymous = client.request(method, path, json=body)
        assert 400 <= anonymous.status_code < 500, anonymous.text
        _bilingual(anonymous, anonymous.status_code)


@pytest.fixture
def indexed(committed_engine: Engine) -> ConsoleWorld:
    """The console test city: its month of posts in the analytics store and an index run."""
    return build_console_world(committed_engine, with_index=True)


def test_an_organisation_beyond_the_column_is_refused_before_the_export_streams(
    setup: Setup,
) -> None:
    # Found by fuzzing on PostgreSQL: the streamed export hit "integer out of range" after
    # its 200 had started (a download cut short); SQLite answered an empty file.
    with httpx.Client(base_url=setup.url, timeout=60) as client:
        for path in ("/api/desk/requests/export", "/api/desk/requests"):
            r = client.get(path, params={"organization_id": -341874425716800},
                           headers=setup.admin)  # fmt: skip
            zh, en = _bilingual(r, 422)
            assert "organization_id：不能小于 1" in zh and "organization_id: " in en, zh
            big = client.get(path, params={"organization_id": 2**31}, headers=setup.admin)
            assert "organization_id：不能大于 2147483647" in _bilingual(big, 422)[0]
        fine = client.get("/api/desk/requests/export", params={"organization_id": 7},
                          headers=setup.admin)  # fmt: skip
        assert fine.status_code == 200, fine.text
        [header] = fine.text.splitlines()  # the header, and no request of organisation 7
        assert "诉求内容" in header


def test_dates_in_and_out_of_the_analytics_store(
    setup: Setup, indexed: ConsoleWorld, committed_engine: Engine
) -> None:
    with httpx.Client(base_url=setup.url, timeout=60) as client:
        # The compliance window ends on the date and starts days before it: before year 1.
        r = client.get("/api/index/compliance", params={"date": "0001-01-02"}, headers=setup.admin)
        zh, en = _bilingual(r, 422)
        assert zh == "请求中的日期超出可计算的范围（太早或太晚）", zh
        assert en.startswith("a date in the request is too far in the past"), en
        assert client.get("/api/index/compliance", headers=setup.admin).status_code == 200
        # A page offset beyond what DuckDB casts (found by fuzzing: a 500 from DuckDB's
        # ConversionException): refused by the schema, naming the parameter.
        for path, name in (("/api/index/compliance", "offset"),
                           ("/api/index/rankings", "excluded_offset")):  # fmt: skip
            huge = client.get(path, params={name: 2**64 - 1, "excluded": "list"},
                              headers=setup.admin)  # fmt: skip
            zh, en = _bilingual(huge, 422)
            assert f"{name}：不能大于 2147483647" in zh and f"{name}: " in en, zh
        # The window the posts were searched in is a time with its offset (the store keeps
        # naive UTC), as the schema's date-time says: China time.
        found = client.get("/api/search", params={"q": "暴雨", "days": 17}, headers=setup.admin)
        assert found.status_code == 200, found.text
        window = found.json()["post_window"]
        assert window["days"] == 17
        for end in ("start", "end"):
            assert window[end].endswith("+08:00"), window


def test_null_on_a_category_field_that_must_have_a_value_is_refused(
    setup: Setup, committed_engine: Engine
) -> None:
    with httpx.Client(base_url=setup.url, timeout=60) as client:
        for field in ("name", "description", "keywords", "sectors", "sort_order", "active"):
            r = client.patch("/api/desk/categories/fz01", json={field: None}, headers=setup.admin)
            zh, en = _bilingual(r, 422)
            assert f"{field}：不能为 null" in zh, zh
            assert f"{field}: must not be null" in en, en
        # null still means what it says where it can: no parent (top level), no attributes.
        ok = client.patch(
            "/api/desk/categories/fz01",
            json={"parent_code": None, "attributes": None, "description": "物业费"},
            headers=setup.admin,
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["keywords"] == ["物业"] and ok.json()["description"] == "物业费"
        assert client.get("/api/desk/categories/fz01").status_code == 200
    with Session(committed_engine) as session:
        category = session.scalars(select(Category).where(Category.code == "fz01")).one()
        assert (category.name, category.keywords, category.version) == ("物业管理", ["物业"], 2)


def test_null_on_an_incident_field_that_must_have_a_value_is_refused(
    setup: Setup, committed_engine: Engine
) -> None:
    path = f"/api/rescue/incidents/{setup.incident_id}"
    with httpx.Client(base_url=setup.url, timeout=60) as client:
        for field in ("name", "type", "status", "keywords", "hashtags", "starts_at"):
            r = client.patch(path, json={field: None}, headers=setup.admin)
            zh, en = _bilingual(r, 422)
            assert f"{field}：不能为 null" in zh, zh
            assert f"{field}: must not be null" in en, en
        # The incident reads as before, for staff and for the public.
        for headers in (setup.admin, {}):
            shown = client.get(path, headers=headers)
            assert shown.status_code == 200, shown.text
            assert shown.json()["keywords"] == ["求助"] and shown.json()["type"] == "flood"
        # A field that may be empty still clears with null.
        cleared = client.patch(path, json={"hotline": None, "regions": None}, headers=setup.admin)
        assert cleared.status_code == 200 and cleared.json()["regions"] == [], cleared.text
    with Session(committed_engine) as session:
        incident = session.get(Incident, setup.incident_id)
        assert incident is not None and incident.keywords == ["求助"]


def test_renaming_an_incident_to_a_name_taken_is_a_409(
    setup: Setup, committed_engine: Engine
) -> None:
    with httpx.Client(base_url=setup.url, timeout=60) as client:
        other = client.post(
            "/api/rescue/incidents",
            json={"name": "郑州暴雨", "starts_at": "2025-07-01T00:00:00+08:00"},
            headers=setup.admin,
        )
        assert other.status_code == 201, other.text
        r = client.patch(
            f"/api/rescue/incidents/{setup.incident_id}", json={"name": "郑州暴雨"},
            headers=setup.admin,
        )  # fmt: skip
        assert r.status_code == 409, r.text  # the English half names it as it is written
        assert (r.json()["message_zh"], r.json()["message_en"]) == (
            "灾情名称已存在：郑州暴雨",
            "incident exists: 郑州暴雨",
        )
        # Its own name again is no change of name, and no conflict.
        same = client.patch(
            f"/api/rescue/incidents/{setup.incident_id}", json={"name": "许昌暴雨"},
            headers=setup.admin,
        )  # fmt: skip
        assert same.status_code == 200, same.text
    with Session(committed_engine) as session:
        names = sorted(session.scalars(select(Incident.name)))
        assert names == ["许昌暴雨", "郑州暴雨"]


def test_a_social_post_id_longer_than_a_request_keeps_is_refused(
    setup: Setup, committed_engine: Engine
) -> None:
    body = {"source": "weibo", "source_ref": "0" * 159, "text": "小区路灯坏了"}
    with httpx.Client(base_url=setup.url, timeout=60) as client:
        zh, en = _bilingual(client.post("/api/desk/requests", json=body, headers=setup.admin), 422)
        assert "source_ref：weibo 帖子编号最多 64 个字符（收到 159 个）" in zh, zh
        assert "source_ref: a weibo post id has at most 64 characters (got 159)" in en, en
        fits = client.post(
            "/api/desk/requests", json={**body, "source_ref": "weibo:" + "1" * 64},
            headers=setup.admin,
        )  # fmt: skip
        assert fits.status_code == 201, fits.text
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(ServiceRequest)) == 1


def test_a_help_request_with_a_long_address_is_kept_and_its_copy_joins_it(
    setup: Setup, committed_engine: Engine
) -> None:
    # The address's match key ("a:411002|…") was longer than its column: PostgreSQL refused
    # the whole submission (500), and the plea for help was lost.
    address = "许昌市魏都区" + "建安大道" * 10 + "幸福小区" + "3" * 180
    plea = {"text": "一楼进水，老人出不去，请救援", "address": address, "people": 2,
            "phone": "13700007777"}  # fmt: skip
    path = f"/api/rescue/incidents/{setup.incident_id}/help"
    with httpx.Client(base_url=setup.url, timeout=60) as client:
        first = client.post(path, json=plea, headers=setup.admin)
        assert first.status_code == 201, first.text
        again = client.post(path, json={**plea, "phone": None}, headers=setup.admin)
        assert again.status_code == 201, again.text
        assert again.json()["id"] == first.json()["id"]  # the same address: the same request
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(HelpRequest)) == 1
        keys = list(session.scalars(select(MatchKey.key).where(MatchKey.rule == "address")))
        assert keys and all(len(k) <= 96 for k in keys), keys
        assert session.scalar(select(HelpRequest.address)) == address


NUL_ZH, NUL_EN = (
    "文本中不能含有空字符（NUL，\\u0000）",
    "text must not contain NUL characters (\\u0000)",
)
HTML = {"Accept": "text/html,application/xhtml+xml"}


def _rows(engine: Engine, *models: type) -> list[int]:
    with Session(engine) as session:
        return [session.scalar(select(func.count()).select_from(m)) or 0 for m in models]


def test_a_nul_character_is_refused_on_both_databases_naming_the_field(
    setup: Setup, committed_engine: Engine
) -> None:
    # SQLite kept the NUL and PostgreSQL refused the request: now both refuse it before
    # anything is written, wherever it comes — a JSON body, a query string, a path.
    posts = [{"post_id": "9001", "text": "求助\u0000被困在家中，电话13700007777"}]
    with httpx.Client(base_url=setup.url, timeout=60) as client:
        cases = [
            (client.post(f"/api/rescue/incidents/{setup.incident_id}/posts", json=posts,
                         headers=setup.admin), "0.text"),
            (client.post("/api/desk/requests", json={"text": "路灯\u0000坏了"},
                         headers=setup.admin), "text"),
            (client.get("/api/search", params={"q": "暴雨\u0000"}, headers=setup.admin), "q"),
            (client.get("/api/public/requests/SR%00X"), "public_id"),
        ]  # fmt: skip
        for response, field in cases:
            zh, en = _bilingual(response, 422)
            assert (zh, en) == (f"{field}：{NUL_ZH}", f"{field}: {NUL_EN}"), response.request.url
            assert response.json()["error"] == "NulTextError"
        # The same texts without the NUL go through.
        fine = client.post(f"/api/rescue/incidents/{setup.incident_id}/posts",
                           json=[{**posts[0], "text": "求助被困在家中"}], headers=setup.admin)  # fmt: skip
        assert fine.status_code == 200, fine.text
    assert _rows(committed_engine, HelpRequest, SetAside, ServiceRequest) == [1, 0, 0]


def test_a_nul_in_a_form_field_is_refused_with_the_pages_own_look(
    setup: Setup, committed_engine: Engine
) -> None:
    with httpx.Client(base_url=setup.url, timeout=60) as client:
        # The public request form, urlencoded (a citizen's browser) and multipart: the
        # public error page, naming the field.
        form = {"text": "小区路灯坏了\u0000", "address": "金水区"}
        for kwargs in ({"data": form}, {"files": {k: (None, v) for k, v in form.items()}}):
            page = client.post("/board/requests", headers=HTML, **kwargs)  # type: ignore[arg-type]
            assert page.status_code == 422, page.text
            assert 'id="public-error"' in page.text
            assert f"text：{NUL_ZH}" in page.text and f"text: {NUL_EN}" in page.text
        # The same form sent by a script (JSON answer), raw bytes in the body.
        raw = client.post(
            "/api/requests", content="text=路灯坏了%00&address=金水区".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert _bilingual(raw, 422) == (f"text：{NUL_ZH}", f"text: {NUL_EN}")
        # A console form: the console's error page.
        console = client.post(
            "/console/rescue/teams", data={"name": "蓝天\u0000救援队", "kind": "ngo_rescue"},
            headers={**setup.admin, **HTML}, follow_redirects=False,
        )  # fmt: skip
        assert console.status_code == 422, console.text
        assert 'id="public-error"' not in console.text
        assert f"name：{NUL_ZH}" in console.text
        # Open311 answers in its own error format (400, the spec's errors document).
        o311 = client.post(
            "/open311/v2/requests.json",
            data={"service_code": "0103", "description": "井盖丢了\u0000", "lat": "34.8",
                  "long": "113.66"},
        )  # fmt: skip
        assert o311.status_code == 400, o311.text
        assert o311.json() == [
            {"code": 400, "description": f"description：{NUL_ZH} / description: {NUL_EN}"}
        ]
    assert _rows(committed_engine, ServiceRequest, Team) == [0, 0]
