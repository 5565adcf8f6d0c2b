"""The deployment's name and contact line on public pages, and the site icon.

``ZHENGWU_DEPLOYMENT_NAME`` ("某某市12345") and ``ZHENGWU_DEPLOYMENT_CONTACT`` ("服务热线
12345 · 市政务服务中心") are shown in the header and ``<title>`` of the public pages (the
request board and form, the rescue boards, the rankings); without them the pages say
"zhengwu" as before. The icon is drawn here in code — no third-party file: ``/favicon.ico``
is a 32×32 Windows icon (one 32-bit bitmap), ``/favicon.svg`` the same picture as SVG.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache

from fastapi import APIRouter
from fastapi.responses import Response
from jinja2 import Environment

from zhengwu.config import get_settings

router = APIRouter(include_in_schema=False)

DEFAULT_NAME = "zhengwu"
ICON_SIZE = 32
_RED = (0xC0, 0x39, 0x2B)  # the public pages' accent
_WHITE = (0xFF, 0xFF, 0xFF)
_CACHE = {"Cache-Control": "public, max-age=86400"}


@dataclass(frozen=True, slots=True)
class Branding:
    """What the public pages show of the deployment."""

    name: str  # "" when not set
    contact: str

    @property
    def title(self) -> str:
        """Return the name for ``<title>`` (the deployment's, else "zhengwu")."""
        return self.name or DEFAULT_NAME


def branding() -> Branding:
    """Return the deployment's name and contact line from the settings (read per page)."""
    settings = get_settings()
    return Branding(settings.deployment_name, settings.deployment_contact)


def install(env: Environment) -> None:
    """Give a template environment ``branding()`` for its pages' header and title."""
    env.globals["branding"] = branding


def _pixel(x: int, y: int) -> tuple[int, int, int, int]:
    """Return the RGBA colour of the icon at (x, y), y = 0 at the top."""
    n = ICON_SIZE
    r = 6  # corner radius of the red tile
    cx = min(max(x, r), n - 1 - r)
    cy = min(max(y, r), n - 1 - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return (0, 0, 0, 0)  # transparent outside the rounded corners
    bubble = 7 <= x <= 24 and 8 <= y <= 20
    tail = 21 <= y <= 25 and 10 <= x <= 10 + (25 - y)
    if bubble or tail:
        lines = y in (12, 13, 16, 17) and 10 <= x <= (21 if y < 16 else 17)
        return (*_RED, 255) if lines else (*_WHITE, 255)
    return (*_RED, 255)


@cache
def favicon_ico() -> bytes:
    """Return the icon as an ICO file: one 32×32 32-bit BMP image with its AND mask."""
    n = ICON_SIZE
    rows = []
    for y in reversed(range(n)):  # a BMP stores rows bottom-up, pixels as BGRA
        rows.append(
            b"".join(bytes((b, g, r, a)) for r, g, b, a in (_pixel(x, y) for x in range(n)))
        )
    pixels = b"".join(rows)
    mask = bytes(n // 8 * n)  # all 0: the alpha channel decides (rows of 32 bits: no padding)
    header = struct.pack(
        "<IiiHHIIiiII", 40, n, n * 2, 1, 32, 0, len(pixels) + len(mask), 0, 0, 0, 0
    )
    image = header + pixels + mask
    icondir = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", n, n, 0, 0, 1, 32, len(image), 6 + 16)
    return icondir + entry + image


@cache
def favicon_svg() -> str:
    """Return the icon as SVG (the same drawing as the ICO)."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
        '<rect width="32" height="32" rx="6" fill="#c0392b"/>'
        '<path d="M7 8h18v13H15l-5 5v-5H7z" fill="#fff"/>'
        '<path d="M10 12h12v2H10zM10 16h8v2h-8z" fill="#c0392b"/></svg>'
    )


@router.get("/favicon.ico")
def favicon() -> Response:
    """Serve the site icon (drawn in code)."""
    return Response(favicon_ico(), media_type="image/x-icon", headers=_CACHE)


@router.get("/favicon.svg")
def favicon_vector() -> Response:
    """Serve the site icon as SVG."""
    return Response(favicon_svg(), media_type="image/svg+xml", headers=_CACHE)
