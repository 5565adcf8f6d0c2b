"""Platform handles in free text (``//@小李在新乡:``, ``@刘小燕``): the people who posted.

A repost chain names every reposter and a mention names whom a citizen addresses; a
nickname is often a real name, and a handle leads to the person's account. Masked views
replace them with ``@＊＊＊``. Not the "@" of an e-mail address (its local part, masked or
not, comes right before it). A full-width at sign (``＠雨夜小鹿``) opens a handle too.

``keep``: handles left readable — a government account's name (``@平安郑州``), which the
service desk knows from its accounts. They are compared by :func:`handle_key`, so the
account is recognised however a citizen writes it: in another case (``@cctv新闻`` for
CCTV新闻), in full-width letters or digits (``@ＳＺ交警``, ``＠平安北京``) or with a dash
after it (``@平安北京- 请处理``); what follows a handle (``:`` ``：`` a space) was never
part of it. A handle that only contains a government name (``@平安北京求助``,
``@我爱平安北京``, ``@平安北京_``: ``_`` is a nickname's character) is a citizen's: masked.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from zhengwu.privacy.address import DOOR_MASK
from zhengwu.privacy.fold import fold

# Not right after what an e-mail's local part is made of (ASCII or full-width).
HANDLE = re.compile(r"(?<![A-Za-z0-9._%+\-*Ａ-Ｚａ-ｚ０-９．＿％＋－＊])[@＠]([\w\-－]{1,30})")
HANDLE_MASK = "@" + DOOR_MASK


def handle_key(name: str) -> str:
    """Return the form handles are compared in: full-width folded, lower case, without an
    ``@`` before or spaces and dashes after (``＠ＳＺ交警-`` → ``sz交警``)."""
    key = fold(name).strip().lower()
    return key.removeprefix("@").rstrip("- ")


def handles(text: str) -> set[str]:
    """Return the handles written in ``text``, as written, without their ``@``."""
    return {m.group(1) for m in HANDLE.finditer(text)}


def has_handle(text: str) -> bool:
    """Return whether ``text`` holds a handle."""
    return ("@" in text or "＠" in text) and HANDLE.search(text) is not None


def mask_handles(text: str, *, keep: Collection[str] = ()) -> str:
    """Return ``text`` with every handle masked but those naming one of ``keep`` (names,
    with or without ``@``, compared by :func:`handle_key`)."""
    if "@" not in text and "＠" not in text:
        return text
    kept = {handle_key(name) for name in keep}
    return HANDLE.sub(lambda m: m.group(0) if handle_key(m.group(1)) in kept else HANDLE_MASK, text)
