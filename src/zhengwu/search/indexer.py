"""Build and keep the search index (建索引): one document at a time, or in bulk batches.

Other domains call :func:`index_document` / :func:`remove_document` when something
searchable changes (the content library does). Accounts and service requests are pulled
instead: the database queues every change to them (``search_pending``, filled by the
triggers of migration 0018), :func:`refresh` indexes the queued rows and :func:`reindex`
rebuilds a kind from scratch. Both work in
batches of :data:`BATCH` rows — one bulk write of documents (the driver's executemany on
SQLite, COPY on PostgreSQL; ids read back by key in one query), one of postings, one
DELETE per table for the keys re-indexed — so 1 M requests index in minutes, not hours.
What a rebuild costs and where it goes: ``benchmarks/bench_search_index.py``.
The periodic job ``search-refresh`` (:mod:`zhengwu.jobs`) calls :func:`refresh`, not the
import; :func:`pending` counts what changed since, for the "index is behind" notice.

Requests are indexed from their **masked** text only (``text_masked``, made by
``zhengwu.privacy.mask_text``), so a phone or ID number is neither stored here nor
matchable; the analyzer also drops every masked run (``138****5678``).

An account's document carries its organisation's name: a rename, however made, queues
the body's accounts, so the next refresh indexes the new name. A row deleted (the
application deletes no accounts or requests, but ``psql`` may) leaves the index at the
next refresh. Services don't commit; the caller does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Organization
from zhengwu.db.base import utcnow
from zhengwu.errors import InvalidInputError
from zhengwu.search.models import (
    KINDS,
    SearchDocument,
    SearchKind,
    SearchPending,
    SearchPosting,
)
from zhengwu.search.segment import analyze
from zhengwu.servicedesk.models import ServiceRequest

BATCH = 2000
BODY_LIMIT = 2000  # characters of body kept for snippets
TITLE_WEIGHT = 3  # a term in the title counts as three in the body
PULLED_KINDS = ("accounts", "requests")
PENDING_CAP = 10_000  # queued changes counted before saying "10,000+"


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
    for acc_id, name, reason, org_id, is_gov, org_name in rows:
        body = " ".join(p for p in (reason, org_name) if p)
        yield Document(
            "accounts", str(acc_id), name, body, acc_id, org_id, None, 1.2 if is_gov else 1.0
        )


def _request_docs(rows: Iterable[Sequence[Any]]) -> Iterator[Document]:
    for req_id, public_id, text_masked, org_id, matrix_id in rows:
        # Only the masked text: search must never store, show or match personal data.
        yield Document("requests", public_id, public_id, text_masked, req_id, org_id, matrix_id)


def _source(kind: str) -> tuple[Any, Any]:
    """Return the query a pulled kind is indexed from and its id column."""
    if kind == "accounts":
        query: Any = select(
            Account.id, Account.name, Account.verified_reason, Account.organization_id,
            Account.is_government, Organization.name,
        ).outerjoin(Organization, Organization.id == Account.organization_id)  # fmt: skip
        return query, Account.id
    if kind == "requests":
        query = select(
            ServiceRequest.id, ServiceRequest.public_id, ServiceRequest.text_masked,
            ServiceRequest.organization_id, ServiceRequest.matrix_id,
        )  # fmt: skip
        return query, ServiceRequest.id
    raise InvalidInputError(
        f"类别「{kind}」不从业务库拉取（可选：{'、'.join(PULLED_KINDS)}）",
        f"kind {kind!r} is not pulled from the operational DB ({', '.join(PULLED_KINDS)})",
    )


def _docs(kind: str, rows: Iterable[Sequence[Any]]) -> Iterator[Document]:
    return _account_docs(rows) if kind == "accounts" else _request_docs(rows)


def _ids_in(session: Session, column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """Return "``column`` is one of ``ids``" (one array parameter on PostgreSQL)."""
    found: ColumnElement[bool]
    if session.get_bind().dialect.name == "postgresql":
        found = column == any_(bindparam("ids", list(ids), type_=ARRAY(Integer)))
    else:
        found = column.in_(ids)
    return found


def _claim(session: Session, kind: str, size: int) -> list[int]:
    """Take the oldest ``size`` queued changes of ``kind`` off the queue; return their row ids.

    The changes are deleted in the caller's transaction, so a rollback puts them back. On
    PostgreSQL a change another refresh holds is skipped (``SKIP LOCKED``), and a change
    whose transaction has not committed is not seen yet: it stays queued for the next one.
    """
    oldest = (
        select(SearchPending.id).where(SearchPending.kind == kind)
        .order_by(SearchPending.id).limit(size).with_for_update(skip_locked=True)
    )  # fmt: skip
    taken = session.execute(
        delete(SearchPending).where(SearchPending.id.in_(oldest.scalar_subquery()))
        .returning(SearchPending.row_id),
        **_BULK,
    ).scalars()  # fmt: skip
    return sorted(set(taken))


def _drop_missing(session: Session, kind: str, ids: set[int]) -> None:
    """Remove the documents of rows that no longer exist (deleted outside the application)."""
    if not ids:
        return
    keys = session.scalars(
        select(SearchDocument.key).where(
            SearchDocument.kind == kind, _ids_in(session, SearchDocument.ref_id, sorted(ids))
        )
    ).all()
    _remove_keys(session, kind, keys)


def refresh(
    session: Session, kinds: Sequence[str] | None = None, *, limit: int | None = None
) -> dict[str, int]:
    """Index the accounts and requests changed since the last refresh; return counts per kind.

    The changes come from the queue the database's triggers fill (``search_pending``,
    migration 0018): whatever wrote them and whenever it committed, each change is indexed
    once its transaction has committed, from the row as it is then. With ``limit``, a kind
    stops after about that many rows (the rest stay queued), so a job can commit and call
    again: each transaction stays short on a busy SQLite database.
    """
    done: dict[str, int] = {}
    size = min(BATCH, limit) if limit else BATCH
    for kind in kinds or PULLED_KINDS:
        query, id_column = _source(kind)
        done[kind] = 0
        while limit is None or done[kind] < limit:
            ids = _claim(session, kind, size)
            if not ids:
                break
            rows = session.execute(query.where(_ids_in(session, id_column, ids))).all()
            done[kind] += index_many(session, _docs(kind, rows))
            _drop_missing(session, kind, set(ids) - {row[0] for row in rows})
            session.flush()
    return done


def pending(
    session: Session, kinds: Sequence[str] | None = None, *, cap: int = PENDING_CAP
) -> dict[str, int]:
    """Return per pulled kind how many changes wait for the next refresh (at most ``cap``).

    One count over the queue's ``(kind, id)`` index per kind, stopped at ``cap`` rows, so
    asking costs little even when the index is far behind. A row changed twice counts twice.
    """
    counts: dict[str, int] = {}
    for kind in kinds or PULLED_KINDS:
        _source(kind)
        queued = select(SearchPending.id).where(SearchPending.kind == kind).limit(cap)
        counts[kind] = int(session.scalar(select(func.count()).select_from(queued.subquery())) or 0)
    return counts


def clear(session: Session, kind: str) -> None:
    """Drop every document of ``kind`` and reset its statistics (the queue is kept)."""
    _check_kind(kind)
    ids = select(SearchDocument.id).where(SearchDocument.kind == kind)
    session.execute(delete(SearchPosting).where(SearchPosting.kind == kind), **_BULK)
    session.execute(delete(SearchDocument).where(SearchDocument.id.in_(ids)), **_BULK)
    state = session.get(SearchKind, kind)
    if state is None:
        session.add(SearchKind(kind=kind, doc_count=0, total_length=0))
    else:
        state.doc_count, state.total_length = 0, 0
    session.flush()


def reindex(session: Session, kinds: Sequence[str] | None = None) -> dict[str, int]:
    """Rebuild the index of the pulled kinds from scratch; return counts per kind.

    The queued changes of a kind are dropped first: every row is read afterwards, in id
    order. (A change whose transaction commits meanwhile stays queued and is indexed again
    by the next refresh: cheap, and never lost.)
    """
    done: dict[str, int] = {}
    for kind in kinds or PULLED_KINDS:
        query, id_column = _source(kind)
        session.execute(delete(SearchPending).where(SearchPending.kind == kind), **_BULK)
        clear(session, kind)
        done[kind], last = 0, 0
        while True:
            rows = session.execute(
                query.where(id_column > last).order_by(id_column).limit(BATCH)
            ).all()
            if not rows:
                break
            done[kind] += index_many(session, _docs(kind, rows))
            last = rows[-1][0]
            session.flush()
    return done


def stats(session: Session) -> dict[str, int]:
    """Return the number of indexed documents per kind."""
    rows = session.execute(select(SearchKind.kind, SearchKind.doc_count)).all()
    counts = dict.fromkeys(KINDS, 0)
    counts.update({kind: int(n) for kind, n in rows})
    return counts
