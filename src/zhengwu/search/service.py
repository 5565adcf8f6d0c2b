"""Answer a search (检索): BM25 over the inverted index, within what the principal may see.

Ranking is BM25 (k1 = 1.2, b = 0.75) summed over the query terms, times the document's
boost; ties go to the lower document id, so SQLite and PostgreSQL return the same order.
Query terms are combined with AND; when no document of any searchable kind has every term,
the search is repeated with OR and the result says so (``fallback``). Each kind's hits are
filtered in SQL by :func:`zhengwu.search.access.document_scope`, so a count never includes
something the principal may not open. Posts come from the analytics store
(:mod:`zhengwu.search.posts`). Every snippet is cut from masked text; published office
numbers (公开电话, :func:`zhengwu.accounts.phones.directory`) stay readable in it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from markupsafe import escape
from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session

from zhengwu.accounts import phones as published_phones
from zhengwu.accounts.models import Account
from zhengwu.auth.principal import ROLE_LABELS, Principal
from zhengwu.chinatime import from_stored as china_time
from zhengwu.errors import InvalidInputError
from zhengwu.privacy import mask_text
from zhengwu.search import access, indexer, posts
from zhengwu.search.models import (
    KIND_LABELS,
    KINDS,
    PostWindowRead,
    SearchDocument,
    SearchHit,
    SearchKind,
    SearchPosting,
    SearchResults,
)
from zhengwu.search.segment import normalize, query_terms

K1 = 1.2
B = 0.75
MAX_QUERY = 100
MAX_TERMS = 12
MAX_LIMIT = 100
SNIPPET = 90  # characters around the first match
FALLBACK_NOTE = "没有同时包含全部词语的结果，以下为包含任一词语的结果（no result has every term; showing results with any term）"


def role_note(principal: Principal, kinds: Sequence[str]) -> str | None:
    """Return what a search says of ``kinds`` asked for that ``principal``'s role may not
    search (帖文 posts for a handler …), or None."""
    if not kinds:
        return None
    role = ROLE_LABELS.get(principal.role, principal.role)
    return (
        f"{role}不能检索{'、'.join(KIND_LABELS.get(k, k) for k in kinds)}"
        f"（the {principal.role} role may not search {', '.join(kinds)}）"
    )


def _notes(*notes: str | None) -> str | None:
    """Join the notes that are set (None when none is)."""
    return "；".join(n for n in notes if n) or None


def check_query(query: str) -> str:
    """Return the stripped query, or raise a bilingual 422 when it is empty or too long."""
    query = query.strip()
    if not query:
        raise InvalidInputError("请输入搜索词", "please enter a search term")
    if len(query) > MAX_QUERY:
        raise InvalidInputError(
            f"搜索词过长（最多 {MAX_QUERY} 个字符）",
            f"query too long (at most {MAX_QUERY} characters)",
        )
    return query


def highlight(text: str, terms: Sequence[str], width: int = SNIPPET) -> tuple[str, str]:
    """Return a snippet of ``text`` around the first term, plain and with ``<mark>`` (escaped)."""
    folded = normalize(text) if len(normalize(text)) == len(text) else text.casefold()
    positions = [p for p in (folded.find(t) for t in terms if t) if p >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    end = min(len(text), start + width)
    plain = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    window = folded[start:end]
    marks = [False] * (end - start)
    for term in terms:
        at = window.find(term) if term else -1
        while at >= 0:
            for i in range(at, min(at + len(term), len(marks))):
                marks[i] = True
            at = window.find(term, at + len(term))
    parts: list[str] = ["…"] if start else []
    i = 0
    while i < len(marks):
        j = i
        while j < len(marks) and marks[j] == marks[i]:
            j += 1
        chunk = str(escape(text[start + i : start + j]))
        parts.append(f"<mark>{chunk}</mark>" if marks[i] else chunk)
        i = j
    if end < len(text):
        parts.append("…")
    return plain, "".join(parts)


def _url(kind: str, doc: SearchDocument, accounts: set[int]) -> str | None:
    """Return the page a hit opens; an account's only when in ``accounts`` (openable)."""
    if kind == "accounts":
        return f"/console/accounts/{doc.ref_id}" if doc.ref_id in accounts else None
    if kind == "requests":
        return f"/console/desk/{doc.key}"
    return f"/console/library/{doc.key}"


def _matches(
    session: Session, principal: Principal, kind: str, terms: list[str], mode: str
) -> tuple[Any, ColumnElement[bool]] | None:
    """Return the scored matches of a kind (a subquery) and its scope, or None for none."""
    state = session.get(SearchKind, kind)
    if state is None or state.doc_count <= 0:
        return None
    df = dict(
        session.execute(
            select(SearchPosting.term, func.count())
            .where(SearchPosting.kind == kind, SearchPosting.term.in_(terms))
            .group_by(SearchPosting.term)
        ).all()
    )
    present = [t for t in terms if df.get(t)]
    if not present or (mode == "and" and len(present) < len(terms)):
        return None
    n, avgdl = state.doc_count, max(state.total_length / state.doc_count, 1.0)
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in present}
    weight = case(
        *[(SearchPosting.term == t, literal(round(idf[t], 9))) for t in present], else_=0.0
    )
    tf = SearchPosting.tf * 1.0
    norm = tf + K1 * (1 - B + B * SearchPosting.length / avgdl)
    score = func.sum(weight * tf * (K1 + 1) / norm)
    matched = (
        select(SearchPosting.doc_id.label("doc_id"), score.label("score"))
        .where(SearchPosting.kind == kind, SearchPosting.term.in_(present))
        .group_by(SearchPosting.doc_id)
    )
    if mode == "and":
        matched = matched.having(func.count() == len(present))
        if len(present) > 1:
            # Only documents that have the rarest term can have them all: start from its
            # postings instead of aggregating every posting of the common terms.
            rarest = min(present, key=lambda t: (df[t], t))
            matched = matched.where(
                SearchPosting.doc_id.in_(
                    select(SearchPosting.doc_id).where(
                        SearchPosting.kind == kind, SearchPosting.term == rarest
                    )
                )
            )
    return matched.subquery(), access.document_scope(principal, kind)


def _top(
    session: Session,
    principal: Principal,
    kind: str,
    found: tuple[Any, ColumnElement[bool]],
    terms: list[str],
    limit: int,
) -> tuple[int, list[SearchHit]]:
    """Return how many documents match in scope, and the best ``limit`` of them (one pass:
    the window count is taken before the limit)."""
    sub, scope = found
    ranked = (sub.c.score * SearchDocument.boost).label("rank")
    rows = session.execute(
        select(SearchDocument, ranked, func.count().over().label("total"))
        .join(sub, SearchDocument.id == sub.c.doc_id)
        .where(scope)
        .order_by(ranked.desc(), SearchDocument.id)
        .limit(limit)
    ).all()
    hits = []
    # The index holds text masked when it was indexed; masking it again with today's
    # directory hides a published number withdrawn since, before the next refresh.
    keep = published_phones.directory(session) if rows else frozenset()
    openable = (
        access.openable_accounts(session, principal, {d.ref_id for d, _, _ in rows if d.ref_id})
        if kind == "accounts"
        else set()
    )
    for doc, rank, _ in rows:
        plain, html = highlight(mask_text(doc.body or doc.title, keep=keep), terms)
        hits.append(
            SearchHit(
                kind=kind,
                key=doc.key,
                title=doc.title,
                snippet=plain,
                snippet_html=html,
                score=round(float(rank), 4),
                url=_url(kind, doc, openable),
            )
        )
    return (int(rows[0].total) if rows else 0), hits


def _post_hits(
    session: Session, principal: Principal, terms: list[str], mode: str, limit: int,
    days: int | None,
) -> tuple[int, list[SearchHit], PostWindowRead]:  # fmt: skip
    result = posts.search_store(terms, mode=mode, days=days, limit=limit)
    total, found = result.count, result.hits
    # The store keeps naive UTC; the API says which time it is (China time, with its offset).
    start, end = result.window.start, result.window.end
    span = PostWindowRead(
        days=days,
        start=china_time(start) if start is not None else None,
        end=china_time(end) if end is not None else None,
    )
    uids = {(p.platform, p.account_uid) for p in found if p.account_uid}
    accounts: dict[tuple[str, str], int] = {}
    if uids:
        rows = session.execute(
            select(Account.platform, Account.uid, Account.id).where(
                Account.uid.in_([uid for _, uid in uids])
            )
        ).all()
        accounts = {(platform, uid): acc_id for platform, uid, acc_id in rows}
    hits = []
    keep = published_phones.directory(session) if found else frozenset()
    openable = access.openable_accounts(session, principal, set(accounts.values()))
    for post in found:
        plain, html = highlight(mask_text(post.text, keep=keep), terms)
        acc_id = accounts.get((post.platform, post.account_uid or ""))
        # The account's page when the role may open it, else the post on its platform.
        url = f"/console/accounts/{acc_id}" if acc_id in openable else (post.url or None)
        # The store keeps naive UTC; a reader sees China time, as everywhere else.
        title = f"{post.platform} · {china_time(post.created_at):%Y-%m-%d %H:%M}"
        hits.append(
            SearchHit(
                kind="posts",
                key=f"{post.platform}:{post.post_id}",
                title=title,
                snippet=plain,
                snippet_html=html,
                score=0.0,
                url=url,
            )
        )
    return total, hits, span


def _run(
    session: Session, principal: Principal, kinds: list[str], terms: list[str], mode: str,
    limit: int, days: int | None,
) -> tuple[dict[str, int], list[SearchHit], PostWindowRead | None]:  # fmt: skip
    counts: dict[str, int] = {}
    hits: list[SearchHit] = []
    span = None
    for kind in kinds:
        if kind == "posts":
            counts[kind], found_posts, span = _post_hits(
                session, principal, terms, mode, limit, days
            )
            hits.extend(found_posts)
            continue
        found = _matches(session, principal, kind, terms, mode)
        counts[kind] = 0
        if found:
            counts[kind], found_hits = _top(session, principal, kind, found, terms, limit)
            hits.extend(found_hits)
    return counts, hits, span


def index_lag(
    session: Session, principal: Principal, kinds: Sequence[str] | None = None
) -> dict[str, int]:
    """Return how many accounts / requests ``principal`` could search (of ``kinds``) changed
    since the last index refresh: only kinds with changes, one capped count per kind."""
    allowed = access.searchable_kinds(principal)
    pulled = [k for k in indexer.PULLED_KINDS if k in allowed and (not kinds or k in kinds)]
    return {k: n for k, n in indexer.pending(session, pulled).items() if n} if pulled else {}


def lag_note(lag: dict[str, int]) -> str | None:
    """Return the bilingual "index is behind" notice for ``index_lag``'s counts, or None."""
    if not lag:
        return None

    def count(kind: str) -> str:
        n = lag[kind]
        return f"{n:,}+" if n >= indexer.PENDING_CAP else f"{n:,}"

    units = {"accounts": ("个账号", "accounts"), "requests": ("条诉求", "requests")}
    zh = "、".join(f"{count(k)} {units[k][0]}" for k in lag)
    en = " and ".join(f"{count(k)} {units[k][1]}" for k in lag)
    return (
        f"搜索索引尚未包含最近的变化：{zh}有更新，后台任务更新索引后即可搜到"
        f"（the search index is behind: {en} changed since its last refresh; they become "
        "searchable when the worker refreshes it）"
    )


def search(
    session: Session,
    principal: Principal,
    query: str,
    *,
    kinds: list[str] | None = None,
    limit: int = 20,
    post_days: int | None = posts.DEFAULT_DAYS,
) -> SearchResults:
    """Search ``query`` in the kinds ``principal`` may see; hits per kind, best first.

    Posts are searched in the last ``post_days`` days up to the newest post of the analytics
    store (None: all of it), newest first, and their count stops at ``posts.COUNT_CAP``
    (``capped`` lists such kinds); ``post_window`` says which window that was.
    """
    allowed = access.searchable_kinds(principal)  # the public is refused before anything else
    query = check_query(query)
    for kind in kinds or []:
        if kind not in KINDS:
            raise InvalidInputError(
                f"未知的检索类别：{kind}（可选：{'、'.join(KINDS)}）",
                f"unknown search kind {kind!r} (one of {', '.join(KINDS)})",
            )
    wanted = [k for k in allowed if not kinds or k in kinds]
    # Kinds asked for that the role may not search: said, not answered with an empty list.
    refused = role_note(principal, [k for k in dict.fromkeys(kinds or []) if k not in allowed])
    limit = max(1, min(limit, MAX_LIMIT))
    terms = query_terms(query)[:MAX_TERMS]
    lag = index_lag(session, principal, wanted)
    if not terms:
        empty = "搜索词只含标点或虚词，请换一个词（the query has no searchable words）"
        return SearchResults(
            query=query, terms=[], mode="and", fallback=False, counts=dict.fromkeys(wanted, 0),
            hits=[], note=_notes(empty, refused), stale=lag, stale_note=lag_note(lag),
        )  # fmt: skip
    counts, hits, span = _run(session, principal, wanted, terms, "and", limit, post_days)
    mode, note = "and", None
    if not any(counts.values()) and len(terms) > 1:
        counts, hits, span = _run(session, principal, wanted, terms, "or", limit, post_days)
        mode, note = "or", FALLBACK_NOTE
    return SearchResults(
        query=query, terms=terms, mode=mode, fallback=mode == "or", counts=counts, hits=hits,
        note=_notes(note, refused),
        capped=[k for k, n in counts.items() if k == "posts" and n >= posts.COUNT_CAP],
        stale=lag, stale_note=lag_note(lag), post_window=span,
    )  # fmt: skip
