"""Build and keep the search index (建索引): one document at a time, or in bulk batches.

Other domains call :func:`index_document` / :func:`remove_document` when something
searchable changes (the content library does). Accounts and service requests are pulled
instead: :func:`refresh` indexes the rows changed since the kind's watermark (last
``updated_at``, then id), :func:`reindex` rebuilds a kind from scratch. Both work in
batches of :data:`BATCH` rows — one bulk write of documents (the driver's executemany on
SQLite, COPY on PostgreSQL; ids read back by key in one query), one of postings, one
DELETE per table for the keys re-indexed — so 1 M requests index in minutes, not hours.
What a rebuild costs and where it goes: ``benchmarks/bench_search_index.py``.
The periodic job ``search-refresh`` (:mod:`zhengwu.jobs`) calls :func:`refresh`, not the
import; :func:`pending` counts what changed since, for the "index is behind" notice.

Requests are indexed from their **masked** text only (``text_masked``, made by
``zhengwu.privacy.mask_text``), so a phone or ID number is neither stored here nor
matchable; the analyzer also drops every masked run (``138****5678``).

An account's document carries its organisation's name: the organisation list import
(``zhengwu-orgs``) marks the accounts of a renamed body changed, so the next refresh
indexes the new name. Limits: rows deleted in the database directly (the application
deletes no accounts or requests) leave the index at the next ``reindex``. Services don't
commit; the caller does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Organization
from zhengwu.db.base import utcnow
from zhengwu.errors import InvalidInputError
from zhengwu.search.models import KINDS, SearchDocument, SearchKind, SearchPosting
from zhengwu.search.segment import analyze
from zhengwu.servicedesk.models import ServiceRequest

BATCH = 2000
BODY_LIMIT = 2000  # characters of body kept for snippets
TITLE_WEIGHT = 3  # a term in the title counts as three in the body
PULLED_KINDS = ("accounts", "requests")
PENDING_CAP = 10_000  # rows counted past the watermark before saying "10,000+"


@dataclass(frozen=True, slots=True)
class Document:
    """What is indexed for one searchable thing."""

    kind: str
    key: str
    title: str
    body: str
    ref_id: int | None = None
    organization_id: int | None = None
    matrix_id: int | None = None
    boost: float = 1.0


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidInputError(
            f"未知的检索类别：{kind}（可选：{'、'.join(KINDS)}）",
            f"unknown search kind {kind!r} (one of {', '.join(KINDS)})",
        )


def frequencies(title: str, body: str) -> tuple[Counter[str], int]:
    """Return the weighted term frequencies of a document and its length in terms."""
    counts = Counter(analyze(body))
    for term in analyze(title):
        counts[term] += TITLE_WEIGHT
    return counts, sum(counts.values())


def _doc_row(doc: Document, length: int) -> dict[str, object]:
    ref_id = doc.ref_id
    if ref_id is None and doc.key.isdigit() and len(doc.key) < 10:
        ref_id = int(doc.key)
    return {
        "kind": doc.kind, "key": doc.key[:64], "ref_id": ref_id, "title": doc.title[:256],
        "body": doc.body[:BODY_LIMIT], "length": length, "boost": doc.boost,
        "organization_id": doc.organization_id, "matrix_id": doc.matrix_id,
    }  # fmt: skip


def _adjust_stats(session: Session, kind: str, docs: int, length: int) -> None:
    result = session.execute(
        update(SearchKind)
        .where(SearchKind.kind == kind)
        .values(
            doc_count=SearchKind.doc_count + docs, total_length=SearchKind.total_length + length
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(SearchKind(kind=kind, doc_count=docs, total_length=length))
        session.flush()


# Index rows are never loaded as objects, so a bulk DELETE need not synchronise the session:
# by default the ORM asks SQLite for every deleted key back (RETURNING) to do so, which on a
# reindex meant reading back every posting of the kind.
_BULK: dict[str, Any] = {"execution_options": {"synchronize_session": False}}


def _of_keys(session: Session, kind: str, keys: Sequence[str]) -> ColumnElement[bool]:
    """Return "a document of ``kind`` with one of ``keys``".

    On PostgreSQL the keys go as one array parameter (``key = ANY(:keys)``): an ``IN`` of a
    batch's 2,000 keys is 2,000 bound parameters to render, send and plan, twice per batch.
    """
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam("keys", list(keys), type_=ARRAY(String))
        return and_(SearchDocument.kind == kind, SearchDocument.key == any_(array))
    return and_(SearchDocument.kind == kind, SearchDocument.key.in_(keys))


def _remove_keys(session: Session, kind: str, keys: Sequence[str]) -> None:
    """Delete the documents (and postings) of ``keys``, keeping the statistics right."""
    if not keys:
        return
    ids = select(SearchDocument.id).where(_of_keys(session, kind, keys))
    count, length = session.execute(
        select(func.count(), func.coalesce(func.sum(SearchDocument.length), 0)).where(
            _of_keys(session, kind, keys)
        )
    ).one()
    if not count:
        return
    session.execute(delete(SearchPosting).where(SearchPosting.doc_id.in_(ids)), **_BULK)
    session.execute(
        delete(SearchDocument).where(_of_keys(session, kind, keys)),
        **_BULK,
    )
    _adjust_stats(session, kind, -int(count), -int(length))


def index_many(session: Session, docs: Iterable[Document]) -> int:
    """Index (or re-index) ``docs`` in batches; return how many were indexed."""
    done = 0
    batch: list[Document] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= BATCH:
            done += _index_batch(session, batch)
            batch = []
    if batch:
        done += _index_batch(session, batch)
    return done


def _index_batch(session: Session, docs: list[Document]) -> int:
    by_kind: dict[str, dict[str, Document]] = {}
    for doc in docs:
        _check_kind(doc.kind)
        by_kind.setdefault(doc.kind, {})[doc.key[:64]] = doc  # the last version of a key wins
    for kind, keyed in by_kind.items():
        _remove_keys(session, kind, list(keyed))
        analysed = [(doc, *frequencies(doc.title, doc.body)) for doc in keyed.values()]
        ids = _insert_documents(
            session, kind, [_doc_row(doc, length) for doc, _, length in analysed]
        )
        postings = [
            (term, kind, doc_id, tf, length)
            for doc_id, (_, counts, length) in zip(ids, analysed, strict=True)
            for term, tf in counts.items()
        ]
        postings.sort()  # in index order: fewer B-tree pages touched per batch
        _insert_postings(session, postings)
        _adjust_stats(session, kind, len(analysed), sum(length for _, _, length in analysed))
    return sum(len(keyed) for keyed in by_kind.values())


_DOC_COLUMNS = (
    "kind", "key", "ref_id", "title", "body", "length", "boost", "organization_id",
    "matrix_id", "indexed_at",
)  # fmt: skip


def _insert_documents(session: Session, kind: str, rows: list[dict[str, object]]) -> list[int]:
    """Insert the document rows of one kind; return their ids in the order of ``rows``.

    SQLite: the driver's executemany; PostgreSQL (psycopg): COPY. The ids are then read
    back by key in one query (the keys of a batch are distinct and were just removed).
    The ORM's ``INSERT … RETURNING`` in parameter order, used before, sent one statement
    per row on SQLite and spliced the results together: a third of the reindex time.
    Other backends keep that portable path.
    """
    if not rows:
        return []
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite" and not (
        dialect.name == "postgresql" and dialect.driver == "psycopg"
    ):
        return list(
            session.scalars(
                insert(SearchDocument).returning(SearchDocument.id, sort_by_parameter_order=True),
                rows,
            ).all()
        )
    indexed_at: Any = utcnow()
    if dialect.name == "sqlite":  # stored as the ORM stores it (text, UTC, no offset)
        process = SearchDocument.__table__.c.indexed_at.type.dialect_impl(dialect)
        bind = process.bind_processor(dialect)
        indexed_at = bind(indexed_at) if bind else indexed_at
    values = [(*(row[c] for c in _DOC_COLUMNS[:-1]), indexed_at) for row in rows]
    columns = ", ".join(_DOC_COLUMNS)
    if dialect.name == "sqlite":
        marks = ", ".join("?" * len(_DOC_COLUMNS))
        connection.exec_driver_sql(
            f"INSERT INTO search_documents ({columns}) VALUES ({marks})", values
        )
    else:
        raw = connection.connection.driver_connection
        with (
            raw.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(f"COPY search_documents ({columns}) FROM STDIN") as copy,
        ):
            for value in values:
                copy.write_row(value)
    keys = [str(row["key"]) for row in rows]
    found = dict(
        session.execute(
            select(SearchDocument.key, SearchDocument.id).where(_of_keys(session, kind, keys))
        ).all()
    )
    return [found[key] for key in keys]


def _insert_postings(session: Session, rows: list[tuple[str, str, int, int, int]]) -> None:
    """Insert postings: COPY on PostgreSQL (several times faster), executemany elsewhere."""
    if not rows:
        return
    connection = session.connection()
    columns = "term, kind, doc_id, tf, length"
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        raw = connection.connection.driver_connection
        with (
            raw.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(f"COPY search_postings ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    if connection.dialect.name == "sqlite":
        # The driver's executemany straight away: the ORM's bulk insert spends more time
        # building parameter dictionaries than SQLite spends storing the rows.
        connection.exec_driver_sql(
            f"INSERT INTO search_postings ({columns}) VALUES (?, ?, ?, ?, ?)", rows
        )
        return
    names = ("term", "kind", "doc_id", "tf", "length")
    session.execute(insert(SearchPosting), [dict(zip(names, row, strict=True)) for row in rows])


def index_document(
    session: Session,
    *,
    kind: str,
    key: str,
    title: str,
    body: str,
    organization_id: int | None = None,
    matrix_id: int | None = None,
    boost: float = 1.0,
    ref_id: int | None = None,
) -> None:
    """Index one document (replacing its previous version); ``body`` must already be masked."""
    index_many(
        session,
        [Document(kind, key, title, body, ref_id, organization_id, matrix_id, boost)],
    )


def remove_document(session: Session, *, kind: str, key: str) -> None:
    """Remove one document from the index (nothing happens if it is not there)."""
    _check_kind(kind)
    _remove_keys(session, kind, [key])


# --- pulled kinds: accounts and service requests -------------------------------------------


def _account_docs(rows: Iterable[Sequence[Any]]) -> Iterator[Document]:
    for acc_id, name, reason, org_id, is_gov, org_name, _ in rows:
        body = " ".join(p for p in (reason, org_name) if p)
        yield Document(
            "accounts", str(acc_id), name, body, acc_id, org_id, None, 1.2 if is_gov else 1.0
        )


def _request_docs(rows: Iterable[Sequence[Any]]) -> Iterator[Document]:
    for req_id, public_id, text_masked, org_id, matrix_id, _ in rows:
        # Only the masked text: search must never store, show or match personal data.
        yield Document("requests", public_id, public_id, text_masked, req_id, org_id, matrix_id)


def _source(kind: str) -> tuple[Any, Any, Any]:
    """Return the columns a pulled kind is indexed from, its updated_at and id columns."""
    if kind == "accounts":
        query: Any = select(
            Account.id, Account.name, Account.verified_reason, Account.organization_id,
            Account.is_government, Organization.name, Account.updated_at,
        ).outerjoin(Organization, Organization.id == Account.organization_id)  # fmt: skip
        return query, Account.updated_at, Account.id
    if kind == "requests":
        query = select(
            ServiceRequest.id, ServiceRequest.public_id, ServiceRequest.text_masked,
            ServiceRequest.organization_id, ServiceRequest.matrix_id, ServiceRequest.updated_at,
        )  # fmt: skip
        return query, ServiceRequest.updated_at, ServiceRequest.id
    raise InvalidInputError(
        f"类别「{kind}」不从业务库拉取（可选：{'、'.join(PULLED_KINDS)}）",
        f"kind {kind!r} is not pulled from the operational DB ({', '.join(PULLED_KINDS)})",
    )


def _watermark(session: Session, kind: str) -> SearchKind:
    state = session.get(SearchKind, kind)
    if state is None:
        state = SearchKind(kind=kind, doc_count=0, total_length=0)
        session.add(state)
        session.flush()
    return state


def _past(updated_at: Any, id_column: Any, last_at: datetime, last_id: int) -> Any:
    """Rows after the watermark ``(last_at, last_id)`` in ``(updated_at, id)`` order.

    Written as a range on ``updated_at`` first, so the ``updated_at`` index serves it.
    """
    return and_(updated_at >= last_at, or_(updated_at > last_at, id_column > last_id))


def refresh(
    session: Session, kinds: Sequence[str] | None = None, *, limit: int | None = None
) -> dict[str, int]:
    """Index the accounts and requests changed since the last refresh; return counts per kind.

    With ``limit``, a kind stops after that many rows (the watermark is kept), so a job can
    commit and call again: each transaction stays short on a busy SQLite database.
    """
    done: dict[str, int] = {}
    size = min(BATCH, limit) if limit else BATCH
    for kind in kinds or PULLED_KINDS:
        query, updated_at, id_column = _source(kind)
        state = _watermark(session, kind)
        last_at: datetime | None = state.watermark_at
        last_id: int = state.watermark_id or 0
        done[kind] = 0
        while limit is None or done[kind] < limit:
            page = query.order_by(updated_at, id_column).limit(size)
            if last_at is not None:
                page = page.where(_past(updated_at, id_column, last_at, last_id))
            rows = session.execute(page).all()
            if not rows:
                break
            docs = _account_docs(rows) if kind == "accounts" else _request_docs(rows)
            done[kind] += index_many(session, docs)
            last_at, last_id = rows[-1][-1], rows[-1][0]
            state = _watermark(session, kind)
            state.watermark_at, state.watermark_id = last_at, last_id
            session.flush()
    return done


def pending(
    session: Session, kinds: Sequence[str] | None = None, *, cap: int = PENDING_CAP
) -> dict[str, int]:
    """Return per pulled kind how many rows changed since the last refresh (at most ``cap``).

    One count over the ``updated_at`` index per kind, stopped at ``cap`` rows, so asking
    costs little even when the index is far behind.
    """
    counts: dict[str, int] = {}
    for kind in kinds or PULLED_KINDS:
        _, updated_at, id_column = _source(kind)
        state = session.get(SearchKind, kind)
        changed = select(id_column)
        if state is not None and state.watermark_at is not None:
            changed = changed.where(
                _past(updated_at, id_column, state.watermark_at, state.watermark_id or 0)
            )
        counted = select(func.count()).select_from(changed.limit(cap).subquery())
        counts[kind] = int(session.scalar(counted) or 0)
    return counts


def clear(session: Session, kind: str) -> None:
    """Drop every document of ``kind`` and reset its statistics and watermark."""
    _check_kind(kind)
    ids = select(SearchDocument.id).where(SearchDocument.kind == kind)
    session.execute(delete(SearchPosting).where(SearchPosting.kind == kind), **_BULK)
    session.execute(delete(SearchDocument).where(SearchDocument.id.in_(ids)), **_BULK)
    state = _watermark(session, kind)
    state.doc_count, state.total_length = 0, 0
    state.watermark_at, state.watermark_id = None, None
    session.flush()


def reindex(session: Session, kinds: Sequence[str] | None = None) -> dict[str, int]:
    """Rebuild the index of the pulled kinds from scratch; return counts per kind."""
    for kind in kinds or PULLED_KINDS:
        _source(kind)
        clear(session, kind)
    return refresh(session, kinds)


def stats(session: Session) -> dict[str, int]:
    """Return the number of indexed documents per kind."""
    rows = session.execute(select(SearchKind.kind, SearchKind.doc_count)).all()
    counts = dict.fromkeys(KINDS, 0)
    counts.update({kind: int(n) for kind, n in rows})
    return counts
