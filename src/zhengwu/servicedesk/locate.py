"""Jurisdiction: where a request is, as an adcode (county or finer when it can be told).

Sources, most trusted first: the adcode a form or an export gave (``form``); the region an
export files the request under (所属区域, ``region``); coordinates (the nearest county seat
in the hint's province); the address field; the text itself; the region of the account the
citizen addressed. **A later source may only refine an earlier one** — name a division
inside it, never move the request elsewhere: an export's 所属区域 长沙市 stays in 长沙 whatever
its text mentions (朝阳小学, 大同市, 云南白药), though "岳麓区" in the text makes it 岳麓区. A text
that only names a city does not override an account that sits in one of that city's
counties (平安金水 + "郑州" → 金水区).

The deployment's home region (``ZHENGWU_DESK_HOME_ADCODE``, e.g. 430100 for a 长沙 centre)
confines what the address and the text can say, on every channel: only divisions inside
it count, and a request that names none (or only places elsewhere) is located to the home
region itself (``home``) rather than jumping to another province. Given codes, regions,
coordinates and accounts are data, not text, and are taken as they are.
"""

from __future__ import annotations

import re
import threading
from functools import cache

from zhengwu import regions
from zhengwu.servicedesk.schemas import RequestIntake

# An @mention names an account (@金水住建), not a place; only the rest of the text counts.
_MENTION = re.compile(r"@[\w\u4e00-\u9fff\-]{1,30}")


_warm = threading.Lock()
_warmed = False


def _warm_up() -> None:
    """Build the division name index once: concurrent first requests would each build it."""
    global _warmed
    with _warm:
        if not _warmed:
            regions.resolve_address("北京市东城区")
            _warmed = True


@cache
def _counties() -> tuple[regions.Division, ...]:
    # A renamed county's centroid is its predecessor's (孟津区: 孟津县's), so it is found too.
    return tuple(
        d for d in regions.divisions().values()
        if d.level == "county" and d.lat is not None and d.lon is not None
    )  # fmt: skip


def nearest_county(lat: float, lon: float, *, within: str | None = None) -> str | None:
    """Return the county whose seat is nearest to (lat, lon), inside province ``within``."""
    prefix = within[:2] if within else ""
    best: tuple[float, str] | None = None
    for d in _counties():
        if prefix and not d.adcode.startswith(prefix):
            continue
        assert d.lat is not None
        assert d.lon is not None
        dist = (d.lat - lat) ** 2 + (d.lon - lon) ** 2
        if best is None or dist < best[0]:
            best = (dist, d.adcode)
    return best[1] if best else None


def _inside(code: str, bound: str | None) -> bool:
    """Return whether ``code`` lies strictly inside ``bound`` (anything does without one)."""
    return bound is None or (code != bound and bound in regions.ancestors(code))


def _is_county(code: str) -> bool:
    division = regions.get(code)
    return division is not None and division.level == "county"


def region_code(name: str, *, hint: str | None = None) -> str | None:
    """Return the division an export's region cell names (所属区域: 长沙市, 岳麓区, 430104)."""
    cell = name.strip()
    if re.fullmatch(r"\d{6}", cell):
        return regions.current_adcode(cell)
    match = regions.resolve_address(cell, hint=hint)
    return match.adcode if match is not None else None


def locate(
    intake: RequestIntake, *, hint: str | None, home: str | None = None
) -> tuple[str | None, str | None]:
    """Return (adcode, how it was found) for a request; (None, None) when nowhere is known.

    ``hint``: the region of the account the request addresses. ``home``: the deployment's
    home region, which confines the address and the text (see the module docstring).
    """
    if not _warmed:
        _warm_up()
    home = regions.current_adcode(home) if home else None
    found: tuple[str, str] | None = None
    if intake.adcode:
        code = regions.current_adcode(intake.adcode)
        if code:
            found = (code, "form")
    if found is None and intake.region:
        code = region_code(intake.region, hint=hint or home)
        if code:
            found = (code, "region")
    if found is not None and _is_county(found[0]):
        return found
    if found is None and intake.lat is not None and intake.lon is not None:
        code = nearest_county(intake.lat, intake.lon, within=hint)
        if code:
            return code, "coordinates"
    # The address and the text may only name a division inside what is known so far (or
    # inside the home region): each refines, none relocates.
    for text, how in ((intake.address, "address"), (intake.text, "text")):
        if not text:
            continue
        bound = found[0] if found else home
        # The account's region breaks ties while it lies inside the bound; else the bound.
        near = hint if hint and (bound is None or bound in regions.ancestors(hint)) else bound
        match = regions.resolve_address(_MENTION.sub(" ", text), hint=near, within=bound)
        if match is None or not _inside(match.adcode, found[0] if found else None):
            continue
        found = (match.adcode, how)
        if match.level == "county":
            return found
    account_code = regions.current_adcode(hint) if hint else None
    if account_code and (found is None or found[0] in regions.ancestors(account_code)):
        return account_code, "account"
    if found is None and home is not None:
        return home, "home"
    return found or (None, None)
