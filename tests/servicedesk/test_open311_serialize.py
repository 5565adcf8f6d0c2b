"""The Open311 serializers: one shape in XML and JSON, lists always wrapped the same way."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import orjson
import pytest

from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.open311.documents import request_record
from zhengwu.servicedesk.open311.serialize import (
    errors_document,
    format_datetime,
    render,
    to_json,
    to_xml,
)


def _parse(body: bytes) -> ET.Element:
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(body)


def test_datetimes_carry_the_china_offset_to_the_second() -> None:
    assert format_datetime(datetime(2025, 10, 9, 9, 0, 0, 123456, tzinfo=UTC)) == (
        "2025-10-09T17:00:00+08:00"
    )
    minus_five = timezone(timedelta(hours=-5))
    moment = datetime.fromisoformat(format_datetime(datetime(2025, 1, 1, tzinfo=minus_five)))
    assert moment == datetime(2025, 1, 1, 5, 0, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("count", [0, 1, 2])
def test_a_list_is_wrapped_the_same_way_whatever_its_length(count: int) -> None:
    values = [{"key": str(i), "name": f"选项{i}"} for i in range(count)]
    doc = {"service_code": "0103", "attributes": [{"code": "facility", "values": values}]}
    root = _parse(to_xml("service_definition", doc))
    attributes = root.findall("./attributes/attribute")
    assert len(attributes) == 1
    assert root.find("./attributes/attribute/values") is not None
    assert [v.findtext("key") for v in root.findall("./attributes/attribute/values/value")] == [
        str(i) for i in range(count)
    ]
    assert orjson.loads(to_json(doc))["attributes"][0]["values"] == values


def test_root_lists_are_bare_arrays_in_json_and_wrapped_in_xml() -> None:
    records = [{"service_request_id": "SR1", "status": "open"}]
    assert orjson.loads(to_json(records)) == records
    root = _parse(to_xml("service_requests", records))
    assert root.tag == "service_requests"
    assert [r.tag for r in root] == ["request"]
    assert root.findtext("./request/service_request_id") == "SR1"


def test_scalars_none_and_codes() -> None:
    doc = [{"service_code": "033", "metadata": True, "required": False, "lat": 34.757,
            "order": 2, "address": None}]  # fmt: skip
    service = _parse(to_xml("services", doc)).find("service")
    assert service is not None
    assert service.findtext("service_code") == "033"  # leading zero kept: a string
    assert service.findtext("metadata") == "true"
    assert service.findtext("required") == "false"
    assert service.findtext("lat") == "34.757"
    assert service.findtext("order") == "2"
    address = service.find("address")
    assert address is not None
    assert (address.text or "") == ""
    assert orjson.loads(to_json(doc)) == doc  # JSON keeps types; "033" stays a string


def test_scalar_lists_and_nested_endpoints() -> None:
    doc = {"changeset": datetime(2025, 1, 1, tzinfo=UTC),
           "endpoints": [{"url": "http://x/open311/v2", "formats": ["text/xml", "application/json"]}]}  # fmt: skip
    root = _parse(to_xml("discovery", doc))
    assert root.findtext("changeset") == "2025-01-01T08:00:00+08:00"
    assert [f.text for f in root.findall("./endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]
    assert orjson.loads(to_json(doc))["changeset"] == "2025-01-01T08:00:00+08:00"


def test_text_is_escaped_and_characters_xml_cannot_carry_are_dropped() -> None:
    text = '路灯<坏了> & "没人管"\x00\x07\x1f 结束'
    root = _parse(to_xml("service_requests", [{"description": text}]))
    assert root.findtext("./request/description") == '路灯<坏了> & "没人管" 结束'
    assert orjson.loads(to_json([{"description": text}]))[0]["description"] == text


def test_errors_document_and_render() -> None:
    errors = errors_document(400, ["缺少 service_code / service_code was not provided", "b"])
    assert errors == [
        {"code": 400, "description": "缺少 service_code / service_code was not provided"},
        {"code": 400, "description": "b"},
    ]
    xml = render("xml", "errors", errors, 400)
    assert xml.status_code == 400
    assert xml.headers["content-type"] == "text/xml; charset=utf-8"
    root = _parse(bytes(xml.body))
    assert [e.findtext("code") for e in root.findall("error")] == ["400", "400"]
    json = render("json", "errors", errors, 400)
    assert json.headers["content-type"] == "application/json; charset=utf-8"
    assert orjson.loads(bytes(json.body)) == errors


def test_a_photo_link_s_personal_data_is_masked_written_in_percent_escapes_too() -> None:
    """A client sends media_url percent-encoded, as a URL is (王芳 → %E7%8E%8B%E8%8A%B3): the
    name in the file name is masked all the same; a link that names no one stays as sent."""

    def media(url: str) -> str:
        request = ServiceRequest(public_id="SR1", state="new", text_masked="路灯坏了",
                                 citizen_name="王芳", citizen_phone="13800138000", media_url=url)  # fmt: skip
        return str(request_record(request, None, None)["media_url"])

    for name in ("王芳", "李建国"):  # the request's own name, and one before a contact cue
        raw = f"https://img.example.cn/u/{name}的电话13800138000.jpg"
        for url in (raw, "https://img.example.cn/u/" + quote(raw.rsplit("/", 1)[1])):
            shown = media(url)
            assert name not in shown and quote(name) not in shown, (url, shown)
            assert "13800138000" not in shown and "138" in shown
    plain = "https://img.example.cn/u/%E8%B7%AF%E7%81%AF.jpg?id=20250712"  # 路灯.jpg
    assert media(plain) == plain
