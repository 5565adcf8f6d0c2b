"""The deployment's name and contact line on the public pages, and the site icon, over HTTP."""

from __future__ import annotations

import html
import io
import re
import struct
from datetime import UTC, datetime

import httpx
import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import IncidentCreate

NAME = "某某市12345"
CONTACT = "服务热线 12345 · 某某市政务服务中心"


def _incident(engine: Engine) -> int:
    dispatcher = Principal(role="dispatcher", username="d", display_name="调度")
    with Session(engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="暴雨", regions=["410100"], starts_at=datetime(2026, 7, 20, tzinfo=UTC)),
            actor=dispatcher)  # fmt: skip
        session.commit()
        return incident.id


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found is not None
    return html.unescape(found[1])


def test_public_pages_carry_the_deployment_name_and_contact(
    live_server: str, committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    iid = _incident(committed_engine)
    pages = ("/board/requests", "/rankings", f"/board/rescue/{iid}", f"/board/rescue/{iid}/help")
    with httpx.Client(base_url=live_server, timeout=120) as client:
        for path in pages:  # not configured: "zhengwu", no contact line
            page = client.get(path)
            assert page.status_code == 200, path
            assert _title(page.text).endswith(" · zhengwu"), path
            assert 'id="site-name"' not in page.text and 'id="site-contact"' not in page.text
            assert 'href="/favicon.ico"' in page.text
        monkeypatch.setenv("ZHENGWU_DEPLOYMENT_NAME", f"  {NAME} ")
        monkeypatch.setenv("ZHENGWU_DEPLOYMENT_CONTACT", CONTACT)
        get_settings.cache_clear()
        for path in pages:
            text = client.get(path).text
            assert _title(text).endswith(f" · {NAME}"), path
            assert "zhengwu" not in _title(text)
            header = text[text.index("<header") : text.index("</header>")]
            assert f'<p class="site" id="site-name">{NAME}</p>' in header, path
            assert f'id="site-contact">{CONTACT}</p>' in header, path
        monkeypatch.setenv("ZHENGWU_DEPLOYMENT_NAME", "<b>某市</b>")
        get_settings.cache_clear()
        escaped = client.get("/board/requests").text
        assert "&lt;b&gt;某市&lt;/b&gt;" in escaped and "<b>某市</b>" not in escaped


def test_the_site_icon_is_served(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        ico = client.get("/favicon.ico")
        svg = client.get("/favicon.svg")
    assert ico.status_code == 200 and ico.headers["content-type"] == "image/x-icon"
    reserved, kind, count = struct.unpack("<HHH", ico.content[:6])
    assert (reserved, kind, count) == (0, 1, 1)
    width, height, _, _, planes, bits, size, offset = struct.unpack("<BBBBHHII", ico.content[6:22])
    assert (width, height, planes, bits) == (32, 32, 1, 32)
    assert offset + size == len(ico.content)
    image = Image.open(io.BytesIO(ico.content))
    image.load()
    assert image.size == (32, 32)
    rgba = image.convert("RGBA")
    assert rgba.getpixel((0, 0))[3] == 0  # a rounded corner: transparent
    assert rgba.getpixel((16, 2)) == (0xC0, 0x39, 0x2B, 255)  # the red tile
    assert rgba.getpixel((8, 10)) == (255, 255, 255, 255)  # the white speech bubble
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg") and "#c0392b" in svg.text
    assert "max-age" in ico.headers["cache-control"]
