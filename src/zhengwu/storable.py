"""Texts every supported operational database stores alike (可存储的文本).

SQLite keeps a NUL character (``\\x00``) in a text; PostgreSQL refuses it (and a
``\\u0000`` inside JSON). So that the same input has the same outcome on both databases,
zhengwu refuses a NUL before it reaches either: at the HTTP edge a bilingual 422 naming the
field (:mod:`zhengwu.web.textcheck`, Open311 in its own error format); in a file import
the record goes to the quarantine with a reason naming the field. The quarantine shows
the record with each NUL written as the six characters ``\\u0000`` (:func:`shown`), so
nothing is lost and the entry itself can be stored. A TOML file a person gives (an
indicator system, a working-day calendar, rules, a category tree, award lists) may spell a
NUL ``"\\u0000"`` in a string: it is refused whole, naming the file and the key
(:func:`refuse_nul_document`). Behind all of these, the database refuses a NUL on any other
path, naming the table and the column (:mod:`zhengwu.db.nulcheck`).

Other C0 control characters (``\\x01`` … ``\\x1f``) are stored alike by both databases and
are kept as they came; the exports that cannot carry them leave them out of the cell or
element: Excel sheets (:func:`zhengwu.sheetcells.sheet_cell`) and Open311 XML
(:mod:`zhengwu.servicedesk.open311.serialize`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import msgspec

from zhengwu.errors import InvalidInputError

# The largest whole number every supported database stores in an id or count column
# (PostgreSQL's INTEGER; SQLite's are wider, but a value beyond this works on neither).
# A page offset into the analytics store takes the same bound (DuckDB's is INT64).
MAX_STORED_INT = 2**31 - 1
NUL = "\x00"
NUL_ESCAPE = "\\u0000"  # how the quarantine shows a NUL (and how JSON spells it)


def column_length(column: Any) -> int:
    """Return the characters a bounded text column holds (PostgreSQL refuses more; SQLite
    keeps them): ``column_length(HelpRequest.address)`` is 256."""
    from sqlalchemy import String

    kind = column.property.columns[0].type
    if not isinstance(kind, String) or kind.length is None:
        raise TypeError(f"{column} is not a text column of bounded length")
    return int(kind.length)


def clipped(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters, ending with … when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def find_nul(value: Any, where: str = "") -> str | None:
    """Return where the first text holding a NUL sits in ``value`` (None when none does).

    ``value`` is a text, a mapping, a list or tuple, a msgspec struct or a dataclass,
    nested as deep as it likes; the place is dotted like a validation error's
    (``posts.0.text``; ``""`` for ``value`` itself). A mapping's keys count as texts too.
    """
    if isinstance(value, str):
        return where if NUL in value else None
    if isinstance(value, Mapping):
        items: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list | tuple):
        items = list(enumerate(value))
    elif isinstance(value, msgspec.Struct):
        items = [(f, getattr(value, f)) for f in value.__struct_fields__]
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    else:
        return None
    for key, item in items:
        name = shown(str(key))
        place = f"{where}.{name}" if where else name
        if isinstance(key, str) and NUL in key:
            return place
        found = find_nul(item, place)
        if found is not None:
            return found
    return None


def shown(text: str) -> str:
    """Return ``text`` with every NUL written as ``\\u0000`` (what a quarantine entry keeps)."""
    return text.replace(NUL, NUL_ESCAPE) if NUL in text else text


def nul_reason(field: str) -> str:
    """Return the bilingual quarantine reason for a record whose ``field`` holds a NUL."""
    return (
        f"字段「{field}」含有空字符（NUL，\\u0000），数据库无法保存 / "
        f"field {field!r} contains a NUL character (\\u0000), which the database cannot store"
    )


class NulTextError(InvalidInputError):
    """A text of the request holds a NUL character (422, naming the field)."""

    def __init__(self, field: str) -> None:
        self.field = field
        where_zh, where_en = (f"{field}：", f"{field}: ") if field else ("", "")
        super().__init__(
            f"{where_zh}文本中不能含有空字符（NUL，\\u0000）",
            f"{where_en}text must not contain NUL characters (\\u0000)",
        )


def refuse_nul_document(
    document: Any, source: str, error: type[InvalidInputError] = InvalidInputError
) -> None:
    """Raise ``error`` naming ``source`` and the key when a text of a parsed document holds
    a NUL: a TOML file a person gives (an indicator system, a working-day calendar,
    classification rules, a category tree, award lists) may spell one ``\\u0000`` in a
    string, and what it says reaches the database."""
    found = find_nul(document)
    if found is not None:
        raise error(
            f"{source} 中的「{found}」含有空字符（NUL，\\u0000），数据库无法保存：请删去它",
            f"{found!r} in {source} contains a NUL character (\\u0000), which the database "
            "cannot store: remove it",
        )


def refuse_nul(value: Any, where: str = "") -> None:
    """Raise :class:`NulTextError` naming the place when a text in ``value`` holds a NUL."""
    found = find_nul(value, where)
    if found is not None:
        raise NulTextError(found)
