"""What the copies of a help post add to it (转发补充).

A post passed on by hand is often the original with a fact added: a second phone, more
people, the room number (另一个电话139…, 现在共10人, 在302室). Merged as a copy, it
became a mirror of its request, and the request's 情况 is the first post's text: the
added facts were seen only by whoever opened that mirror. :func:`additions` finds them,
clause by clause — a clause of a copy that neither the request's text nor an earlier post
of it says — so the export's 情况 column, the request's page and the API show them
(masked, as the rest of the text, on the public views: :func:`zhengwu.rescue.access.view`).
A copy's own call to pass it on (扩散, 求转发, 谢谢大家) is not a fact, and is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from zhengwu.rescue.phones import extract_phones
from zhengwu.rescue.template import LABEL_WORDS
from zhengwu.rescue.textnorm import normalise

# Clauses end at punctuation, label brackets, hashtags and line breaks (not at a space, a
# dash or a dot: phones are written 138 0000 1111, 138-0000-1111, 137.0000.1357).
_CLAUSE = re.compile(r"[,，。!！?？;；、\n\r【】\[\]#()（）]+")
# Words that pass a post on, thank or plead: no fact of the people waiting, left out of
# what a clause is compared by (情况：求转发 says nothing new, nor 被困 帮帮忙).
_FILLER = re.compile(
    r"(?:求|请|麻烦|拜托|恳请)?(?:大家|各位|好心人|网友)?"
    r"(?:扩散|转发|帮帮忙|帮忙|帮帮|帮转|求转|求救|救救|救命|谢谢|感谢|多谢|拜托|十万火急|在线等"
    r"|急急急|互助)(?:大家|各位|了|啊|吧|呀|一下)*"
)
# A label alone (【姓名】, 地址：, 【转发补充】) is no fact: a sheet row or a form says them all;
# nor is a copy's heading (【求助】, 紧急求助) when its original has none.
_LABELS = frozenset({*LABEL_WORDS, "转发补充", "求助信息", "求助人", "求助", "紧急求助", "求助帖"})
# How a copy says it passes a post on, before what it copies (转：…, 转自…:, 转发:).
_PASSED_ON = re.compile(r"^(?:转发?|转自[^:：]{0,20}|转载)\s*[:：]\s*")
SHOWN_MAX = 20  # clauses listed (a mirror pasted with a whole article adds no more)
CLAUSE_MAX = 200  # characters of one listed clause
LABEL = "转发补充"  # how the export's 情况 column introduces them


def _plain(text: str) -> str:
    """Return ``text`` normalised, its letters and digits only (no spaces, punctuation,
    clause marks or emoji: a copy that swapped the commas for spaces says nothing new)."""
    return "".join(ch for ch in normalise(text) if ch.isalnum())


def _known(clause: str, known: str) -> bool:
    """Tell whether ``clause`` says nothing ``known`` does not: a label alone, words that
    pass it on (求转发, 帮帮忙), what is already said, or phones already known (a sheet's
    联系方式 cell ``13500006666 13911112222``)."""
    plain = _plain(_PASSED_ON.sub("", clause))
    key = _FILLER.sub("", plain)
    if len(key) < 2 or key in known or plain in _LABELS:
        return True
    found = extract_phones(normalise(clause))
    return bool(found) and key.isdigit() and all(phone.replace("-", "") in known for phone in found)


def additions(base: Iterable[str], copies: Sequence[str]) -> list[str]:
    """Return the clauses of ``copies`` (in order) that no text of ``base`` and no earlier
    copy says, leaving out calls to pass the post on.

    ``base``: the request's own texts (its 情况, its original post, its name, address,
    phones and count: a sheet row that merged into a post writes them its own way);
    ``copies``: the texts of the posts merged into it as copies, oldest first.
    """
    known = "\n".join(_FILLER.sub("", _plain(text)) for text in base)
    found: list[str] = []
    for text in copies:
        for clause in _CLAUSE.split(text):
            clause = clause.strip()
            if _known(clause, known):
                continue
            found.append(clause[:CLAUSE_MAX])
            known += "\n" + _FILLER.sub("", _plain(clause))
            if len(found) == SHOWN_MAX:
                return found
    return found


def with_additions(text: str, added: Sequence[str]) -> str:
    """Return a request's 情况 followed by what its copies added (``【转发补充】a；b``)."""
    return f"{text}\n【{LABEL}】{'；'.join(added)}" if added else text
