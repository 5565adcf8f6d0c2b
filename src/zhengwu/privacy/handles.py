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
A government name run into the words addressed to it (``@广州发布请处理``, ``@平安北京你好``,
``@深圳交警麻烦管管``: no space before them, so the handle reads on) stays readable
with those words: :func:`handle_names` offers the name before such a word
(:data:`ADDRESSING`) — a citizen's nickname seldom holds one — and the handle is kept
only when that name is a government account's. A citizen's handle run into a word that
opens a request to them (:data:`OPENING`: ``@张三丰请帮忙``) is masked up to that word,
which stays readable with what follows (``@＊＊＊请帮忙``); run into one a nickname holds as
often (``在`` ``看看`` …) it is masked to the next space, words and all.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from zhengwu.privacy.address import DOOR_MASK
from zhengwu.privacy.fold import fold

# Not right after what an e-mail's local part is made of (ASCII or full-width).
HANDLE = re.compile(r"(?<![A-Za-z0-9._%+\-*Ａ-Ｚａ-ｚ０-９．＿％＋－＊])[@＠]([\w\-－]{1,30})")
HANDLE_MASK = "@" + DOOR_MASK
# Words that open what a citizen says to an account, or what a text says of it, run into
# its handle without a space (@广州发布请处理, @A市交警官方微博在2017互联网…). Not 求助, 的
# nor 在线: @平安北京求助, @平安北京的粉丝, @平安北京在线 are citizens' nicknames.
ADDRESSING = re.compile(
    r"请|您好|你好|麻烦|能否|能不能|可否|可不可以|为什么|为何|怎么|管管|管一管|看看|看一下"
    r"|帮忙|帮帮|快来|速来|赶紧|救救|在(?!线)|已经|于|对于"
)

# The words of ADDRESSING that open a request to someone (请 您好 麻烦 帮忙 …): a citizen's
# handle run into one is masked up to it and the words stay readable (@张三丰请帮忙 →
# @＊＊＊请帮忙), as a government name's. Not the others (在 已经 于 怎么 为什么 看看 …):
# a nickname holds them as often (在路上, 看看世界), so a handle run into them is masked
# to the next space, words and all — the safe side where the nickname's end is unsure.
OPENING = re.compile(
    r"请|您好|你好|麻烦|能否|能不能|可否|可不可以|管管|管一管|帮忙|帮帮|快来|速来|赶紧|救救"
)


def handle_key(name: str) -> str:
    """Return the form handles are compared in: full-width folded, lower case, without an
    ``@`` before or spaces and dashes after (``＠ＳＺ交警-`` → ``sz交警``)."""
    key = fold(name).strip().lower()
    return key.removeprefix("@").rstrip("- ")


def handle_names(handle: str) -> list[str]:
    """Return the names ``handle`` (as written, without its ``@``) may stand for: itself,
    and the name before a word of :data:`ADDRESSING` it runs into (``广州发布请处理`` →
    ``广州发布``; two characters at least)."""
    names = [handle]
    if len(handle) > 2:
        names += [handle[: m.start()] for m in ADDRESSING.finditer(handle, 2)]
    return names


def handles(text: str) -> set[str]:
    """Return the handles written in ``text``, as written, without their ``@``."""
    return {m.group(1) for m in HANDLE.finditer(text)}


def has_handle(text: str) -> bool:
    """Return whether ``text`` holds a handle."""
    return ("@" in text or "＠" in text) and HANDLE.search(text) is not None


def mask_handles(text: str, *, keep: Collection[str] = ()) -> str:
    """Return ``text`` with every handle masked but those naming one of ``keep`` (names,
    with or without ``@``, compared by :func:`handle_key`; a handle names the name it is
    or, run into words addressed to it, the one before them: :func:`handle_names`). A
    citizen's handle run into a word of :data:`OPENING` is masked up to that word, which
    stays with what follows it (``@张三丰请帮忙`` → ``@＊＊＊请帮忙``)."""
    if "@" not in text and "＠" not in text:
        return text
    kept = {handle_key(name) for name in keep}

    def masked(m: re.Match[str]) -> str:
        if any(handle_key(name) in kept for name in handle_names(m.group(1))):
            return m.group(0)
        # A citizen's: the first opening word after two characters at least ends it.
        opening = OPENING.search(m.group(1), 2)
        return HANDLE_MASK if opening is None else HANDLE_MASK + m.group(1)[opening.start() :]

    return HANDLE.sub(masked, text)
