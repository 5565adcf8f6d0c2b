"""Migration 0025: the stored priority and search texts of help requests, backfilled from
0024 by the migration's own copy of the rules (it imports no application code), indexed.

The backfills are held here to what the application's functions compute today. When one
of those functions changes, a test here fails: the copy in 0025 stays as it is, and the
stored values of existing requests may then want a migration of their own."""

from __future__ import annotations

import importlib.util
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine, inspect, text

from zhengwu import regions
from zhengwu.db import migrate, migrations
from zhengwu.db.base import UtcDateTime
from zhengwu.rescue import access, lookup, priority
from zhengwu.rescue.models import HelpRequest

REPORTED = datetime(2021, 7, 20, 8, 3, 17, tzinfo=UTC)

_rows = sa.table(
    "help_requests",
    *(sa.column(n, sa.Integer()) for n in ("incident_id", "version", "people_total",
                                           "people_helped")),
    *(sa.column(n, sa.JSON()) for n in ("phones", "vulnerabilities", "needs", "urgency_reasons",
                                        "missing")),
    *(sa.column(n, sa.String()) for n in ("state", "hazard", "urgency", "text", "verification")),
    sa.column("completeness", sa.Float()),
    *(sa.column(n, UtcDateTime()) for n in ("reported_at", "created_at", "reported_rescued_at")),
)  # fmt: skip


def _row(i: int) -> dict[str, object]:
    """A request of 0024 whose score inputs vary with ``i``."""
    return {
        "incident_id": 1, "version": 1, "state": ("new", "verified", "resolved")[i % 3],
        "people_total": (None, 1, 3, 8)[i % 4], "people_helped": i % 2,
        "phones": [], "missing": [], "completeness": 1.0, "text": f"求助 {i}",
        "vulnerabilities": [["elderly"], [], ["infant", "ill", "pregnant", "injured"],
                            ["unknown_group"]][i % 4],
        "needs": [["trapped"], [], ["medical"]][i % 3],
        "urgency_reasons": [["rising_water:水位在上升"], []][i % 2],
        "hazard": (None, "水位上涨", "")[i % 3], "urgency": ("critical", "urgent", "normal")[i % 3],
        "verification": ("unverified", "confirmed", "false", "unreachable", "already_rescued")[i % 5],
        "reported_rescued_at": REPORTED if i % 7 == 0 else None,
        "reported_at": REPORTED + timedelta(seconds=997 * i), "created_at": REPORTED,
    }  # fmt: skip


def _add_incident(conn: sa.Connection) -> None:
    """Write incident 1, as 0024 holds it: the requests' own."""
    conn.execute(text(
        "INSERT INTO rescue_incidents (id, name, type, status, regions, hashtags, keywords,"
        " starts_at, reverify_hours, created_at) VALUES (1, '旧灾情', 'flood', 'active', '[]',"
        " '[]', '[]', '2021-07-20 00:00:00', 6.0, '2021-07-20 00:00:00')"
    ))  # fmt: skip


def test_upgrade_from_0024_scores_every_request(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0024")
    assert "priority_base" not in {c["name"] for c in inspect(empty_engine).get_columns(
        "help_requests")}  # fmt: skip
    with empty_engine.begin() as conn:
        _add_incident(conn)
        conn.execute(_rows.insert(), [_row(i) for i in range(2500)])  # more than one batch
    migrate.upgrade(empty_engine, "0025")
    inputs = [
        c.name
        for c in _rows.c
        if c.name
        not in ("version", "phones", "missing", "text", "completeness", "created_at", "state")
    ]
    with empty_engine.connect() as conn:
        rows = conn.execute(sa.select(
            sa.column("id"), sa.column("priority_base"), sa.column("priority_fresh"),
            *(_rows.c[n] for n in inputs)).select_from(_rows).order_by(sa.column("id"))).all()  # fmt: skip
    assert len(rows) == 2500
    wrong = [r.id for r in rows if (r.priority_base, r.priority_fresh)
             != priority.stored(SimpleNamespace(**r._mapping))]  # type: ignore[arg-type]  # fmt: skip
    assert wrong == []
    assert len({r.priority_base for r in rows}) > 10  # the inputs did vary
    with empty_engine.connect() as conn:
        searched = conn.execute(text(
            "SELECT search_words, search_digits FROM help_requests ORDER BY id")).all()  # fmt: skip
    assert [tuple(r) for r in searched[:2]] == [("求助 0\n\n\n", "0"), ("求助 1\n\n\n", "1")]
    assert searched[1234] == ("求助 1234\n\n\n", "1234")
    indexes = {i["name"]: i["column_names"] for i in inspect(empty_engine).get_indexes(
        "help_requests")}  # fmt: skip
    declared = {i.name: [c.name for c in i.columns] for i in HelpRequest.__table__.indexes}
    for name in ("ix_help_requests_priority", "ix_help_requests_priority_fresh"):
        key = "priority_base" if name.endswith("priority") else "priority_fresh"
        assert indexes[name][0] == "incident_id" and indexes[name][2:] == ["reported_at", "id"]
        assert key in str(indexes[name][1]) or indexes[name][1] is None
        assert name in declared
    # Down to 0024 and up again: the columns go and come back, scored.
    config = migrate.alembic_config(empty_engine.url.render_as_string(hide_password=False))
    with empty_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0024")
    assert "priority_base" not in {c["name"] for c in inspect(empty_engine).get_columns(
        "help_requests")}  # fmt: skip
    migrate.upgrade(empty_engine)  # every head, as `zhengwu db upgrade` does
    with empty_engine.connect() as conn:
        scored = conn.execute(text("SELECT count(*) FROM help_requests WHERE priority_base <> 0"))
        assert scored.scalar_one() > 2000


# What the search texts are made of, with what folding and lookups can get wrong: full-width
# digits and letters, ideographic spaces, odd dashes, zero-width characters, letters that
# casefold to two (ß), digits of other scripts; current, old (崇文区 → 东城区), placeholder
# (110100), short (4101), unknown and malformed county codes; phones without digits.
TEXTS = ("#郑州暴雨互助# 被困，电话１３８　００００　１１１１", "求助\u200b139—0000—2222 老人",
         "ⅣⅫ ٣٤٥ Ｏｋ ＳＯＳ", "")  # fmt: skip
ADDRESSES = (
    None,
    "金水区经三路１２号院３－２０１",
    "郑州市　二七区 大学路 ８８号",
    "ＡＢＣ小区 Ｂ-１２",
)
ADCODES = ("410105", "110103", "110100", "4101", "419001", "990000", "123456", "abc", "", None)
NAMES = (None, "张三", "ＬＩ Ｍｉｎｇ", "Straße")
PHONES = ([], ["13800001111"], ["+86 139-0000-2222", "１３７００００３３３３"], ["无", ""])
MIRRORS = ([], ["转发：１３８ ０００"], ["镜像一", "镜像二 ０３７１－６６６６１２３４", "ＥＮＤ"])

_searched = sa.table(
    "help_requests",
    *(sa.column(n, sa.String()) for n in ("address", "adcode", "name")),
    sa.column("id", sa.Integer()),
)
_sources = sa.table(
    "help_sources",
    *(sa.column(n, sa.Integer()) for n in ("incident_id", "request_id")),
    *(sa.column(n, sa.String()) for n in ("channel", "platform", "post_id", "text", "kind")),
    sa.column("score", sa.Float()),
    sa.column("fields", sa.JSON()),
    *(sa.column(n, UtcDateTime()) for n in ("posted_at", "created_at")),
)


def test_upgrade_from_0024_indexes_what_a_full_viewer_searches(empty_engine: Engine) -> None:
    """0025's own copy of the search texts (frozen: it imports no application code) stores
    what ``lookup.index_texts`` computes today, mirrors and county names included."""
    migrate.upgrade(empty_engine, "0024")
    pick = random.Random(25)
    requests, sources, mirrors = [], [], {}
    for i in range(1, 601):  # more than one IN (…) of 500 ids
        requests.append({**_row(i), "text": f"{pick.choice(TEXTS)} {i}",
                         "phones": pick.choice(PHONES)})  # fmt: skip
        mirrors[i] = [f"{t} #{i}" for t in pick.choice(MIRRORS)]
        sources += [{"incident_id": 1, "request_id": i, "channel": "post", "platform": "weibo",
                     "post_id": f"{i}-{n}", "text": t, "kind": "copy", "score": 1.0, "fields": {},
                     "posted_at": REPORTED, "created_at": REPORTED}
                    for n, t in enumerate(mirrors[i])]  # fmt: skip
    places = {i: {"rid": i, "address": pick.choice(ADDRESSES), "adcode": pick.choice(ADCODES),
                  "name": pick.choice(NAMES)} for i in mirrors}  # fmt: skip
    with empty_engine.begin() as conn:
        _add_incident(conn)
        conn.execute(_rows.insert(), requests)
        ids = conn.execute(text("SELECT id FROM help_requests ORDER BY id")).scalars().all()
        assert ids == list(mirrors)  # numbered 1, 2, … as written
        conn.execute(
            _searched.update().where(_searched.c.id == sa.bindparam("rid")),
            list(places.values()),
        )
        conn.execute(_sources.insert(), sources)
    migrate.upgrade(empty_engine, "0025")
    with empty_engine.connect() as conn:
        stored = {r.id: (r.search_words, r.search_digits) for r in conn.execute(text(
            "SELECT id, search_words, search_digits FROM help_requests"))}  # fmt: skip
    expected = {}
    for (i, place), request in zip(places.items(), requests, strict=True):
        phones: list[str] = request["phones"]  # type: ignore[assignment]
        expected[i] = lookup.index_texts([str(request["text"]), *mirrors[i]],
                                         address=place["address"], adcode=place["adcode"],
                                         name=place["name"], phones=phones)  # fmt: skip
    assert stored == expected
    # The cases did come up, and look as they should.
    by_code = {places[i]["adcode"]: stored[i] for i in stored}
    assert "\n东城区\n" in by_code["110103"][0] and "\n北京市\n" in by_code["110100"][0]
    assert "\n郑州市\n" in by_code["4101"][0] and "\n\n" in by_code["990000"][0]
    words = " ".join(w for w, _ in stored.values())
    digits = " ".join(d for _, d in stored.values())
    assert "strasse" in words and "li ming" in words and "abc小区 b-12" in words
    assert {"13800001111", "13900002222", "8613900002222", "13700003333"} <= set(digits.split())


def test_the_migrations_county_names_are_the_apps() -> None:
    """0025's copy of the county lookup names what ``access.area_name`` names, for every
    current code, every old one, their short forms and what is no code at all."""
    path = Path(migrations.__file__).parent / "versions" / "0025_help_request_priority.py"
    spec = importlib.util.spec_from_file_location("migration_0025", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    codes = set(regions.divisions())
    codes |= {c.old_code for c in regions.changes() if c.old_code} | {
        c.new_code for c in regions.changes()
    }
    codes |= {c[:4] for c in codes} | {c[:2] for c in codes} | {c + "000000" for c in codes}
    codes |= {"", "abc", "12345", "990000", "419000", "110100", "500200", "4101000000001"}
    named = {code: module._county_name(code) for code in sorted(codes)}
    assert named == {code: access.area_name(code) for code in sorted(codes)}
    assert sum(name is not None for name in named.values()) > 3000
