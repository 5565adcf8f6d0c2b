"""The library's JSON API over real HTTP (the app in uvicorn on a migrated engine), by role."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage

from .world import PDF, PNG, World, build_world


@pytest.fixture
def api(
    committed_engine: Engine, live_server: str
) -> Iterator[tuple[httpx.Client, World, dict[str, str]]]:
    """A client of the app, the committed world and a bearer header per user."""
    with Session(committed_engine) as session:
        world = build_world(session)
        tokens = {
            name: auth_service.create_token(session, session.get(User, p.user_id), "t")  # type: ignore[arg-type]
            for name, p in world.principals.items()
        }
        session.commit()
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client, world, {n: f"Bearer {t}" for n, t in tokens.items()}


def _create(client: httpx.Client, auth: str, **fields: object) -> dict[str, object]:
    data = {"title": "暴雨红色预警", "body": "郑州市气象台发布暴雨红色预警", **fields}
    response = client.post("/api/library/items", data=data, headers={"Authorization": auth},
                           files=[("files", ("预警.png", PNG, "image/png"))])  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_crud_download_and_ranking(api: tuple[httpx.Client, World, dict[str, str]]) -> None:
    client, world, auth = api
    op = {"Authorization": auth["op_police"]}
    item = _create(client, auth["op_police"], matrix_id=world.matrices["zz"], tags="防汛,预警")
    other = _create(client, auth["op_police"], title="无标识的旧稿", matrix_id=world.matrices["zz"])
    assert item["organization_id"] == world.orgs["police"] and sorted(item["tags"]) == [
        "防汛",
        "预警",
    ]  # type: ignore[arg-type]
    patched = client.patch(f"/api/library/items/{item['id']}", headers=op,
                           json={"labels": ["权威"], "expected_version": 1})  # fmt: skip
    assert patched.status_code == 200 and patched.json()["version"] == 2
    assert client.patch(f"/api/library/items/{item['id']}", headers=op,
                        json={"labels": ["重要"]}).status_code == 422  # fmt: skip
    stale = client.patch(f"/api/library/items/{item['id']}", headers=op,
                         json={"title": "x", "expected_version": 1})  # fmt: skip
    assert stale.status_code == 409 and stale.json()["message_en"]
    listing = client.get("/api/library/items", headers=op).json()
    assert [i["id"] for i in listing["items"]][:2] == [item["id"], other["id"]]
    found = client.get("/api/library/items", headers=op, params={"q": "暴雨预警", "label": "权威"})
    assert [i["id"] for i in found.json()["items"]] == [item["id"]]
    file = item["files"][0]  # type: ignore[index]
    download = client.get(f"/api/library/items/{item['id']}/files/{file['id']}", headers=op)
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert "attachment" in download.headers["content-disposition"]
    assert "filename*=UTF-8''%E9%A2%84%E8%AD%A6.png" in download.headers["content-disposition"]
    assert client.delete(f"/api/library/items/{other['id']}", headers=op).status_code == 204
    assert client.get(f"/api/library/items/{other['id']}", headers=op).status_code == 404


def test_roles_over_http(api: tuple[httpx.Client, World, dict[str, str]]) -> None:
    client, world, auth = api
    item = _create(
        client, auth["op_police"], matrix_id=world.matrices["zz"], visibility="organization"
    )
    url = f"/api/library/items/{item['id']}"
    file_url = f"{url}/files/{item['files'][0]['id']}"  # type: ignore[index]
    for name in ("handler", "dispatcher", "verifier"):
        headers = {"Authorization": auth[name]}
        assert client.get("/api/library/items", headers=headers).status_code == 403
        assert client.get(url, headers=headers).status_code == 403
        assert client.get(file_url, headers=headers).status_code == 403
    assert client.get("/api/library/items").status_code == 403  # the public sees nothing
    assert client.get(file_url).status_code == 403
    assert client.get(url, headers={"Authorization": auth["op_housing"]}).status_code == 404
    assert client.get(file_url, headers={"Authorization": auth["op_ly"]}).status_code == 404
    office = {"Authorization": auth["office_zz"]}
    assert client.get(url, headers=office).json()["may_manage"] is True
    henan = client.patch(url, headers={"Authorization": auth["office_henan"]}, json={"title": "改"})
    assert henan.status_code == 404  # an organisation-only item is not shared upward
    assert client.delete(url, headers={"Authorization": auth["op_housing"]}).status_code == 404


def test_bad_uploads_over_http(api: tuple[httpx.Client, World, dict[str, str]]) -> None:
    client, _world, auth = api
    op = {"Authorization": auth["op_police"]}
    for name, data in (("空.pdf", b""), ("脚本.js", b"alert(1)"), ("假.pdf", PNG)):
        response = client.post("/api/library/items", headers=op, data={"title": "坏文件"},
                               files=[("files", (name, data, "application/octet-stream"))])  # fmt: skip
        assert response.status_code == 422
        assert response.json()["message_zh"] and response.json()["message_en"]
    assert client.get("/api/library/items", headers=op).json()["total"] == 0
    item = _create(client, auth["op_police"])
    dup = client.post(f"/api/library/items/{item['id']}/files", headers=op,
                      files={"file": ("again.png", PNG, "image/png")})  # fmt: skip
    assert dup.status_code == 409
    added = client.post(f"/api/library/items/{item['id']}/files", headers=op,
                        files={"file": ("通知.pdf", PDF, "application/pdf")})  # fmt: skip
    assert added.status_code == 201 and added.json()["content_type"] == "application/pdf"


def test_distribution_over_http(
    api: tuple[httpx.Client, World, dict[str, str]], committed_engine: Engine
) -> None:
    client, world, auth = api
    office = {"Authorization": auth["office_zz"]}
    item = _create(client, auth["office_zz"])
    url = f"/api/library/items/{item['id']}/distributions"
    refused = client.post(url, headers=office, json={"account_ids": [world.accounts["ly_weibo"]]})
    assert refused.status_code == 403
    plan = {"account_ids": [world.accounts["police_weibo"], world.accounts["housing_toutiao"]]}
    report = client.post(url, headers=office, json=plan)
    assert report.status_code == 201, report.text
    assert report.json()["counts"] == {"planned": 0, "queued": 1, "delivered": 0, "failed": 1}
    with Session(committed_engine) as session:
        outbox_service.deliver_pending(session, [outbox_service.RecordingConnector()])
        session.commit()
    status = client.get(url, headers=office).json()
    assert status["counts"]["delivered"] == 1 and status["counts"]["failed"] == 1
    assert status["skipped"] == []
    assert client.get(url, headers={"Authorization": auth["handler"]}).status_code == 403
    # A double click: the same plan again queues nothing and says which accounts it skipped.
    twice = client.post(url, headers=office, json=plan)
    assert twice.status_code == 201, twice.text
    assert [(s["account_name"], s["state"]) for s in twice.json()["skipped"]] == [
        ("平安郑州", "delivered")]  # fmt: skip
    assert twice.json()["counts"] == {"planned": 0, "queued": 0, "delivered": 1, "failed": 2}
    with Session(committed_engine) as session:
        assert len(outbox_service.for_entity(session, entity_type="library_distribution",
                                             entity_id=report.json()["targets"][0]["id"])) == 1  # fmt: skip
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert queued == 1
    # Asked for explicitly ("again"), it is published once more.
    again = client.post(url, headers=office, json={**plan, "again": True})
    assert again.json()["skipped"] == [] and again.json()["counts"]["queued"] == 1
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_cookie_writes_need_the_csrf_token(api: tuple[httpx.Client, World, dict[str, str]]) -> None:
    client, _world, _auth = api
    login = client.post(
        "/api/auth/login", json={"username": "op_police", "password": "library-pass-1"}
    )
    if login.status_code != 200:  # the console login form is the other way in
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"username": "op_police", "password": "library-pass-1",
                                    "csrf_token": token, "next": ""})  # fmt: skip
    me = client.get("/api/auth/me").json()
    assert me["username"] == "op_police"
    refused = client.post("/api/library/items", data={"title": "无令牌"})
    assert refused.status_code == 403
    ok = client.post("/api/library/items", data={"title": "有令牌", "csrf_token": me["csrf_token"]})
    assert ok.status_code == 201
