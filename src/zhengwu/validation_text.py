"""Pydantic's validation errors in Chinese, for the Chinese half of a bilingual message.

Pydantic words its errors in English only ("Input should be greater than or equal to 1").
:func:`message_zh` turns the common error types into Chinese from their ``type`` and
``ctx``; the English half keeps pydantic's own ``msg`` (:func:`message_en`). An error type
not listed here falls back to a generic "取值无效" so no English leaks into the Chinese half.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_Ctx = Mapping[str, Any]

_ZH: dict[str, Callable[[_Ctx], str]] = {
    "missing": lambda c: "必须填写",
    "greater_than": lambda c: f"应大于 {c.get('gt')}",
    "greater_than_equal": lambda c: f"不能小于 {c.get('ge')}",
    "less_than": lambda c: f"应小于 {c.get('lt')}",
    "less_than_equal": lambda c: f"不能大于 {c.get('le')}",
    "int_parsing": lambda c: "应为整数",
    "int_from_float": lambda c: "应为整数",
    "int_type": lambda c: "应为整数",
    "float_parsing": lambda c: "应为数字",
    "float_type": lambda c: "应为数字",
    "decimal_parsing": lambda c: "应为数字",
    "bool_parsing": lambda c: "应为是或否（true / false）",
    "bool_type": lambda c: "应为是或否（true / false）",
    "string_type": lambda c: "应为文本",
    "string_too_short": lambda c: (
        "不能为空" if c.get("min_length") in (None, 1) else f"至少 {c.get('min_length')} 个字"
    ),
    "string_too_long": lambda c: f"最多 {c.get('max_length')} 个字",
    "string_pattern_mismatch": lambda c: "格式不正确",
    "too_short": lambda c: f"至少 {c.get('min_length')} 项",
    "too_long": lambda c: f"最多 {c.get('max_length')} 项",
    "list_type": lambda c: "应为列表",
    "dict_type": lambda c: "应为键值对象",
    "literal_error": lambda c: f"应为以下之一：{_choices(c.get('expected'))}",
    "enum": lambda c: f"应为以下之一：{_choices(c.get('expected'))}",
    "date_parsing": lambda c: "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": lambda c: "应为日期（YYYY-MM-DD）",
    "date_type": lambda c: "应为日期（YYYY-MM-DD）",
    "datetime_parsing": lambda c: "应为日期时间（YYYY-MM-DDTHH:MM）",
    "datetime_from_date_parsing": lambda c: "应为日期时间（YYYY-MM-DDTHH:MM）",
    "datetime_type": lambda c: "应为日期时间（YYYY-MM-DDTHH:MM）",
    "url_parsing": lambda c: "应为网址",
    "url_scheme": lambda c: "网址协议不正确",
    "json_invalid": lambda c: "不是有效的 JSON",
    "extra_forbidden": lambda c: "不允许此字段",
    "model_attributes_type": lambda c: "应为 JSON 对象",
    "model_type": lambda c: "应为 JSON 对象",
    "value_error": lambda c: _own_words(c.get("error")),
}


# Pydantic lists the choices of a "one of" error as 'a', 'b' or 'c' (each a repr; an enum
# of numbers as 1, 2 or 3).
_CHOICE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^,'\"\s]+")


def _choices(expected: object) -> str:
    """Return pydantic's ``'a', 'b' or 'c'`` as Chinese lists it: ``'a'、'b' 或 'c'``.

    The choices are read as the values pydantic writes, so a comma or an "or" inside a
    quoted value stays in it; a list read otherwise is shown as it came.
    """
    text = str(expected or "")
    items = [m.group(0) for m in _CHOICE.finditer(text)]
    if len(items) < 3 or items[-2] != "or":
        return text
    first, last = items[:-2], items[-1]
    if ", ".join(first) + " or " + last != text:
        return text
    return "、".join(first) + " 或 " + last


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _halves(error: object) -> tuple[str, str] | None:
    """Split a validator's bilingual message ``中文 / English`` into its halves (or None)."""
    zh, sep, en = str(error or "").partition(" / ")
    if sep and _has_chinese(zh) and en and not _has_chinese(en):
        return zh, en
    return None


def _own_words(error: object) -> str:
    """Return a validator's own Chinese (the Chinese half of ``中文 / English``), else a
    generic one."""
    halves = _halves(error)
    if halves is not None:
        return halves[0]
    text = str(error or "")
    return text if _has_chinese(text) else "取值无效"


def message_zh(error: Mapping[str, Any]) -> str:
    """Return one pydantic error (an item of ``exc.errors()``) worded in Chinese."""
    make = _ZH.get(str(error.get("type", "")))
    return make(error.get("ctx") or {}) if make else "取值无效"


def message_en(error: Mapping[str, Any]) -> str:
    """Return one pydantic error's own English message (a bilingual validator's English half)."""
    if error.get("type") == "value_error":
        halves = _halves((error.get("ctx") or {}).get("error"))
        if halves is not None:
            return halves[1]
    return str(error.get("msg") or "invalid")


NOT_NULL = "不能为 null（不改就不要发送此字段） / must not be null (leave the field out to keep it)"


def refuse_null(value: object) -> object:
    """Refuse an explicit ``null`` for a field a partial edit (PATCH) cannot clear.

    A ``mode="before"`` field validator: an absent field stays as it is; ``null`` on a
    column that must have a value is a bilingual 422 naming the field, not a database
    error (500) or a row that later reads fail on.
    """
    if value is None:
        raise ValueError(NOT_NULL)
    return value
