"""Refuse a NUL character anywhere in a request, before any route writes (请求中的空字符).

PostgreSQL cannot store a NUL (``\\x00``) in a text and SQLite can, so a request carrying
one succeeded on one database and failed on the other — or was stored on SQLite and then
broke an export or a copy to PostgreSQL. :func:`refuse_nul_text` runs first among every
route's dependencies (:func:`zhengwu.web.app.create_app` adds it to each router), before
the unit of work opens: a NUL in the path, the query string, a JSON body (``\\u0000``), a
form field or an uploaded file's name is a bilingual 422 naming the field, on both
databases alike. An uploaded file's content is not checked here: the import that reads it
quarantines a record holding a NUL (:mod:`zhengwu.storable`). Open311 checks its own
fields and answers in GeoReport's error format.
"""

from __future__ import annotations

import json

from fastapi import Request
from starlette.datastructures import UploadFile

from zhengwu.storable import NUL, refuse_nul
from zhengwu.web.forms import read_form

# How a NUL can be spelled in a JSON body: escaped (raw control characters are not JSON).
_JSON_NUL = (b"\\u0000", NUL.encode())


async def refuse_nul_text(request: Request) -> None:
    """Raise a 422 naming the field when the request carries a NUL character."""
    refuse_nul(dict(request.path_params))
    for name, value in request.query_params.multi_items():
        refuse_nul({name: value})
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await read_form(request)  # in its charset; the bytes stay for the route
        for field, item in form.multi_items():
            # A file's content is the import's to judge; its name is stored (library items).
            refuse_nul({field: (item.filename or "") if isinstance(item, UploadFile) else item})
    elif "json" in content_type or not content_type:
        body = await request.body()  # kept by the request: the route reads it again
        if any(spelling in body for spelling in _JSON_NUL):
            try:
                document = json.loads(body)
            except ValueError:
                return  # not JSON after all: the route answers that
            refuse_nul(document)
