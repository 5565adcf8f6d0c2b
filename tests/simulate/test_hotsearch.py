"""The simulated Weibo hot-search archive: the real files' format, the rainstorm on it, and
an import that takes every entry."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.orm import Session

from zhengwu.content import store
from zhengwu.ingest.pipeline import run_import
from zhengwu.simulate.hotsearch import FOLDER, LIST_SIZE, render_archive
from zhengwu.simulate.output import SimulatedOutput

REAL_DAYS = {"2020-11-24": 80, "2023-02-13": 120, "2024-06-01": 120, "2026-08-22": 120}
RANKED = re.compile(r"^/weibo\?q=([^&]+)&t=31&band_rank=(\d+)&Refer=top$")
PINNED = re.compile(r"^/weibo\?q=(%23[^&]+%23)&Refer=new_time$")


def _archive(city: SimulatedOutput) -> dict[str, list[dict[str, str]]]:
    return {
        p.stem: json.loads(p.read_text("utf-8"))
        for p in sorted((city.root / FOLDER).glob("*.json"))
    }


def test_the_layout_is_the_real_archives_byte_for_byte(shared_data: Path) -> None:
    for day, width in REAL_DAYS.items():
        raw = (shared_data / "weibo-hot-search" / f"{day}.json").read_text("utf-8")
        elements = [(e["url"], e["title"]) for e in json.loads(raw)]
        assert render_archive(elements, width=width) == raw, day


def test_one_archive_per_day_in_the_real_format(city: SimulatedOutput) -> None:
    archive = _archive(city)
    window = city.truth["window"]
    assert list(archive) == city.truth["hot_search"]["days"]
    assert next(iter(archive)) == window["start"] and len(archive) == window["days"]
    for day, entries in archive.items():
        text = (city.root / FOLDER / f"{day}.json").read_text("utf-8")
        assert render_archive([(e["url"], e["title"]) for e in entries]) == text
        assert len(entries) == city.truth["hot_search"]["entries"][day]
        assert 250 <= len(entries) <= 500  # the real days hold 152 to 1,068 entries
        assert all(list(e) == ["url", "title"] for e in entries)
        assert len({e["title"] for e in entries}) == len(entries)  # de-duplicated union
        pinned = 0
        while PINNED.match(entries[pinned]["url"]):  # the pinned entries lead the day
            pinned += 1
        assert 1 <= pinned <= 6
        ranks = Counter()
        for entry in entries[pinned:]:
            found = RANKED.match(entry["url"])
            assert found is not None, entry
            query, rank = unquote(found[1]), int(found[2])
            assert query in (entry["title"], f"#{entry['title']}#")
            assert "#" not in entry["title"] and entry["title"].strip() == entry["title"]
            assert 1 <= rank <= LIST_SIZE
            ranks[rank] += 1
        assert set(ranks) == set(range(1, LIST_SIZE + 1))  # every slot filled some hour
        topics = sum("%23" in e["url"] for e in entries[pinned:])
        assert 0.5 < topics / (len(entries) - pinned) < 0.9  # like the real lists' #话题#


def test_the_rainstorm_hashtag_is_on_the_event_days(city: SimulatedOutput) -> None:
    archive = _archive(city)
    event, hot = city.truth["event"], city.truth["hot_search"]
    tag = event["tag"]
    assert hot["event_title"] == tag and f"#{tag}#" == event["hashtag"]
    on_list = [day for day, entries in archive.items() if any(e["title"] == tag for e in entries)]
    assert on_list == event["days"] == hot["event_days"]
    for day in event["days"]:
        (entry,) = [e for e in archive[day] if e["title"] == tag]
        assert parse_qs(urlsplit(entry["url"]).query)["q"] == [event["hashtag"]]
        rank = int(parse_qs(urlsplit(entry["url"]).query)["band_rank"][0])
        assert rank <= 3 and hot["event_ranks"][day] == rank
        help_tag = city.truth["help"]["hashtag"].strip("#")
        assert help_tag in {e["title"] for e in archive[day]}
    before = archive[list(archive)[list(archive).index(event["days"][0]) - 1]]
    assert any(e["title"].endswith("发布暴雨预警") for e in before)


def test_import_takes_every_day_and_entry(city: SimulatedOutput, session: Session) -> None:
    hot = city.truth["hot_search"]
    files = sorted((city.root / FOLDER).glob("*.json"))
    with store.open_store() as con:
        summary = run_import("hot-search", files, session=session, analytics=con)
        assert (summary.read, summary.imported) == (hot["total"], hot["total"])
        assert (summary.quarantined, summary.duplicates, summary.updated) == (0, 0, 0)
        stored = dict(con.execute("SELECT day, count(*) FROM hot_search GROUP BY day").fetchall())
        assert {d.isoformat(): n for d, n in stored.items()} == hot["entries"]
        ranks = con.execute(
            "SELECT day, rank FROM hot_search WHERE title = ? ORDER BY day", [hot["event_title"]]
        ).fetchall()
        assert [(d.isoformat(), r) for d, r in ranks] == list(hot["event_ranks"].items())
        again = run_import("hot-search", files, session=session, analytics=con)
        assert (again.imported, again.duplicates) == (0, hot["total"])
