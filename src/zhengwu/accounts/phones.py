"""The directory of published numbers (公开电话): what public pages leave readable.

An office's published number is no personal data. The directory is every organisation's
``public_phones`` plus the ``ZHENGWU_PUBLIC_PHONES`` setting (numbers of no single body:
the 12345 hotline with its area code, an emergency command centre). Public masking passes
it on: ``mask_text(text, keep=directory(session))``.

:func:`directory` is one indexed query per call (the partial index of migration 0014 reads
only the organisations that have numbers), so it is always current — an import, an API edit
or another process's change shows on the next page — and cheap enough to call per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Organization
from zhengwu.audit import service as audit
from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError
from zhengwu.privacy import PhoneError, parse_phones, phone_digits


def directory(session: Session) -> frozenset[str]:
    """Return the published numbers (as digit strings) of every organisation and the setting."""
    numbers = set(get_settings().public_phones)
    query = select(Organization.public_phones).where(Organization.public_phones.is_not(None))
    for phones in session.scalars(query):
        numbers.update(phones or ())
    return frozenset(phone_digits(n) for n in numbers)


def check_phones(phones: str | Sequence[str]) -> list[str]:
    """Return the numbers in normal form, or raise a bilingual 422 naming the bad one."""
    try:
        return parse_phones(phones)
    except PhoneError as exc:
        raise InvalidInputError(exc.message_zh, exc.message_en) from None


def set_public_phones(
    session: Session, *, organization: Organization, phones: Sequence[str], actor: Principal
) -> dict[str, list[Any]]:
    """Replace ``organization``'s published numbers and audit it; return ``{field: [old, new]}``.

    The numbers are checked and stored in normal form (0371-66661234); an empty list
    removes them. Nothing changes, and nothing is audited, when the list is the same.
    """
    new = check_phones(phones)
    old = list(organization.public_phones or [])
    if new == old:
        return {}
    organization.public_phones = new or None
    session.flush()
    changes: dict[str, list[Any]] = {"public_phones": [old, new]}
    audit.record(session, entity_type="organization", entity_id=organization.id,
                 action="update", actor=actor, data=changes)  # fmt: skip
    return changes
