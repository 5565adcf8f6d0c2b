"""The name search in a matrix's members: the condition, and the index that answers it.

``q`` is a substring of the account's name or UID, ignoring case, ``%``, ``_`` and ``\\``
taken literally (:func:`name_or_uid_contains`). On PostgreSQL pg_trgm's indexes (migration
0031) answer three characters or more; one or two characters (公安, 郑州: the common case
in Chinese) are answered by the index of the accounts' 1- and 2-character grams (migration
0034, :func:`short_grams_contain`), when the planner takes it (:func:`uses_short_grams`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import ColumnElement, Select, Text, func, or_, text, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account

SHORT_GRAMS_INDEX = "ix_accounts_short_grams"
_CUT = "\x01"  # the separator account_short_grams cuts its pairs with (migration 0034)


def _uncased(needle: str) -> bool:
    """Return whether case cannot change a match of ``needle`` (Chinese, digits)."""
    return needle.lower() == needle == needle.upper()


def name_or_uid_contains(needle: str) -> ColumnElement[bool]:
    """Return the condition that an account's name or UID contains ``needle``, ignoring case.

    ``%``, ``_`` and ``\\`` in ``needle`` are literal. A plain ``LIKE '%…%'`` (case cannot
    matter when ``needle`` has no cased letter: Chinese, digits), else ``ILIKE`` on
    PostgreSQL (``lower() LIKE lower()`` on SQLite). On PostgreSQL both use the trigram
    indexes of migration 0031 from three characters on; shorter, or without pg_trgm, the
    accounts are read, and ``LIKE`` reads them about six times faster than ``ILIKE``, which
    lower-cases every name.
    """
    # Backslash is the escape pg_trgm reads when it takes a pattern apart for the index.
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    if _uncased(needle):
        return or_(Account.name.like(pattern, escape="\\"), Account.uid.like(pattern, escape="\\"))
    return or_(Account.name.ilike(pattern, escape="\\"), Account.uid.ilike(pattern, escape="\\"))


def short_grams_contain(needle: str) -> ColumnElement[bool] | None:
    """Return the PostgreSQL condition of a 1- or 2-character search answered by the gram
    index (migration 0034), the same rows as :func:`name_or_uid_contains`; None when the
    index cannot answer ``needle`` (longer, a cased letter outside ASCII, ``chr(1)``).

    The index holds the grams of ``lower(name)`` and ``lower(uid)``: ``lower(q)`` (the
    database's, as in the index) is one of an account's grams when either contains it.
    That finds a superset (a lower-cased name may hold what the name does not), so the
    substring is checked again by ``strpos`` — exactly ``LIKE '%q%'`` (no cased letter) or
    ``ILIKE`` (``lower() LIKE lower()`` on a UTF-8 database), but no index serves it, so
    the planner does not AND the trigram indexes' full scans into the bitmap (their
    matches would need every row rechecked, evaluating the gram function each time).
    Of the cased letters only ASCII ones are let in: their ``lower()`` is one character in
    every locale, so the lower-cased needle stays a gram.
    """
    if not 1 <= len(needle) <= 2 or _CUT in needle:
        return None
    grams = type_coerce(func.account_short_grams(Account.name, Account.uid), ARRAY(Text))
    contains = grams.contains(array([func.lower(type_coerce(needle, Text))]))
    # ``<> 0``, not ``> 0``: the planner guesses 99.5 % of rows for it (a third for ``>``),
    # so its estimate of the matches is the gram's, from the index's statistics.
    if _uncased(needle):
        exact = or_(func.strpos(Account.name, needle) != 0, func.strpos(Account.uid, needle) != 0)
    elif all(c.isascii() or _uncased(c) for c in needle):
        lowered = func.lower(type_coerce(needle, Text))
        exact = or_(
            func.strpos(func.lower(Account.name), lowered) != 0,
            func.strpos(func.lower(Account.uid), lowered) != 0,
        )
    else:
        return None
    return contains & exact


def uses_short_grams(session: Session, query: Select[int]) -> bool:
    """Return whether PostgreSQL's plan of ``query`` reads the gram index.

    The planner charges the gram function's cost to a bitmap scan as to a sequential one
    (it assumes every row rechecked), so when nearly every account holds the needle (``账号``
    in 账号1 … 账号180000, a digit in numeric UIDs) it reads the table and evaluates the
    function for each row: 0.8 s for 180,000 accounts, where the plain ``LIKE`` takes 20 ms.
    Asked first (planning only, under a millisecond), the search then leaves the gram
    condition out.
    """
    compiled = query.compile(session.get_bind())
    plan = session.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
    return any(SHORT_GRAMS_INDEX in line for line in plan.scalars())


@contextmanager
def planned_for_their_values(session: Session) -> Iterator[None]:
    """Make PostgreSQL plan each statement inside for its parameters (the needle).

    psycopg prepares a statement run five times, and PostgreSQL may then settle on one
    generic plan for every value: planned for no needle in particular, the search read the
    table again (q=号0 on the national matrix: 10 ms for the first ten requests, 73 ms
    from the eleventh). Here ``plan_cache_mode`` is ``force_custom_plan`` for the
    statements inside, then back to what it was (``set_config(…, true)``: this
    transaction only, in any case).
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    previous = session.scalar(text("SELECT current_setting('plan_cache_mode')"))
    session.execute(text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"))
    try:
        yield
    finally:
        session.execute(
            text("SELECT set_config('plan_cache_mode', :previous, true)"), {"previous": previous}
        )
