"""Run an import: parse files (in parallel for large JSON Lines), write both stores, count.

Posts, snapshots and comments go to the analytics store, accounts to the operational DB
(with follower snapshots in the analytics store), bad records to the quarantine table. The
caller owns the operational-DB transaction (the CLI commits); the analytics writes commit
per batch, and re-running an interrupted import is safe because imports are idempotent.

``weibo-api`` JSON Lines take a vectorised route (:mod:`zhengwu.platforms.weibo.fastpath`):
DuckDB reads the common status shape straight into the analytics connection, the
importer's own parser reads every other line, and the result is the same. Other formats,
whole JSON documents and dry runs (which print every record) go through the importers.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

import duckdb
import msgspec
import pyarrow as pa
from sqlalchemy.orm import Session

from zhengwu.config import get_settings
from zhengwu.content import store
from zhengwu.content.comments import write_comments
from zhengwu.errors import InvalidInputError, named_as
from zhengwu.ingest.collect import Chunk, Collector
from zhengwu.ingest.files import check_file, lines_before, note_lines_before, split_ranges
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.ingest.packed import PlainFile, check_packed, plain_files
from zhengwu.ingest.registry import ImportItem, get_importer
from zhengwu.ingest.runs import ImportRefusedError
from zhengwu.ingest.workbook import is_workbook, sheets_left
from zhengwu.platforms.records import AccountRecord, QuarantineRecord
from zhengwu.platforms.weibo import fastpath
from zhengwu.platforms.weibo.fastpath import FastImport
from zhengwu.storable import shown

# Below this size a weibo-api file is parsed by the importer alone (see run_import).
FAST_MIN_BYTES = 16 << 20

ProgressCallback = Callable[[int], None]
ItemCallback = Callable[[ImportItem], None]


@dataclass(slots=True)
class ImportSummary:
    """Counts of one import; ``read == imported + updated + duplicates + quarantined``."""

    read: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantined: int = 0
    accounts_new: int = 0
    accounts_updated: int = 0
    related_posts: int = 0
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    run_id: int | None = None
    # Bilingual notes about whole files: empty, or every record refused (wrong format?).
    warnings: list[str] = field(default_factory=list)
    # Files refused whole (a GBK CSV, not this format …) while the others were imported:
    # each the file and the error as the API gives it (error, status, message_zh/_en).
    refused: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as the JSON object ``zhengwu import --json`` prints last."""
        return {
            "read": self.read,
            "imported": self.imported,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "accounts_new": self.accounts_new,
            "accounts_updated": self.accounts_updated,
            "files": self.files,
            "seconds": round(self.seconds, 3),
            "run_id": self.run_id,
            "warnings": self.warnings,
            "refused": self.refused,
        }


class Parsed(Protocol):
    """One parsed chunk of input, whichever route produced it."""

    @property
    def read(self) -> int: ...
    @property
    def posts(self) -> pa.Table | str: ...
    @property
    def post_rows(self) -> int: ...
    @property
    def primary_posts(self) -> int: ...
    @property
    def accounts(self) -> list[AccountRecord]: ...
    @property
    def primary_accounts(self) -> list[AccountRecord]: ...
    @property
    def account_snapshots(self) -> pa.Table | str: ...
    @property
    def quarantines(self) -> list[QuarantineRecord]: ...
    @property
    def hot(self) -> list[dict[str, Any]]: ...


def _parse_chunk(
    fmt: str, options: dict[str, Any], path: str, byte_range: tuple[int, int] | None,
    observed_at: datetime, before: int | None = None,
) -> Chunk:  # fmt: skip
    """Parse one byte range of a file in a worker process (must be top-level to pickle).

    ``before``: how many lines start before the range, counted by the caller, so the
    worker numbers its lines without reading the file up to its range."""
    importer = get_importer(fmt, **options)
    if byte_range is not None and before is not None:
        note_lines_before(Path(path), byte_range[0], before)
    collector = Collector(observed_at=observed_at, source=path)
    for item in importer.read(Path(path), byte_range=byte_range):
        collector.add(item)
    return collector.chunk()


def _chunks(
    fmt: str, options: dict[str, Any], path: Path, workers: int, observed_at: datetime
) -> Iterator[Chunk]:
    importer = get_importer(fmt, **options)
    ranges = (
        split_ranges(path, max(workers, path.stat().st_size // (48 << 20) + 1))
        if importer.splittable and workers > 1
        else [None]
    )
    if len(ranges) <= 1:
        yield _parse_chunk(fmt, options, str(path), None, observed_at)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:

        def submit(r: tuple[int, int] | None) -> Future[Chunk]:
            # The lines before each range are counted here, in file order: the file is
            # read once for them, not once per worker.
            before = None if r is None else lines_before(path, r[0])
            return pool.submit(_parse_chunk, fmt, options, str(path), r, observed_at, before)

        # A bounded window of ranges in flight: parsed chunks wait for the writer in
        # memory, so submitting the whole file at once would hold all of it.
        pending: list[Future[Chunk]] = []
        todo = iter(ranges)
        for r in todo:
            pending.append(submit(r))
            if len(pending) > workers:
                break
        while pending:
            chunk = pending.pop(0).result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(submit(nxt))
            yield chunk


def run_import(
    fmt: str,
    paths: Iterable[Path],
    *,
    session: Session,
    analytics: duckdb.DuckDBPyConnection,
    dry_run: bool = False,
    observed_at: datetime | None = None,
    options: dict[str, Any] | None = None,
    workers: int | None = None,
    on_item: ItemCallback | None = None,
    on_progress: ProgressCallback | None = None,
    fast: bool | None = None,
) -> ImportSummary:
    """Import ``paths`` in format ``fmt``; with ``dry_run`` classify but write nothing.

    ``fast`` chooses the vectorised route for ``weibo-api`` JSON Lines: by default for
    files of at least ``FAST_MIN_BYTES`` (below that its fixed cost outweighs the gain),
    always with True, never with False. Both routes give the same result.
    """
    started = datetime.now(UTC)
    observed_at = observed_at or started
    options = options or {}
    importer = get_importer(fmt, **options)  # unknown format → clear error before any work
    paths = list(paths)
    for path in paths:
        check_file(path)
        check_packed(path)  # a .gz that is no gzip stops here, before anything is written
    settings = get_settings()
    if workers is None:
        workers = settings.import_workers or os.cpu_count() or 1
    if dry_run or on_item is not None:
        workers = 1
    summary = ImportSummary(files=[str(p) for p in paths])
    run: ImportRun | None = None
    if not dry_run:
        run = ImportRun(format=fmt, paths="\n".join(map(str, paths)), started_at=started)
        session.add(run)
        session.flush()
        summary.run_id = run.id
    writer = _Writer(session, analytics, run, fmt, summary, dry_run=dry_run)
    refusals: list[InvalidInputError] = []
    inputs = 0  # the plain files read (an archive's members), and the inputs refused whole

    def refuse(shown: str, exc: InvalidInputError) -> None:
        refusals.append(exc)
        summary.refused.append({"file": shown} | exc.to_dict())

    for path in paths:
        members = 0
        # A file refused whole does not stop the others, nor does a member of an archive
        # stop the archive's other members: the posts of the files before it are in the
        # analytics store already (its writes commit per batch), so the import goes on,
        # counts what it wrote and names what it refused (summary.refused: a member as
        # archive.zip!member); only when every file is refused does the refusal end the
        # import, with nothing written, naming every refused file and why (the caller rolls
        # back and may then store the run alone: zhengwu.ingest.runs.record_refused_run).
        try:
            # closing(): the copy of a compressed input goes even when its import fails.
            with closing(plain_files(path, settings.data_dir / "tmp")) as plains:
                for plain in plains:
                    members += 1
                    try:  # a member's copy under the data dir is named as the member
                        with named_as(str(plain.path), plain.shown):
                            _import_plain(
                                importer, fmt, options, plain, writer, workers, observed_at,
                                dry_run=dry_run, on_item=on_item, on_progress=on_progress,
                                fast=fast,
                            )  # fmt: skip
                    except InvalidInputError as exc:
                        refuse(plain.shown, exc)
        except InvalidInputError as exc:  # the input itself (not gzip data, a cut archive …)
            inputs += members + 1
            refuse(str(path), exc)
            continue
        inputs += members
        if members == 0:
            summary.warnings.append(
                f"压缩包中没有可导入的文件：{path} / the archive holds no file to import: {path}"
            )
    if refusals and len(refusals) >= inputs and summary.read == 0:
        raise ImportRefusedError(refusals, summary.refused, started)
    # Only an account row links posts to a body and lets the index score them: say so when
    # the file named authors (an article list names only the 公众号's biz) nobody registered.
    from zhengwu.accounts import service as account_service

    warning = unregistered_warning(account_service.unregistered(session, writer.authors))
    if warning is not None:
        summary.warnings.append(warning)
    summary.seconds = (datetime.now(UTC) - started).total_seconds()
    if run is not None:
        run.finished_at = datetime.now(UTC)
        run.read, run.imported, run.updated = summary.read, summary.imported, summary.updated
        run.duplicates, run.quarantined = summary.duplicates, summary.quarantined
        run.refused = list(summary.refused) or None
        session.flush()
        # The search index is not refreshed here: the worker's job "search-refresh" picks up
        # new and changed accounts from their updated_at (`zhengwu import --refresh-search`
        # runs it right after an import), so a large import does not wait for jieba.
    return summary


def _import_plain(
    importer: Any, fmt: str, options: dict[str, Any], plain: PlainFile, writer: _Writer,
    workers: int, observed_at: datetime, *, dry_run: bool, on_item: ItemCallback | None,
    on_progress: ProgressCallback | None, fast: bool | None,
) -> None:  # fmt: skip
    """Import one plain file of an input (see :mod:`zhengwu.ingest.packed`) under its shown name."""
    summary = writer.summary
    before = (summary.read, summary.quarantined)
    writer.shown = None if plain.shown == str(plain.path) else (str(plain.path), plain.shown)
    shown_item = on_item
    if on_item is not None and writer.shown is not None:
        shown_item = lambda item: on_item(writer.shown_item(item))  # noqa: E731
    try:
        _import_file(
            importer, fmt, options, plain.path, writer, workers, observed_at,
            dry_run=dry_run, on_item=shown_item, on_progress=on_progress, fast=fast,
        )  # fmt: skip
    finally:
        writer.shown = None
    if is_workbook(plain.path):  # the sheets a list importer's reader passed over, and why
        summary.warnings.extend(s.warning(plain.shown) for s in sheets_left(plain.path))
    if plain.damage is None:
        warning = _file_warning(
            fmt, plain.shown, summary.read - before[0], summary.quarantined - before[1]
        )
        if warning is not None:
            summary.warnings.append(warning)
        return
    # The damage is the warning (not "empty file?" or "wrong format?" about what it cut).
    damage = QuarantineRecord(source=plain.damage_at, reason=plain.damage, raw=plain.near)
    summary.read += 1
    _quarantine(writer.session, writer.run, fmt, [damage], summary)
    if on_item is not None:
        on_item(ImportItem(primary=damage))
    summary.warnings.append(f"{plain.shown}: {plain.damage}")


def _file_warning(fmt: str, path: Path | str, read: int, quarantined: int) -> str | None:
    """Return the warning about a file that held no record or only refused ones, else None."""
    if read == 0:
        return f"文件中没有记录（空文件？）：{path} / no records in {path} (empty file?)"
    if quarantined == read:
        return (
            f"{path} 的全部 {read} 条记录都被隔离，文件可能不是 {fmt} 格式（见 zhengwu formats）"
            f" / all {read} records of {path} were quarantined: is it really {fmt}?"
            " (see zhengwu formats)"
        )
    return None


def _import_file(
    importer: Any, fmt: str, options: dict[str, Any], path: Path, writer: _Writer,
    workers: int, observed_at: datetime, *, dry_run: bool, on_item: ItemCallback | None,
    on_progress: ProgressCallback | None, fast: bool | None,
) -> None:  # fmt: skip
    """Import one file of ``run_import`` through the route that suits it."""
    summary = writer.summary
    if getattr(importer, "operational", False):
        _apply_operational(importer, writer, path, fmt, dry_run=dry_run)
        if on_progress is not None:
            on_progress(summary.read)
        return
    if on_item is not None:
        chunks: Iterable[Parsed] = [
            _collect_with_callback(fmt, options, path, observed_at, on_item)
        ]
    elif (
        not dry_run
        and _wants_fast(fast, path)
        and (fast_chunk := _fast_parse(importer, options, path, writer.analytics, observed_at))
    ):
        chunks = [fast_chunk]
    else:
        chunks = _chunks(fmt, options, path, workers, observed_at)
    for chunk in chunks:
        try:
            writer.write(chunk)
        finally:
            if isinstance(chunk, FastImport):
                chunk.close()
        if on_progress is not None:
            on_progress(chunk.read)


def _wants_fast(fast: bool | None, path: Path) -> bool:
    return fast if fast is not None else path.stat().st_size >= FAST_MIN_BYTES


def _fast_parse(
    importer: Any,
    options: dict[str, Any],
    path: Path,
    analytics: duckdb.DuckDBPyConnection,
    observed_at: datetime,
) -> FastImport | None:
    """Parse ``path`` on the vectorised route if it applies (else None: use the importer)."""
    if not fastpath.wants(importer, options):
        return None
    return fastpath.import_file(path, importer, analytics, observed_at=observed_at)


class _Writer:
    """Writes parsed chunks to both stores and adds their counts to the summary."""

    def __init__(
        self,
        session: Session,
        analytics: duckdb.DuckDBPyConnection,
        run: ImportRun | None,
        fmt: str,
        summary: ImportSummary,
        *,
        dry_run: bool,
    ) -> None:
        self.session = session
        self.analytics = analytics
        self.run = run
        self.fmt = fmt
        self.summary = summary
        self.dry_run = dry_run
        # Authors of the posts written whose records brought no account (checked at the end).
        self.authors: set[tuple[str, str]] = set()
        # (decompressed copy, shown name) while a copy of a compressed input is imported.
        self.shown: tuple[str, str] | None = None

    def write(self, chunk: Parsed) -> None:
        """Write one chunk: posts and snapshots, hot search, comments, accounts, quarantine."""
        from zhengwu.accounts import service as account_service

        summary, dry_run = self.summary, self.dry_run
        summary.read += chunk.read
        posts = chunk.posts
        self._note_authors(posts, chunk.accounts)
        counts = store.write_posts(self.analytics, posts, dry_run=dry_run)
        summary.imported += counts.imported
        summary.updated += counts.updated
        summary.duplicates += counts.duplicates
        summary.related_posts += chunk.post_rows - chunk.primary_posts
        hot = store.write_hot_search(self.analytics, chunk.hot, dry_run=dry_run)
        summary.imported += hot.imported
        summary.updated += hot.updated
        summary.duplicates += hot.duplicates
        if isinstance(chunk, Chunk) and chunk.comment_rows:  # the fast path reads no comments
            comments = write_comments(self.analytics, chunk.comments, dry_run=dry_run)
            summary.imported += comments.imported
            summary.updated += comments.updated
            summary.duplicates += comments.duplicates
        acc = account_service.upsert_records(
            self.session, chunk.accounts, chunk.primary_accounts, dry_run=dry_run
        )
        summary.imported += acc.primary_new
        summary.updated += acc.primary_updated
        summary.duplicates += acc.primary_unchanged
        summary.accounts_new += acc.new
        summary.accounts_updated += acc.updated
        store.write_account_snapshots(self.analytics, chunk.account_snapshots, dry_run=dry_run)
        _quarantine(
            self.session, self.run, self.fmt, self.shown_records(chunk.quarantines), summary
        )

    def shown_records(self, records: list[QuarantineRecord]) -> list[QuarantineRecord]:
        """Name ``records`` by the input people gave, not by its decompressed copy."""
        if self.shown is None:
            return records
        plain, shown = self.shown
        return [
            msgspec.structs.replace(q, source=shown + q.source[len(plain) :])
            if q.source.startswith(plain)
            else q
            for q in records
        ]

    def shown_item(self, item: ImportItem) -> ImportItem:
        """Return ``item`` with its quarantine record named by the input people gave."""
        if not isinstance(item.primary, QuarantineRecord):
            return item
        return dataclasses.replace(item, primary=self.shown_records([item.primary])[0])

    def _note_authors(self, posts: pa.Table | str, accounts: list[AccountRecord]) -> None:
        """Remember the posts' authors that the chunk carries no account record of.

        ``posts`` is an Arrow table (the importers) or the name of a view of the analytics
        connection (the weibo-api fast path); both routes note the same authors. Plain
        column lists, not Arrow's group_by, which would import pandas on the import path.
        """
        if isinstance(posts, str):
            pairs = self.analytics.execute(
                f"SELECT DISTINCT platform, account_uid FROM {posts} WHERE account_uid IS NOT NULL"
            ).fetchall()
        else:
            if not posts.num_rows:
                return
            pairs = list(
                zip(
                    posts.column("platform").to_pylist(),
                    posts.column("account_uid").to_pylist(),
                    strict=True,
                )
            )
        carried = {(a.platform, a.uid) for a in accounts}
        self.authors.update(
            (platform, uid)
            for platform, uid in pairs
            if uid is not None and (platform, uid) not in carried
        )


def unregistered_warning(missing: list[tuple[str, str]]) -> str | None:
    """Return the warning about posts whose authors are not registered accounts, if any."""
    if not missing:
        return None
    shown = ", ".join(f"{p}:{u}" for p, u in missing[:3]) + (" …" if len(missing) > 3 else "")
    n = len(missing)
    noun = "account" if n == 1 else "accounts"
    return (
        f"{n} 个账号（{shown}）的发文没有对应的已登记账号，影响力指数不会为其计分："
        "请先导入账号名录（zhengwu import zhengwu-accounts）"
        f" / posts of {n} {noun} ({shown}) are not linked to any registered account, so "
        "the influence index will not score them: import your account list first "
        "(zhengwu import zhengwu-accounts)"
    )


def _collect_with_callback(
    fmt: str, options: dict[str, Any], path: Path, observed_at: datetime, on_item: ItemCallback
) -> Chunk:
    importer = get_importer(fmt, **options)
    collector = Collector(observed_at=observed_at, source=str(path))
    for item in importer.read(path):
        on_item(item)
        collector.add(item)
    return collector.chunk()


def _quarantine(
    session: Session,
    run: ImportRun | None,
    fmt: str,
    records: list[QuarantineRecord],
    summary: ImportSummary,
) -> None:
    summary.quarantined += len(records)
    _store_quarantine(session, run, fmt, records)


def _store_quarantine(
    session: Session, run: ImportRun | None, fmt: str, records: list[QuarantineRecord]
) -> None:
    if run is not None and records:
        # A NUL the record held is shown as \u0000: PostgreSQL could not store the entry.
        session.add_all(
            QuarantineEntry(run_id=run.id, format=fmt, source=shown(q.source),
                            reason=shown(q.reason), raw=None if q.raw is None else shown(q.raw))
            for q in records
        )  # fmt: skip


def _apply_operational(
    importer: Any, writer: _Writer, path: Path, fmt: str, *, dry_run: bool
) -> None:
    session, run, summary = writer.session, writer.run, writer.summary
    result = importer.apply(session, path, dry_run=dry_run)
    summary.read += result.read
    summary.imported += result.imported
    summary.updated += result.updated
    summary.duplicates += result.duplicates
    _quarantine(session, run, fmt, writer.shown_records(result.quarantines), summary)
    partial = getattr(result, "partial", [])
    if partial:  # parts of kept records (a bad published number): in the quarantine, not counted
        _store_quarantine(session, run, fmt, writer.shown_records(partial))
        summary.warnings.append(
            f"{len(partial)} 个字段值被隔离，所在记录已导入（见 zhengwu quarantine） / {len(partial)} "
            "field value(s) quarantined, their records imported (see zhengwu quarantine)"
        )
