"""Personal-data masking of request texts (names, phones, ID numbers, plates).

:mod:`zhengwu.privacy` finds and masks what a text itself reveals; this module adds what
only the desk knows — the citizen's own name and phone from the intake form, which a
detector reading the text alone may miss ("我是张三丰" without a title or context), and
which Weibo handles are government accounts: ``//@昵称:`` and ``@某人`` are masked like the
rescue side masks them (:mod:`zhengwu.privacy.handles`), ``@平安郑州`` — an account of
the accounts table (:func:`officials`), however written (``@cctv新闻``, ``＠ＳＺ交警``) —
stays; in staff's words too (:func:`mask_for`, :func:`mask_staff`), masked when shown. A
home's door (幸福路12号3栋2单元501, 5号楼602室, 我家在解放路23号) is masked; a street number
(人民路88号商场门口: a shop), a shop's or an office's room (超市101室) and a block (13栋) stay
(``mask_house_numbers(homes_only=True)``).
Published office numbers (``keep``, from :func:`zhengwu.accounts.phones.directory`) stay
readable: a reply that says "请拨打 0371-66661234" must be callable from the public board.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, func, or_, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account
from zhengwu.privacy import is_published, mask_house_numbers, mask_text
from zhengwu.privacy.fold import fold
from zhengwu.privacy.handles import handle_key, handle_names, handles, mask_handles
from zhengwu.servicedesk.models import ServiceRequest

# Names a query looks up: a re-masking batch of 2,000 posts may hold thousands of handles,
# each in up to five forms, and a statement takes only so many parameters.
_FORMS_A_QUERY = 1000
_KEYS_A_RANGE_QUERY = 200  # keys of mixed-case names a query looks up (two ranges each)
_FIRST_LETTER = re.compile("[a-z]")


def officials(session: Session, texts: Iterable[str | None]) -> frozenset[str]:
    """Return the handles written in ``texts`` (as written) that name a government account
    (the name of an account marked ``is_government`` or run by an organisation; the table
    also holds citizens' accounts from imports): they stay readable where other handles are
    masked. A handle names the account however it is written — ``@cctv新闻`` for CCTV新闻,
    ``＠ＳＺ交警``, ``@平安北京-`` (:func:`zhengwu.privacy.handles.handle_key`), or run into
    the words addressed to it (``@广州发布请处理``: then the name before them, ``广州发布``,
    is returned: :func:`zhengwu.privacy.handles.handle_names`); one that only contains the
    name (``@平安北京求助``) does not."""
    found: set[str] = set()
    for text in texts:
        if text:
            found |= {name for handle in handles(text) for name in handle_names(handle)}
    if not found:
        return frozenset()
    # Looked up by the name's index: as written, full-width folded, and in the cases a
    # name with letters is written in (cctv新闻 → CCTV新闻, Cctv新闻) …
    keys = {handle_key(h) for h in found}
    forms = found | keys | {fold(h).rstrip("-") for h in found}
    forms |= {k.upper() for k in keys} | {k.capitalize() for k in keys}
    official = or_(Account.is_government.is_(True), Account.organization_id.is_not(None))
    named = _named(session, forms, Account.name, official)
    # … and a name whose case is mixed inside (iZhengzhou, written @izhengzhou or
    # @IZHENGZHOU): by its lower case, among the names that begin as the key does up to its
    # first letter in either case (two ranges of the name's index: i… and I…, 深圳s… and
    # 深圳S…), so a statement reads a few names, not the table.
    missing = sorted(k for k in keys - named if _FIRST_LETTER.search(k))
    for at in range(0, len(missing), _KEYS_A_RANGE_QUERY):
        part = missing[at : at + _KEYS_A_RANGE_QUERY]
        starts = {_start(k, case) for k in part for case in (str.lower, str.upper)}
        ranges = [and_(Account.name >= low, Account.name < high) for low, high in sorted(starts)]
        named |= _named(session, part, func.lower(Account.name), official, or_(*ranges))
    return frozenset(h for h in found if handle_key(h) in named)


def _start(key: str, case: Callable[[str], str]) -> tuple[str, str]:
    """Return the range of names that begin as ``key`` does up to its first ASCII letter,
    that letter in ``case`` (``izhengzhou``, upper: from ``I`` up to ``J``)."""
    head = key[: _FIRST_LETTER.search(key).end()]  # type: ignore[union-attr]
    head = head[:-1] + case(head[-1])
    return head, head[:-1] + chr(ord(head[-1]) + 1)


def _named(
    session: Session, forms: Collection[str], column: SQLColumnExpression[str],
    *where: ColumnElement[bool],
) -> set[str]:  # fmt: skip
    """Return the keys of the names (of accounts that are ``where``) whose ``column`` is one
    of ``forms`` (a statement per :data:`_FORMS_A_QUERY` forms)."""
    named: set[str] = set()
    ordered = sorted(forms)
    for at in range(0, len(ordered), _FORMS_A_QUERY):
        part = ordered[at : at + _FORMS_A_QUERY]
        names = session.scalars(select(Account.name).where(column.in_(part), *where))
        named |= {handle_key(name) for name in names}
    return named


def mask_name(name: str) -> str:
    """Return a name with all but its first character starred (张三丰 → 张**)."""
    return name[:1] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    """Return a phone with all but its first three and last two digits starred."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 5) + phone[-2:]


def mask(
    text: str, *, name: str | None = None, phone: str | None = None,
    keep: Collection[str] = (), officials: Collection[str] | None = None,
) -> str:  # fmt: skip
    """Return ``text`` with personal data masked, including the known name and phone.

    Phones among the published numbers ``keep`` stay as written (a citizen who gives an
    office's number as their contact gives a public number). ``officials``: the government
    accounts' handles (:func:`officials`); given, every other handle is masked — None when
    re-masking a stored masked text, whose handles intake masked already.
    """
    if name and len(name) >= 2:
        text = text.replace(name, mask_name(name))
    if phone and len(phone) >= 7 and not is_published(phone, keep):
        text = text.replace(phone, mask_phone(phone))
    masked = mask_house_numbers(mask_text(text, keep=keep), homes_only=True)
    return masked if officials is None else mask_handles(masked, keep=officials)


def mask_for(
    text: str, request: ServiceRequest, *, keep: Collection[str] = (),
    officials: Collection[str] = (),
) -> str:  # fmt: skip
    """Return a text about ``request`` (its reply, a notice, staff's reason) masked, the
    request's own citizen name and phone included: a reply that says "请与王建国联系" names
    the citizen without any cue a detector could rely on. Staff's words are stored as
    written, so their handles are masked here as a citizen's text's are at intake: every
    handle but the government accounts' ``officials`` (:func:`officials`; none given, every
    handle is masked)."""
    return mask(text, name=request.citizen_name, phone=request.citizen_phone, keep=keep,
                officials=officials)  # fmt: skip


def mask_staff(
    session: Session, text: str, request: ServiceRequest, *, keep: Collection[str] = ()
) -> str:
    """Return staff's words about ``request`` as a masked reader sees them
    (:func:`mask_for`), the government accounts' handles looked up in ``session``."""
    return mask_for(text, request, keep=keep, officials=officials(session, [text]))
