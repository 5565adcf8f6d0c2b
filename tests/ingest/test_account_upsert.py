"""Accounts seen in an import are inserted or updated in bulk, with the ORM's semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts import service
from zhengwu.accounts.models import Account, Organization
from zhengwu.platforms.records import AccountRecord

CN = timezone(timedelta(hours=8))


def _rec(uid: str, **kw: object) -> AccountRecord:
    return AccountRecord(platform="weibo", uid=uid, name=f"号{uid}", **kw)  # type: ignore[arg-type]


def _row(session: Session, uid: str) -> Account:
    account = session.scalar(select(Account).where(Account.uid == uid))
    assert account is not None
    return account


def test_new_accounts_are_inserted_with_defaults_and_utc_times(session: Session) -> None:
    created = datetime(2011, 6, 13, 9, 37, 44, tzinfo=CN)
    result = service.upsert_records(
        session,
        [_rec("1", verified_type=1, is_government=True, followers=5, created_at=created),
         _rec("2", adcode="110000", description="d")],
        [_rec("2", adcode="110000", description="d")],
    )  # fmt: skip
    assert (result.new, result.updated, result.primary_new) == (2, 0, 1)
    one = _row(session, "1")
    assert one.platform_created_at == created
    assert one.platform_created_at is not None
    assert one.platform_created_at.tzinfo is not None
    assert (one.is_government, one.followers, one.status) == (True, 5, "active")
    assert one.first_seen is not None
    assert one.updated_at is not None
    two = _row(session, "2")
    assert (two.is_government, two.adcode, two.followers) == (False, "110000", None)


def test_changes_update_missing_fields_do_not_erase(session: Session) -> None:
    service.upsert_records(session, [_rec("1", followers=5, location="北京", friends=3)])
    session.flush()
    before = _row(session, "1").updated_at
    same = service.upsert_records(session, [_rec("1", followers=5)], [_rec("1", followers=5)])
    assert (same.updated, same.primary_unchanged) == (0, 1)
    changed = service.upsert_records(session, [_rec("1", followers=9)], [_rec("1", followers=9)])
    assert (changed.updated, changed.primary_updated) == (1, 1)
    session.expire_all()
    row = _row(session, "1")
    assert (row.followers, row.location, row.friends) == (9, "北京", 3)
    assert row.updated_at >= before


def test_primary_records_are_counted_against_earlier_ones(session: Session) -> None:
    records = [_rec("7", followers=1), _rec("7", followers=1), _rec("7", followers=2)]
    result = service.upsert_records(session, [records[-1]], records)
    assert (result.primary_new, result.primary_unchanged, result.primary_updated) == (1, 1, 1)
    assert _row(session, "7").followers == 2


def test_linked_account_stays_government(session: Session) -> None:
    org = Organization(name="某市公安局", level="市", sector="公安")
    session.add(org)
    session.flush()
    session.add(Account(platform="weibo", uid="9", name="平安某市", organization_id=org.id,
                        is_government=True))  # fmt: skip
    session.flush()
    result = service.upsert_records(session, [_rec("9", is_government=False, followers=3)])
    assert result.updated == 1
    session.expire_all()
    assert (_row(session, "9").is_government, _row(session, "9").followers) == (True, 3)


def test_many_accounts_in_one_call(session: Session) -> None:
    records = [_rec(str(i), followers=i, created_at=datetime(2020, 1, 1, tzinfo=UTC))
               for i in range(12_000)]  # fmt: skip
    assert service.upsert_records(session, records).new == 12_000
    again = service.upsert_records(session, [_rec(str(i), followers=i + 1) for i in range(12_000)])
    assert (again.new, again.updated) == (0, 12_000)
    assert _row(session, "11999").followers == 12_000
