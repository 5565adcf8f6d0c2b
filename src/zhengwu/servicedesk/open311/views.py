"""Routes of Open311 GeoReport v2 under ``/open311/v2/`` (mounted by the web app).

Every resource takes a format suffix — ``.xml`` (the default when there is none) or
``.json`` — and every error, whatever raised it, is the spec's ``errors`` document in
that format with status 404, 403 or 400. Old clients in the field are accepted as they
are: they always ask for ``.xml``, fetch definitions at the singular ``service/{code}.xml``,
send ``api_key`` and ``jurisdiction_id`` in the query string of a POST whose fields are in
the form body, and add an empty ``jurisdiction_id=`` to every GET (empty = absent).
A urlencoded body is read in the charset it declares (UTF-8 when none), raw or
percent-encoded; a body not valid in it is a 400 (:mod:`.form`).

``jurisdiction_id``, when given, is a 6-digit division code (adcode): it scopes
``GET /requests`` to that division and places a POSTed request that carries no finer
location. An unknown jurisdiction is a 404.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts import phones as published_phones
from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.errors import ZhengwuError
from zhengwu.servicedesk import masking, service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.models import Category
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.open311 import documents, form, keys
from zhengwu.servicedesk.open311.errors import Open311Error, bad, not_found
from zhengwu.servicedesk.open311.intake import build_intake, first
from zhengwu.servicedesk.open311.query import (
    RequestFilter,
    agencies,
    find_requests,
    parse_filter,
)
from zhengwu.servicedesk.open311.serialize import FORMATS, Format, errors_document, render
from zhengwu.storable import NulTextError, refuse_nul
from zhengwu.web.deps import DB

PREFIX = "/open311/v2"
router = APIRouter(prefix=PREFIX, tags=["Open311 GeoReport v2"])
_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)  # the changeset of an empty category table


def setup(app: FastAPI) -> None:
    """Render every Open311 error as the spec's errors document."""

    async def _render(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Open311Error)
        body = errors_document(exc.status_code, exc.descriptions)
        return render(exc.fmt, "errors", body, exc.status_code)

    app.add_exception_handler(Open311Error, _render)


async def _fields(request: Request) -> dict[str, list[str]]:
    """Return the query string and, for a POST, the form body (the body wins per field)."""
    fields: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        fields.setdefault(name, []).append(value)
    if request.method == "POST":
        body: dict[str, list[str]] = {}
        for name, value in await _form_items(request):
            body.setdefault(name, []).append(value)
        fields.update(body)
    return fields


async def _form_items(request: Request) -> list[tuple[str, str]]:
    """Return the fields of a POST's form body (none for another content type)."""
    content_type = request.headers.get("content-type", "")
    fmt = _path_format(request)
    if form.is_urlencoded(content_type):
        # Not Starlette's form parser: it reads raw bytes as Latin-1, whatever the charset.
        return form.parse_urlencoded(await request.body(), content_type, fmt)
    if not content_type.lower().startswith("multipart/form-data"):
        if await request.body():  # a JSON body, say: its fields would be missed without a word
            got = content_type.split(";", 1)[0].strip() or "未声明类型 / none"
            raise bad(
                fmt,
                f"请求体须为表单编码（{form.URLENCODED}，GeoReport v2），收到：{got} / "
                f"the body must be form-encoded ({form.URLENCODED}, GeoReport v2), got: {got}",
            )
        return []
    try:
        parsed = await request.form()
    except Exception as exc:  # malformed multipart: the client's fault, not a 500
        raise bad(fmt, f"请求体无法解析 / unreadable form body: {exc}") from None
    # Uploaded files are not part of GeoReport v2: dropped, and their temporary files closed.
    items = [(name, item) for name, item in parsed.multi_items() if isinstance(item, str)]
    await parsed.close()
    return items


Fields = Annotated[dict[str, list[str]], Depends(_fields)]


def refuse_nul_fields(request: Request, fields: Fields) -> None:
    """Refuse a NUL character in the path, the query or the form (a 400 in the asked format).

    The app runs it before every Open311 route (:data:`TEXT_CHECK`), as it runs
    :func:`zhengwu.web.textcheck.refuse_nul_text` before the others: PostgreSQL cannot
    store a NUL, and SQLite must not keep what PostgreSQL refuses.
    """
    try:
        refuse_nul(dict(request.path_params))
        for name, values in fields.items():
            for value in values:
                refuse_nul({name: value})
    except NulTextError as exc:
        raise Open311Error.wrap(exc, _path_format(request)) from None


TEXT_CHECK = refuse_nul_fields


def _format(value: str) -> Format:
    fmt = value.lower()
    if fmt not in FORMATS:
        raise Open311Error(400, [f"不支持的格式 {value} / unsupported format {value}"], "xml")
    return fmt


def _path_format(request: Request) -> Format:
    """Return the format the path's suffix asks for (XML when none or unknown)."""
    suffix = request.url.path.rpartition("/")[2].rpartition(".")[2].lower()
    return "json" if suffix == "json" else "xml"


def _split(segment: str) -> tuple[str, Format]:
    """Return ``("033", "json")`` for ``"033.json"``; no suffix means XML."""
    stem, dot, suffix = segment.rpartition(".")
    return (stem, _format(suffix)) if dot else (segment, "xml")


@contextmanager
def _open311(fmt: Format) -> Iterator[None]:
    """Turn every zhengwu error inside into an Open311 error in ``fmt``."""
    try:
        yield
    except Open311Error:
        raise
    except ZhengwuError as exc:
        raise Open311Error.wrap(exc, fmt) from exc


def _jurisdiction(fields: Fields, fmt: Format) -> str | None:
    """Return the adcode of ``jurisdiction_id`` (None when absent or empty)."""
    value = first(fields, "jurisdiction_id")
    if not value:
        return None
    code = regions.current_adcode(value) if value.isdigit() and len(value) == 6 else None
    if code is None:
        raise not_found(fmt, f"未知的 jurisdiction_id：{value} / jurisdiction_id not found")
    return code


def _active_category(db: Session, code: str) -> Category | None:
    return next((c for c in category_service.get_tree(db) if c.code == code), None)


@router.get("/discovery.{fmt}")
@router.get("/discovery", include_in_schema=False)
def discovery(request: Request, db: DB, fields: Fields, fmt: str = "xml") -> Response:
    """Describe this GeoReport v2 endpoint (discovery)."""
    f = _format(fmt)
    with _open311(f):
        _jurisdiction(fields, f)
        changeset = db.scalar(select(func.max(Category.updated_at))) or _EPOCH
        base = str(request.base_url).rstrip("/") + PREFIX
        return render(f, "discovery", documents.discovery(base, changeset))


@router.get("/services.{fmt}")
@router.get("/services", include_in_schema=False)
def services(db: DB, fields: Fields, fmt: str = "xml") -> Response:
    """List the services: the category tree, with a flag where a category asks more."""
    f = _format(fmt)
    with _open311(f):
        _jurisdiction(fields, f)
        tree = category_service.get_tree(db)
        return render(f, "services", [documents.service(c) for c in tree])


@router.get("/services/{code_fmt}")
@router.get("/service/{code_fmt}", include_in_schema=False)  # old clients' singular path
def service_definition(code_fmt: str, db: DB, fields: Fields) -> Response:
    """Return a service's definition: the attributes a request of it may or must carry."""
    code, f = _split(code_fmt)
    with _open311(f):
        _jurisdiction(fields, f)
        category = _active_category(db, code)
        if category is None:
            raise not_found(f, f"service_code 不存在：{code} / service_code {code} not found")
        return render(f, "service_definition", documents.service_definition(category))


@router.post("/requests.{fmt}")
@router.post("/requests", include_in_schema=False)
def create_request(db: DB, fields: Fields, fmt: str = "xml") -> Response:
    """Create a service request (api_key required; fields form-encoded)."""
    f = _format(fmt)
    with _open311(f):
        key = keys.check_key(db, first(fields, "api_key"))
        adcode = _jurisdiction(fields, f)
        code = first(fields, "service_code")
        if not code:
            raise bad(f, "缺少 service_code / service_code was not provided")
        category = _active_category(db, code)
        if category is None:
            raise bad(f, f"service_code 不存在：{code} / service_code {code} not found")
        intake = build_intake(fields, category, key_id=key.id, adcode=adcode, fmt=f)
        actor = Principal(username=f"open311:{key.id}", display_name=f"Open311·{key.name}")
        request = service.create_request(db, intake=intake, actor=actor)
        body = {
            "service_request_id": request.public_id,
            "service_notice": documents.notice(category, received=True),
            "account_id": first(fields, "account_id") or None,
        }
        return render(f, "service_requests", [body])


def _records(
    db: Session, found: Sequence[ServiceRequest], tree: Sequence[Category]
) -> list[dict[str, Any]]:
    """Return the public records of ``found``: published numbers and the government
    accounts' handles in their replies stay readable."""
    return documents.request_records(
        found, tree, agencies(db, found), keep=published_phones.directory(db),
        officials=masking.officials(db, (r.reply_text for r in found)),
    )  # fmt: skip


@router.get("/requests.{fmt}")
@router.get("/requests", include_in_schema=False)
def list_requests(db: DB, fields: Fields, fmt: str = "xml") -> Response:
    """List public requests by the spec's filters (descriptions masked)."""
    f = _format(fmt)
    with _open311(f):
        criteria = parse_filter(fields, now=utcnow(), adcode=_jurisdiction(fields, f), fmt=f)
        tree = category_service.get_tree(db, include_inactive=True)
        found = find_requests(db, criteria, tree)
        records = _records(db, found, tree)
        return render(f, "service_requests", records)


@router.get("/requests/{id_fmt}")
def get_request(id_fmt: str, db: DB, fields: Fields) -> Response:
    """Return one public request (a list of one, as the spec has it)."""
    public_id, f = _split(id_fmt)
    with _open311(f):
        _jurisdiction(fields, f)
        tree = category_service.get_tree(db, include_inactive=True)
        found = find_requests(db, RequestFilter(ids=(public_id,)), tree)
        if not found:
            raise not_found(f, f"诉求不存在：{public_id} / service_request_id not found")
        records = _records(db, found, tree)
        return render(f, "service_requests", records)


@router.get("/tokens/{token_fmt}")
def get_token(token_fmt: str, db: DB, fields: Fields) -> Response:
    """Return the request id of a token (requests are created at once: the token is the id)."""
    token, f = _split(token_fmt)
    with _open311(f):
        _jurisdiction(fields, f)
        found = find_requests(db, RequestFilter(ids=(token,)), [])
        if not found:
            raise not_found(f, f"token 不存在：{token} / token not found")
        return render(f, "service_requests", [{"service_request_id": token, "token": token}])


@router.api_route(
    "/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
def unknown(rest: str) -> Response:
    """Answer any other path under /open311/v2/ with the spec's 404."""
    fmt: Format = "json" if rest.endswith(".json") else "xml"
    raise not_found(fmt, f"没有这个资源：{rest} / no such resource: {rest}")
