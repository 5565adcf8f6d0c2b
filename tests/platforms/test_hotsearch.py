"""Hot-search importer: the four real daily archives and hand-written quirks."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from zhengwu.content import store
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.pipeline import run_import
from zhengwu.ingest.registry import ImportItem, get_importer
from zhengwu.platforms.hotsearch.importers import HotSearchImporter
from zhengwu.platforms.hotsearch.payloads import rank_of, topic_of
from zhengwu.platforms.records import HotSearchRecord, QuarantineRecord

REPO = Path(__file__).resolve().parents[2]
ARCHIVE = REPO.parent / "shared" / "data" / "weibo-hot-search"
DAYS = {"2020-11-24": 152, "2023-02-13": 1068, "2024-06-01": 386, "2026-08-22": 413}


def _records(items: list[ImportItem]) -> list[HotSearchRecord]:
    return [i.primary for i in items if isinstance(i.primary, HotSearchRecord)]


@pytest.fixture(scope="module")
def archives() -> dict[str, list[ImportItem]]:
    return {day: list(HotSearchImporter().read(ARCHIVE / f"{day}.json")) for day in DAYS}


def test_real_archives_counts_and_days(archives: dict[str, list[ImportItem]]) -> None:
    assert sorted(p.stem for p in ARCHIVE.glob("*.json")) == sorted(DAYS)
    for day, count in DAYS.items():
        records = _records(archives[day])
        assert len(archives[day]) == len(records) == count
        assert {r.day for r in records} == {day}


def test_real_titles_and_urls_are_preserved_exactly(archives: dict[str, list[ImportItem]]) -> None:
    for day in DAYS:
        raw = json.loads((ARCHIVE / f"{day}.json").read_text("utf-8"))
        records = _records(archives[day])
        assert [r.title for r in records] == [e["title"] for e in raw]
        assert [r.url for r in records] == [e["url"] for e in raw]
    titles_2023 = {r.title for r in _records(archives["2023-02-13"])}
    assert {"俄亥俄", "张萌 演员到底需不需要有文化"} <= titles_2023  # inner space kept
    assert "习近平祝全国少年儿童节日快乐" in {r.title for r in _records(archives["2024-06-01"])}


def test_real_ranks_come_from_band_rank(archives: dict[str, list[ImportItem]]) -> None:
    ranked = {day: sum(r.rank is not None for r in _records(archives[day])) for day in DAYS}
    assert ranked == {"2020-11-24": 0, "2023-02-13": 1063, "2024-06-01": 380, "2026-08-22": 410}
    first, second, third = _records(archives["2023-02-13"])[:3]
    assert first.rank is None  # pinned entry (Refer=new_time), no band_rank
    assert (second.title, second.rank) == ("张萌 演员到底需不需要有文化", 1)
    assert (third.title, third.rank) == ("俄亥俄", 2)
    for record in _records(archives["2026-08-22"]):
        assert record.url is not None
        values = parse_qs(urlsplit(record.url).query).get("band_rank")
        assert record.rank == (int(values[0]) if values else None)


def test_titles_with_hashes_and_topic_of(tmp_path: Path) -> None:
    path = tmp_path / "2024-01-02.json"
    entries = [
        {"url": "/weibo?q=%23a%23&t=31&band_rank=3&Refer=top", "title": "#暴雨# 预警"},
        {"url": "/weibo?q=x", "title": "  #北京暴雨#  "},
        {"title": "没有链接"},
    ]
    path.write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    records = _records(list(HotSearchImporter().read(path)))
    assert [r.title for r in records] == ["#暴雨# 预警", "  #北京暴雨#  ", "没有链接"]
    assert [r.rank for r in records] == [3, None, None]
    assert records[2].url is None
    assert topic_of("#北京暴雨#") == "北京暴雨"
    assert topic_of("  ＃北京暴雨＃ ") == "北京暴雨"
    assert topic_of("俄亥俄") == "俄亥俄"


def test_day_parameter_and_file_name(tmp_path: Path) -> None:
    path = tmp_path / "archive.json"
    path.write_text('[{"title": "a", "url": "/weibo?q=a"}]', "utf-8")
    (item,) = HotSearchImporter(day="2024-06-01").read(path)
    assert isinstance(item.primary, HotSearchRecord)
    assert item.primary.day == "2024-06-01"
    with pytest.raises(InvalidInputError, match="YYYY-MM-DD"):
        HotSearchImporter().read(path)
    impossible = tmp_path / "2023-02-30.json"
    impossible.write_text("[]", "utf-8")
    with pytest.raises(InvalidInputError):
        HotSearchImporter().read(impossible)


def test_bad_entries_are_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "2024-01-02.json"
    body = [
        b'{"title": "ok", "url": "/weibo?q=a&band_rank=1"}',
        b'{"url": "/weibo?q=a"}',
        b'{"title": "   "}',
        b"42",
        b'{"title": "bad rank", "url": "/weibo?q=a&band_rank=x"}',
        b'{"title": "zero", "url": "/weibo?band_rank=0"}',
        b'{"title": ["list"]}',
        b'{"title": "t", "url": {"a": 1}}',
    ]
    path.write_bytes(b"[\n" + b",\n".join(body) + b"\n]\n")
    items = list(HotSearchImporter().read(path))
    assert len(items) == 8
    quarantined = [i.primary for i in items if isinstance(i.primary, QuarantineRecord)]
    assert len(quarantined) == 7
    # Item n is on line n + 1 (after the "[" line).
    assert [q.source for q in quarantined] == [f"{path}:{n + 1} (item {n})" for n in range(2, 9)]
    reasons = [q.reason for q in quarantined]
    expected = ["title", "title", "not a JSON object", "band_rank", "band_rank", "title", "url"]
    for reason, word in zip(reasons, expected, strict=True):
        assert word in reason


def test_quarantine_names_the_line_of_a_bad_item(tmp_path: Path) -> None:
    # Laid out like the real archive: short elements on one line, long ones over four.
    text = (
        "\ufeff[\r\n"  # BOM and Windows line ends change nothing
        '  { "url": "/weibo?q=a&t=31&band_rank=1&Refer=top", "title": "a" },\r\n'  # line 2
        "  {\r\n"  # line 3: item 2 opens here
        '    "url": "/weibo?q=%23b%23&t=31&band_rank=2&Refer=top",\r\n'
        '    "title": "b"\r\n'
        "  },\r\n"
        '  { "url": "/weibo?q=c&band_rank=x", "title": "c [1,2] {x}" },\r\n'  # line 7: bad
        "\r\n"
        "  {\r\n"  # line 9: item 4, no title
        '    "url": "/weibo?q=d&t=31&band_rank=4&Refer=top"\r\n'
        "  },\r\n"
        '  "just text", {"title": "e"}\r\n'  # line 12: items 5 and 6
        "]\r\n"
    )
    path = tmp_path / "2024-03-04.json"
    path.write_bytes(text.encode("utf-8"))
    items = list(HotSearchImporter().read(path))
    assert [r.title for r in _records(items)] == ["a", "b", "e"]
    quarantined = [i.primary for i in items if isinstance(i.primary, QuarantineRecord)]
    assert [q.source for q in quarantined] == [
        f"{path}:7 (item 3)", f"{path}:9 (item 4)", f"{path}:12 (item 5)",
    ]  # fmt: skip
    assert "band_rank" in quarantined[0].reason and "title" in quarantined[1].reason


def test_whole_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        HotSearchImporter().read(tmp_path / "2024-01-02.json")
    (tmp_path / "2024-01-03.json").write_text('{"title": "a"}', "utf-8")
    with pytest.raises(InvalidInputError, match="JSON"):
        HotSearchImporter().read(tmp_path / "2024-01-03.json")
    (tmp_path / "2024-01-04.json").write_text('[{"title": "a"', "utf-8")
    with pytest.raises(InvalidInputError):
        HotSearchImporter().read(tmp_path / "2024-01-04.json")


def test_whole_file_errors_say_what_is_wrong(tmp_path: Path) -> None:
    entries = [{"title": f"政务热搜{n}", "url": f"/weibo?q=a&band_rank={n}"} for n in range(1, 4)]
    entries.append({"title": "ASCII only", "url": "/weibo?q=b"})
    gbk = tmp_path / "2024-01-05.json"
    gbk.write_bytes(json.dumps(entries, ensure_ascii=False).encode("gbk"))
    # Refused as a whole, not read as replacement characters entry by entry.
    with pytest.raises(InvalidInputError, match="GBK") as caught:
        HotSearchImporter().read(gbk)
    assert "不是 UTF-8" in caught.value.message_zh and "iconv" in caught.value.message_en
    empty = tmp_path / "2024-01-06.json"
    empty.write_bytes(b"\xef\xbb\xbf \n")
    with pytest.raises(InvalidInputError, match="empty file") as caught:
        HotSearchImporter().read(empty)
    assert "空文件" in caught.value.message_zh
    binary = tmp_path / "2024-01-07.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(InvalidInputError, match="not a UTF-8 JSON file"):
        HotSearchImporter().read(binary)
    text = tmp_path / "2024-01-08.json"
    text.write_text("title,url\n热搜,/weibo?q=a\n", "utf-8")
    with pytest.raises(InvalidInputError, match="starts with 'title,url"):
        HotSearchImporter().read(text)


def test_registered() -> None:
    importer = get_importer("hot-search", day="2024-01-02")
    assert isinstance(importer, HotSearchImporter)
    assert importer.splittable is False
    assert importer.day == "2024-01-02"


def test_rank_of() -> None:
    assert rank_of("/weibo?q=%23a%23&t=31&band_rank=17&Refer=top") == 17
    assert rank_of("/weibo?q=a&Refer=new_time") is None


# ---- property: malformed entries never raise, one item per entry

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"), max_size=12)
)
# Two levels of nesting, spelled out: st.recursive's extend check can warn spuriously.
_NESTED = st.lists(_SCALARS, max_size=3) | st.dictionaries(
    st.text(max_size=6), _SCALARS, max_size=3
)
JSON = (
    _SCALARS
    | st.lists(_SCALARS | _NESTED, max_size=3)
    | st.dictionaries(st.text(max_size=6), _SCALARS | _NESTED, max_size=3)
)
ENTRY = st.fixed_dictionaries(
    {},
    optional={
        "title": st.text(st.characters(codec="utf-8"), max_size=10) | JSON,
        "url": st.sampled_from(
            ["/weibo?q=a&band_rank=", "/weibo?q=%23a%23&t=31&band_rank=2", ""]
        ).flatmap(lambda u: st.text(max_size=4).map(lambda t: u + t))
        | JSON,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ENTRY | JSON, max_size=10))
def test_never_raises_on_malformed_entries(entries: list[object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "2024-01-02.json"
        path.write_bytes(orjson.dumps(entries))
        items = list(HotSearchImporter().read(path))
    assert len(items) == len(entries)
    for item in items:
        if isinstance(item.primary, QuarantineRecord):
            assert item.primary.source.startswith(f"{path}:1 (item ")  # one line
            assert item.primary.reason
        else:
            assert isinstance(item.primary, HotSearchRecord)
            assert item.primary.title.strip()


# ---- stored: one row per (day, title), with the best band_rank of the day


def test_real_archive_keeps_each_titles_best_rank_of_the_day(session: Session) -> None:
    # 2023-02-13 is the union of hourly scrapes: 俄亥俄 comes at rank 2, then 1, then 1.
    path = ARCHIVE / "2023-02-13.json"
    raw = json.loads(path.read_text("utf-8"))
    best: dict[str, int | None] = {}
    for entry in raw:
        rank = rank_of(entry["url"])
        if entry["title"] not in best or (rank is not None and rank < (best[entry["title"]] or 99)):
            best[entry["title"]] = rank
    with store.open_store() as con:
        summary = run_import("hot-search", [path], session=session, analytics=con)
        stored = dict(con.execute("SELECT title, rank FROM hot_search").fetchall())
        url = con.execute("SELECT url FROM hot_search WHERE title = '俄亥俄'").fetchall()[0][0]
    assert stored == best
    assert stored["俄亥俄"] == 1 and stored["姐弟坠亡案父亲连写三封信求原谅"] == 2
    assert rank_of(url) == 1  # the URL of the best rank, not of the first element
    assert (summary.read, summary.imported, summary.updated) == (1068, 304, 0)
    assert summary.duplicates == 1068 - 304 and summary.quarantined == 0


def test_a_later_better_rank_updates_the_stored_entry(tmp_path: Path, session: Session) -> None:
    def archive(name: str, ranks: list[tuple[str, int | None]]) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        path = folder / "2024-01-02.json"
        entries = [
            {"url": f"/weibo?q=%23{t}%23&t=31&band_rank={r}&Refer=top" if r else
             f"/weibo?q=%23{t}%23&Refer=top", "title": t}
            for t, r in ranks
        ]  # fmt: skip
        path.write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
        return path

    morning = archive("am", [("暴雨预警", 9), ("地铁停运", None), ("停课", 3)])
    evening = archive("pm", [("暴雨预警", 12), ("暴雨预警", 2), ("地铁停运", 7), ("停课", 5)])
    with store.open_store() as con:
        first = run_import("hot-search", [morning], session=session, analytics=con)
        dry = run_import("hot-search", [evening], session=session, analytics=con, dry_run=True)
        unchanged = dict(con.execute("SELECT title, rank FROM hot_search").fetchall())
        second = run_import("hot-search", [evening], session=session, analytics=con)
        stored = dict(con.execute("SELECT title, rank FROM hot_search").fetchall())
    assert (first.read, first.imported, first.updated, first.duplicates) == (3, 3, 0, 0)
    assert unchanged == {"暴雨预警": 9, "地铁停运": None, "停课": 3}
    for summary in (dry, second):
        # 暴雨预警 2 < 9 and 地铁停运 7 (none before) update; 暴雨预警 12 and 停课 5 do not.
        assert (summary.read, summary.imported, summary.updated, summary.duplicates) == (4, 0, 2, 2)
    assert stored == {"暴雨预警": 2, "地铁停运": 7, "停课": 3}
