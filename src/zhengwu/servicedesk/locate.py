"""Jurisdiction: where a request is, as an adcode (county or finer when it can be told).

Sources, most trusted first: the adcode a form gave; coordinates (the nearest county seat
in the hint's province); the address field; the text itself; the region of the account the
citizen addressed. A text that only names a city does not override an account that sits in
one of that city's counties (平安金水 + "郑州" → 金水区).
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


def locate(intake: RequestIntake, *, hint: str | None) -> tuple[str | None, str | None]:
    """Return (adcode, how it was found) for a request; (None, None) when nowhere is known."""
    if not _warmed:
        _warm_up()
    if intake.adcode:
        code = regions.current_adcode(intake.adcode)
        if code:
            return code, "form"
    if intake.lat is not None and intake.lon is not None:
        code = nearest_county(intake.lat, intake.lon, within=hint)
        if code:
            return code, "coordinates"
    coarse: tuple[str, str] | None = None
    for text, how in ((intake.address, "address"), (intake.text, "text")):
        if not text:
            continue
        match = regions.resolve_address(_MENTION.sub(" ", text), hint=hint)
        if match is None:
            continue
        if match.level == "county":
            return match.adcode, how
        coarse = coarse or (match.adcode, how)
    account_code = regions.current_adcode(hint) if hint else None
    if account_code and (coarse is None or coarse[0] in regions.ancestors(account_code)):
        return account_code, "account"
    return coarse or (None, None)
