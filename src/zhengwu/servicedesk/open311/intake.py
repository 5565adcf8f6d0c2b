"""``POST /requests``: the form fields of an Open311 client as a desk intake.

Fields (GeoReport v2): ``service_code``; a location — ``lat`` + ``long``, or
``address_string``, or ``address_id``; ``attribute[code]=v`` and, for multi-value lists,
``attribute[code][]=v``; optional ``email device_id account_id first_name last_name phone
description media_url``. Every problem is reported at once, one error each. Attributes the
service does not define are ignored, as old clients send what they were once configured with.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from zhengwu.servicedesk.category.models import Category
from zhengwu.servicedesk.open311.documents import EXTRA_KEY
from zhengwu.servicedesk.open311.errors import bad
from zhengwu.servicedesk.open311.serialize import Format
from zhengwu.servicedesk.schemas import OPEN311_MAX_TEXT, RequestIntake
from zhengwu.validation_text import message_en, message_zh

Fields = Mapping[str, Sequence[str]]
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
# One @, a name before it and a dotted domain after it, no spaces: enough to catch a
# phone number or a name typed into the e-mail field, without refusing real addresses.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def first(fields: Fields, name: str) -> str:
    """Return the first value of a field, stripped ("" when absent)."""
    values = fields.get(name) or [""]
    return values[0].strip()


def attributes(fields: Fields) -> dict[str, list[str]]:
    """Return ``attribute[code]`` and ``attribute[code][]`` values by code."""
    found: dict[str, list[str]] = {}
    for name, values in fields.items():
        m = _ATTRIBUTE.match(name)
        if m:
            found.setdefault(m.group(1), []).extend(v.strip() for v in values if v.strip())
    return found


def _check_attribute(definition: dict[str, Any], values: list[str]) -> tuple[Any, str | None]:
    """Return (stored value, error) for one attribute of the service definition."""
    code, datatype = definition["code"], definition.get("datatype", "string")
    if not values:
        if definition.get("required"):
            return None, f"缺少必填属性 {code} / attribute {code} is required"
        return None, None
    keys = {str(v["key"]) for v in definition.get("values", [])}
    if datatype == "multivaluelist":
        wrong = [v for v in values if v not in keys]
        return (
            values,
            f"属性 {code} 的取值无效：{','.join(wrong)} / invalid {code}" if wrong else None,
        )
    value = values[0]
    if datatype == "singlevaluelist" and value not in keys:
        return None, f"属性 {code} 的取值无效：{value} / invalid value for {code}"
    if datatype == "number":
        try:
            return float(value), None
        except ValueError:
            return None, f"属性 {code} 应为数字 / {code} must be a number"
    if datatype == "datetime":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return None, f"属性 {code} 应为 ISO 8601 时间 / {code} must be an ISO 8601 datetime"
    return value, None


def _location(fields: Fields, errors: list[str]) -> tuple[float | None, float | None]:
    lat_s, lon_s = first(fields, "lat"), first(fields, "long")
    if not lat_s and not lon_s:
        return None, None
    try:
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        errors.append("lat 与 long 须同时给出且为数字 / lat and long must both be numbers")
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        errors.append("坐标超出范围 / lat or long out of range")
        return None, None
    return lat, lon


def _citizen_name(fields: Fields) -> str | None:
    given, family = first(fields, "first_name"), first(fields, "last_name")
    if given.isascii() and family.isascii():
        return " ".join(p for p in (given, family) if p) or None
    return f"{family}{given}" or None  # Chinese order: family name first


def _summary(category: Category, attrs: dict[str, Any], address: str) -> str:
    """Return a text for a request sent without a description: 路灯；设施类型：路灯；地址：…"""
    parts = [category.name]
    for definition in category.attributes:
        if definition["code"] not in attrs:
            continue
        value = attrs[definition["code"]]
        names = {str(v["key"]): v["name"] for v in definition.get("values", [])}
        shown = [names.get(str(v), str(v)) for v in (value if isinstance(value, list) else [value])]
        parts.append(f"{definition.get('description') or definition['code']}：{'、'.join(shown)}")
    if address:
        parts.append(f"地址：{address}")
    return "；".join(parts)


def build_intake(
    fields: Fields, category: Category, *, key_id: int, adcode: str | None, fmt: Format
) -> RequestIntake:
    """Return the intake of a POSTed request, or raise one 400 error listing every problem."""
    errors: list[str] = []
    lat, lon = _location(fields, errors)
    address, address_id = first(fields, "address_string"), first(fields, "address_id")
    if lat is None and not address and not address_id and not errors:
        errors.append(
            "缺少位置：lat+long、address_string 或 address_id / "
            "a location is required: lat+long, address_string or address_id"
        )
    description = first(fields, "description")
    if len(description) > OPEN311_MAX_TEXT:
        errors.append(
            f"description 超过 {OPEN311_MAX_TEXT} 字 / description longer than {OPEN311_MAX_TEXT}"
        )
    given = attributes(fields)
    stored: dict[str, Any] = {}
    for definition in category.attributes:
        value, error = _check_attribute(definition, given.get(definition["code"], []))
        if error:
            errors.append(error)
        elif value is not None:
            stored[definition["code"]] = value
    media_url = first(fields, "media_url")
    if media_url and not media_url.startswith(("http://", "https://")):
        errors.append("media_url 须为 http(s) 地址 / media_url must be an http(s) URL")
    email = first(fields, "email")
    if email and not _EMAIL.match(email):
        errors.append(
            "email 不是有效的电子邮件地址（如 name@example.com） / "
            "email is not a valid e-mail address (like name@example.com)"
        )
    if errors:
        raise bad(fmt, *errors)
    account_id, device_id = first(fields, "account_id"), first(fields, "device_id")
    extra = {"api_key_id": key_id, "address_id": address_id or None,
             "account_id": account_id or None, "device_id": device_id or None}  # fmt: skip
    # Who the citizen is, per client app, so that their repeated posts merge into one request.
    citizen = f"acct:{account_id}" if account_id else f"device:{device_id}" if device_id else None
    try:
        return RequestIntake(
            source="open311",
            text=description or _summary(category, stored, address),
            category_code=category.code,
            address=address or None,
            lat=lat,
            lon=lon,
            # The jurisdiction places a request only when nothing finer says where it is.
            adcode=adcode if lat is None and not address else None,
            citizen_name=_citizen_name(fields),
            citizen_phone=first(fields, "phone") or None,
            citizen_email=email or None,
            citizen_uid=f"{key_id}:{citizen}" if citizen else None,
            attributes={**stored, EXTRA_KEY: {k: v for k, v in extra.items() if v is not None}},
            media_url=media_url or None,
        )
    except ValidationError as exc:
        raise bad(fmt, *(_describe(e) for e in exc.errors())) from None


_FIELD_NAMES = {"text": "description", "lon": "long", "address": "address_string",
                "citizen_phone": "phone", "citizen_email": "email", "citizen_name": "last_name"}  # fmt: skip


def _describe(error: Any) -> str:
    """Return one refused field as Open311 describes errors: ``名：中文 / name: English``."""
    field = str(error["loc"][0]) if error.get("loc") else "request"
    name = _FIELD_NAMES.get(field, field)
    return f"{name}：{message_zh(error)} / {name}: {message_en(error)}"
