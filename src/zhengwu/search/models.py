"""Tables of the search index (检索索引): documents, postings and per-kind statistics.

- ``search_documents``: one row per searchable thing (kind + key), with the title, the
  *masked* body the snippet is cut from, its length in terms, a boost, and the scope
  columns the access rules join on (``ref_id`` — the entity's numeric id —,
  ``organization_id``, ``matrix_id``).
- ``search_postings``: the inverted index, (term, kind, doc) → term frequency, with the
  document's length copied in so BM25 is computed from the postings alone.
- ``search_kinds``: per kind, the document count and total length (for BM25's N and
  average length).
- ``search_pending``: the queue of changed accounts and requests the next refresh indexes,
  filled by database triggers (migration 0018), so no writer can forget it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.db.base import Base, utcnow

KINDS = ("accounts", "requests", "content", "posts")
KIND_LABELS = {"accounts": "账号", "requests": "诉求", "content": "内容库", "posts": "帖文"}


class SearchDocument(Base):
    """One indexed document: what a hit shows and whom it may be shown to."""

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_search_documents_kind_ref_id", "kind", "ref_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    ref_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text)
    length: Mapped[int] = mapped_column(Integer)
    boost: Mapped[float] = mapped_column(Float, default=1.0)
    organization_id: Mapped[int | None] = mapped_column(Integer)
    matrix_id: Mapped[int | None] = mapped_column(Integer)
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchPosting(Base):
    """A term of a document: the inverted index, read by term and kind."""

    __tablename__ = "search_postings"

    term: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    doc_id: Mapped[int] = mapped_column(
        ForeignKey("search_documents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    tf: Mapped[int] = mapped_column(Integer)
    length: Mapped[int] = mapped_column(Integer)


class SearchKind(Base):
    """Statistics of one kind of document."""

    __tablename__ = "search_kinds"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    doc_count: Mapped[int] = mapped_column(Integer, default=0)
    total_length: Mapped[int] = mapped_column(BigInteger, default=0)


class SearchPending(Base):
    """A change the search index has not taken in yet: (kind, row id), in order of writing.

    Written only by the triggers of migration 0018 (on accounts, service_requests and
    organizations); :func:`zhengwu.search.indexer.refresh` takes rows off it.
    """

    __tablename__ = "search_pending"
    __table_args__ = (Index("ix_search_pending_kind_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    row_id: Mapped[int] = mapped_column(Integer)


class SearchHit(BaseModel):
    """One result: what it is, where to open it (if the principal may), and a highlighted
    masked snippet."""

    kind: str
    key: str
    title: str
    snippet: str
    snippet_html: str
    score: float
    url: str | None  # None: nothing the principal may open (an account page of another body)


class PostWindowRead(BaseModel):
    """The window the posts were searched in: ``days`` up to the newest post in the store
    (``days`` None: every post; ``end`` None: the store holds no post)."""

    days: int | None
    start: datetime | None
    end: datetime | None


class SearchResults(BaseModel):
    """The answer to a query: hits, counts per kind, and how the terms were combined."""

    query: str
    terms: list[str]
    mode: str  # "and" | "or" (every term, or — when that found nothing — any term)
    fallback: bool
    counts: dict[str, int]
    hits: list[SearchHit]
    note: str | None = None
    capped: list[str] = []  # kinds whose count is a lower bound ("100+")
    # Rows changed since the last index refresh (not yet searchable), per kind the caller
    # may search; a count at indexer.PENDING_CAP means "at least". Empty when up to date.
    stale: dict[str, int] = {}
    stale_note: str | None = None
    # Set when posts were searched: the window, so a page can say what "posts" covered.
    post_window: PostWindowRead | None = None
