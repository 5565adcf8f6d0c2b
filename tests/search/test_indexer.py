"""The bulk write path of the indexer: ids, batch boundaries, masking — on a real database."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Organization
from zhengwu.auth.principal import Principal
from zhengwu.search import indexer, service
from zhengwu.search.models import SearchDocument, SearchKind, SearchPosting
from zhengwu.search.segment import analyze
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.schemas import RequestIntake

ADMIN = Principal(role="admin", user_id=1, username="admin")
PLACES = ["鼓楼", "玄武", "秦淮", "建邺", "栖霞", "江宁", "浦口"]
THINGS = ["路灯损坏", "噪音扰民", "道路积水", "垃圾清运", "停车收费", "电梯故障", "供暖不足"]


def _snapshot(session: Session) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Return the index's documents and postings by key (independent of document ids)."""
    docs = session.execute(
        select(SearchDocument.kind, SearchDocument.key, SearchDocument.ref_id,
               SearchDocument.title, SearchDocument.body, SearchDocument.length,
               SearchDocument.boost, SearchDocument.organization_id)
        .order_by(SearchDocument.kind, SearchDocument.key)
    ).all()  # fmt: skip
    postings = session.execute(
        select(SearchPosting.term, SearchPosting.kind, SearchDocument.key, SearchPosting.tf,
               SearchPosting.length)
        .join(SearchDocument, SearchDocument.id == SearchPosting.doc_id)
        .order_by(SearchPosting.term, SearchPosting.kind, SearchDocument.key)
    ).all()  # fmt: skip
    return [tuple(d) for d in docs], [tuple(p) for p in postings]


def _request(session: Session, text: str, phone: str) -> str:
    category_service.ensure_default_tree(session)
    intake = RequestIntake.model_validate({
        "source": "form", "text": text, "adcode": "320102", "citizen_name": "王建国",
        "citizen_phone": phone, "submitted_at": datetime.now(UTC),
    })  # fmt: skip
    return desk_service.receive(session, intake=intake, actor=desk_service.SYSTEM).request.public_id


def test_each_document_gets_its_own_postings_in_a_bulk_batch(session: Session) -> None:
    """Ids are read back by key after the bulk insert: every posting must point at the
    document whose text holds the term, also when a batch repeats a key (last one wins)."""
    docs = [
        indexer.Document("content", str(100 - i), f"{PLACES[i % 7]}通知{i}", THINGS[i % 7])
        for i in range(30)
    ]
    docs.append(indexer.Document("content", "100", "更正", "鼓楼长江大桥封闭施工"))
    assert indexer.index_many(session, docs) == 30  # 31 documents, 30 distinct keys
    bodies = dict(session.execute(select(SearchDocument.key, SearchDocument.body)).all())
    assert len(bodies) == 30 and bodies["100"] == "鼓楼长江大桥封闭施工"
    rows = session.execute(
        select(SearchDocument.key, SearchDocument.title, SearchDocument.body,
               SearchPosting.term, SearchPosting.tf)
        .join(SearchPosting, SearchPosting.doc_id == SearchDocument.id)
    ).all()  # fmt: skip
    by_key: dict[str, Counter[str]] = {}
    for key, _, _, term, tf in rows:
        by_key.setdefault(key, Counter())[term] = tf
    for key, title, body, _, _ in rows:
        expected = Counter(analyze(body))
        for term in analyze(title):
            expected[term] += indexer.TITLE_WEIGHT
        assert by_key[key] == expected, key
    hits = service.search(session, ADMIN, "长江大桥", kinds=["content"]).hits
    assert [h.key for h in hits] == ["100"]
    stored = session.scalars(select(SearchDocument.indexed_at)).all()
    assert all(abs(datetime.now(UTC) - at) < timedelta(minutes=5) for at in stored)


def test_incremental_refresh_across_batches_equals_a_full_reindex(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small batches (3 rows) and job-sized steps (limit 3), rows changed and added between
    steps: the index the refreshes leave behind is the one a full reindex builds."""
    monkeypatch.setattr(indexer, "BATCH", 3)
    orgs = [Organization(name=f"{p}区人民政府", level="区", sector="政府") for p in PLACES]
    session.add_all(orgs)
    session.flush()
    start = datetime(2025, 3, 1, tzinfo=UTC)
    accounts = []
    for i in range(11):
        account = Account(
            platform="weibo",
            uid=f"b{i}",
            name=f"{PLACES[i % 7]}发布{i}",
            verified_reason=f"{PLACES[i % 7]}区{THINGS[i % 7]}专班",
            organization_id=orgs[i % 7].id,
            is_government=i % 2 == 0,
            updated_at=start + timedelta(minutes=i // 2),
        )  # same times: id order
        accounts.append(account)  # fmt: skip
    session.add_all(accounts)
    session.flush()
    public_ids = [_request(session, f"{PLACES[i]}{THINGS[i]}", f"1391234567{i}") for i in range(5)]
    assert indexer.refresh(session, limit=3) == {"accounts": 3, "requests": 3}
    accounts[1].name, accounts[1].updated_at = "鼓楼应急管理", start + timedelta(days=1)
    accounts[9].verified_reason, accounts[9].updated_at = (
        "长江大桥管理处",
        start + timedelta(days=1),
    )
    orgs[0].name = "鼓楼区政府办公室"  # a renamed body: its accounts were marked changed
    for account in accounts[::7]:
        account.updated_at = start + timedelta(days=2)
    session.add(Account(platform="weibo", uid="late", name="浦口在线", is_government=True,
                        updated_at=start + timedelta(days=3)))  # fmt: skip
    session.flush()
    for _ in range(20):  # 13 changed documents, 3 a step: a refresh that never settles fails
        if not any(indexer.refresh(session, limit=3).values()):
            break
    else:
        raise AssertionError("the incremental refresh did not settle in 20 steps")
    assert indexer.pending(session) == {"accounts": 0, "requests": 0}
    incremental = _snapshot(session)
    stats = session.execute(select(SearchKind.kind, SearchKind.doc_count, SearchKind.total_length)
                            .order_by(SearchKind.kind)).all()  # fmt: skip
    assert indexer.reindex(session) == {"accounts": 12, "requests": 5}
    assert _snapshot(session) == incremental
    assert session.execute(select(SearchKind.kind, SearchKind.doc_count, SearchKind.total_length)
                           .order_by(SearchKind.kind)).all() == stats  # fmt: skip
    assert [h.key for h in service.search(session, ADMIN, "长江大桥", kinds=["accounts"]).hits] == [
        str(accounts[9].id)
    ]
    assert service.search(session, ADMIN, "鼓楼 政府办公室", kinds=["accounts"]).counts[
        "accounts"
    ] == len(accounts[::7])
    assert sorted(
        h.key for h in service.search(session, ADMIN, "玄武", kinds=["requests"]).hits
    ) == [public_ids[1]]


def _id_number(first17: str) -> str:
    """Return a resident ID number with its check digit (only valid ones are masked)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def test_masked_text_stays_masked_in_the_bulk_written_index(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests go through the bulk path (three batches): no phone, ID number or citizen
    name reaches a stored body or a posting, and none of them is searchable."""
    monkeypatch.setattr(indexer, "BATCH", 3)
    phones = [f"1381234{i:04d}" for i in range(7)]
    id_numbers = [_id_number(f"32010219800{110 + i}000") for i in range(7)]
    ids = [
        _request(session, f"{PLACES[i]}{THINGS[i]}，我叫王建国，电话{phones[i]}，"
                 f"身份证号{id_numbers[i]}", phones[i])
        for i in range(7)
    ]  # fmt: skip
    assert indexer.refresh(session, ["requests"]) == {"requests": 7}
    bodies = session.scalars(select(SearchDocument.body)).all()
    assert len(bodies) == 7 and all("****" in body for body in bodies)
    terms = set(session.scalars(select(SearchPosting.term)).all())
    for phone, id_number in zip(phones, id_numbers, strict=True):
        assert all(phone not in body and id_number not in body for body in bodies)
        # A masked run is dropped whole: not even its visible ends become terms.
        assert not any(t in term for t in (phone[:3], phone[-4:], id_number[:4]) for term in terms)
    assert all("王建国" not in body for body in bodies)
    for query in (phones[0], phones[0][-4:], "王建国", id_numbers[0], id_numbers[0][:6]):
        assert service.search(session, ADMIN, query, kinds=["requests"]).counts == {
            "requests": 0
        }, query
    found = service.search(session, ADMIN, "噪音", kinds=["requests"]).hits
    assert [h.key for h in found] == [ids[1]] and "****" in found[0].snippet
