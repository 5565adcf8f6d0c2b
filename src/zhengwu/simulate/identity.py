"""Platform identities: uids, unique names, registration dates and location codes.

* Weibo uids grow with the registration date (2011 accounts have 19…–26… ten-digit uids,
  2020 ones 73…–75…), as on the real platform; most government accounts opened in
  2011–2013 (政务微博元年).
* WeChat ``__biz`` is the base64 of the account's ten-digit fakeid (``MzA3NTE5MzQzMA==``).
* Douyin accounts have a numeric ``user_id`` and an ``MS4wLjABAAAA…`` ``sec_uid``.
* Weibo ``province`` is the two-digit GB/T 2260 prefix; ``city`` is Weibo-internal: the
  city's order in its province (郑州 = "1"), a municipality district's order (朝阳 = "5"),
  ``"1000"`` when none.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from zhengwu.simulate.catalogue import DEFAULT_DESCRIPTIONS, DESCRIPTIONS
from zhengwu.simulate.config import Draws, rng
from zhengwu.simulate.scope import Place

if TYPE_CHECKING:
    from zhengwu.simulate.population import Account, Org

# (year, first uid of the year): Weibo uids are roughly increasing in time.
_UID_BY_YEAR = (
    (2009, 1_600_000_000), (2010, 1_700_000_000), (2011, 1_900_000_000),
    (2012, 2_700_000_000), (2013, 3_200_000_000), (2014, 3_900_000_000),
    (2015, 5_300_000_000), (2016, 5_800_000_000), (2017, 6_100_000_000),
    (2018, 6_400_000_000), (2019, 6_900_000_000), (2020, 7_300_000_000),
    (2021, 7_500_000_000), (2022, 7_700_000_000), (2023, 7_800_000_000),
    (2024, 7_900_000_000), (2025, 7_950_000_000), (2026, 7_990_000_000),
)  # fmt: skip
_UID_SPANS = {year: (first, nxt) for (year, first), (_, nxt) in itertools.pairwise(_UID_BY_YEAR)}
# Registration-year weights per platform (government accounts).
_YEARS = {
    "weibo": {2010: 3, 2011: 20, 2012: 18, 2013: 14, 2014: 9, 2015: 7, 2016: 6, 2017: 5,
              2018: 5, 2019: 5, 2020: 4, 2021: 2, 2022: 1, 2023: 1},
    "wechat": {2013: 8, 2014: 14, 2015: 14, 2016: 12, 2017: 10, 2018: 9, 2019: 8, 2020: 7,
               2021: 5, 2022: 3, 2023: 2},
    "douyin": {2018: 10, 2019: 16, 2020: 14, 2021: 10, 2022: 7, 2023: 5, 2024: 3},
}  # fmt: skip
# Bodies that Weibo often verifies as 团体/机构 (7) instead of 政府 (1).
_GROUP_SECTORS = frozenset({"共青团", "妇联", "人大", "政协"})


class IdentityFactory:
    """Hands out unique uids and names, deterministic for a seed."""

    def __init__(self, seed: int, start: date, places: dict[str, Place]) -> None:
        self.rand = Draws(rng(seed, "identity"))
        self.secret = rng(seed, "sec_uid")
        self._secret = b""
        self._secret_at = 0
        self.start = start
        self.places = places
        self._years: dict[tuple[str, tuple[tuple[int, int], ...]], tuple[list[int], list[int]]] = {}
        self.uids: dict[str, set[str]] = {"weibo": set(), "wechat": set(), "douyin": set()}
        self.names: dict[str, set[str]] = {"weibo": set(), "wechat": set(), "douyin": set()}

    # -- dates and ids ---------------------------------------------------------------
    def created(self, platform: str, years: dict[int, int] | None = None) -> date:
        """Return a registration date before the window start."""
        key = (platform, tuple(sorted(years.items())) if years else ())
        if key not in self._years:
            weights = {y: w for y, w in (years or _YEARS[platform]).items() if y < self.start.year}
            self._years[key] = (list(weights), list(itertools.accumulate(weights.values())))
        ys, cumulative = self._years[key]
        if not ys:
            return self.start - timedelta(days=self.rand.integers(30, 365))
        year = ys[self.rand.index(cumulative)]
        return date(year, 1, 1) + timedelta(days=self.rand.integers(0, 365))

    def weibo_uid(self, created: date) -> str:
        """Return an unused ten-digit Weibo uid that fits the registration date."""
        first, nxt = _UID_SPANS.get(created.year, _UID_SPANS[max(_UID_SPANS)])
        lo = first + int((nxt - first) * created.timetuple().tm_yday / 366)
        hi = lo + max(1, (nxt - first) // 366)
        return self._unique("weibo", lambda: str(self.rand.integers(lo, hi + 1)))

    def wechat_biz(self) -> tuple[str, str]:
        """Return an unused (fakeid, __biz) pair."""
        fakeid = self._unique(
            "wechat", lambda: str(int(self.rand.integers(3_000_000_000, 3_999_999_999)))
        )
        return fakeid, base64.b64encode(fakeid.encode()).decode()

    def douyin_ids(self) -> tuple[str, str, str]:
        """Return an unused (user_id, sec_uid, unique_id) triple."""
        user_id = self._unique("douyin", lambda: str(self.rand.integers(10**10, 10**11)))
        if self._secret_at >= len(self._secret):
            self._secret, self._secret_at = self.secret.bytes(32 * 4096), 0  # one draw, many ids
        chunk = self._secret[self._secret_at : self._secret_at + 32]
        self._secret_at += 32
        sec = "MS4wLjABAAAA" + base64.urlsafe_b64encode(chunk).decode()[:43]
        unique_id = f"dy{self.rand.integers(10**8, 10**9)}"
        return user_id, sec, unique_id

    def _unique(self, platform: str, draw: Callable[[], str]) -> str:
        used = self.uids[platform]
        while True:
            value = draw()
            if value not in used:
                used.add(value)
                return value

    def unique_name(self, platform: str, candidates: list[str]) -> str:
        """Return the first unused candidate, else the first with a number appended."""
        used = self.names[platform]
        for name in candidates:
            if name not in used:
                used.add(name)
                return name
        n = 2
        while f"{candidates[0]}{n}" in used:
            n += 1
        used.add(f"{candidates[0]}{n}")
        return f"{candidates[0]}{n}"

    # -- government accounts -----------------------------------------------------------
    def government_accounts(self, orgs: list[Org]) -> dict[str, list[Account]]:
        """Open the platform accounts of every organisation that has them."""
        from zhengwu.simulate.population import Account

        out: dict[str, list[Account]] = {"weibo": [], "wechat": [], "douyin": []}
        for index, org in enumerate(orgs):
            if not org.names:
                continue
            prefixes = self._prefixes(org)
            for platform in ("weibo", "wechat", "douyin"):
                if not org.opens.get(platform):
                    continue
                base = org.names[0]
                if platform == "wechat" and self.rand.random() < 0.25:
                    base = org.name
                if platform == "douyin" and self.rand.random() < 0.15:
                    base = org.name
                candidates = [
                    base,
                    *org.names[1:],
                    *self._qualified(org, base),
                    org.name,
                    # Prefixed by a place the name does not already hold (not 文山文山发布).
                    *(
                        "".join(parts) + base
                        for parts in prefixes
                        if not any(part in base for part in parts)
                    ),
                ]
                name = self.unique_name(platform, candidates)
                verified = 1
                if (
                    org.sector in _GROUP_SECTORS and self.rand.random() < 0.3
                ) or self.rand.random() < 0.02:
                    verified = 7
                texts = DESCRIPTIONS.get(org.sector, DEFAULT_DESCRIPTIONS)
                description = texts[self.rand.integers(0, len(texts))].format(n=org.name)
                account = Account(
                    platform=platform, uid="", name=name, org=index, kind="gov",
                    verified_type=verified, verified_reason=f"{org.name}官方微博",
                    description=description, created="", level=org.level, sector=org.sector,
                    place=org.place, adcode=org.adcode, unit=org.unit, province=org.province,
                )  # fmt: skip
                self.assign_ids(account)
                out[platform].append(account)
        return out

    def assign_ids(self, account: Account, years: dict[int, int] | None = None) -> None:
        """Give an account its uid, registration date and platform extras."""
        created = self.created(account.platform, years)
        account.created = created.isoformat()
        if account.platform == "weibo":
            account.uid = self.weibo_uid(created)
            account.extra.update(self.weibo_location(account))
        elif account.platform == "wechat":
            fakeid, biz = self.wechat_biz()
            account.uid = biz
            account.extra["fakeid"] = fakeid
        else:
            user_id, sec, unique_id = self.douyin_ids()
            account.uid = user_id
            account.extra.update(sec_uid=sec, unique_id=unique_id)
        account.extra["ip_location"] = self._short(account.province) or "北京"

    def weibo_location(self, account: Account) -> dict[str, str]:
        """Return Weibo's province / city codes and location text for an account."""
        province, unit = account.province, account.unit
        if not province:
            return {"province": "11", "city": "1000", "location": "北京"}
        pshort = self._short(province)
        code = province[:2]
        county = self.places.get(account.adcode)
        if unit == province and county is not None and account.adcode != province:
            # A municipality district: Weibo numbers the districts (朝阳 = "5").
            city = str(int(account.adcode[4:6]))
            return {"province": code, "city": city, "location": f"{pshort} {county.name}"}
        if unit and unit != province and unit.endswith("00"):
            city = str(int(unit[2:4]))
            return {"province": code, "city": city, "location": f"{pshort} {self._short(unit)}"}
        return {"province": code, "city": "1000", "location": pshort}

    def _short(self, adcode: str) -> str:
        place = self.places.get(adcode)
        return place.short if place else ""

    def _qualified(self, org: Org, name: str) -> list[str]:
        """Return ``name`` with its own place's short name written out (文山发布 → 文山市发布).

        A county-level city often shares its short name with its prefecture (文山市 in
        文山州): the second 文山发布 then reads 文山市发布, as real accounts do, rather than a
        place name doubled.
        """
        place = self.places.get(org.adcode)
        if place is None or place.name == place.short or place.short not in name:
            return []
        suffix = place.name[-1]  # 文山市, 金水区, 文山州 (not 文山壮族苗族自治州)
        at = name.index(place.short) + len(place.short)
        # Already written out (共青团文山市委), but 文山市场监管 is 文山 + 市场监管.
        if name.startswith(suffix, at) and not name.startswith("市场", at):
            return []
        return [name[:at] + suffix + name[at:]]

    def _prefixes(self, org: Org) -> list[tuple[str, ...]]:
        """Return the places that can tell a taken name apart: city, province, both."""
        city = self._short(org.unit) if org.unit != org.province else ""
        province = self._short(org.province)
        return [parts for parts in ((city,), (province,), (province, city)) if all(parts)]
