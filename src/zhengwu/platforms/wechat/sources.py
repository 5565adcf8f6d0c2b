"""Read export files record by record (JSON Lines, JSON documents, CSV), never raising on one.

Generic: the WeChat, Douyin and hot-search importers all read through it. It lives here
because its author owns no module in ``zhengwu.ingest``; it belongs next to
``zhengwu.ingest.files`` and should move there.

Layouts:

* **JSON Lines** (``.jsonl``, ``.ndjson``, or a ``.json`` whose first line is a whole JSON
  object — crawlers often name JSON Lines ``.json``): one record per line, honouring
  ``byte_range``. A line that is a known wrapper (``{"list": [...]}``) yields its elements.
* **JSON document** (an array, or a pretty-printed wrapper object): one record per element.
  It cannot be split, so only the byte range that starts at 0 reads it; the other ranges
  yield nothing and the file is still read exactly once.
* **CSV** (``.csv``, where the importer allows it): one record per data row; not split
  either. A CSV that is not UTF-8 as a whole (GBK, as Excel saves it) is refused at once
  (:func:`zhengwu.ingest.files.refuse_not_utf8`); a GBK row in a UTF-8 file is quarantined.

Sources are ``file:line`` for JSON Lines, ``file:line item N`` for the elements of a
wrapper line, ``file:line (item N)`` for the elements of a JSON array document (the line
the element starts on, so an editor can jump to it; ``file:item N`` for the elements of a
wrapper object document) and ``file:row N`` for CSV rows (1-based, header = row 1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import orjson

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import (
    GBK_HINT,
    RAW_CHARS,
    check_file,
    decode_line,
    iter_csv_rows,
    iter_lines,
    read_text,
    refuse_not_utf8,
)
from zhengwu.ingest.registry import ImportItem
from zhengwu.platforms.records import QuarantineRecord
from zhengwu.platforms.text import CountError, parse_count
from zhengwu.platforms.timeparse import DateError, parse_time

Layout = Literal["jsonl", "document", "csv"]
Unwrap = Callable[[dict[str, object]], list[object] | None]
"""Return the records a wrapper object holds, or None when the object is itself a record."""

_NO_CONTEXT: Mapping[str, object] = {}
_SPACE = re.compile(r"[ \t\n\r]*")  # JSON whitespace
_SCANNER = json.JSONDecoder()


class PayloadError(ValueError):
    """A record that cannot be used; its message is the quarantine reason (中文 / English)."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_zh} / {message_en}")


@dataclass(slots=True, frozen=True)
class RawRecord:
    """One top-level input record before parsing: where it is, its value or why it is unusable."""

    source: str
    value: object
    raw: str
    problem: str | None = None
    # The wrapper object the record was taken out of (e.g. a datacube response that
    # carries the account id next to its "list").
    context: Mapping[str, object] = field(default_factory=lambda: _NO_CONTEXT)


def quarantine(source: str, reason: str, raw: str | None) -> ImportItem:
    """Return the import item of an unusable record."""
    return ImportItem(
        primary=QuarantineRecord(
            source=source, reason=reason, raw=raw[:RAW_CHARS] if raw is not None else None
        )
    )


def sniff_layout(path: Path, *, csv_ok: bool = False) -> Layout:
    """Tell how ``path`` is laid out; raise when it is neither JSON, JSON Lines nor allowed CSV."""
    check_file(path)
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if suffix == ".csv":
        if csv_ok:
            return "csv"
        raise InvalidInputError(
            f"此格式不接受 CSV 文件：{path}", f"this format does not accept CSV files: {path}"
        )
    head = _first_lines(path, 2)
    if not head:
        return "jsonl"  # an empty file holds no records, whatever its layout
    if head[0].startswith(b"["):
        return "document"
    if _is_json_object(head[0]):
        return "jsonl"
    # A first line that is not a whole object is either a pretty-printed document ("{")
    # or a JSON Lines file whose first line is broken; the second line tells them apart.
    if len(head) > 1 and _is_json_object(head[1]):
        return "jsonl"
    if head[0].startswith(b"{"):
        return "document"
    raise InvalidInputError(
        f"不是 JSON 或 JSON Lines 文件：{path}", f"not a JSON or JSON Lines file: {path}"
    )


def _first_lines(path: Path, count: int) -> list[bytes]:
    lines: list[bytes] = []
    with path.open("rb") as fh:
        for raw in fh:
            line = raw.strip()
            if not lines and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:].strip()
            if line:
                lines.append(line)
                if len(lines) == count:
                    break
    return lines


def _is_json_object(line: bytes) -> bool:
    if not line.startswith(b"{"):
        return False
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


def iter_records(
    path: Path,
    byte_range: tuple[int, int] | None = None,
    *,
    unwrap: Unwrap | None = None,
    csv_ok: bool = False,
) -> Iterator[RawRecord]:
    """Return every top-level record of ``path`` (layouts in the module docstring).

    Raises :class:`InvalidInputError` at once, not on first iteration, when the file is
    missing or is not JSON, JSON Lines or (with ``csv_ok``) CSV at all, or is a CSV that is
    not UTF-8 as a whole.
    """
    layout = sniff_layout(path, csv_ok=csv_ok)
    if layout == "jsonl":
        return _jsonl_records(path, byte_range, unwrap)
    if byte_range is not None and byte_range[0] > 0:
        return iter(())  # whole-file layouts are read by the range that starts the file
    if layout == "csv":
        refuse_not_utf8(path)  # a GBK file is refused once, not quarantined row by row
        return _csv_records(path)
    text, problem = read_text(path)
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError(
            f"JSON 文件无法解析：{path}（{exc}）", f"unreadable JSON file {path}: {exc}"
        ) from None
    if not isinstance(value, list | dict):
        raise InvalidInputError(
            f"JSON 文件既不是数组也不是对象：{path}",
            f"JSON file is neither array nor object: {path}",
        )
    lines = _element_lines(text) if isinstance(value, list) else None
    return _document_records(path, value, problem, unwrap, lines)


def _dump(value: object) -> str:
    return orjson.dumps(value).decode("utf-8")[:RAW_CHARS]


def _jsonl_records(
    path: Path, byte_range: tuple[int, int] | None, unwrap: Unwrap | None
) -> Iterator[RawRecord]:
    for lineno, raw in iter_lines(path, byte_range):
        source = f"{path}:{lineno}"
        text = decode_line(raw)
        if text is None:
            yield RawRecord(source, None, raw.decode("utf-8", "replace")[:RAW_CHARS], GBK_HINT)
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            yield RawRecord(source, None, text[:RAW_CHARS], f"JSON 格式错误 / invalid JSON: {exc}")
            continue
        yield from _expand(source + " ", value, text[:RAW_CHARS], unwrap, source)


def _expand(
    prefix: str, value: object, raw: str, unwrap: Unwrap | None, source: str
) -> Iterator[RawRecord]:
    """Yield the elements of a wrapper object, or the value itself as one record."""
    if unwrap is None or not isinstance(value, dict):
        yield RawRecord(source, value, raw)
        return
    try:
        elements = unwrap(value)
    except PayloadError as exc:
        yield RawRecord(source, None, raw, str(exc))
        return
    if elements is None:
        yield RawRecord(source, value, raw)
        return
    for n, element in enumerate(elements, start=1):
        yield RawRecord(f"{prefix}item {n}", element, _dump(element), context=value)


def _skip_space(text: str, pos: int) -> int:
    found = _SPACE.match(text, pos)
    return found.end() if found else pos


def _element_lines(text: str) -> list[int] | None:
    """Return the line each element of the JSON array ``text`` starts on (1-based).

    orjson gives no positions, so the array is walked once more with the standard
    library's scanner, which returns where each element ends. None when the walk does not
    come out as the same array (it always should: orjson has accepted the text).
    """
    pos = _skip_space(text, 0)
    if not text.startswith("[", pos):
        return None
    lines: list[int] = []
    line, counted = 1, 0
    pos = _skip_space(text, pos + 1)
    if text.startswith("]", pos):
        return lines
    while True:
        line += text.count("\n", counted, pos)
        counted = pos
        lines.append(line)
        try:
            _, pos = _SCANNER.raw_decode(text, pos)
        except (ValueError, RecursionError):
            return None
        pos = _skip_space(text, pos)
        if not text.startswith(",", pos):
            return lines if text.startswith("]", pos) else None
        pos = _skip_space(text, pos + 1)


def _document_records(
    path: Path,
    value: list[object] | dict[str, object],
    problem: str | None,
    unwrap: Unwrap | None,
    lines: list[int] | None = None,
) -> Iterator[RawRecord]:
    if isinstance(value, list):
        if lines is None or len(lines) != len(value):
            lines = None
        records: Iterator[RawRecord] = (
            RawRecord(
                f"{path}:{lines[n - 1]} (item {n})" if lines else f"{path}:item {n}",
                element,
                _dump(element),
            )
            for n, element in enumerate(value, start=1)
        )
    else:
        records = _expand(f"{path}:", value, _dump(value), unwrap, f"{path}:item 1")
    for record in records:
        # A non-UTF-8 file was decoded with replacement characters; only the records that
        # actually contain one are garbled, the others are imported.
        if problem is not None and record.problem is None and _garbled(record.value):
            yield RawRecord(record.source, None, record.raw, problem)
        else:
            yield record


def _garbled(value: object) -> bool:
    return "\ufffd" in orjson.dumps(value).decode("utf-8")


def _csv_records(path: Path) -> Iterator[RawRecord]:
    """The rows of a .csv file, each with its line(s) as read as its raw text."""
    for row_no, row, problem in iter_csv_rows(path):  # a .csv file (see sniff_layout)
        source = f"{path}:row {row_no.number}"
        yield RawRecord(source, row, row_no.raw[:RAW_CHARS], problem)


def import_items(
    records: Iterator[RawRecord],
    parse: Callable[[dict[str, object], RawRecord], ImportItem | list[ImportItem]],
) -> Iterator[ImportItem]:
    """Turn raw records into import items, quarantining unreadable, non-object and bad ones.

    ``parse`` returns one item, or a list when one input record holds several (the
    articles of a WeChat push), each of which is then counted.
    """
    for record in records:
        if record.problem is not None:
            yield quarantine(record.source, record.problem, record.raw)
        elif not isinstance(record.value, dict):
            kind = type(record.value).__name__
            yield quarantine(
                record.source, f"不是 JSON 对象 / not a JSON object (got {kind})", record.raw
            )
        else:
            try:
                parsed = parse(record.value, record)
            except PayloadError as exc:
                yield quarantine(record.source, str(exc), record.raw)
                continue
            if isinstance(parsed, list):
                yield from parsed
            else:
                yield parsed


# ---- field access: platform JSON is untyped; these turn values into typed ones or a reason.


def text_of(record: Mapping[str, object], key: str) -> str | None:
    """Return a text field ("" and null become None); numbers are accepted as their digits."""
    value = record.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise PayloadError(f"字段 {key} 不是文本", f"field {key} is not text: {value!r:.80}")


def id_of(record: Mapping[str, object], *keys: str) -> str | None:
    """Return the first present identifier among ``keys`` as a stripped string."""
    for key in keys:
        value = text_of(record, key)
        if value is not None and value.strip():
            return value.strip()
    return None


def count_of(value: object, key: str) -> int | None:
    """Return a non-negative count or None; quarantine negative or non-numeric values."""
    try:
        return parse_count(value, field=key)
    except (CountError, ValueError, OverflowError) as exc:
        # parse_count lets ValueError ("²") and OverflowError ("inf") through as well.
        raise PayloadError(f"计数无效（{key}）", f"invalid count in {key}: {exc}") from None


def time_of(value: object, key: str) -> datetime:
    """Return an aware datetime; quarantine unreadable or impossible times."""
    try:
        return parse_time(value)
    except (DateError, ValueError, OverflowError) as exc:  # "²" passes isdigit() in parse_time
        raise PayloadError(f"时间无效（{key}）", f"invalid time in {key}: {exc}") from None


def object_of(record: Mapping[str, object], key: str) -> dict[str, object] | None:
    """Return a nested object field, None when absent; quarantine a non-object value."""
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise PayloadError(f"字段 {key} 不是对象", f"field {key} is not an object")
    return value
