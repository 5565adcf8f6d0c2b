"""Platform handles in free text (``//@小李在新乡:``, ``@刘小燕``): the people who posted.

A repost chain names every reposter and a mention names whom a citizen addresses; a
nickname is often a real name, and a handle leads to the person's account. Masked views
replace them with ``@＊＊＊``. Not the "@" of an e-mail address (its local part, masked or
not, comes right before it). ``keep``: handles left readable — a government account's
name (``@平安郑州``), which the service desk knows from its accounts.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from zhengwu.privacy.address import DOOR_MASK

HANDLE = re.compile(r"(?<![A-Za-z0-9._%+\-*])@([\w\-]{1,30})")
HANDLE_MASK = "@" + DOOR_MASK


def handles(text: str) -> set[str]:
    """Return the handles written in ``text``, without their ``@``."""
    return {m.group(1) for m in HANDLE.finditer(text)}


def mask_handles(text: str, *, keep: Collection[str] = ()) -> str:
    """Return ``text`` with every handle but those in ``keep`` (names, no ``@``) masked."""
    if "@" not in text:
        return text
    return HANDLE.sub(lambda m: m.group(0) if m.group(1) in keep else HANDLE_MASK, text)
