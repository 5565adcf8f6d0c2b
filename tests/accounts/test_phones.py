"""The directory of published numbers: organisations' numbers and the setting, edits audited."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts import phones
from zhengwu.accounts.models import Organization, OrganizationRead
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import Principal
from zhengwu.config import Settings, get_settings
from zhengwu.errors import InvalidInputError

ADMIN = Principal(role="admin", user_id=None, username="admin", display_name="管理员")


def _org(session: Session, name: str, public_phones: list[str] | None = None) -> Organization:
    org = Organization(name=name, level="县", sector="住建", adcode="410105",
                       public_phones=public_phones)  # fmt: skip
    session.add(org)
    session.flush()
    return org


def test_directory_holds_the_organisations_numbers_and_the_setting(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert phones.directory(session) == frozenset()
    _org(session, "金水区住建局", ["0371-66661234", "13812345678"])
    _org(session, "金水区生态环境分局")  # none: NULL, not read
    monkeypatch.setenv("ZHENGWU_PUBLIC_PHONES", "0371-12345, （0371）6969 0110")
    get_settings.cache_clear()
    assert phones.directory(session) == {"037166661234", "13812345678", "037112345",
                                         "037169690110"}  # fmt: skip
    stored = session.scalars(select(Organization.public_phones)).all()
    assert sorted(stored, key=str) == [None, ["0371-66661234", "13812345678"]]


def test_setting_is_comma_separated_or_json_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENGWU_PUBLIC_PHONES", "0371-12345,0371 6969 0110")
    assert Settings().public_phones == ["0371-12345", "0371-69690110"]
    monkeypatch.setenv("ZHENGWU_PUBLIC_PHONES", '["0371-12345"]')
    assert Settings().public_phones == ["0371-12345"]
    monkeypatch.setenv("ZHENGWU_PUBLIC_PHONES", "")
    assert Settings().public_phones == []
    monkeypatch.setenv("ZHENGWU_PUBLIC_PHONES", "0371-12345,值班室")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "不是电话号码：'值班室'" in str(caught.value)
    assert "not a phone number" in str(caught.value)


def test_setting_numbers_is_audited_normalised_and_validated(session: Session) -> None:
    org = _org(session, "金水区住建局")
    changes = phones.set_public_phones(
        session, organization=org, phones=["（0371）6666 1234", "0371-66661234"], actor=ADMIN
    )
    assert changes == {"public_phones": [[], ["0371-66661234"]]}
    assert org.public_phones == ["0371-66661234"]
    assert phones.directory(session) == {"037166661234"}
    # The same list again changes nothing and writes no audit entry.
    assert phones.set_public_phones(session, organization=org, phones=["0371 6666 1234"],
                                    actor=ADMIN) == {}  # fmt: skip
    with pytest.raises(InvalidInputError) as caught:
        phones.set_public_phones(session, organization=org, phones=["办公室"], actor=ADMIN)
    assert caught.value.status_code == 422
    assert caught.value.message_zh.startswith("不是电话号码：'办公室'")
    assert caught.value.message_en.startswith("not a phone number: '办公室'")
    assert org.public_phones == ["0371-66661234"]  # a refused list leaves the old one
    phones.set_public_phones(session, organization=org, phones=[], actor=ADMIN)
    assert org.public_phones is None
    assert phones.directory(session) == frozenset()
    trail = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "organization",
                                 AuditEntry.entity_id == org.id).order_by(AuditEntry.id)
    ).all()  # fmt: skip
    assert [(e.action, e.data) for e in trail] == [
        ("update", {"public_phones": [[], ["0371-66661234"]]}),
        ("update", {"public_phones": [["0371-66661234"], []]}),
    ]
    assert OrganizationRead.model_validate(org).public_phones == []
