"""Personal-data masking of request texts (names, phones, ID numbers, plates).

:mod:`zhengwu.privacy` finds and masks what a text itself reveals; this module adds what
only the desk knows — the citizen's own name and phone from the intake form, which a
detector reading the text alone may miss ("我是张三丰" without a title or context).
Published office numbers (``keep``, from :func:`zhengwu.accounts.phones.directory`) stay
readable: a reply that says "请拨打 0371-66661234" must be callable from the public board.
"""

from __future__ import annotations

from collections.abc import Collection

from zhengwu.privacy import is_published, mask_text
from zhengwu.servicedesk.models import ServiceRequest


def mask_name(name: str) -> str:
    """Return a name with all but its first character starred (张三丰 → 张**)."""
    return name[:1] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    """Return a phone with all but its first three and last two digits starred."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 5) + phone[-2:]


def mask(
    text: str, *, name: str | None = None, phone: str | None = None, keep: Collection[str] = ()
) -> str:
    """Return ``text`` with personal data masked, including the known name and phone.

    Phones among the published numbers ``keep`` stay as written (a citizen who gives an
    office's number as their contact gives a public number).
    """
    if name and len(name) >= 2:
        text = text.replace(name, mask_name(name))
    if phone and len(phone) >= 7 and not is_published(phone, keep):
        text = text.replace(phone, mask_phone(phone))
    return mask_text(text, keep=keep)


def mask_for(text: str, request: ServiceRequest, *, keep: Collection[str] = ()) -> str:
    """Return a text about ``request`` (its reply, a notice) masked, the request's own
    citizen name and phone included: a reply that says "请与王建国联系" names the citizen
    without any cue a detector could rely on."""
    return mask(text, name=request.citizen_name, phone=request.citizen_phone, keep=keep)
