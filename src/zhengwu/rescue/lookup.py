"""Find help requests the way a call-back goes: "the one from 张家湾, phone ending 1234" (查找).

A query is free text: words (a place, a street, something the post said, a name) and
numbers (four or more digits, grouped as people write them: ``1234``, ``138 0000 1111``,
``+86 138-0000-1111``). A request matches when every word and every number is found.

What is searched is what the viewer may see (:mod:`zhengwu.rescue.access`):

- where :func:`access.sees_full` holds (dispatchers, verifiers, admins; a team for its own
  requests): the texts of the request and its mirrors, the full address, the county, the
  name, and the phones — a number matches a phone it is part of, so the last four digits
  or the whole number find it;
- everywhere else: only the masked texts and the street-level address, with every masked
  number (``138****1111``, ID numbers) blanked out entirely. A name or a phone never
  matches through a field the viewer cannot read, and not even the four digits a mask
  leaves show find a request, so a search cannot be used to test a guess.

The database does the searching (:func:`sql_conditions`): each request stores what a full
viewer searches, folded as :func:`parse` folds a query — ``search_words`` (its texts, its
mirrors', address, county, name) and ``search_digits`` (the digit runs of those texts once
spaces and dashes are taken out, and the phones) — kept by every flush that changes the
request or its mirrors (:func:`index_texts`, migration 0025). For a full viewer every
word and number is a substring test on those columns, exactly as :func:`matches` decides.
Everyone who searches a queue sees what it lists in full (a team member lists only their
own team's requests), so the SQL is the whole search
(:func:`zhengwu.rescue.listing.search_page`); :func:`matches` and :func:`search` remain the
rule in Python, what the tests hold the SQL to, masked viewers included.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func

from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError
from zhengwu.privacy import coarse_address, phone_digits
from zhengwu.privacy.fold import fold
from zhengwu.rescue import access
from zhengwu.rescue.models import HelpRequest

QUERY_MAX = 100
NUMBER_MIN = 4  # fewer digits are a house number or a count: searched as words
# Digits, one space or dash allowed between any two (138 0000 1111, 138-0000-1111), an
# optional +86 in front.
_NUMBER = re.compile(r"(?<![\d*])(?:\+?86[ -]?)?\d(?:[ -]?\d)+(?![\d*])")
_SPLIT = re.compile(r"[\s,，、;；。]+")
# A masked value and the digits it leaves: 138****1111, 0371-****5678, 4101**********1234.
_MASKED = re.compile(r"[\d\-]*[*＊]+[\d*＊\-]*")


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search: words and numbers (digits only), each of which must match."""

    words: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.numbers)


def parse(text: str | None) -> Query:
    """Return the words and numbers of a search; a blank one is empty (matches all)."""
    raw = (text or "").strip()
    if len(raw) > QUERY_MAX:
        raise InvalidInputError(
            f"搜索词太长：最多 {QUERY_MAX} 个字",
            f"the search is too long: at most {QUERY_MAX} characters",
        )
    folded = fold(raw)
    numbers: list[str] = []

    def take(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        if match.group().startswith("+") or (len(digits) == 13 and digits.startswith("86")):
            digits = digits[2:]  # +86: the country code is never part of a stored number
        if len(digits) < NUMBER_MIN:
            return match.group()
        numbers.append(digits)
        return " "

    rest = _NUMBER.sub(take, folded)
    words = [w.casefold() for w in _SPLIT.split(rest) if w]
    return Query(words=tuple(dict.fromkeys(words)), numbers=tuple(dict.fromkeys(numbers)))


def _haystack(principal: Principal, request: HelpRequest, keep: Collection[str]) -> str:
    """Return what ``principal`` may read of ``request``, as one searchable text."""
    texts = [request.text, *(s.text for s in request.sources)]
    area = access.area_name(request.adcode) or ""
    if access.sees_full(principal, request):
        parts = [*texts, request.address or "", area, request.name or ""]
    else:
        masked = [access.mask_request_text(t, request, keep=keep) for t in texts]
        address = coarse_address(request.address) if request.address else ""
        parts = [_MASKED.sub(" ", t) for t in (*masked, address)] + [area]
    return fold("\n".join(parts)).casefold()


def matches(
    principal: Principal, request: HelpRequest, query: Query, *, keep: Collection[str] = ()
) -> bool:
    """Return whether ``request`` matches ``query`` in what ``principal`` may see of it."""
    if not query:
        return True
    haystack = _haystack(principal, request, keep)
    if not all(word in haystack for word in query.words):
        return False
    digits_seen = re.sub(r"[ -]", "", haystack)  # 138-0000-1111 in a text is one number
    phones = (
        [phone_digits(p) for p in request.phones] if access.sees_full(principal, request) else []
    )
    return all(
        number in digits_seen or any(number in phone for phone in phones)
        for number in query.numbers
    )


def search(
    principal: Principal,
    requests: list[HelpRequest],
    text: str | None,
    *,
    keep: Collection[str] = (),
) -> list[HelpRequest]:
    """Return the ``requests`` matching the search ``text`` for ``principal``, in order."""
    query = parse(text)
    if not query:
        return requests
    return [r for r in requests if matches(principal, r, query, keep=keep)]


_DIGIT_RUN = re.compile(r"\d+")


def index_texts(
    texts: Iterable[str],
    *,
    address: str | None,
    adcode: str | None,
    name: str | None,
    phones: Iterable[str],
) -> tuple[str, str]:
    """Return ``(search_words, search_digits)`` of a request: what a full viewer searches.

    ``texts`` are the request's text and its mirrors'. A number matches ``search_digits``
    exactly when :func:`matches` finds it in the texts or the phones of a full view.
    """
    parts = [*texts, address or "", access.area_name(adcode) or "", name or ""]
    haystack = fold("\n".join(parts)).casefold()
    runs = _DIGIT_RUN.findall(re.sub(r"[ -]", "", haystack))
    runs += [d for d in (phone_digits(p) for p in phones) if d]
    return haystack, " ".join(runs)


def _contains(column: Any, needle: str, dialect: str) -> ColumnElement[bool]:
    """``needle in column`` as SQL: a plain substring test (both sides are folded and
    lower-cased already), cheaper than a ``LIKE`` pattern and free of its wildcards."""
    if dialect == "postgresql":
        return func.strpos(column, needle) > 0
    return func.instr(column, needle) > 0


def sql_conditions(query: Query, dialect: str = "sqlite") -> list[ColumnElement[bool]]:
    """Return the SQL conditions of ``query`` on the stored search columns (all must hold);
    ``dialect`` is the session's (``sqlite`` or ``postgresql``)."""
    found = [_contains(HelpRequest.search_words, w, dialect) for w in query.words]
    found += [_contains(HelpRequest.search_digits, n, dialect) for n in query.numbers]
    return found
