"""Vectorised ``weibo-api`` JSON Lines import: DuckDB reads the common status shape.

A national timeline dump has millions of lines of one shape: an open API status with its
author and, for a repost, the root status and its author. DuckDB reads such a file as raw
lines (``read_csv`` with a delimiter that valid JSON cannot hold), parses each line once
and turns the lines of that shape into the post rows the Python importer would produce,
straight into the analytics connection. Every other line — broken JSON, odd types,
display-string counts, wrappers, user objects, anything unusual — goes through the
importer's own per-line parser (:meth:`WeiboApiImporter.jsonl_parser`), so quarantine
reasons and quirks stay exactly as they are. What needs Python even for well-formed lines
(an author's 政务 flag, adcode and registration date; the publishing tool's text) is
computed once per distinct author JSON or source, not once per line.

A line takes the fast path only when DuckDB and msgspec are sure to read it alike:

* DuckDB parses it, and it has none of the JSON only DuckDB's reader accepts — a trailing
  comma, NaN / Inf / Infinity as a value (any case) — which the importer quarantines as
  broken JSON (checked in SQL with patterns that start with a literal byte; a line that
  merely looks like one, e.g. ``"a": "x, ]"``, just takes the importer's route);
* no text holds an escaped NUL (``\\u0000``): the importer quarantines that record;
* no field that is read occurs twice (DuckDB keeps the first, msgspec the last);
* every field the typed decoder declares has a JSON type the decoder accepts, the
  fields that change the record (``bid``, ``text_raw``, ``deleted``, ``page_info`` …)
  are absent, ``created_at`` is a canonical API time, counts are integers in range;
* the author (and a root's author) decodes and yields an account; the root is absent,
  the API's deleted stub, or a well-formed status.

Topics and mentions use the Python patterns of :mod:`zhengwu.platforms.text`, with
``\\w`` spelled out as the code points Python matches (RE2's ``\\w`` is ASCII only).
A file DuckDB cannot read as lines (not UTF-8, a carriage return or a \\x01 byte, a line
longer than 16 MB), or whose line count differs from Python's (a thread counts the
newlines while DuckDB reads), goes to the importer.
"""

from __future__ import annotations

import array
import functools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import msgspec
import pyarrow as pa

from zhengwu.content.store import ACCOUNT_SNAPSHOT_SCHEMA, table_from_json_lines
from zhengwu.ingest.collect import (
    LINE_SHIFT,
    Collector,
    account_known,
    merge_by_order,
    utc_naive,
)
from zhengwu.ingest.files import iter_lines
from zhengwu.platforms.records import AccountRecord, QuarantineRecord
from zhengwu.platforms.weibo.constants import PLATFORM
from zhengwu.platforms.weibo.importers import JsonLinesParser, WeiboApiImporter
from zhengwu.platforms.weibo.records import RecordError, StatusConverter

# The Python patterns these SQL patterns must agree with (zhengwu.platforms.text);
# tests/ingest/test_fastpath.py checks that they still do.
TOPIC_PATTERN = r"#([^#\r\n]{1,64}?)#"
MENTION_CLASS = r"[\w\u4e00-\u9fff\-]"
MENTION_PATTERN = "@(" + MENTION_CLASS + "{1,30})"

_TIME = (
    r'"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) '
    r"(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] "
    r'[+-](0[0-9]|1[0-4])[0-5][0-9] (20[0-9][0-9]|2100)"'
)
_STATUS_KEYS = (
    "created_at", "id", "idstr", "mid", "text", "source",
    "reposts_count", "comments_count", "attitudes_count", "user",
)  # fmt: skip
# Fields that change the record or need the careful route when present at all.
# A long post's full text (longText, longTextContent …) replaces its cut text.
_LONG_TEXT = ("longText", "longTextContent", "longTextContent_raw")
_TOP_ABSENT = ("bid", "mblogid", "text_raw", "uid", "deleted", "region_name", "page_info",
               "screen_name", *_LONG_TEXT)  # fmt: skip
_ROOT_ABSENT = ("bid", "mblogid", "text_raw", "uid", "region_name", "page_info",
                "screen_name", "retweeted_status", *_LONG_TEXT)  # fmt: skip
_PATHS = (
    [f"$.{k}" for k in _STATUS_KEYS]
    + [f"$.retweeted_status.{k}" for k in _STATUS_KEYS]
    + ["$.retweeted_status.deleted"]
)
# A trailing comma, or NaN / Inf / Infinity (any case) as a value. [NnIi][AaNn][NnFf]
# takes in a few other words, never true / false / null; such lines just take the
# importer's route.
_NUMBER_WORD = r"[ \t]*[+-]?[NnIi][AaNn][NnFf]"
_LENIENT = (r",[ \t]*([\]}]|[+-]?[NnIi][AaNn][NnFf])", ":" + _NUMBER_WORD, r"\[" + _NUMBER_WORD)
# A NUL escaped in a text ("\u0000"): the importer's route, whose collector quarantines
# the record (zhengwu.storable: PostgreSQL cannot store a NUL). An escaped backslash before
# "u0000" matches too and just takes that route.
_NUL_ESCAPE = r"\\u0000"
_BLANK = "[ \t\x0b\x0c]*"  # a line bytes.strip() empties (it has no line breaks)
# Where each field sits in the extracted list (1-based), for the status and its root.
_I = {k: i + 1 for i, k in enumerate(_STATUS_KEYS)}
_R = {k: i + 1 + len(_STATUS_KEYS) for i, k in enumerate(_STATUS_KEYS)}
_R_DELETED = 2 * len(_STATUS_KEYS) + 1
_NAMES = "zw_fp_lines", "zw_fp_uids", "zw_fp_sources", "zw_fp_py", "zw_fp_posts"


@functools.cache
def _code_point_class(pattern: str) -> str:
    """Return a Python character class as an RE2 class of explicit code-point ranges.

    RE2's ``\\w`` is ASCII only; listing the ranges Python's own regex engine matches
    makes DuckDB find exactly the mentions ``zhengwu.platforms.text`` finds.
    """
    run = re.compile(pattern + "+")
    ranges: list[str] = []
    every = _all_code_points()
    for lo, hi in ((0, 0xD800), (0xE000, 0x110000)):  # RE2 cannot hold surrogates
        for m in run.finditer(every[lo:hi]):
            a, b = lo + m.start(), lo + m.end() - 1
            ranges.append(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}")
    return "[" + "".join(ranges) + "]"


@functools.cache
def _whitespace() -> str:
    """Return the characters str.strip() removes (Unicode whitespace).

    ``re``'s ``\\s`` on str is the same predicate as str.isspace(), and far quicker to
    run over every code point than a Python loop.
    """
    return "".join(re.findall(r"\s", _all_code_points()))


@functools.cache
def _all_code_points() -> str:
    """Return every code point in order, surrogates included (built in C, not per char)."""
    return array.array("I", range(0x110000)).tobytes().decode("utf-32-le", "surrogatepass")


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _macros() -> list[str]:
    ws_class = "[" + "".join(f"\\x{{{ord(c):X}}}" for c in _whitespace()) + "]"
    mention = _sql_string("@(" + _code_point_class(MENTION_CLASS) + "+)")
    return [
        "CREATE OR REPLACE TEMP MACRO zw_fp_absent(x) AS (x IS NULL OR x = 'null')",
        "CREATE OR REPLACE TEMP MACRO zw_fp_string(x) AS (x IS NULL OR x = 'null' "
        "OR starts_with(x, '\"'))",
        "CREATE OR REPLACE TEMP MACRO zw_fp_id(x) AS (x IS NULL OR x = 'null' "
        "OR starts_with(x, '\"') OR regexp_full_match(x, '-?[0-9]{1,18}'))",
        "CREATE OR REPLACE TEMP MACRO zw_fp_count_ok(x) AS (x IS NULL OR x = 'null' "
        "OR (regexp_full_match(x, '[0-9]{1,19}') AND TRY_CAST(x AS BIGINT) IS NOT NULL))",
        # status.idstr or id_text(status.id): a digit string, else a plain integer id.
        # VARCHAR, not JSON: the ids meet the importer's and the store's VARCHAR ids, and
        # a JSON column would cast those to JSON (a parse per row, an error on "abc").
        "CREATE OR REPLACE TEMP MACRO zw_fp_post_id(idstr, id) AS (CAST(CASE "
        "WHEN regexp_full_match(idstr, '\"[0-9]{1,40}\"') THEN substr(idstr, 2, length(idstr) - 2) "
        "WHEN (idstr IS NULL OR idstr = 'null') AND regexp_full_match(id, '[0-9]{1,18}') "
        "THEN id END AS VARCHAR))",
        f"CREATE OR REPLACE TEMP MACRO zw_fp_time(x) AS (CASE WHEN regexp_full_match(x, "
        f"{_sql_string(_TIME)}) THEN timezone('UTC', "
        "try_strptime(substr(x, 2, 30), '%a %b %d %H:%M:%S %z %Y')) END)",
        "CREATE OR REPLACE TEMP MACRO zw_fp_text(x) AS (CASE WHEN starts_with(x, '\"') "
        "THEN json_extract_string(x, '$') END)",
        # JSON only DuckDB's reader accepts (the importer quarantines it as broken): a
        # trailing comma, or NaN / Inf / Infinity in any case as a value. Each pattern
        # starts with a literal byte, which RE2 finds with memchr.
        "CREATE OR REPLACE TEMP MACRO zw_fp_lenient(line) AS ("
        + " OR ".join(f"regexp_matches(line, {_sql_string(p)})" for p in (*_LENIENT, _NUL_ESCAPE))
        + ")",
        "CREATE OR REPLACE TEMP MACRO zw_fp_distinct(l) AS "
        "(list_filter(l, lambda x, i: x <> '' AND list_position(l, x) = i))",
        # extract_topics: #…# stripped, first occurrence kept, empty ones dropped.
        f"CREATE OR REPLACE TEMP MACRO zw_fp_topics(t) AS (CASE WHEN contains(t, '#') THEN "
        f"regexp_extract_all(t, {_sql_string(TOPIC_PATTERN)}, 1) ELSE [] END)",
        # str.strip(): DuckDB's trim(x, characters) is slow, and most topics need nothing.
        f"CREATE OR REPLACE TEMP MACRO zw_fp_strip(x) AS (CASE WHEN regexp_matches(x, "
        f"{_sql_string('^' + ws_class + '|' + ws_class + '$')}) THEN regexp_replace(x, "
        f"{_sql_string('^' + ws_class + '+|' + ws_class + '+$')}, '', 'g') ELSE x END)",
        "CREATE OR REPLACE TEMP MACRO zw_fp_clean_topics(r) AS (CASE WHEN len(r) = 0 THEN r "
        "WHEN len(r) = 1 THEN CASE WHEN zw_fp_strip(r[1]) = '' THEN [] "
        "ELSE [zw_fp_strip(r[1])] END "
        "ELSE zw_fp_distinct(list_transform(r, lambda x: zw_fp_strip(x))) END)",
        # extract_mentions: @ and up to 30 name characters (a longer run is cut, not skipped).
        f"CREATE OR REPLACE TEMP MACRO zw_fp_mentions(t) AS (CASE WHEN contains(t, '@') THEN "
        f"regexp_extract_all(t, {mention}, 1) ELSE [] END)",
        "CREATE OR REPLACE TEMP MACRO zw_fp_clean_mentions(r) AS (CASE WHEN len(r) = 0 THEN r "
        "WHEN len(r) = 1 AND length(r[1]) <= 30 THEN r "
        "ELSE zw_fp_distinct(list_transform(r, lambda x: substr(x, 1, 30))) END)",
    ]


def _keys_ok(keys: str, index: dict[str, int], absent: tuple[str, ...], extra: str = "") -> str:
    """Return SQL: no key of ``absent``, and each field read occurs at most once.

    One pass over the key list: a field read counts 1, an absent-only key 1000, so the
    sum equals the number of fields found exactly when neither repeats nor intrudes.
    """
    names = [*index, extra] if extra else list(index)
    read = ", ".join(_sql_string(n) for n in names)
    banned = ", ".join(_sql_string(n) for n in absent)
    present = " + ".join(f"(v[{i}] IS NOT NULL)::INT" for i in index.values())
    if extra:
        present += f" + list_contains({keys}, {_sql_string(extra)})::INT"
    return (
        f"list_sum(list_transform({keys}, lambda x: CASE WHEN x IN ({read}) THEN 1 "
        f"WHEN x IN ({banned}) THEN 1000 ELSE 0 END)) = {present}"
    )


def _status_ok(ix: dict[str, int], created: str, post_id: str) -> str:
    """Return SQL: the status fields at ``ix`` have the types the typed decoder takes."""
    return " AND ".join(
        [
            f"{created} IS NOT NULL",
            f"zw_fp_id(v[{ix['id']}])",
            f"zw_fp_string(v[{ix['idstr']}])",
            f"zw_fp_id(v[{ix['mid']}])",
            f"{post_id} IS NOT NULL",
            f"starts_with(v[{ix['text']}], '\"')",
            f"zw_fp_string(v[{ix['source']}])",
            f"zw_fp_count_ok(v[{ix['reposts_count']}])",
            f"zw_fp_count_ok(v[{ix['comments_count']}])",
            f"zw_fp_count_ok(v[{ix['attitudes_count']}])",
            f"starts_with(v[{ix['user']}], '{{')",
        ]
    )


def _source_sql(path_param: str) -> str:
    """Return the query that reads the file as lines and parses each line once."""
    paths = "[" + ", ".join(_sql_string(p) for p in _PATHS) + "]"
    csv = (
        f"read_csv({path_param}, columns = {{'line': 'VARCHAR'}}, delim = '\x01', quote = '', "
        "escape = '', header = false, auto_detect = false, new_line = '\\n', "
        "strict_mode = true, max_line_size = 16777216, buffer_size = 33554432)"
    )
    # try() only once: a line json_extract accepts is valid JSON, so json_keys cannot fail.
    return (
        "SELECT line, v, CASE WHEN v IS NOT NULL THEN json_keys(line, ['$', "
        f"'$.retweeted_status']) END AS k FROM (SELECT line, try(json_extract(line, {paths})) "
        f"AS v FROM {csv})"
    )


def _lines_sql(source: str) -> str:
    """Return the statement that classifies and transforms every line of ``source``.

    ``source`` yields ``line`` (the raw text), ``v`` (the fields read, as JSON) and ``k``
    (the keys of the status and of its root). Values are computed for every line and
    only trusted where ``kind`` = 1 (fast); ``raw`` keeps the text of the other lines.
    """
    i, r = _I, _R
    top_keys = _keys_ok("k[1]", i, _TOP_ABSENT, "retweeted_status")
    root_keys = _keys_ok("k[2]", {**r, "deleted": _R_DELETED}, _ROOT_ABSENT)
    deleted_ok = " AND ".join(
        [
            f"v[{_R_DELETED}] IN ('\"1\"', '1')",
            f"zw_fp_absent(v[{r['user']}])",
            f"(zw_fp_string(v[{r['created_at']}]) "
            f"OR regexp_full_match(v[{r['created_at']}], '-?[0-9]{{1,18}}'))",
            f"zw_fp_id(v[{r['id']}])",
            f"zw_fp_string(v[{r['idstr']}])",
            f"zw_fp_id(v[{r['mid']}])",
            "root_post_id IS NOT NULL",
            f"zw_fp_string(v[{r['text']}])",
            f"zw_fp_string(v[{r['source']}])",
            f"zw_fp_count_ok(v[{r['reposts_count']}])",
            f"zw_fp_count_ok(v[{r['comments_count']}])",
            f"zw_fp_count_ok(v[{r['attitudes_count']}])",
        ]
    )
    full_ok = f"v[{_R_DELETED}] IS NULL AND " + _status_ok(r, "r_created_at", "root_post_id")
    return f"""
    CREATE OR REPLACE TEMP TABLE zw_fp_lines AS
    WITH parsed AS ({source}),
    vals AS (
      SELECT line, v, k,
             zw_fp_time(v[{i["created_at"]}]) AS created_at,
             zw_fp_post_id(v[{i["idstr"]}], v[{i["id"]}]) AS post_id,
             zw_fp_time(v[{r["created_at"]}]) AS r_created_at,
             zw_fp_post_id(v[{r["idstr"]}], v[{r["id"]}]) AS root_post_id
      FROM parsed
    ),
    rooted AS (
      SELECT *,
        CASE WHEN k IS NULL OR NOT list_contains(k[1], 'retweeted_status') THEN 0
             WHEN len(k[2]) = 0 OR NOT ({root_keys}) THEN -1
             WHEN list_contains(k[2], 'deleted') THEN CASE WHEN {deleted_ok} THEN 1 ELSE -1 END
             WHEN {full_ok} THEN 2
             ELSE -1 END AS root_kind
      FROM vals
    ),
    classified AS (
      SELECT *,
        CASE WHEN v IS NULL THEN CASE WHEN line IS NULL
                  OR regexp_full_match(line, {_sql_string(_BLANK)}) THEN 0 ELSE 2 END
             WHEN k IS NOT NULL AND root_kind >= 0
                  AND {top_keys} AND {_status_ok(i, "created_at", "post_id")}
                  AND NOT zw_fp_lenient(line) THEN 1
             ELSE 2 END AS kind
      FROM rooted
    ),
    texts AS (
      SELECT *, CASE WHEN kind = 1 THEN zw_fp_text(v[{i["text"]}]) END AS text,
             CASE WHEN kind = 1 AND root_kind = 2 THEN zw_fp_text(v[{r["text"]}]) END AS r_text
      FROM classified
    ),
    lists AS (
      SELECT *, zw_fp_topics(text) AS topics, zw_fp_mentions(text) AS mentions,
             zw_fp_topics(r_text) AS r_topics, zw_fp_mentions(r_text) AS r_mentions
      FROM texts
    )
    SELECT kind, CASE WHEN kind = 2 THEN line END AS raw, post_id, created_at, text,
           zw_fp_clean_topics(topics) AS topics, zw_fp_clean_mentions(mentions) AS mentions,
           nullif(v[{i["source"]}], 'null') AS src,
           TRY_CAST(v[{i["reposts_count"]}] AS BIGINT) AS reposts,
           TRY_CAST(v[{i["comments_count"]}] AS BIGINT) AS comments,
           TRY_CAST(v[{i["attitudes_count"]}] AS BIGINT) AS likes,
           hash(v[{i["user"]}]) AS uh, v[{i["user"]}] AS uj,
           CASE WHEN kind = 1 THEN root_kind END AS root_kind, root_post_id, r_created_at,
           r_text, zw_fp_clean_topics(r_topics) AS r_topics,
           zw_fp_clean_mentions(r_mentions) AS r_mentions,
           CASE WHEN root_kind = 2 THEN nullif(v[{r["source"]}], 'null') END AS r_src,
           TRY_CAST(v[{r["reposts_count"]}] AS BIGINT) AS r_reposts,
           TRY_CAST(v[{r["comments_count"]}] AS BIGINT) AS r_comments,
           TRY_CAST(v[{r["attitudes_count"]}] AS BIGINT) AS r_likes,
           CASE WHEN root_kind = 2 THEN hash(v[{r["user"]}]) END AS ruh,
           CASE WHEN root_kind = 2 THEN v[{r["user"]}] END AS ruj
    FROM lists"""


@dataclass(slots=True)
class FastImport:
    """What the fast path made of one file; the posts wait in ``con`` as a view."""

    con: duckdb.DuckDBPyConnection
    read: int = 0
    posts: str = "zw_fp_posts"
    post_rows: int = 0
    primary_posts: int = 0
    accounts: list[AccountRecord] = field(default_factory=list)
    primary_accounts: list[AccountRecord] = field(default_factory=list)
    account_snapshots: pa.Table = field(default_factory=lambda: _empty(ACCOUNT_SNAPSHOT_SCHEMA))
    quarantines: list[QuarantineRecord] = field(default_factory=list)
    hot: list[dict[str, Any]] = field(default_factory=list)
    fast_lines: int = 0

    def close(self) -> None:
        """Drop the temporary tables of this file."""
        _drop(self.con)


def _empty(schema: pa.Schema) -> pa.Table:
    return pa.Table.from_batches([], schema=schema)  # empty_table() imports pandas


def _drop(con: duckdb.DuckDBPyConnection) -> None:
    con.complete()
    con.execute("DROP VIEW IF EXISTS zw_fp_posts")
    with suppress(duckdb.Error):
        con.unregister("zw_fp_py")
    for name in _NAMES[:3]:
        con.execute(f"DROP TABLE IF EXISTS {name}")


@contextmanager
def _settings(con: duckdb.DuckDBPyConnection, **values: object) -> Iterator[None]:
    """Set DuckDB settings for a block and restore them afterwards."""
    names = list(values)
    old = con.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in names)).fetchall()[0]
    try:
        for name, value in values.items():
            con.execute(f"SET {name} = {value}")
        yield
    finally:
        for name, value in zip(names, old, strict=True):
            con.execute(f"SET {name} = {_sql_string(str(value))}")


@dataclass(slots=True)
class _Scan:
    lines: int = 0


def _scan(path: Path, out: _Scan) -> None:
    """Count the lines of ``path`` as Python iterates them (the last may lack a newline).

    Runs in a thread while DuckDB reads the same file: a file DuckDB splits into another
    number of lines goes to the importer.
    """
    n = 0
    last = b"\n"
    with path.open("rb") as fh:
        while block := fh.read(16 << 20):
            n += block.count(b"\n")
            last = block[-1:]
    out.lines = n + (last != b"\n")


def wants(importer: object, options: dict[str, Any]) -> bool:
    """Return whether a weibo-api import with these options can use the fast path."""
    return isinstance(importer, WeiboApiImporter) and not options


def import_file(
    path: Path,
    importer: WeiboApiImporter,
    con: duckdb.DuckDBPyConnection,
    *,
    observed_at: datetime,
) -> FastImport | None:
    """Parse ``path`` with DuckDB where possible; None when the Python importer must read it.

    Raises InvalidInputError like the importer when the file is not weibo-api data.
    """
    parser = importer.jsonl_parser(path)
    first = parser.first if parser is not None else None
    if parser is None or not (isinstance(first, dict) and "text" in first and "user" in first):
        return None  # a document, users, or other shapes: the importer's own route
    con.complete()
    _drop(con)
    scan = _Scan()
    scanner = threading.Thread(target=_scan, args=(path, scan), daemon=True)
    scanner.start()
    try:
        with _settings(con, enable_progress_bar="false", preserve_insertion_order="true"):
            for macro in _macros():
                con.execute(macro)
            con.execute(_lines_sql(_source_sql("$1")), [str(path)])
            total = con.execute("SELECT count(*) FROM zw_fp_lines").fetchall()[0][0]
    except duckdb.Error:
        scanner.join()
        _drop(con)
        # Not readable as UTF-8 lines by DuckDB, or more than its memory limit allows
        # (ZHENGWU_ANALYTICS_MEMORY_LIMIT): the importer reads it, in bounded chunks.
        return None
    scanner.join()
    if scan.lines != total:
        _drop(con)
        return None  # DuckDB split the file differently: let the importer read it
    try:
        return _finish(path, parser, con, observed_at)
    except BaseException:
        _drop(con)
        raise


def _finish(
    path: Path, parser: JsonLinesParser, con: duckdb.DuckDBPyConnection, observed_at: datetime
) -> FastImport:
    conv = parser.converter
    users = _users(con, conv)
    _load_mappings(con, conv, users)
    # The authors' JSON is no longer needed: free it before the posts are written.
    con.execute("ALTER TABLE zw_fp_lines DROP COLUMN uj")
    con.execute("ALTER TABLE zw_fp_lines DROP COLUMN ruj")
    collector = _parse_slow_lines(path, parser, con, observed_at)
    fast, roots = con.execute(
        "SELECT count(*) FILTER (WHERE kind = 1), "
        "count(*) FILTER (WHERE kind = 1 AND root_kind = 2) FROM zw_fp_lines"
    ).fetchall()[0]
    con.register("zw_fp_py", collector.posts_table())
    observed = utc_naive(observed_at)
    con.execute(_posts_view_sql(observed))
    result = FastImport(
        con=con,
        read=fast + collector.read,
        post_rows=fast + roots + collector.post_rows,
        primary_posts=fast + collector.primary_posts,
        primary_accounts=collector.primary_accounts,
        quarantines=collector.quarantines,
        fast_lines=fast,
    )
    _merge_accounts(result, users, collector, observed)
    return result


def _parse_slow_lines(
    path: Path, parser: JsonLinesParser, con: duckdb.DuckDBPyConnection, observed_at: datetime
) -> Collector:
    """Run the importer's own parser over the lines the fast path left, in file order."""
    collector = Collector(observed_at=observed_at, source=str(path))
    late = {
        n
        for (n,) in con.execute(
            "SELECT rowid + 1 FROM zw_fp_lines WHERE kind = 2 AND raw IS NULL"
        ).fetchall()
    }
    cursor = con.execute(
        "SELECT rowid + 1, raw FROM zw_fp_lines WHERE kind = 2 AND raw IS NOT NULL ORDER BY rowid"
    )
    if not late:
        while batch := cursor.fetchmany(10_000):
            for lineno, raw in batch:
                _parse_line(parser, collector, raw.encode(), lineno)
        return collector
    # Lines whose author only Python could judge were not kept: read them from the file.
    raws = {lineno: raw.encode() for lineno, raw in cursor.fetchall()}
    for lineno, raw_bytes in iter_lines(path):
        if lineno in late:
            raws[lineno] = raw_bytes
    for lineno in sorted(raws):
        _parse_line(parser, collector, raws[lineno], lineno)
    return collector


def _parse_line(parser: JsonLinesParser, collector: Collector, raw: bytes, lineno: int) -> None:
    for item in parser.parse(raw, lineno):
        collector.add(item, line=lineno)


# uid, record, first and last place the JSON was seen (``line << LINE_SHIFT | k``).
_User = tuple[str, AccountRecord, int, int]
_AUTHORS = f"""
    SELECT uh AS h, uj AS j, ((rowid + 1) << {LINE_SHIFT}) | 1 AS o
    FROM zw_fp_lines WHERE kind = 1
    UNION ALL
    SELECT ruh, ruj, ((rowid + 1) << {LINE_SHIFT}) | 3
    FROM zw_fp_lines WHERE kind = 1 AND root_kind = 2"""


def _users(con: duckdb.DuckDBPyConnection, conv: StatusConverter) -> dict[int, _User]:
    """Decode each distinct author JSON once and note where it was first and last seen.

    One aggregation over the authors' JSON text. An author the fast path cannot use
    (invalid, no account, a hash shared by two JSONs) sends its lines to the importer;
    then where the others were seen is counted again, over the lines that stay.
    """
    decoded: dict[int, tuple[str, AccountRecord]] = {}
    users: dict[int, _User] = {}
    bad: set[int] = set()
    # Each JSON comes once (grouped), so the converter's cache of raw authors would
    # only cost memory; encode() hands the UTF-8 bytes over as they are stored.
    author = conv.decode_author
    for h, raw, first, last in con.execute(
        f"SELECT h, encode(j), min(o), max(o) FROM ({_AUTHORS}) GROUP BY j, h"
    ).fetchall():
        if h in decoded or h in bad:
            bad.add(h)  # two JSONs, one hash: neither can be told apart by the join
            continue
        try:
            uid, record = author(raw)
        except (msgspec.ValidationError, msgspec.DecodeError, RecordError):
            # Invalid, or a value the importer quarantines (an impossible registration
            # date): its lines go to the importer, which reports them.
            uid = record = None
        if uid is None or record is None:
            bad.add(h)
        else:
            decoded[h] = (uid, record)
            users[h] = (uid, record, first, last)
    if not bad:
        return users
    con.execute(
        "UPDATE zw_fp_lines SET kind = 2 WHERE kind = 1 AND ("
        "uh IN (SELECT unnest($1::UBIGINT[])) OR ruh IN (SELECT unnest($1::UBIGINT[])))",
        [list(bad)],
    )
    users = {}
    for h, first, last in con.execute(
        f"SELECT h, min(o), max(o) FROM ({_AUTHORS}) GROUP BY h"
    ).fetchall():
        uid, record = decoded[h]
        users[h] = (uid, record, first, last)
    return users


def _load_mappings(
    con: duckdb.DuckDBPyConnection, conv: StatusConverter, users: dict[int, _User]
) -> None:
    """Give DuckDB each author's uid and each publishing tool's text."""
    encode = msgspec.json.encode
    uids = [{"h": h, "uid": u[0]} for h, u in users.items()]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE zw_fp_uids AS SELECT * FROM (SELECT unnest("
        'from_json($1, \'[{"h": "UBIGINT", "uid": "VARCHAR"}]\'), recursive := true))',
        [encode(uids).decode()],
    )
    sources = con.execute(
        "SELECT DISTINCT src FROM (SELECT src FROM zw_fp_lines WHERE kind = 1 "
        "UNION ALL SELECT r_src FROM zw_fp_lines WHERE kind = 1 AND root_kind = 2) "
        "WHERE src IS NOT NULL"
    ).fetchall()
    mapping = []
    for (raw,) in sources:
        value = msgspec.json.decode(raw, type=str)
        mapping.append({"j": raw, "text": conv.source(value)})
    con.execute(
        "CREATE OR REPLACE TEMP TABLE zw_fp_sources AS SELECT * FROM (SELECT unnest("
        'from_json($1, \'[{"j": "VARCHAR", "text": "VARCHAR"}]\'), recursive := true))',
        [encode(mapping).decode()],
    )


def _posts_view_sql(observed: datetime | None) -> str:
    stamp = f"TIMESTAMP '{observed.isoformat(sep=' ')}'" if observed else "NULL::TIMESTAMP"
    nothing = {
        c: f"NULL::{t} AS {c}"
        for c, t in (
            ("bid", "VARCHAR"), ("title", "VARCHAR"), ("url", "VARCHAR"),
            ("is_headline", "BOOLEAN"), ("is_original", "BOOLEAN"), ("region_name", "VARCHAR"),
            ("reads", "BIGINT"), ("shares", "BIGINT"), ("zaikan", "BIGINT"), ("plays", "BIGINT"),
            ("favorites", "BIGINT"),
        )
    }  # fmt: skip
    return f"""
    CREATE OR REPLACE TEMP VIEW zw_fp_posts AS
    SELECT ((l.rowid + 1) << {LINE_SHIFT}) AS seq, true AS is_primary,
           '{PLATFORM}' AS platform, l.post_id, u.uid AS account_uid, l.created_at, l.text,
           l.topics, l.mentions, l.root_kind > 0 AS is_repost, l.root_post_id,
           l.root_kind = 1 AS root_deleted, {nothing["bid"]}, {nothing["title"]},
           {nothing["url"]}, {nothing["is_headline"]}, {nothing["is_original"]},
           s.text AS source, {nothing["region_name"]}, l.reposts, l.comments, l.likes,
           {nothing["reads"]}, {nothing["shares"]}, {nothing["zaikan"]}, {nothing["plays"]},
           {nothing["favorites"]}, {stamp} AS observed_at
    FROM zw_fp_lines l JOIN zw_fp_uids u ON u.h = l.uh LEFT JOIN zw_fp_sources s ON s.j = l.src
    WHERE l.kind = 1
    UNION ALL
    SELECT ((l.rowid + 1) << {LINE_SHIFT}) | 2, false, '{PLATFORM}', l.root_post_id, u.uid,
           l.r_created_at, l.r_text, l.r_topics, l.r_mentions, false, NULL, false, NULL, NULL,
           NULL, NULL, NULL, s.text, NULL, l.r_reposts, l.r_comments, l.r_likes, NULL, NULL,
           NULL, NULL, NULL, {stamp}
    FROM zw_fp_lines l JOIN zw_fp_uids u ON u.h = l.ruh LEFT JOIN zw_fp_sources s ON s.j = l.r_src
    WHERE l.kind = 1 AND l.root_kind = 2
    UNION ALL
    SELECT * FROM zw_fp_py"""


class _SnapshotRow(msgspec.Struct, gc=False):
    """An account snapshot row (ACCOUNT_SNAPSHOT_SCHEMA), encoded straight to JSON."""

    seq: int
    platform: str
    uid: str
    followers: int | None
    friends: int | None
    statuses: int | None
    observed_at: datetime | None


def _merge_accounts(
    result: FastImport, users: dict[int, _User], collector: Collector, observed: datetime | None
) -> None:
    """Merge the records of every account and keep its last snapshot, in order of first appearance.

    The same rule as :class:`Collector`, over the authors of fast lines (one record per
    distinct JSON, with where it was first and last seen) and the slow lines' accounts:
    each field is the value known last (:func:`merge_by_order`).
    """
    # Most accounts come as one record: only those with several are merged field by field.
    parts: dict[tuple[str, str], list[tuple[AccountRecord, int]]] = {}
    first: dict[tuple[str, str], int] = {}
    snaps: dict[tuple[str, str], AccountRecord | dict[str, Any]] = {}
    snap_at: dict[tuple[str, str], int] = {}
    for _uid, record, first_o, last_o in sorted(users.values(), key=_last_seen):
        key = (record.platform, record.uid)
        parts.setdefault(key, []).append((record, last_o))
        if first.setdefault(key, first_o) > first_o:
            first[key] = first_o
        if record.followers is not None or record.friends is not None:
            snaps[key] = record
            snap_at[key] = last_o
    last: dict[tuple[str, str], AccountRecord] = {}
    slow = collector.accounts
    for key, found in parts.items():
        if len(found) == 1 and key not in slow:
            last[key] = found[0][0]
            continue
        pieces = [(rec, [o if k else -1 for k in account_known(rec)]) for rec, o in found]
        if key in slow:
            pieces.append((slow[key], collector.account_field_orders[key]))
        last[key] = merge_by_order(pieces)
    for key, record in slow.items():
        first_o, _last_o = collector.account_orders[key]
        if key not in last:
            last[key] = record
        if first.setdefault(key, first_o) > first_o:
            first[key] = first_o
    for key, row in collector.snapshots.items():
        order = collector.snapshot_orders[key]
        if key not in snaps or snap_at[key] < order:
            snaps[key] = row
            snap_at[key] = order
    ordered = sorted(first, key=first.__getitem__)
    result.accounts = [last[key] for key in ordered]
    encode = msgspec.json.encode
    naive: dict[datetime | None, datetime | None] = {None: observed}
    lines = []
    for key in ordered:
        snap = snaps.get(key)
        if snap is None:
            continue
        if isinstance(snap, dict):  # a slow line's snapshot row, as the collector made it
            lines.append(encode(snap))
            continue
        seen = snap.observed_at
        if seen not in naive:
            naive[seen] = utc_naive(seen) or observed
        lines.append(
            encode(
                _SnapshotRow(0, snap.platform, snap.uid, snap.followers, snap.friends,
                             snap.statuses, naive[seen])
            )
        )  # fmt: skip
    result.account_snapshots = table_from_json_lines(b"\n".join(lines), ACCOUNT_SNAPSHOT_SCHEMA)


def _last_seen(user: _User) -> int:
    return user[3]


__all__ = ["FastImport", "import_file", "wants"]
