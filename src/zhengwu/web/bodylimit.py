"""A cap on request bodies, before anything reads them (413 请求体过大).

Each upload route checks its own limit (a member list 5 MB, a hotline export 50 MB, a
library file ``ZHENGWU_LIBRARY_MAX_UPLOAD_BYTES``), but only once the framework has taken
the whole body in (spooled to disk above 1 MB): a client could send gigabytes to any route
first. (Who may upload is checked before the body, :mod:`zhengwu.web.gate`; the size
only after it.) This middleware refuses a body larger than the largest upload the server accepts
(``ZHENGWU_MAX_REQUEST_BYTES``; by default that largest limit plus 1 MiB for the form's
own bytes): at once when the request declares its length, and as soon as the count passes
the cap when it streams without one. A reverse proxy's own limit (nginx
``client_max_body_size``) is still worth setting: it refuses before the server is reached.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ZH = "请求体过大：最多 {mb} MB（上传文件请压缩后再传，或用命令行导入）"
EN = "request body too large: at most {mb} MB (compress the file, or import it with the CLI)"


class _TooLarge(Exception):
    """Raised into the route's body reading once the count passes the cap."""


class BodyLimit:
    """ASGI middleware: 413 for a request body over ``limit`` bytes."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(headers, send)
            return
        received = 0
        over = refused = False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    over = True
                    raise _TooLarge  # stops the reading (FastAPI answers it with a 400)
            return message

        async def watched(message: Message) -> None:
            nonlocal refused
            if not over:
                await send(message)
            elif message["type"] == "http.response.start" and not refused:
                refused = True  # whatever the route made of the cut body: the 413 instead
                await self._refuse(headers, send)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not refused:
                await self._refuse(headers, send)

    async def _refuse(self, headers: dict[bytes, bytes], send: Send) -> None:
        mb = max(1, self.limit // (1024 * 1024))
        zh, en = ZH.format(mb=mb), EN.format(mb=mb)
        body: bytes
        if b"text/html" in headers.get(b"accept", b""):
            kind = b"text/html; charset=utf-8"
            body = (
                f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>413</title>'
                f"<h1>{zh}</h1><p>{en}</p></html>"
            ).encode()
        else:
            kind = b"application/json"
            payload: dict[str, Any] = {
                "error": "PayloadTooLargeError", "status": 413, "message_zh": zh, "message_en": en,
            }  # fmt: skip
            body = json.dumps(payload, ensure_ascii=False).encode()
        await send({
            "type": "http.response.start", "status": 413,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close")],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body})


def request_limit() -> int:
    """The cap: ``ZHENGWU_MAX_REQUEST_BYTES``, or the largest upload limit plus 1 MiB."""
    from zhengwu.config import get_settings
    from zhengwu.rescue.spreadsheet import UPLOAD_MAX_BYTES as SHEET
    from zhengwu.servicedesk.upload import MAX_UPLOAD_BYTES as DESK

    settings = get_settings()
    if settings.max_request_bytes:
        return settings.max_request_bytes
    return max(settings.library_max_upload_bytes, DESK, SHEET) + (1 << 20)
