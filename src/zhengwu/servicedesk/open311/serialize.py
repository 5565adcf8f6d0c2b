"""Open311 documents as XML and JSON, with one shape for both.

A document is a root name and a value: a mapping (``discovery``, ``service_definition``)
or a list of mappings (``services``, ``service_requests``, ``errors``). JSON lists are bare
arrays. In XML a list is always wrapped in its plural element with one singular element
per item — ``<attributes><attribute>…</attribute></attributes>`` — even when it holds
one item or none, so clients that turn a single child into an object and several into a
list still meet the same nesting every time. Every record carries every field: a missing
value is an empty element in XML and ``null`` in JSON.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import orjson
from fastapi.responses import Response

Format = Literal["xml", "json"]
FORMATS: tuple[Format, ...] = ("xml", "json")
MEDIA_TYPES: dict[Format, str] = {
    "xml": "text/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
CHINA = ZoneInfo("Asia/Shanghai")

# The singular element of each list (GeoReport v2 names).
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
# Characters XML 1.0 cannot carry at all; citizens' texts pasted from apps sometimes do.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'


def format_datetime(value: datetime) -> str:
    """Return ISO 8601 with the China offset, to the second: 2025-10-09T17:00:00+08:00."""
    return value.astimezone(CHINA).replace(microsecond=0).isoformat()


def _plain(value: Any) -> Any:
    """Return ``value`` with datetimes as strings (what JSON and XML both show)."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    """Put ``value`` inside ``element``: fields as children, lists wrapped item by item."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        item = ITEM_NAMES.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> bytes:
    """Return the document ``root`` as UTF-8 XML with a declaration."""
    element = ET.Element(root)
    _fill(element, _plain(value))
    body: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return _DECLARATION + body


def to_json(value: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> bytes:
    """Return the document as UTF-8 JSON (a list stays a bare array)."""
    return orjson.dumps(_plain(value))


def render(
    fmt: Format,
    root: str,
    value: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    status_code: int = 200,
) -> Response:
    """Return the document as an HTTP response in ``fmt`` with the spec's content type."""
    body = to_xml(root, value) if fmt == "xml" else to_json(value)
    return Response(body, status_code=status_code, media_type=MEDIA_TYPES[fmt])


def errors_document(status_code: int, descriptions: Sequence[str]) -> list[dict[str, Any]]:
    """Return the spec's error list: one ``{code, description}`` per problem."""
    return [{"code": status_code, "description": d} for d in descriptions]
