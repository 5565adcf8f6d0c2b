"""The weibo-api fast path stores exactly what the importers' own route stores.

Each test imports the same file twice, once through DuckDB's fast path and once through
the msgspec importer alone, into separate data directories, and compares every stored
table row by row (posts, post and account snapshots, accounts, quarantine) and the
summaries. The files mix a simulated city (statuses with reposts and deleted roots,
help posts, citizens' requests) with hand-written quirks of every kind.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, text

from zhengwu.config import get_settings
from zhengwu.content import store
from zhengwu.db.engine import get_engine, unit_of_work
from zhengwu.ingest.pipeline import run_import
from zhengwu.platforms import text as platform_text
from zhengwu.platforms.weibo import fastpath

OBSERVED = datetime(2025, 7, 1, 4, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[1] / "platforms" / "weibo" / "fixtures"

USER = {
    "id": 2176235777, "idstr": "2176235777", "screen_name": "广东政法", "name": "广东政法",
    "province": "44", "city": "1", "location": "广东 广州", "followers_count": 1200000,
    "friends_count": 300, "statuses_count": 50000, "verified": True, "verified_type": 1,
    "verified_reason": "广东省政法委、省平安办、省综治办、省维稳办官方微博",
    "created_at": "Mon Jun 13 09:37:44 +0800 2011",
}  # fmt: skip
LEAD = {**USER, "id": 2418542712, "idstr": "2418542712", "screen_name": "北京发布",
        "name": "北京发布", "province": "11", "city": "1000", "location": "北京",
        "verified_reason": "北京市人民政府新闻办公室"}  # fmt: skip
SOURCE = '<a href="http://app.weibo.com/t/feed/6vtZb0" rel="nofollow">微博 weibo.com</a>'


def _status(sid: int, **extra: object) -> dict[str, object]:
    status: dict[str, object] = {
        "created_at": "Fri Mar 31 23:47:24 +0800 2017", "id": sid, "idstr": str(sid),
        "mid": str(sid), "text": f"#平安广东# 提醒@广东公安 注意防范 {sid}", "source": SOURCE,
        "reposts_count": 3, "comments_count": 4, "attitudes_count": 5, "user": USER,
    }  # fmt: skip
    status.update(extra)
    return {k: v for k, v in status.items() if v is not _DROP}


_DROP = object()


def _root(sid: int, **extra: object) -> dict[str, object]:
    fields: dict[str, object] = {"user": LEAD, "text": f"#北京暴雨# 请注意安全 @北京发布 {sid}"}
    return _status(sid, **{**fields, **extra})


def _deleted(sid: int, **extra: object) -> dict[str, object]:
    stub: dict[str, object] = {
        "created_at": "Fri Mar 31 23:40:00 +0800 2017", "id": sid, "idstr": str(sid),
        "mid": str(sid), "text": "抱歉，此微博已被作者删除。查看帮助：http://t.cn/Rfd3rQV",
        "deleted": "1", "state": 7,
    }  # fmt: skip
    stub.update(extra)
    return stub


def _line(value: object) -> bytes:
    return value if isinstance(value, bytes) else orjson.dumps(value)


def _quirks() -> list[bytes]:
    """Lines of every shape the fast path must take, or must leave to the importer."""
    n = iter(range(7_000_000_000_000_000, 8_000_000_000_000_000))
    lines: list[object] = [
        # Common shapes the fast path takes.
        _status(next(n)),
        _status(next(n), retweeted_status=_root(next(n))),
        _status(next(n), retweeted_status=_deleted(next(n))),
        _status(next(n), retweeted_status=_deleted(next(n), deleted=1, text=None)),
        _status(next(n), idstr=_DROP),
        _status(next(n), mid=_DROP, source=_DROP, reposts_count=_DROP),
        _status(next(n), source=None, comments_count=None, text=""),
        _status(next(n), source="", attitudes_count=0, reposts_count=2**63 - 1),
        _status(next(n), source="手机客户端 &amp; <b>网页</b>"),
        _status(next(n), created_at="Mon Jan 01 00:00:00 -0530 2024"),
        _status(next(n), created_at="Sun Dec 31 23:59:59 +1400 2099"),
        _status(
            next(n), text="# 防汛 #，#防汛#，#　防汛　#，##，#\u00a0#，#长长长" + "长" * 70 + "#"
        ),
        _status(
            next(n), text="#a##b# #c\n# @甲乙 @甲乙 @abc_d-e:@é@Ωmega @٣٤ @x\u0301y @" + "名" * 40
        ),
        _status(next(n), text="emoji 😀 #话题😀# @用户😀 \u0000 end"),
        _status(next(n), text="转发 //@北京发布:原文", user={**USER, "followers_count": 7}),
        _status(next(n), user={**USER, "province": 44, "city": 1, "extra": {"a": [1, 2.5]}}),
        _status(next(n), user={**USER, "friends_count": None, "followers_count": None}),
        _status(next(n), user={"id": 88, "screen_name": "无名"}),
        _status(next(n), geo=None, pic_urls=[{"thumbnail_pic": "x"}], annotations=[]),
        # Shapes the importer reads (quirks that still import).
        _status(next(n), reposts_count="1,234", comments_count="1.2万"),
        _status(next(n), idstr=None, id="  77  "),
        _status(next(n), idstr="", id=123),
        _status(next(n), bid="Ab12", mblogid="Cd34"),
        _status(next(n), text_raw="纯文本"),
        _status(next(n), region_name="发布于 北京"),
        _status(next(n), page_info={"type": "video", "play_count": "1.2万次播放"}),
        _status(next(n), user={**USER, "verified_type": "1", "followers_count": "1198.3万"}),
        _status(next(n), user=None, uid=1288915263),
        _status(next(n), user={"id": 9, "name": ""}),
        _status(next(n), created_at="5分钟前"),
        _status(next(n), created_at=1700000000),
        _status(next(n), created_at="2024-03-01 12:00:00"),
        _status(next(n), created_at="Mon Jan 01 00:00:00 +2400 2024"),
        _status(next(n), created_at="Mon Jan 01 00:00:00 +0800 1999"),
        _status(next(n), retweeted_status=None),
        _status(next(n), retweeted_status={}),
        _status(next(n), retweeted_status=[1]),
        _status(next(n), retweeted_status=_deleted(next(n), deleted="0")),
        _status(next(n), retweeted_status=_root(next(n), created_at=None)),
        _status(next(n), retweeted_status=_root(next(n), reposts_count="12")),
        _status(next(n), retweeted_status=_root(next(n), user=None)),
        _status(next(n), retweeted_status=_root(next(n), user={"id": 1})),
        _status(next(n), retweeted_status=_root(next(n), retweeted_status=_deleted(next(n)))),
        _status(next(n), deleted=None),
        _status(next(n), screen_name="奇怪"),
        # Long posts: the full text replaces the cut one (topics and mentions after the cut).
        _status(
            next(n),
            text="前半…全文",
            isLongText=True,
            longText={"longTextContent": "前半 #长文话题# @广东公安 后半"},
        ),
        _status(next(n), text="前半…全文", longTextContent="前半 <a>#话题二#</a> 后半"),
        _status(next(n), text="前半…全文", longTextContent_raw="前半 @广东公安 后半"),
        _status(next(n), text="前半…全文", isLongText=True, longText={"longTextContent": ""}),
        _status(next(n), isLongText=True, longText=None),
        _status(next(n), longText="not an object"),
        _status(
            next(n),
            retweeted_status=_root(
                next(n), text="前半…全文", longText={"longTextContent": "全文 #北京暴雨# @北京发布"}
            ),
        ),
        # Keys repeated, escaped, and JSON that only DuckDB accepts.
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "501", "id": 501, '
        b'"text": "first", "text": "second", "user": ' + orjson.dumps(USER) + b"}",
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "502", "idstr": "503", '
        b'"text": "x", "user": ' + orjson.dumps(USER) + b"}",
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "504", "text": "x", '
        b'"user": ' + orjson.dumps(USER) + b', "user": ' + orjson.dumps(LEAD) + b"}",
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "505", "text": "x", '
        b'"user": '
        + orjson.dumps(USER)
        + b', "retweeted_status": '
        + orjson.dumps(_root(506))
        + b', "retweeted_status": '
        + orjson.dumps(_deleted(507))
        + b"}",
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "508", "text": "x", '
        b'"user": ' + orjson.dumps(USER) + b', "retweeted_status": {"idstr": "509", '
        b'"idstr": "510", "deleted": "1"}}',
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "511", "te\\u0078t": "x", '
        b'"text": "y", "user": ' + orjson.dumps(USER) + b"}",
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "512", "text": "x", '
        b'"b\\u0069d": "hidden", "user": ' + orjson.dumps(USER) + b"}",
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "513", "text": "x", '
        b'"pic_urls": [1, 2,], "user": ' + orjson.dumps(USER) + b"}",
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "514", "text": "x", '
        b'"mlevel": NaN, "user": ' + orjson.dumps(USER) + b"}",
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "515", "text": "x", '
        b'"mlevel": -Infinity , "user": ' + orjson.dumps(USER) + b"}",
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "516", "text": "x", '
        b'"mlevel": 1e999, "user": ' + orjson.dumps(USER) + b"}",
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "517", "text": "x", '
        b'"user": ' + orjson.dumps(USER) + b", }",
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "518", "text": "x", '
        b'"user": ' + orjson.dumps(USER)[:-1] + b', "followers_count": 9, "followers_count": 10}}',
        b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "519", "text": "x", '
        b'"user": ' + orjson.dumps(USER) + b"}\x00tail",
        json.dumps(_status(next(n), retweeted_status=_root(next(n)))).encode(),  # ensure_ascii
        json.dumps(_status(next(n)), ensure_ascii=False, indent=None).encode(),
        # Broken and foreign lines, as in test_weibo_api.
        b'{"created_at": "Sun Jul 30 09:12:40 +0800 2023", "id": 1, "te',
        b"not json at all",
        _status(next(n), reposts_count=-3),
        _status(next(n), user={"id": 1, "screen_name": "x", "friends_count": -1}),
        _status(next(n), attitudes_count="很多"),
        _status(next(n), comments_count=1.5),
        _status(next(n), comments_count=True),
        _status(next(n), reposts_count=2**63),
        _status(next(n), id=None, idstr=None, mid=None),
        _status(next(n), created_at=None),
        _status(next(n), text=None),
        _status(next(n), created_at="Fri Feb 30 23:47:24 +0800 2017"),
        _status(next(n), created_at="someday"),
        _status(next(n), deleted="1"),
        _status(next(n), user="平安北京"),
        b'"just a string"',
        b"null",
        b"[1, 2]",
        b'{"title": "not weibo"}',
        b'{"statuses": 5}',
        orjson.dumps({"statuses": [_status(next(n)), 7, _status(next(n), reposts_count=-1)]}),
        orjson.dumps([_status(next(n)), _status(next(n), retweeted_status=_root(next(n)))]),
        orjson.dumps(LEAD),
        orjson.dumps({"users": [USER, {"id": 5, "screen_name": "x", "followers_count": -7}]}),
        orjson.dumps({"idstr": "9", "screen_name": ""}),
        b"   ",
        b"",
        b"\t",
    ]
    return [_line(x) for x in lines]


def _timeline() -> list[bytes]:
    doc = orjson.loads((FIXTURES / "api_timeline.json").read_bytes())
    old = orjson.loads((FIXTURES / "api_old_sample.json").read_bytes())
    return [orjson.dumps(s) for s in doc["statuses"]] + [orjson.dumps(old)]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated city: statuses (reposts, deleted roots), help posts, requests."""
    from zhengwu.simulate import SimulationConfig, run_simulation

    out = tmp_path_factory.mktemp("city")
    run_simulation(
        SimulationConfig(scale="city", days=4, seed=11, out=out, start=date(2025, 3, 1),
                         platforms=("weibo",))
    )  # fmt: skip
    return out


def _tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with store.open_store(read_only=True) as con:
        for name, order in (
            ("posts", "platform, post_id"),
            ("post_snapshots", "ALL"),
            ("account_snapshots", "ALL"),
        ):
            tables[name] = [
                tuple(r) for r in con.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()
            ]
    with engine.connect() as conn:
        tables["accounts"] = [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT id, platform, uid, name, organization_id, verified_type, "
                    "verified_reason, is_government, followers, friends, statuses, adcode, "
                    "location, description, platform_created_at, status FROM accounts ORDER BY id"
                )
            )
        ]
        tables["quarantine"] = [
            tuple(r)
            for r in conn.execute(
                text("SELECT run_id, format, source, reason, raw FROM quarantine ORDER BY id")
            )
        ]
    return tables


def _import_all(
    files: list[Path], data: Path, monkeypatch: pytest.MonkeyPatch, *, fast: bool
) -> tuple[list[dict[str, Any]], dict[str, list[tuple[Any, ...]]], int]:
    """Import ``files`` one after the other into ``data``; return summaries, tables, fast lines."""
    monkeypatch.setenv("ZHENGWU_DATA_DIR", str(data))
    get_settings.cache_clear()
    get_engine.cache_clear()
    engine = get_engine()
    taken = 0
    real = fastpath.import_file

    def counting(*args: Any, **kwargs: Any) -> fastpath.FastImport | None:
        nonlocal taken
        result = real(*args, **kwargs)
        taken += 0 if result is None else result.fast_lines
        return result

    monkeypatch.setattr(fastpath, "import_file", counting)
    summaries = []
    for path in files:
        with unit_of_work(engine) as session, store.open_store() as con:
            summary = run_import(
                "weibo-api", [path], session=session, analytics=con, fast=fast,
                observed_at=OBSERVED, workers=1,
            )  # fmt: skip
        d = summary.to_dict()
        del d["seconds"]
        summaries.append(d)
    tables = _tables(engine)
    engine.dispose()
    monkeypatch.setattr(fastpath, "import_file", real)
    return summaries, tables, taken


def _assert_same(
    files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, dict[str, list[tuple[Any, ...]]]]:
    fast = _import_all(files, tmp_path / "fast", monkeypatch, fast=True)
    slow = _import_all(files, tmp_path / "slow", monkeypatch, fast=False)
    assert slow[2] == 0
    assert fast[0] == slow[0]
    for summary in fast[0]:
        assert summary["read"] == (
            summary["imported"] + summary["updated"] + summary["duplicates"]
            + summary["quarantined"]
        )  # fmt: skip
    for name in slow[1]:
        assert fast[1][name] == slow[1][name], name
    return fast[2], fast[1]


def _write(path: Path, lines: list[bytes], *, end: bytes = b"\n") -> Path:
    path.write_bytes(b"\n".join(lines) + end)
    return path


def test_simulated_city_and_quirks_store_the_same(
    city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    statuses = sorted((city / "weibo").glob("statuses-*.jsonl"))
    lines = [line for f in statuses for line in f.read_bytes().splitlines()]
    lines += (city / "help" / "posts.jsonl").read_bytes().splitlines()
    lines += (city / "requests" / "weibo-requests.jsonl").read_bytes().splitlines()
    quirks = _quirks()
    # Quirks spread through the file, the timeline fixtures at both ends.
    mixed = _timeline() + lines[:50]
    for i, quirk in enumerate(quirks):
        mixed.append(quirk)
        mixed += lines[50 + i * 20 : 70 + i * 20]
    mixed += lines[50 + len(quirks) * 20 :] + _timeline()
    path = _write(tmp_path / "mixed.jsonl", mixed)
    taken, tables = _assert_same([path], tmp_path, monkeypatch)
    assert taken > 0.9 * len(lines)
    assert len(tables["quarantine"]) >= 25
    assert len(tables["posts"]) > len(lines) * 0.9


_POST_IDS = re.compile(rb'^(\{"created_at":"[^"]*","id":)(\d+)(,"idstr":")(\d+)(","mid":")(\d+)')


def _copies(lines: list[bytes], n: int) -> list[bytes]:
    """Return ``n`` copies of the statuses, each copy's post ids shifted (new posts)."""
    out = list(lines)
    for k in range(1, n):
        for line in lines:
            m = _POST_IDS.match(line)
            assert m, line[:80]
            new = str(int(m[2]) + k * 7_000_000_000).encode()
            out.append(m[1] + new + m[3] + new + m[5] + new + line[m.end() :])
    return out


def test_a_small_memory_limit_stores_the_same(
    city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a small ZHENGWU_ANALYTICS_MEMORY_LIMIT the import completes, the same rows stored."""
    statuses = sorted((city / "weibo").glob("statuses-*.jsonl"))
    lines = _copies([line for f in statuses for line in f.read_bytes().splitlines()], 16)
    path = _write(tmp_path / "city.jsonl", lines)
    assert path.stat().st_size > 64 << 20  # more than the limit below
    free = _import_all([path], tmp_path / "free", monkeypatch, fast=True)
    monkeypatch.setenv("ZHENGWU_ANALYTICS_MEMORY_LIMIT", "48MB")
    tight = _import_all([path], tmp_path / "tight", monkeypatch, fast=True)
    with store.open_store(read_only=True) as con:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert limit.endswith("MiB") and float(limit.split()[0]) < 48  # 48 MB = 45.7 MiB
    # Whichever route DuckDB's memory allowed (the fast path spilling to disk, or the
    # importer's when even that does not fit), the same rows are stored.
    assert free[2] > 0.9 * len(lines)
    assert tight[0] == free[0]
    assert tight[0][0]["imported"] == len(lines)
    for name in free[1]:
        assert tight[1][name] == free[1][name], name
    get_settings.cache_clear()


def test_reimport_and_changed_counts_store_the_same(
    city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    statuses = sorted((city / "weibo").glob("statuses-*.jsonl"))
    lines = [line for f in statuses for line in f.read_bytes().splitlines()][:800]
    first = _write(tmp_path / "a.jsonl", lines)
    changed = [
        re.sub(rb'"attitudes_count":(\d+)', lambda m: b'"attitudes_count":%d' % (int(m[1]) + 1), x)
        if i % 3 == 0 else x
        for i, x in enumerate(lines)
    ]  # fmt: skip
    # The same post twice in one file with different counts, and a changed follower count.
    changed += [_line(_status(900, attitudes_count=1)), _line(_status(900, attitudes_count=9))]
    changed += [_line(_status(901, user={**USER, "followers_count": 5}))]
    changed += [_line(_status(902, retweeted_status=_root(901, attitudes_count=77)))]
    second = _write(tmp_path / "b.jsonl", changed, end=b"")
    taken, tables = _assert_same([first, first, second, first], tmp_path, monkeypatch)
    assert taken == 3 * 800 + 804
    assert sum(row[1] == "900" for row in tables["post_snapshots"]) == 2


def test_files_duckdb_cannot_read_as_lines_go_to_the_importer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = [_line(_status(i)) for i in range(1, 6)]
    gbk = _write(
        tmp_path / "gbk.jsonl", [*good, json.dumps(_status(9), ensure_ascii=False).encode("gbk")]
    )
    crlf = tmp_path / "crlf.jsonl"
    crlf.write_bytes(b"\r\n".join(good) + b"\r\n")
    ctrl = _write(tmp_path / "ctrl.jsonl", [*good, b'{"text": "\x01"}'])
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + b"\n".join(good) + b"\n\n  \n" + good[0])
    taken, tables = _assert_same([gbk, crlf, ctrl, bom], tmp_path, monkeypatch)
    assert taken == 6  # only the BOM file (blank lines counted, BOM dropped as Python does)
    reasons = [row[3] for row in tables["quarantine"]]
    assert any("GBK" in r for r in reasons)


def test_documents_users_and_empty_files_go_to_the_importer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = _write(tmp_path / "users.jsonl", [orjson.dumps(USER), orjson.dumps(LEAD)])
    empty = _write(tmp_path / "empty.jsonl", [b"", b"  "])
    taken, _tables = _assert_same(
        [FIXTURES / "api_timeline.json", users, empty], tmp_path, monkeypatch
    )
    assert taken == 0


def test_sql_patterns_match_the_python_text_helpers() -> None:
    assert platform_text._TOPIC.pattern == fastpath.TOPIC_PATTERN
    assert platform_text._MENTION.pattern == fastpath.MENTION_PATTERN


def test_an_author_only_on_quarantined_lines_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_root_author = {**LEAD, "friends_count": -1}
    lines = [
        _line(_status(1, user={**USER, "followers_count": 1})),
        # The same author with other counts, on a line quarantined for its root's author.
        _line(
            _status(
                2,
                user={**USER, "followers_count": 2},
                retweeted_status=_root(3, user=bad_root_author),
            )
        ),
        _line(_status(4, user={**LEAD, "followers_count": 4})),
    ]
    path = _write(tmp_path / "authors.jsonl", lines)
    taken, tables = _assert_same([path], tmp_path, monkeypatch)
    assert taken == 2
    assert [row[8] for row in tables["accounts"] if row[2] == USER["idstr"]] == [1]
    assert len(tables["quarantine"]) == 1


def test_ids_that_are_not_numbers_meet_the_fast_path_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The importer reads a line whose idstr is no number; its post joins the fast lines'
    # posts, whose ids must be text like it (as JSON, DuckDB cast "abc" and failed).
    lines = [
        _line(_status(1)),
        _line(_status(2, idstr="abc", retweeted_status=_root(5, idstr="x-5"))),
        _line(_status(3, retweeted_status=_root(4))),
    ]
    path = _write(tmp_path / "ids.jsonl", lines)
    taken, tables = _assert_same([path, path], tmp_path, monkeypatch)
    assert taken == 2 * 2
    assert {"abc", "x-5"} <= {row[1] for row in tables["posts"]}


def test_an_author_with_an_impossible_registration_date_goes_to_the_importer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    impossible = {**USER, "idstr": "31", "id": 31, "created_at": "Fri Feb 30 23:47:24 +0800 2017"}
    lines = [
        _line(_status(1)),
        _line(_status(2, user=impossible)),
        _line(_status(3, retweeted_status=_root(4, user={**impossible, "idstr": "32"}))),
        _line(_status(5, retweeted_status=_root(6))),
    ]
    path = _write(tmp_path / "dates.jsonl", lines)
    taken, tables = _assert_same([path], tmp_path, monkeypatch)
    assert taken == 2
    assert {row[2] for row in tables["accounts"]} == {USER["idstr"], LEAD["idstr"]}


def test_an_authors_records_merge_field_by_field_on_both_routes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same authors on fast lines and on lines the importer reads (a bid sends a line
    # there): each field of the account is the value known last, whichever route read it;
    # a later record without followers (None) does not erase them.
    x = {**USER, "description": "政法"}
    y = {**LEAD, "description": None}
    lines = [
        _status(1, user=x),  # fast: followers 1.2M, friends 300, description
        _status(2, bid="B2", user={**x, "followers_count": 20, "friends_count": None}),
        _status(3, user={**x, "followers_count": None, "friends_count": 5, "description": None}),
        _status(4, bid="B4", user={**y, "followers_count": 2, "description": "首都"}),
        _status(5, user={**y, "followers_count": 3}),  # fast, after the slow line above
        _status(6, bid="B6", user={**y, "followers_count": None, "statuses_count": None}),
    ]
    path = _write(tmp_path / "merge.jsonl", [_line(s) for s in lines])
    taken, tables = _assert_same([path], tmp_path, monkeypatch)
    assert taken == 3
    accounts = {row[2]: row for row in tables["accounts"]}
    # name, followers, friends, statuses, description
    got = {uid: (r[3], r[8], r[9], r[10], r[13]) for uid, r in accounts.items()}
    assert got == {
        "2176235777": ("广东政法", 20, 5, 50000, "政法"),
        "2418542712": ("北京发布", 3, 300, 50000, "首都"),
    }


def test_an_author_without_a_screen_name_is_kept_on_both_routes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A blank or missing screen_name is an unknown name: the account and its counts are
    # kept (the fast path takes such a line), and the name stored before stays.
    nameless = {**USER, "screen_name": "", "name": "", "followers_count": 99}
    lines = [
        _status(1),
        _status(2, user=nameless),
        _status(3, user={"id": 81, "followers_count": 4, "verified_type": 1}),
        _status(4, bid="B4", user={"id": 82, "screen_name": " ", "followers_count": 8}),
        {"idstr": "83", "followers_count": 9},
        {"users": [{"idstr": "84", "screen_name": "", "friends_count": 2}]},
    ]
    path = _write(tmp_path / "nameless.jsonl", [_line(s) for s in lines])
    taken, tables = _assert_same([path, path], tmp_path, monkeypatch)
    assert taken == 2 * 3
    accounts = {row[2]: row for row in tables["accounts"]}
    # name, is_government, followers, friends
    got = {uid: (r[3], r[7], r[8], r[9]) for uid, r in accounts.items()}
    assert got == {
        "2176235777": ("广东政法", True, 99, 300),
        "81": ("", True, 4, None),
        "82": ("", False, 8, None),
        "83": ("", False, 9, None),
        "84": ("", False, None, 2),
    }
    assert tables["quarantine"] == []
