"""How a Weibo JSON file is laid out: JSON Lines, or one JSON document (list or object).

A file is read as JSON Lines when its first non-blank line is a JSON value by itself
(this includes a one-line document such as ``[{…}, {…}]``); otherwise, when it starts like
JSON and parses as a whole, it is one pretty-printed document; otherwise it is JSON Lines
whose first line is broken. Every process of a split import sniffs the same file head, so
they agree on the layout; a whole document is read by the range that starts at byte 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgspec

from zhengwu.errors import InvalidInputError
from zhengwu.platforms.weibo.payloads import ANY_DECODER

# A pretty-printed document is parsed in memory; beyond this size only JSON Lines makes sense.
DOCUMENT_MAX_BYTES = 512 << 20
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Layout:
    """What the head of a JSON file showed."""

    first: object | None = None  # the first line's value (JSON Lines), for the shape check
    document: object | None = None  # the whole file's value (pretty-printed document)
    is_document: bool = False
    empty: bool = False


def sniff(path: Path) -> Layout:
    """Return the layout of a JSON / JSON Lines file; raise InvalidInputError if it is not JSON."""
    first = _first_line(path)
    if first is None:
        return Layout(empty=True)
    try:
        return Layout(first=ANY_DECODER.decode(first))
    except (msgspec.DecodeError, UnicodeDecodeError):
        pass
    starts_like_json = first[:1] in (b"{", b"[")
    if starts_like_json and path.stat().st_size <= DOCUMENT_MAX_BYTES:
        data = path.read_bytes().removeprefix(_BOM)
        try:
            return Layout(document=ANY_DECODER.decode(data), is_document=True)
        except (msgspec.DecodeError, UnicodeDecodeError):
            pass
    if not starts_like_json:
        raise InvalidInputError(
            f"不是 JSON 或 JSON Lines 文件：{path}", f"not a JSON or JSON Lines file: {path}"
        )
    return Layout()  # JSON Lines whose first line is broken: quarantined like any other


def _first_line(path: Path) -> bytes | None:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh):
            line = raw.removeprefix(_BOM) if number == 0 else raw
            if line.strip():
                return line.strip()
    return None


def encode_raw(value: object) -> bytes:
    """Return a decoded JSON value as JSON again (the raw text of a quarantined element)."""
    try:
        return msgspec.json.encode(value)
    except (TypeError, ValueError, OverflowError):
        return repr(value).encode("utf-8", errors="replace")
