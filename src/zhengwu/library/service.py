"""Create, read, list, search, edit and delete library items (services do not commit).

Every change writes an audit entry (who, when, what changed: the old and new values), and
is indexed in the platform's segmented search index (``zhengwu.search``) with a boost from
the item's labels, in the caller's transaction.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session, selectinload

from zhengwu.accounts import phones as published_phones
from zhengwu.accounts.models import Matrix, Organization
from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from zhengwu.library import access, storage
from zhengwu.library.models import (
    KINDS,
    LABEL_RANK,
    LABELS,
    VISIBILITIES,
    ContentFile,
    ContentItem,
    ContentLabel,
    ContentTag,
    DistributionTarget,
    FileRead,
    ItemRead,
    ItemUpdate,
    LabelRead,
    label_rank,
)
from zhengwu.outbox.models import OutboxMessage
from zhengwu.privacy import mask_text

ENTITY = "library_item"
SEARCH_KIND = "content"
MAX_TAGS = 20
LOADED = (selectinload(ContentItem.labels), selectinload(ContentItem.tags),
          selectinload(ContentItem.files))  # fmt: skip


@dataclass
class Upload:
    """A file as it arrives: its name and a readable binary stream."""

    filename: str
    stream: BinaryIO


@dataclass
class ItemFilters:
    """What a listing is narrowed to (all optional)."""

    q: str = ""
    label: str | None = None
    tag: str | None = None
    kind: str | None = None
    organization_id: int | None = None
    matrix_id: int | None = None
    limit: int = 50
    offset: int = 0
    terms: list[str] = field(default_factory=list)


# ---- validation --------------------------------------------------------------------------


def _check_choice(value: str, allowed: Iterable[str], what_zh: str, what_en: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise InvalidInputError(
            f"{what_zh}「{value}」无效，可选：{'、'.join(allowed)}",
            f"invalid {what_en} {value!r}; choose one of {', '.join(allowed)}",
        )
    return value


def clean_title(title: str) -> str:
    """Return a stripped title (422 when empty or longer than 200 characters)."""
    title = title.strip()
    if not title:
        raise InvalidInputError("标题不能为空", "the title must not be empty")
    if len(title) > 200:
        raise InvalidInputError("标题最多 200 个字", "the title has at most 200 characters")
    return title


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Return tags stripped of ``#`` and spaces, split on commas, deduplicated, in order."""
    seen: list[str] = []
    for raw in tags:
        for part in re.split(r"[,，、;；\s]+", raw):
            tag = part.strip().strip("#＃").strip()
            if not tag:
                continue
            if len(tag) > 32:
                raise InvalidInputError(f"标签「{tag[:10]}…」过长（最多 32 字）",
                                        "a tag has at most 32 characters")  # fmt: skip
            if tag not in seen:
                seen.append(tag)
    if len(seen) > MAX_TAGS:
        raise InvalidInputError(f"标签最多 {MAX_TAGS} 个", f"at most {MAX_TAGS} tags")
    return seen


def clean_labels(labels: Iterable[str]) -> list[str]:
    """Return labels from the fixed set 原创 首发 独家 权威 (422 for any other)."""
    chosen: list[str] = []
    for label in labels:
        label = label.strip()
        if not label:
            continue
        _check_choice(label, LABELS, "内容标识", "label")
        if label not in chosen:
            chosen.append(label)
    return chosen


# ---- reading -----------------------------------------------------------------------------


def get(session: Session, principal: Principal, item_id: int) -> ContentItem:
    """Return an item ``principal`` may see, with labels, tags and files loaded."""
    access.require_library(principal)
    item = session.scalar(
        access.readable_items(principal)
        .where(ContentItem.id == item_id)
        .options(*LOADED)
        .execution_options(populate_existing=True)
    )
    if item is None:
        raise NotFoundError(f"内容 {item_id} 不存在", f"library item {item_id} not found")
    return item


def get_manageable(session: Session, principal: Principal, item_id: int) -> ContentItem:
    """Return an item ``principal`` may change (403 when it may only see it)."""
    item = get(session, principal, item_id)
    if not access.can_manage(principal, item):
        raise ForbiddenError(
            f"无权修改内容 {item_id}（只能查看）", f"you may view but not change item {item_id}"
        )
    return item


def search_terms(query: str) -> list[str]:
    """Return the words of a Chinese query, segmented by jieba (punctuation dropped)."""
    import jieba

    from zhengwu.search import segment

    segment.load()  # the dictionary, without jieba's start-up lines on stderr

    words: list[str] = []
    for chunk in query.split():
        parts = [w.strip() for w in jieba.cut(chunk) if w.strip()]
        parts = [w for w in parts if re.search(r"\w", w)]
        for word in parts:
            if word not in words:
                words.append(word)
    return words


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(principal: Principal, filters: ItemFilters) -> Select[ContentItem]:
    query = access.readable_items(principal)
    if filters.label:
        _check_choice(filters.label, LABELS, "内容标识", "label")
        query = query.where(
            ContentItem.id.in_(
                select(ContentLabel.item_id).where(ContentLabel.label == filters.label)
            )
        )
    if filters.tag:
        query = query.where(
            ContentItem.id.in_(select(ContentTag.item_id).where(ContentTag.tag == filters.tag))
        )
    if filters.kind:
        query = query.where(ContentItem.kind == _check_choice(filters.kind, KINDS, "类型", "kind"))
    if filters.organization_id is not None:
        query = query.where(ContentItem.organization_id == filters.organization_id)
    if filters.matrix_id is not None:
        query = query.where(ContentItem.matrix_id == filters.matrix_id)
    # Every word of the query must appear in the title, the text or a tag.
    for word in filters.terms or search_terms(filters.q):
        pattern = _like(word)
        query = query.where(
            or_(
                ContentItem.title.ilike(pattern, escape="\\"),
                ContentItem.body.ilike(pattern, escape="\\"),
                ContentItem.id.in_(
                    select(ContentTag.item_id).where(ContentTag.tag.ilike(pattern, escape="\\"))
                ),
            )
        )
    return query


def list_items(
    session: Session, principal: Principal, filters: ItemFilters
) -> tuple[int, list[ContentItem]]:
    """Return the total and one page of the items ``principal`` may see, labelled first.

    Order: 权威 > 独家 > 首发 > 原创 > no label, then the most recently updated.
    """
    access.require_library(principal)
    if not 1 <= filters.limit <= 200 or filters.offset < 0:
        raise InvalidInputError("分页参数无效（limit 1–200）", "invalid paging (limit 1-200)")
    query = _filtered(principal, filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.options(*LOADED)
        .order_by(
            ContentItem.label_rank.desc(), ContentItem.updated_at.desc(), ContentItem.id.desc()
        )
        .limit(filters.limit)
        .offset(filters.offset)
    )
    return total, list(items)


def to_read(item: ContentItem, principal: Principal) -> ItemRead:
    """Return ``item`` (labels, tags, files loaded) as the API shows it to ``principal``."""
    return ItemRead(
        id=item.id, title=item.title, body=item.body, kind=item.kind,
        organization_id=item.organization_id, matrix_id=item.matrix_id,
        visibility=item.visibility,
        labels=[LabelRead.model_validate(x) for x in
                sorted(item.labels, key=lambda x: -LABEL_RANK.get(x.label, 0))],
        tags=[t.tag for t in item.tags], files=[FileRead.model_validate(f) for f in item.files],
        version=item.version, created_by_name=item.created_by_name,
        updated_by_name=item.updated_by_name, created_at=item.created_at,
        updated_at=item.updated_at, may_manage=access.can_manage(principal, item),
    )  # fmt: skip


# ---- the search index --------------------------------------------------------------------


def _indexer() -> Any | None:
    """Return ``zhengwu.search.indexer`` when the search domain is installed."""
    try:
        return importlib.import_module("zhengwu.search.indexer")
    except ModuleNotFoundError as exc:
        if exc.name and "zhengwu.search".startswith(exc.name):
            return None
        raise


def search_boost(item: ContentItem) -> float:
    """Return the search boost of an item: 1.0, up to 2.0 for 权威."""
    return 1.0 + 0.25 * item.label_rank


def _tags_text(item: ContentItem) -> str:
    """Return an item's tags as its search document ends with them, in one order.

    Sorted here, not by the database: a new item's tags are in the order given, a loaded
    one's in the collation's, and the masking-rules pass compares the document it would
    write with the stored one (a different order would index the item again every pass).
    """
    return " ".join(sorted(t.tag for t in item.tags))


def _index(session: Session, item: ContentItem, keep: frozenset[str] | None = None) -> None:
    indexer = _indexer()
    if indexer is None:
        return
    session.flush()
    tags = _tags_text(item)
    if keep is None:  # 公开电话 stay readable and searchable
        keep = published_phones.directory(session)
    indexer.index_document(
        session, kind=SEARCH_KIND, key=str(item.id), title=mask_text(item.title, keep=keep),
        body=mask_text(f"{item.body}\n{tags}".strip(), keep=keep),
        organization_id=item.organization_id,
        matrix_id=item.matrix_id, boost=search_boost(item),
    )  # fmt: skip


def reindex_mentioning(session: Session, fragments: Iterable[str]) -> int:
    """Index again the items whose title, body or tags contain one of ``fragments``.

    The search index holds items masked with the published numbers of the time they were
    indexed; :mod:`zhengwu.servicedesk.remask` calls this with the last digits of the
    numbers registered or withdrawn since. Return how many items were indexed.
    """
    parts = sorted(set(fragments))
    if not parts or _indexer() is None:
        return 0
    query = (
        select(ContentItem)
        .where(or_(*(cond for f in parts for cond in (
            ContentItem.title.contains(f), ContentItem.body.contains(f),
            ContentItem.tags.any(ContentTag.tag.contains(f))))))
        .options(selectinload(ContentItem.tags))
        .order_by(ContentItem.id)
    )  # fmt: skip
    keep = published_phones.directory(session)
    n = 0
    for item in session.scalars(query):
        _index(session, item, keep)
        n += 1
    return n


def remask_index(
    session: Session, *, after: int = 0, limit: int = 500, dry_run: bool = False
) -> tuple[int, int, int | None]:
    """Index again the items whose masked title or body differs from what the index holds.

    One batch of the masking-rules pass (:mod:`zhengwu.servicedesk.remask`): reads up to
    ``limit`` items with an id above ``after`` and masks each with today's rules and
    published numbers; an item whose indexed document differs is indexed again (with
    ``dry_run`` only counted). Return (items read, items (to be) indexed again, the last
    id read when the batch was full — else None: the pass is over). Items not in the
    index are left out of it.
    """
    indexer = _indexer()
    if indexer is None:
        return 0, 0, None
    from zhengwu.search.models import SearchDocument

    items = session.scalars(
        select(ContentItem).where(ContentItem.id > after)
        .options(selectinload(ContentItem.tags)).order_by(ContentItem.id).limit(limit)
    ).all()  # fmt: skip
    if not items:
        return 0, 0, None
    stored = {
        key: (title, body)
        for key, title, body in session.execute(
            select(SearchDocument.key, SearchDocument.title, SearchDocument.body).where(
                SearchDocument.kind == SEARCH_KIND,
                SearchDocument.key.in_([str(item.id) for item in items]),
            )
        )
    }
    keep = published_phones.directory(session)
    changed = 0
    for item in items:
        indexed = stored.get(str(item.id))
        if indexed is None:
            continue
        tags = _tags_text(item)
        masked = (
            mask_text(item.title, keep=keep),
            mask_text(f"{item.body}\n{tags}".strip(), keep=keep),
        )
        if masked != indexed:
            changed += 1
            if not dry_run:
                _index(session, item, keep)
    return len(items), changed, items[-1].id if len(items) == limit else None


def _unindex(session: Session, item_id: int) -> None:
    indexer = _indexer()
    if indexer is not None:
        indexer.remove_document(session, kind=SEARCH_KIND, key=str(item_id))


# ---- writing -----------------------------------------------------------------------------


def _set_labels(item: ContentItem, labels: list[str], actor: Principal) -> None:
    current = {x.label: x for x in item.labels}
    for label in list(current):
        if label not in labels:
            item.labels.remove(current[label])
    for label in labels:
        if label not in current:
            item.labels.append(
                ContentLabel(label=label, added_by_id=actor.user_id,
                             added_by_name=actor.display_name, added_at=utcnow())
            )  # fmt: skip
    item.label_rank = label_rank(labels)


def _set_tags(item: ContentItem, tags: list[str]) -> None:
    current = {t.tag: t for t in item.tags}
    for tag in list(current):
        if tag not in tags:
            item.tags.remove(current[tag])
    for tag in tags:
        if tag not in current:
            item.tags.append(ContentTag(tag=tag))


def _attach(item: ContentItem, blob: storage.StoredBlob, actor: Principal) -> ContentFile:
    if any(f.sha256 == blob.sha256 for f in item.files):
        raise ConflictError(
            f"文件「{blob.filename}」的内容已在此条目中", f"{blob.filename!r} is already attached"
        )
    file = ContentFile(
        sha256=blob.sha256, filename=blob.filename, content_type=blob.content_type,
        size=blob.size, uploaded_by_name=actor.display_name, uploaded_at=utcnow(),
    )  # fmt: skip
    item.files.append(file)
    return file


def create(
    session: Session,
    principal: Principal,
    *,
    title: str,
    body: str = "",
    kind: str = "article",
    visibility: str = "matrix",
    matrix_id: int | None = None,
    organization_id: int | None = None,
    tags: Iterable[str] = (),
    labels: Iterable[str] = (),
    files: Iterable[Upload] = (),
) -> ContentItem:
    """Create an item with its files; every file is checked before the item is written."""
    access.require_library(principal)
    title = clean_title(title)
    _check_choice(kind, KINDS, "类型", "kind")
    _check_choice(visibility, VISIBILITIES, "可见范围", "visibility")
    tag_list, label_list = clean_tags(tags), clean_labels(labels)
    if principal.role != "admin":
        organization_id = principal.organization_id
        if matrix_id is None:
            matrix_id = principal.matrix_id
    if not access.can_create_in(session, principal, matrix_id):
        raise ForbiddenError(f"无权在矩阵 {matrix_id} 中新建内容",
                             f"you may not file items under matrix {matrix_id}")  # fmt: skip
    if matrix_id is None and visibility != "organization":
        visibility = "organization"  # without a matrix there is no one to share with
    _check_owner(session, organization_id, matrix_id)
    blobs = [storage.store(u.stream, u.filename) for u in files]  # refuse before writing
    now = utcnow()
    item = ContentItem(
        title=title, body=body.strip(), kind=kind, visibility=visibility, matrix_id=matrix_id,
        organization_id=organization_id, version=1, label_rank=0,
        created_by_id=principal.user_id, created_by_name=principal.display_name,
        updated_by_id=principal.user_id, updated_by_name=principal.display_name,
        created_at=now, updated_at=now, labels=[], tags=[], files=[],
    )  # fmt: skip
    _set_labels(item, label_list, principal)
    _set_tags(item, tag_list)
    for blob in blobs:
        _attach(item, blob, principal)
    session.add(item)
    session.flush()
    audit_service.record(
        session, entity_type=ENTITY, entity_id=item.id, action="create", actor=principal,
        data={"title": title, "kind": kind, "labels": label_list, "tags": tag_list,
              "files": [b.sha256 for b in blobs], "version": 1},
    )  # fmt: skip
    _index(session, item)
    return item


def _check_owner(session: Session, organization_id: int | None, matrix_id: int | None) -> None:
    """Refuse an organisation or matrix that does not exist, before anything is written."""
    if organization_id is not None and session.get(Organization, organization_id) is None:
        raise NotFoundError(
            f"没有编号为 {organization_id} 的机构", f"no such organisation: {organization_id}"
        )
    if matrix_id is not None and session.get(Matrix, matrix_id) is None:
        raise NotFoundError(f"没有编号为 {matrix_id} 的矩阵", f"no such matrix: {matrix_id}")


def update(
    session: Session, principal: Principal, item: ContentItem, data: ItemUpdate
) -> ContentItem:
    """Apply a partial edit; the audit log keeps the old and new value of every field."""
    if not access.can_manage(principal, item):
        raise ForbiddenError(f"无权修改内容 {item.id}", f"you may not change item {item.id}")
    if data.expected_version is not None and data.expected_version != item.version:
        raise ConflictError(
            f"内容已被他人修改（当前版本 {item.version}），请刷新后重试",
            f"item changed meanwhile (now version {item.version}); reload and retry",
        )
    changes: dict[str, list[Any]] = {}
    if data.title is not None and clean_title(data.title) != item.title:
        changes["title"] = [item.title, clean_title(data.title)]
        item.title = clean_title(data.title)
    if data.body is not None and data.body.strip() != item.body:
        changes["body"] = [item.body, data.body.strip()]
        item.body = data.body.strip()
    if data.kind is not None and data.kind != item.kind:
        changes["kind"] = [item.kind, _check_choice(data.kind, KINDS, "类型", "kind")]
        item.kind = data.kind
    if data.visibility is not None and data.visibility != item.visibility:
        _check_choice(data.visibility, VISIBILITIES, "可见范围", "visibility")
        if item.matrix_id is None and data.visibility != "organization":
            raise InvalidInputError("未归属矩阵的内容只能本单位可见",
                                    "an item without a matrix is visible to its organisation only")  # fmt: skip
        changes["visibility"] = [item.visibility, data.visibility]
        item.visibility = data.visibility
    if data.labels is not None:
        old, new = [x.label for x in item.labels], clean_labels(data.labels)
        if set(old) != set(new):
            changes["labels"] = [sorted(old), sorted(new)]
            _set_labels(item, new, principal)
    if data.tags is not None:
        old, new = [t.tag for t in item.tags], clean_tags(data.tags)
        if set(old) != set(new):
            changes["tags"] = [sorted(old), sorted(new)]
            _set_tags(item, new)
    if not changes:
        return item
    item.version += 1
    item.updated_at = utcnow()
    item.updated_by_id, item.updated_by_name = principal.user_id, principal.display_name
    audit_service.record(
        session, entity_type=ENTITY, entity_id=item.id, action="update", actor=principal,
        data={"version": item.version, "changes": changes},
    )  # fmt: skip
    _index(session, item)
    return item


def add_file(
    session: Session, principal: Principal, item: ContentItem, upload: Upload
) -> ContentFile:
    """Check, store and attach one file (409 when the item already has the same content)."""
    if not access.can_manage(principal, item):
        raise ForbiddenError(f"无权修改内容 {item.id}", f"you may not change item {item.id}")
    blob = storage.store(upload.stream, upload.filename)
    file = _attach(item, blob, principal)
    item.version += 1
    item.updated_at = utcnow()
    item.updated_by_id, item.updated_by_name = principal.user_id, principal.display_name
    session.flush()
    audit_service.record(
        session, entity_type=ENTITY, entity_id=item.id, action="add_file", actor=principal,
        data={"version": item.version, "file": blob.filename, "sha256": blob.sha256},
    )  # fmt: skip
    return file


def get_file(item: ContentItem, file_id: int) -> ContentFile:
    """Return one file of ``item`` (404 when it belongs to another item)."""
    for file in item.files:
        if file.id == file_id:
            return file
    raise NotFoundError(f"文件 {file_id} 不存在", f"file {file_id} not found")


WITHDRAWN = ("内容已删除，分发在发送前撤回 / "
             "the item was deleted: the distribution was withdrawn before it was sent")  # fmt: skip


def remove(session: Session, principal: Principal, item: ContentItem) -> None:
    """Delete an item, its labels, tags, files and distribution plan (the audit log stays).

    Its distributions still queued in the outbox are withdrawn (failed, with the reason):
    a deleted item is not published afterwards. What was delivered stays on the platforms.
    """
    if not access.can_manage(principal, item):
        raise ForbiddenError(f"无权删除内容 {item.id}", f"you may not delete item {item.id}")
    queued = select(DistributionTarget.outbox_id).where(
        DistributionTarget.item_id == item.id, DistributionTarget.outbox_id.is_not(None)
    )
    withdrawn = session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.id.in_(queued), OutboxMessage.state == "queued"
        )
    ).all()
    if withdrawn:
        session.execute(
            sql_update(OutboxMessage)
            .where(OutboxMessage.id.in_(withdrawn), OutboxMessage.state == "queued")
            .values(state="failed", error=WITHDRAWN)
        )
    audit_service.record(
        session, entity_type=ENTITY, entity_id=item.id, action="delete", actor=principal,
        data={"title": item.title, "version": item.version, "withdrawn": len(withdrawn)},
    )  # fmt: skip
    session.execute(delete(DistributionTarget).where(DistributionTarget.item_id == item.id))
    _unindex(session, item.id)
    session.delete(item)
    session.flush()


def prune_files(session: Session, *, grace_seconds: float = 3600.0) -> list[str]:
    """Delete stored file contents no item uses any more (after deletions); return their hashes.

    Deleting an item or a file only drops the database rows, so that a rolled-back
    transaction never loses bytes; this sweep (``zhengwu library prune``) frees the disk.
    """
    referenced = set(session.scalars(select(ContentFile.sha256).distinct()))
    return storage.prune(referenced, grace_seconds=grace_seconds)


def history(session: Session, item: ContentItem) -> list[dict[str, Any]]:
    """Return the item's change history from the audit log, oldest first."""
    return [
        {"action": e.action, "actor": e.actor_name, "at": e.at, "data": e.data or {}}
        for e in audit_service.history(session, entity_type=ENTITY, entity_id=item.id)
    ]
