"""Open311 GeoReport v2 over a real server: every endpoint in XML and JSON, every error,
and the quirks of old clients (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.db.base import utcnow
from zhengwu.servicedesk import service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.models import CategoryCreate
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.open311 import keys
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

XML = "text/xml; charset=utf-8"
JSON = "application/json; charset=utf-8"
FORMATS = ["xml", "json"]
RECORD_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
    "media_url",
}  # fmt: skip


@dataclass
class Api:
    """A running server with the test city, an extra category and one API key."""

    client: httpx.Client
    key: str
    engine: Engine


@pytest.fixture
def api(live_server: str, committed_world: object, committed_engine: Engine) -> Any:
    """The server with the service desk's test city (``committed_world``), and our key."""
    with Session(committed_engine) as session:
        _, key = keys.create_key(session, name="郑州市民通")
        attributes = [
            {"code": "depth", "datatype": "number", "required": True, "description": "深度（米）",
             "order": 1},
            {"code": "kinds", "datatype": "multivaluelist", "description": "类型", "order": 2,
             "values": [{"key": "cover", "name": "井盖"}, {"key": "grate", "name": "雨水箅子"}]},
        ]  # fmt: skip
        data = CategoryCreate.model_validate(
            {"code": "0199", "name": "井盖缺失", "parent_code": "01", "attributes": attributes}
        )
        category_service.create(session, data=data, actor=SYSTEM)
        session.commit()
    with httpx.Client(base_url=live_server + "/open311/v2", timeout=120) as client:
        yield Api(client, key, committed_engine)


def as_xml(response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"] == XML
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def as_json(response: httpx.Response) -> Any:
    assert response.headers["content-type"] == JSON
    return response.json()


def xml_records(root: ET.Element, item: str) -> list[dict[str, str]]:
    """Return the flat fields of each ``item`` child (nested elements left out)."""
    return [
        {child.tag: child.text or "" for child in node if len(child) == 0}
        for node in root.findall(item)
    ]


def errors(response: httpx.Response, fmt: str) -> list[tuple[int, str]]:
    """Return the (code, description) pairs of an errors document, checked against the status."""
    if fmt == "xml":
        root = as_xml(response)
        assert root.tag == "errors"
        found = [
            (int(e.findtext("code") or 0), e.findtext("description") or "")
            for e in root.findall("error")
        ]
    else:
        found = [(e["code"], e["description"]) for e in as_json(response)]
    assert found
    assert all(code == response.status_code for code, _ in found)
    return found


def seed(
    api: Api, text: str, *, days_ago: float, code: str = "0103", address: str | None = None,
    state: str | None = None, reply: str | None = None, public: bool = True,
    source: str = "api",
) -> str:  # fmt: skip
    """Create a request directly through the desk (in the past), return its public id."""
    with Session(api.engine) as session:
        intake = RequestIntake(
            source=source, text=text, category_code=code, address=address, public=public,
            submitted_at=utcnow() - timedelta(days=days_ago),
        )  # fmt: skip
        request = service.create_request(session, intake=intake, actor=SYSTEM)
        if state:
            request.state = state
        if reply:
            request.reply_text = reply
        session.commit()
        return request.public_id


# ---------------------------------------------------------------- discovery and services


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(api: Api, fmt: str) -> None:
    r = api.client.get(f"/discovery.{fmt}")
    assert r.status_code == 200
    if fmt == "xml":
        root = as_xml(r)
        assert root.tag == "discovery"
        endpoint = root.find("./endpoints/endpoint")
        assert endpoint is not None
        doc: dict[str, Any] = {"changeset": root.findtext("changeset"), "url": endpoint.findtext("url"),
               "formats": [f.text for f in endpoint.findall("./formats/format")],
               "specification": endpoint.findtext("specification")}  # fmt: skip
    else:
        body = as_json(r)
        endpoint = body["endpoints"][0]
        doc = {"changeset": body["changeset"], "url": endpoint["url"],
               "formats": endpoint["formats"], "specification": endpoint["specification"]}  # fmt: skip
    assert doc["url"].endswith("/open311/v2")
    assert doc["formats"] == ["text/xml", "application/json"]
    assert doc["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert datetime.fromisoformat(doc["changeset"]).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_category_tree(api: Api, fmt: str) -> None:
    r = api.client.get(f"/services.{fmt}")
    assert r.status_code == 200
    services: dict[str, Any]
    if fmt == "xml":
        root = as_xml(r)
        assert root.tag == "services"
        services = {s["service_code"]: s for s in xml_records(root, "service")}
        assert services["0103"]["metadata"] == "true"
        assert services["0101"]["metadata"] == "false"
    else:
        services = {s["service_code"]: s for s in as_json(r)}
        assert services["0103"]["metadata"] is True
        assert services["0101"]["metadata"] is False
    assert all(isinstance(code, str) for code in services)
    assert {"01", "0101", "0103", "0199", "02"} <= set(services)  # "01" keeps its leading zero
    street = services["0103"]
    assert street["service_name"] == "市政设施"
    assert street["group"] == "城乡建设"
    assert street["type"] == "realtime"
    assert "路灯" in street["keywords"].split(",")
    assert set(street) == {"service_code", "service_name", "description", "metadata", "type",
                           "keywords", "group"}  # fmt: skip


def test_a_definition_is_the_same_at_every_path_old_clients_use(api: Api) -> None:
    bodies = {
        p: api.client.get(p) for p in ("/services/0199.xml", "/service/0199.xml", "/services/0199")
    }
    assert {r.status_code for r in bodies.values()} == {200}
    assert len({r.content for r in bodies.values()}) == 1
    root = as_xml(bodies["/service/0199.xml"])
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "0199"
    attrs = root.findall("./attributes/attribute")
    assert [a.findtext("code") for a in attrs] == ["depth", "kinds"]
    assert attrs[0].findtext("required") == "true"
    assert attrs[0].findtext("datatype") == "number"
    assert attrs[0].find("values") is not None
    assert attrs[0].findall("./values/value") == []
    assert [v.findtext("key") for v in attrs[1].findall("./values/value")] == ["cover", "grate"]
    assert all(a.findtext("variable") == "true" for a in attrs)
    js = as_json(api.client.get("/services/0199.json"))
    assert js["service_code"] == "0199"
    assert js["attributes"][1]["values"] == [{"key": "cover", "name": "井盖"},
                                             {"key": "grate", "name": "雨水箅子"}]  # fmt: skip
    assert js["attributes"][0]["required"] is True
    assert js["attributes"][1]["order"] == 2


def test_a_definition_with_one_value_or_none_keeps_its_nesting(api: Api) -> None:
    root = as_xml(api.client.get("/services/0101.xml"))
    wrapper = root.find("attributes")
    assert wrapper is not None
    assert len(wrapper) == 0
    assert as_json(api.client.get("/services/0101.json")) == {
        "service_code": "0101",
        "attributes": [],
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_is_404(api: Api, fmt: str) -> None:
    r = api.client.get(f"/services/9999.{fmt}")
    assert r.status_code == 404
    assert "not found" in errors(r, fmt)[0][1]


# ---------------------------------------------------------------- POST and read back


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_a_request_and_read_it_back_masked(api: Api, fmt: str) -> None:
    form = {
        "api_key": api.key, "service_code": "0103", "lat": "34.800451", "long": "113.660617",
        "address_string": "郑州市金水区文化路32号院3号楼2单元",
        "description": "文化路路灯坏了一个星期，我叫张伟，电话13800001234，身份证"
                       "110105194912310021X 不对，是11010519491231002X",
        "attribute[facility]": "light", "first_name": "伟", "last_name": "张",
        "phone": "13800001234", "email": "zhangwei@example.com", "account_id": "u-1",
        "media_url": "https://img.example.com/light.jpg",
    }  # fmt: skip
    r = api.client.post(f"/requests.{fmt}", data=form)
    assert r.status_code == 200, r.text
    created = xml_records(as_xml(r), "request") if fmt == "xml" else as_json(r)
    assert len(created) == 1
    public_id = created[0]["service_request_id"]
    assert public_id.startswith("SR")
    assert created[0]["account_id"] == "u-1"
    assert created[0]["service_notice"] == "已收到，本类诉求一般在5个工作日内办结"

    got = api.client.get(f"/requests/{public_id}.{fmt}")
    assert got.status_code == 200
    record = xml_records(as_xml(got), "request")[0] if fmt == "xml" else as_json(got)[0]
    assert set(record) == RECORD_FIELDS  # no citizen contact field, ever
    assert record["status"] == "open"
    assert record["service_code"] == "0103"
    assert record["service_name"] == "市政设施"
    assert record["service_notice"] == "本类诉求一般在5个工作日内办结"  # not 已受理: only received
    assert record["agency_responsible"] == "郑州市金水区住房和城乡建设局"
    assert record["address"] == "郑州市金水区文化路"
    assert float(record["lat"]) == 34.8
    assert float(record["long"]) == 113.661
    assert record["media_url"] == "https://img.example.com/light.jpg"
    for stamp in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert datetime.fromisoformat(record[stamp]).utcoffset() == timedelta(hours=8)
    text = got.text
    for secret in ("13800001234", "张伟", "zhangwei@example.com", "11010519491231002X", "32号院",
                   "110105194912310021X", "0519491231002"):  # fmt: skip
        assert secret not in text
    assert "文化路路灯坏了" in record["description"]
    assert "张*" in record["description"]
    with Session(api.engine) as session:
        stored = session.scalar(select(ServiceRequest).where(ServiceRequest.public_id == public_id))
        assert stored is not None
        assert stored.source == "open311"
        assert stored.citizen_phone == "13800001234"
        assert stored.citizen_name == "张伟"
        assert stored.attributes["facility"] == "light"


def test_old_client_keys_in_the_query_string_and_empty_jurisdiction(api: Api) -> None:
    query = {"api_key": api.key, "jurisdiction_id": ""}
    body = {"service_code": "0199", "address_string": "郑州市金水区花园路", "attribute[depth]": "0.8",
            "attribute[kinds][]": ["cover", "grate"], "description": "花园路井盖丢了"}  # fmt: skip
    r = api.client.post("/requests.xml", params=query, data=body)
    assert r.status_code == 200, r.text
    public_id = as_xml(r).findtext("./request/service_request_id")
    assert public_id
    for path in ("/services.xml", "/service/0199.xml", "/requests.xml", f"/requests/{public_id}.xml",
                 "/discovery.xml", f"/tokens/{public_id}.xml"):  # fmt: skip
        assert api.client.get(path, params={"jurisdiction_id": ""}).status_code == 200, path
    listed = as_xml(api.client.get("/requests.xml", params={"jurisdiction_id": ""}))
    assert [r.findtext("service_request_id") for r in listed.findall("request")] == [public_id]
    with Session(api.engine) as session:
        stored = session.scalar(select(ServiceRequest).where(ServiceRequest.public_id == public_id))
        assert stored is not None
        assert stored.attributes["depth"] == 0.8
        assert stored.attributes["kinds"] == ["cover", "grate"]


def _stored_text(api: Api, public_id: str) -> str:
    with Session(api.engine) as session:
        stored = session.scalar(select(ServiceRequest).where(ServiceRequest.public_id == public_id))
        assert stored is not None
        return stored.text


FORM = "application/x-www-form-urlencoded"
COMPLAINT = "小区物业乱收费"
BODIES = [
    ("raw utf-8", FORM, f"description={COMPLAINT}".encode()),
    ("percent-encoded utf-8", FORM, b"description=" + quote(COMPLAINT).encode()),
    ("raw utf-8 declared", f"{FORM}; charset=UTF-8", f"description={COMPLAINT}".encode()),
    ("raw gbk declared", f"{FORM}; charset=gbk", f"description={COMPLAINT}".encode("gbk")),
    ("percent-encoded gbk", f'{FORM}; charset="GB2312"',
     b"description=" + quote(COMPLAINT, encoding="gbk").encode()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "content_type", "description"), BODIES, ids=[c[0] for c in BODIES]
)
def test_a_form_body_is_read_in_its_charset(
    api: Api, case: str, content_type: str, description: bytes
) -> None:
    body = f"api_key={api.key}&service_code=0103&lat=34.8&long=113.66&".encode() + description
    r = api.client.post("/requests.json", content=body, headers={"content-type": content_type})
    assert r.status_code == 200, r.text
    assert _stored_text(api, as_json(r)[0]["service_request_id"]) == COMPLAINT


def test_a_multipart_body_is_read_as_before(api: Api) -> None:
    form = {"api_key": api.key, "service_code": "0103", "lat": "34.8", "long": "113.66",
            "description": COMPLAINT}  # fmt: skip
    photo = {"media": ("light.jpg", b"\xff\xd8\xff", "image/jpeg")}  # files are ignored
    r = api.client.post("/requests.json", data=form, files=photo)
    assert r.status_code == 200, r.text
    assert _stored_text(api, as_json(r)[0]["service_request_id"]) == COMPLAINT


INVALID_BODIES = [
    ("invalid utf-8 bytes", FORM, b"description=\xe5\xb0\x8f\xff", "not valid utf-8"),
    ("invalid utf-8 escape", FORM, b"description=%E5%B0%FF", "not valid utf-8"),
    ("gbk sent as utf-8", FORM, f"description={COMPLAINT}".encode("gbk"), "not valid utf-8"),
    ("unknown charset", f"{FORM}; charset=klingon", b"description=x", "unsupported charset"),
    # Before: its fields unread, answered "service_code was not provided".
    ("json body", "application/json", b'{"description": "x"}', "must be form-encoded"),
]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("case", "content_type", "description", "message"),
    INVALID_BODIES,
    ids=[c[0] for c in INVALID_BODIES],
)
def test_a_form_body_not_in_its_charset_is_400(
    api: Api, fmt: str, case: str, content_type: str, description: bytes, message: str
) -> None:
    body = f"api_key={api.key}&service_code=0103&address_string=wenhua&".encode() + description
    r = api.client.post(f"/requests.{fmt}", content=body, headers={"content-type": content_type})
    assert r.status_code == 400
    [(_, text)] = errors(r, fmt)
    assert message in text and "\u4e00" <= text[0] <= "\u9fff"  # Chinese first, then English
    assert as_json(api.client.get("/requests.json")) == []  # nothing was stored


def _revoked_key(api: Api) -> str:
    with Session(api.engine) as session:
        _, key = keys.create_key(session, name="old-app")
        keys.revoke_key(session, key="old-app")
        session.commit()
    return key


POST_ERRORS = [
    ("no key", {"service_code": "0103", "lat": "34.7", "long": "113.6"}, 403, "api_key was not provided"),
    ("wrong key", {"api_key": "zw311_nope", "service_code": "0103", "lat": "34.7", "long": "113.6"},
     403, "invalid or revoked"),
    ("revoked key", {"api_key": "REVOKED", "service_code": "0103", "lat": "34.7", "long": "113.6"},
     403, "invalid or revoked"),
    ("no service", {"api_key": "KEY", "lat": "34.7", "long": "113.6"}, 400, "service_code was not provided"),
    ("unknown service", {"api_key": "KEY", "service_code": "9999", "lat": "34.7", "long": "113.6"},
     400, "service_code 9999 not found"),
    ("no location", {"api_key": "KEY", "service_code": "0103"}, 400, "a location is required"),
    ("half location", {"api_key": "KEY", "service_code": "0103", "lat": "34.7"}, 400, "lat and long"),
    ("required attribute", {"api_key": "KEY", "service_code": "0199", "address_string": "文化路"},
     400, "depth is required"),
    ("bad list value", {"api_key": "KEY", "service_code": "0103", "address_string": "文化路",
                        "attribute[facility]": "ufo"}, 400, "invalid value for facility"),
    ("too long", {"api_key": "KEY", "service_code": "0103", "address_string": "文化路",
                  "description": "灯" * 4001}, 400, "longer than 4000"),
    ("jurisdiction", {"api_key": "KEY", "service_code": "0103", "address_string": "文化路",
                      "jurisdiction_id": "zhengzhou"}, 404, "jurisdiction_id not found"),
    ("bad email", {"api_key": "KEY", "service_code": "0103", "address_string": "文化路",
                   "email": "notanemail"}, 400, "email is not a valid e-mail address"),
    ("phone as email", {"api_key": "KEY", "service_code": "0103", "address_string": "文化路",
                        "email": "13800001234"}, 400, "email is not a valid e-mail address"),
    # A field longer than a request keeps: each half in its own language (was pydantic's
    # English after the Chinese name).
    ("long address", {"api_key": "KEY", "service_code": "0103", "address_string": "文" * 257},
     400, "address_string：最多 256 个字 / address_string: String should have at most 256"),
    ("long name", {"api_key": "KEY", "service_code": "0103", "address_string": "文化路",
                   "last_name": "张" * 65}, 400, "last_name：最多 64 个字 / last_name: String"),
]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("case", "form", "status", "message"), POST_ERRORS, ids=[c[0] for c in POST_ERRORS]
)
def test_post_errors(
    api: Api, fmt: str, case: str, form: dict[str, str], status: int, message: str
) -> None:
    revoked = _revoked_key(api)
    form = {k: {"KEY": api.key, "REVOKED": revoked}.get(v, v) for k, v in form.items()}
    r = api.client.post(f"/requests.{fmt}", data=form)
    assert r.status_code == status
    assert any(message in description for _, description in errors(r, fmt)), r.text
    assert as_json(api.client.get("/requests.json")) == []  # nothing was stored


def test_several_problems_come_back_as_several_errors(api: Api) -> None:
    form = {"api_key": api.key, "service_code": "0199", "description": "灯" * 4001,
            "attribute[kinds][]": "lid"}  # fmt: skip
    found = errors(api.client.post("/requests.xml", data=form), "xml")
    assert len(found) == 4  # location, length, required depth, bad kind


def test_a_key_records_its_last_use(api: Api) -> None:
    form = {"api_key": api.key, "service_code": "0103", "address_string": "郑州市金水区文化路"}
    assert api.client.post("/requests.json", data=form).status_code == 200
    with Session(api.engine) as session:
        [row] = [k for k in keys.list_keys(session) if k.name == "郑州市民通"]
        assert row.last_used_at is not None


# ---------------------------------------------------------------- GET /requests filters


@pytest.fixture
def seeded(api: Api) -> dict[str, str]:
    return {
        "street": seed(api, "郑州市金水区文化路路灯不亮", days_ago=10, address="郑州市金水区文化路"),
        "noise": seed(api, "二七区工地夜间施工噪音扰民", days_ago=5, code="0201",
                      address="郑州市二七区大学路", state="resolved",
                      reply="张伟先生您好，已责令施工单位整改。如有问题请拨打13800001234。"),
        "old": seed(api, "金水区花园路井盖缺失", days_ago=120, address="郑州市金水区花园路"),
        "private": seed(api, "金水区经三路路面塌陷", days_ago=1, public=False),
    }  # fmt: skip


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["service_request_id"] for r in as_json(response)]


def test_default_is_the_last_90_days_of_public_requests_newest_first(
    api: Api, seeded: dict[str, str]
) -> None:
    assert ids(api.client.get("/requests.json")) == [seeded["noise"], seeded["street"]]
    root = as_xml(api.client.get("/requests.xml"))
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [
        seeded["noise"], seeded["street"],
    ]  # fmt: skip
    assert as_xml(api.client.get("/requests")).tag == "service_requests"  # no suffix: XML


def test_pages(api: Api, seeded: dict[str, str]) -> None:
    def page(**params: str) -> list[str]:
        return ids(api.client.get("/requests.json", params=params))

    assert page(page="1", page_size="1") == [seeded["noise"]]
    assert page(page="2", page_size="1") == [seeded["street"]]
    assert page(page="3", page_size="1") == []
    assert page(page="1") == [seeded["noise"], seeded["street"]]  # default size: 1000
    assert page(page="2") == []


def test_status_filter_and_closed_records(api: Api, seeded: dict[str, str]) -> None:
    assert ids(api.client.get("/requests.json", params={"status": "open"})) == [seeded["street"]]
    closed = api.client.get("/requests.json", params={"status": "closed"})
    assert ids(closed) == [seeded["noise"]]
    record = as_json(closed)[0]
    assert record["status"] == "closed"
    assert record["status_notes"].startswith("张*先生您好")
    assert "13800001234" not in record["status_notes"]
    both = api.client.get("/requests.json", params={"status": "open,closed"})
    assert ids(both) == [seeded["noise"], seeded["street"]]


def test_service_code_filter_includes_the_codes_below(api: Api, seeded: dict[str, str]) -> None:
    assert ids(api.client.get("/requests.json", params={"service_code": "01"})) == [
        seeded["street"]
    ]
    assert ids(api.client.get("/requests.json", params={"service_code": "0201"})) == [
        seeded["noise"]
    ]
    both = api.client.get("/requests.json", params={"service_code": "0103,0201"})
    assert ids(both) == [seeded["noise"], seeded["street"]]


def test_date_range(api: Api, seeded: dict[str, str]) -> None:
    now = utcnow()
    window = {"start_date": (now - timedelta(days=130)).isoformat(),
              "end_date": (now - timedelta(days=100)).isoformat()}  # fmt: skip
    assert ids(api.client.get("/requests.json", params=window)) == [seeded["old"]]
    # An old client that forgets to escape "+08:00": it arrives as a space and still works.
    start = (now - timedelta(days=7)).astimezone().strftime("%Y-%m-%dT%H:%M:%S")
    raw = api.client.get(f"/requests.json?start_date={start}+08:00&jurisdiction_id=")
    assert ids(raw) == [seeded["noise"]]


def test_ids_override_every_other_filter(api: Api, seeded: dict[str, str]) -> None:
    wanted = f"{seeded['old']},{seeded['street']},{seeded['private']},SR000000NOPE"
    params = {"service_request_id": wanted, "status": "closed", "service_code": "0201"}
    found = ids(api.client.get("/requests.json", params=params))
    assert sorted(found) == sorted([seeded["old"], seeded["street"]])  # never the private one


def test_jurisdiction_scopes_the_list(api: Api, seeded: dict[str, str]) -> None:
    jinshui = api.client.get("/requests.json", params={"jurisdiction_id": "410105"})
    assert ids(jinshui) == [seeded["street"]]
    city = api.client.get("/requests.json", params={"jurisdiction_id": "410100"})
    assert ids(city) == [seeded["noise"], seeded["street"]]
    unknown = api.client.get("/requests.xml", params={"jurisdiction_id": "999999"})
    assert unknown.status_code == 404
    assert "jurisdiction_id not found" in errors(unknown, "xml")[0][1]


def test_channel_filter_a_zhengwu_extension(api: Api, seeded: dict[str, str]) -> None:
    """``channel`` (comma list, any case) narrows the list to the requests of those
    channels, with the spec's other filters; left out, every channel is listed."""
    letter = seed(api, "金水区农业路积水严重", days_ago=3, source="letter",
                  address="郑州市金水区农业路")  # fmt: skip
    visit = seed(api, "二七区大学路占道经营", days_ago=2, source="visit", code="0201")
    seed(api, "金水区经八路来访私密诉求", days_ago=1, source="visit", public=False)

    def listed(**params: str) -> list[str]:
        return ids(api.client.get("/requests.json", params=params))

    assert listed(channel="letter") == [letter]
    assert listed(channel="visit,LETTER") == [visit, letter]  # never the private one
    assert listed(channel="api") == [seeded["noise"], seeded["street"]]
    assert listed(channel="letter,api", status="open") == [letter, seeded["street"]]
    assert listed(channel="visit", jurisdiction_id="410105") == []
    assert listed(channel="sms") == []
    assert listed() == [visit, letter, seeded["noise"], seeded["street"]]
    root = as_xml(api.client.get("/requests.xml", params={"channel": "visit"}))
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [visit]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_channel_is_400_in_chinese_and_english(api: Api, fmt: str) -> None:
    r = api.client.get(f"/requests.{fmt}", params={"channel": "letter,fax"})
    assert r.status_code == 400
    [(_, description)] = errors(r, fmt)
    assert description.startswith("channel 未知：fax（可选：weibo、")
    assert "/ unknown channel: fax (one of: weibo, " in description and "sms)" in description


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start_date": "2025-01-01", "end_date": "2025-06-01"}, "exceed 90 days"),
        ({"start_date": "2025-06-01", "end_date": "2025-05-01"}, "before start_date"),
        ({"start_date": "yesterday"}, "not ISO 8601"),
        ({"status": "pending"}, "open or closed"),
        ({"page": "-1"}, "page must be a whole number from 1"),
        ({"page": "0"}, "page must be a whole number from 1"),
        ({"page": "two"}, "page must be a whole number from 1"),
        ({"page_size": "1001"}, "page_size must be a whole number from 1 to 1000"),
    ],
)
def test_bad_list_filters_are_400(api: Api, fmt: str, params: dict[str, str], message: str) -> None:
    r = api.client.get(f"/requests.{fmt}", params=params)
    assert r.status_code == 400
    assert message in errors(r, fmt)[0][1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_not_found_or_not_public_is_404(
    api: Api, seeded: dict[str, str], fmt: str
) -> None:
    for public_id in ("SR000000NOPE", seeded["private"]):
        r = api.client.get(f"/requests/{public_id}.{fmt}")
        assert r.status_code == 404
        assert "not found" in errors(r, fmt)[0][1]


# ---------------------------------------------------------------- tokens, paths, formats


@pytest.mark.parametrize("fmt", FORMATS)
def test_tokens(api: Api, seeded: dict[str, str], fmt: str) -> None:
    token = seeded["street"]
    r = api.client.get(f"/tokens/{token}.{fmt}")
    assert r.status_code == 200
    if fmt == "xml":
        assert xml_records(as_xml(r), "request") == [{"service_request_id": token, "token": token}]
    else:
        assert as_json(r) == [{"service_request_id": token, "token": token}]
    missing = api.client.get(f"/tokens/NOPE.{fmt}")
    assert missing.status_code == 404
    assert "token not found" in errors(missing, fmt)[0][1]


def test_unknown_paths_methods_and_formats(api: Api) -> None:
    assert errors(api.client.get("/nothing.xml"), "xml")[0][0] == 404
    assert errors(api.client.get("/nothing.json"), "json")[0][0] == 404
    assert errors(api.client.delete("/requests.xml"), "xml")[0][0] == 404
    bad = api.client.get("/services.yaml")
    assert bad.status_code == 400
    assert "unsupported format" in errors(bad, "xml")[0][1]
    assert errors(api.client.get("/requests/SR1.csv"), "xml")[0][0] == 400
