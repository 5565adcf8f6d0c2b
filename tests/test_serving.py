"""The test servers (tests/conftest.py ``serving``): they stop in milliseconds, as uvicorn does.

About 1,170 tests (both backends) run the console in uvicorn and stop it; uvicorn's own stop
took at least 0.1 s (a fixed wait in its shutdown) and ~0.19 s on average.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from tests.conftest import serving

Scope = dict[str, Any]


async def _app(scope: Scope, receive: Any, send: Any) -> None:
    """A tiny ASGI app: ``/slow`` answers after 0.3 s, any other path at once."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        _LIFESPAN.append("shutdown")
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/slow":
        import asyncio

        await asyncio.sleep(0.3)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": scope["path"].encode()})


_LIFESPAN: list[str] = []


def test_a_server_stops_in_milliseconds_after_serving() -> None:
    stops = []
    for _ in range(3):
        with serving(_app) as url:
            with httpx.Client(base_url=url) as client:
                assert client.get("/ok").text == "/ok"
            started = time.monotonic()
        stops.append(time.monotonic() - started)
    # uvicorn's stop waits 0.1 s at least, whatever the load; the quickest of three shows it.
    assert min(stops) < 0.1, stops


def test_a_stopping_server_finishes_the_request_it_is_answering() -> None:
    _LIFESPAN.clear()
    answers: list[str] = []
    with httpx.Client(timeout=10) as client:
        with serving(_app) as url:
            request = threading.Thread(
                target=lambda: answers.append(client.get(f"{url}/slow").text)
            )
            request.start()
            time.sleep(0.1)  # the request is being answered when the server is told to stop
        request.join(timeout=10)
    assert answers == ["/slow"]
    assert _LIFESPAN == ["shutdown"]  # the app's lifespan shutdown ran, as uvicorn's does
