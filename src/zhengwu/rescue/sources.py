"""Where help-post texts come from: JSON Lines now, any importable post format later.

:func:`iter_texts` is the one hook the ``rescue extract`` command reads through. It yields
one item per input record, in input order — ``(id, text, posted_at)`` for a usable record,
a :class:`BadLine` for an unusable one — so that output can keep the input's order and count.
To support another post format, add a branch here that turns that format's records into the
same two kinds of item (for importer formats: the text and ``created_at`` of each
``PostRecord``, a :class:`BadLine` for each quarantined record).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import msgspec

from zhengwu.errors import InvalidInputError
from zhengwu.platforms.timeparse import DateError, parse_time

#: ``(id, text, posted_at)`` of one post.
PostText = tuple[str | None, str, datetime | None]


class BadLine(msgspec.Struct, frozen=True):
    """An input record that holds no usable post, and why."""

    line: int
    reason: str
    id: str | None = None


def iter_texts(path: Path, fmt: str | None = None) -> Iterator[PostText | BadLine]:
    """Yield the posts of a JSON Lines file (``text``, optional ``id`` and ``created_at``).

    Blank lines are skipped; every other line yields exactly one item. An unreadable
    ``created_at`` leaves ``posted_at`` as None rather than losing the post. With ``fmt``
    (an import format such as ``weibo-api`` or ``weibo-search-csv``) the file is read by
    that importer instead, one item per input record.
    """
    if fmt is not None:
        yield from _iter_importer(path, fmt)
        return
    if not path.is_file():
        raise InvalidInputError(f"找不到文件：{path}", f"no such file: {path}")
    decoder = msgspec.json.Decoder()
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                record = decoder.decode(raw)
            except msgspec.DecodeError as exc:
                yield BadLine(line=number, reason=f"JSON 无法解析 / invalid JSON: {exc}")
                continue
            yield _post(number, record)


def _post(number: int, record: object) -> PostText | BadLine:
    if not isinstance(record, dict):
        return BadLine(line=number, reason="不是 JSON 对象 / not a JSON object")
    raw_id = record.get("id")
    post_id = None if raw_id is None else str(raw_id)
    text = record.get("text")
    if not isinstance(text, str):
        return BadLine(
            line=number,
            reason="缺少文本字段 text，或它不是字符串 / missing or non-string 'text'",
            id=post_id,
        )
    posted_at = None
    if record.get("created_at") is not None:
        try:
            posted_at = parse_time(record["created_at"])
        except DateError:
            posted_at = None
    return post_id, text, posted_at


def _iter_importer(path: Path, fmt: str) -> Iterator[PostText | BadLine]:
    from zhengwu.ingest.registry import get_importer
    from zhengwu.platforms.records import PostRecord, QuarantineRecord

    for number, item in enumerate(get_importer(fmt).read(path), start=1):
        primary = item.primary
        if isinstance(primary, PostRecord):
            yield primary.post_id, primary.text, primary.created_at
        elif isinstance(primary, QuarantineRecord):
            yield BadLine(line=number, reason=f"{primary.source}: {primary.reason}")
        else:
            yield BadLine(
                line=number, reason=f"不是帖子记录 / not a post ({type(primary).__name__})"
            )
