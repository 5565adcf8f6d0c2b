"""The form body of an Open311 POST, read in the charset the client declared.

Clients in the field send ``application/x-www-form-urlencoded`` bodies both ways: fields
percent-encoded as the spec says, and raw UTF-8 (``curl -d description=小区物业乱收费``).
Both are read in the declared charset (UTF-8 when none is declared), strictly: a body that
is not valid in it is refused with a 400, never stored with mojibake or U+FFFD in place of
the citizen's words.
"""

from __future__ import annotations

import codecs
from urllib.parse import parse_qsl

from zhengwu.servicedesk.open311.errors import bad
from zhengwu.servicedesk.open311.serialize import Format

URLENCODED = "application/x-www-form-urlencoded"
DEFAULT_CHARSET = "utf-8"
# Labels that clients declare for a charset Python names otherwise, or for a subset of
# what they really send (forms declared GB2312 carry GBK characters; WHATWG reads them
# as GBK too).
_CHARSET_ALIASES = {"gb2312": "gbk", "x-gbk": "gbk"}


def is_urlencoded(content_type: str) -> bool:
    """Return True for an ``application/x-www-form-urlencoded`` content type."""
    return content_type.split(";", 1)[0].strip().lower() == URLENCODED


def declared_charset(content_type: str) -> str:
    """Return the ``charset`` parameter of a content type, lower case (UTF-8 when absent)."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"'):
            charset = value.strip().strip('"').lower()
            return _CHARSET_ALIASES.get(charset, charset)
    return DEFAULT_CHARSET


class FormCharsetError(ValueError):
    """A urlencoded body in a charset Python does not know, or not valid in its charset."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh, self.message_en = message_zh, message_en


def decode_urlencoded(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """Return the fields of a urlencoded body read strictly in its declared charset.

    Raises :class:`FormCharsetError` (bilingual) for an unknown charset or a body that is
    not valid in it. Shared by Open311 and :func:`zhengwu.web.forms.read_form`.
    """
    charset = declared_charset(content_type)
    try:
        codecs.lookup(charset)
    except LookupError:
        raise FormCharsetError(
            f"不支持的字符集：{charset}", f"unsupported charset: {charset}"
        ) from None
    try:
        # Raw bytes and %XX escapes are both decoded in the declared charset, strictly.
        return parse_qsl(
            body.decode(charset), keep_blank_values=True, encoding=charset, errors="strict"
        )
    except UnicodeDecodeError:
        raise FormCharsetError(
            f"请求体不是有效的 {charset} 编码文本，请以 UTF-8（或声明的字符集）提交",
            f"the form body is not valid {charset}: send UTF-8 or declare its charset",
        ) from None


def parse_urlencoded(body: bytes, content_type: str, fmt: Format) -> list[tuple[str, str]]:
    """Return the fields of a urlencoded body, or raise a 400 when it is not in its charset."""
    try:
        return decode_urlencoded(body, content_type)
    except FormCharsetError as exc:
        raise bad(fmt, f"{exc.message_zh} / {exc.message_en}") from None
