"""Personal-data masking of request texts (names, phones, ID numbers, plates).

:mod:`zhengwu.privacy` finds and masks what a text itself reveals; this module adds what
only the desk knows — the citizen's own name and phone from the intake form, which a
detector reading the text alone may miss ("我是张三丰" without a title or context), and
which Weibo handles are government accounts: ``//@昵称:`` and ``@某人`` are masked like the
rescue side masks them (:mod:`zhengwu.privacy.handles`), ``@平安郑州`` — an account of
the accounts table (:func:`officials`) — stays. A home's door (幸福路12号3栋2单元501,
5号楼602室) is masked; a street number (人民路88号商场门口: a shop) and a block (13栋) stay
(``mask_house_numbers(homes_only=True)``).
Published office numbers (``keep``, from :func:`zhengwu.accounts.phones.directory`) stay
readable: a reply that says "请拨打 0371-66661234" must be callable from the public board.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account
from zhengwu.privacy import is_published, mask_house_numbers, mask_text
from zhengwu.privacy.handles import handles, mask_handles
from zhengwu.servicedesk.models import ServiceRequest


def officials(session: Session, texts: Iterable[str | None]) -> frozenset[str]:
    """Return the handles written in ``texts`` that name a government account (the name of
    an account marked ``is_government`` or run by an organisation; the table also holds
    citizens' accounts from imports): they stay readable where other handles are masked."""
    found: set[str] = set()
    for text in texts:
        if text:
            found |= handles(text)
    if not found:
        return frozenset()
    official = or_(Account.is_government.is_(True), Account.organization_id.is_not(None))
    query = select(Account.name).where(Account.name.in_(found), official)
    return frozenset(session.scalars(query))


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
    officials: Collection[str] | None = None,
) -> str:  # fmt: skip
    """Return a text about ``request`` (its reply, a notice) masked, the request's own
    citizen name and phone included: a reply that says "请与王建国联系" names the citizen
    without any cue a detector could rely on."""
    return mask(text, name=request.citizen_name, phone=request.citizen_phone, keep=keep,
                officials=officials)  # fmt: skip
