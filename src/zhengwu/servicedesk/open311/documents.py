"""The Open311 documents built from the desk's categories and requests (no HTTP here).

Everything in a GET response is public: descriptions and replies are masked
(:func:`zhengwu.servicedesk.masking.mask`: a home's door too; published office numbers,
``keep``, stay readable),
addresses cut to the street, coordinates rounded to about a hundred metres, and no citizen
contact field is ever emitted.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from zhengwu.privacy import coarse_address
from zhengwu.servicedesk import masking
from zhengwu.servicedesk.category.models import Category
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.workflow import OPEN_STATES, STATE_LABELS, STATES

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CLOSED_STATES = frozenset(STATES) - OPEN_STATES  # resolved, followed_up, duplicate, invalid
COORDINATE_DECIMALS = 3  # ~110 m: where the problem is, not which door
# Where an intake keeps what Open311 sent besides the category's own attributes.
EXTRA_KEY = "_open311"


def status_of(state: str) -> str:
    """Return the Open311 status of a desk state: open while anyone still has work to do."""
    return "open" if state in OPEN_STATES else "closed"


def discovery(base_url: str, changeset: datetime) -> dict[str, Any]:
    """Return the discovery document of this server's one GeoReport v2 endpoint."""
    return {
        "changeset": changeset,
        "contact": "政务服务便民热线 12345；接口问题请联系本平台管理员 / "
        "contact the platform administrator for API questions",
        "key_service": "向平台管理员申请 api_key（zhengwu open311 keys create --name 应用名）/ "
        "ask the platform administrator for an api_key",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service(category: Category) -> dict[str, Any]:
    """Return one category as an Open311 service (``service_code`` always a string)."""
    return {
        "service_code": str(category.code),
        "service_name": category.name,
        "description": category.description,
        "metadata": bool(category.attributes),
        "type": "realtime",  # a request is created, classified and routed on the spot
        "keywords": ",".join(category.keywords),
        "group": category.group,
    }


def _attribute(definition: dict[str, Any]) -> dict[str, Any]:
    return {
        "variable": True,
        "code": str(definition["code"]),
        "datatype": definition.get("datatype", "string"),
        "required": bool(definition.get("required", False)),
        "datatype_description": definition.get("datatype_description", ""),
        "order": int(definition.get("order", 0)),
        "description": definition.get("description", ""),
        "values": [{"key": str(v["key"]), "name": v["name"]} for v in definition.get("values", [])],
    }


def service_definition(category: Category) -> dict[str, Any]:
    """Return a category's extra questions as an Open311 service definition."""
    attributes = sorted(category.attributes, key=lambda a: (a.get("order", 0), a["code"]))
    return {"service_code": str(category.code), "attributes": [_attribute(a) for a in attributes]}


def notice(category: Category | None, *, received: bool = False) -> str:
    """Return what a citizen is told about the handling time of a category.

    The record of a request says the handling time only: its state is in ``status`` and
    ``status_notes`` (a request just received is not yet 已受理, accepted by a body).
    ``received``: the answer to the POST that created it, which says it was received.
    """
    prefix = "已收到，" if received else ""
    if category is None:
        return f"{prefix}将按规定时限办理"
    return f"{prefix}本类诉求一般在{category.resolve_days}个工作日内办结"


def _coordinate(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


def request_record(
    request: ServiceRequest,
    category: Category | None,
    agency: str | None,
    *,
    keep: Collection[str] = (),
    officials: Collection[str] = (),
) -> dict[str, Any]:
    """Return one request as the spec's public record, personal data masked.

    ``keep``: the published numbers (:func:`zhengwu.accounts.phones.directory`) that stay
    readable in the description and the reply; ``officials``: the government accounts'
    handles that stay readable in the reply (:func:`zhengwu.servicedesk.masking.officials`).
    """
    extra = request.attributes.get(EXTRA_KEY, {}) if request.attributes else {}
    reply = (masking.mask_for(request.reply_text, request, keep=keep, officials=officials)
             if request.reply_text else None)  # fmt: skip
    return {
        "service_request_id": request.public_id,
        "status": status_of(request.state),
        "status_notes": reply or STATE_LABELS.get(request.state, request.state),
        "service_name": category.name if category else None,
        "service_code": request.category_code,
        "description": masking.mask(request.text_masked, keep=keep),
        "agency_responsible": agency,
        "service_notice": notice(category),
        "requested_datetime": request.received_at,
        "updated_datetime": request.updated_at,
        "expected_datetime": request.resolve_due,
        "address": coarse_address(request.address) if request.address else None,
        "address_id": extra.get("address_id"),
        "zipcode": None,
        "lat": _coordinate(request.lat),
        "long": _coordinate(request.lon),
        "media_url": _media_url(request, keep=keep) if request.media_url else None,
    }


def _media_url(request: ServiceRequest, *, keep: Collection[str]) -> str:
    """Return the link of a request's photo as the public sees it: the citizen's, its file
    name may carry their name or number, written as text or in %-escapes (王芳 is
    ``%E7%8E%8B%E8%8A%B3`` in a URL a client encoded). A link that names no one is
    returned as sent; one that does, read as text and masked."""
    url = request.media_url or ""
    text = unquote(url)
    masked = masking.mask_for(text, request, keep=keep)
    return url if masked == text else masked


def request_records(
    requests: Sequence[ServiceRequest],
    tree: Sequence[Category],
    agencies: dict[int, str],
    *,
    keep: Collection[str] = (),
    officials: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Return the public records of several requests (``keep``: published numbers,
    ``officials``: the government accounts' handles in their replies)."""
    by_code = {c.code: c for c in tree}
    return [
        request_record(
            r,
            by_code.get(r.category_code or ""),
            agencies.get(r.organization_id) if r.organization_id is not None else None,
            keep=keep,
            officials=officials,
        )
        for r in requests
    ]
