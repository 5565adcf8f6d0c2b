"""Form bodies read in the charset they were sent in (表单按声明的字符集读取).

Starlette reads an ``application/x-www-form-urlencoded`` body's raw bytes as Latin-1, so a
script that posts Chinese without percent-encoding it (``curl -d "text=路灯坏了"``) had its
words stored as mojibake (``è·¯ç¯…``) without a word of warning. :func:`read_form` reads
such a body — raw bytes and ``%XX`` escapes alike — in the charset the client declared
(UTF-8 when none is), strictly, as Open311 does
(:func:`zhengwu.servicedesk.open311.form.decode_urlencoded`): a body that is not valid in
it is refused with a bilingual 422, never stored garbled. A multipart body (files) is read
by Starlette as before: each part's text is UTF-8 there. Read it with :func:`read_form`
everywhere before Starlette's ``request.form()`` (the CSRF check does), so that the bytes
are still there to read.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from zhengwu.errors import InvalidInputError
from zhengwu.servicedesk.open311.form import FormCharsetError, decode_urlencoded, is_urlencoded


async def read_form(request: Request) -> FormData:
    """Return the request's form fields, a urlencoded body decoded in its declared charset."""
    content_type = request.headers.get("content-type", "")
    if not is_urlencoded(content_type):
        return await request.form()
    try:
        body = await request.body()
    except RuntimeError:
        # The stream is gone: FastAPI parsed the form for the route's own Form parameters
        # (Starlette keeps that parse, not the bytes). Those routes are the console's,
        # posted by browsers, which always percent-encode.
        return await request.form()
    try:
        pairs = decode_urlencoded(body, content_type)
    except FormCharsetError as exc:
        raise InvalidInputError(exc.message_zh, exc.message_en) from None
    fields: list[tuple[str, str | UploadFile]] = list(pairs)
    return FormData(fields)
