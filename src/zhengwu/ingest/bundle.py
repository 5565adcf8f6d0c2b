"""Import a whole directory laid out like ``zhengwu simulate`` output (or a real export).

The layout maps file patterns to formats, in dependency order: organisations before the
accounts that belong to them, accounts before matrices, profiles before posts. Any of the
files may be compressed (``.gz``, ``.bz2``, ``.xz``, ``.zst``: see :mod:`zhengwu.ingest.packed`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
from sqlalchemy.orm import Session

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.packed import COMPRESSED
from zhengwu.ingest.pipeline import ImportSummary, run_import

LAYOUT: tuple[tuple[str, str], ...] = (
    ("orgs.csv", "zhengwu-orgs"),
    ("accounts.csv", "zhengwu-accounts"),
    ("weibo/users.jsonl", "weibo-api"),
    ("douyin/creators.jsonl", "douyin-aweme"),
    ("matrices.json", "zhengwu-matrices"),
    ("weibo/statuses-*.jsonl", "weibo-api"),
    ("weibo/comments-*.jsonl", "weibo-comments"),
    ("wechat/articles.jsonl", "wechat-articles"),
    ("wechat/datacube/*.json", "wechat-stats"),
    ("douyin/aweme.jsonl", "douyin-aweme"),
    ("requests/weibo-requests.jsonl", "weibo-api"),
    ("help/posts.jsonl", "weibo-api"),
    ("weibo/hot-search/*.json", "hot-search"),
)


def bundle_files(directory: Path) -> list[tuple[str, list[Path]]]:
    """Return ``(format, files)`` in import order for the files present in ``directory``."""
    if not directory.is_dir():
        raise InvalidInputError(f"目录不存在：{directory}", f"no such directory: {directory}")
    plan = []
    for pattern, fmt in LAYOUT:
        # Each file may also be kept compressed (statuses-2025-07.jsonl.gz; see packed).
        files = sorted(
            {f for suffix in ("", *COMPRESSED) for f in directory.glob(pattern + suffix)}
        )
        if files:
            plan.append((fmt, files))
    if not plan:
        raise InvalidInputError(
            f"目录中没有可识别的文件：{directory}", f"no importable files found in {directory}"
        )
    return plan


def import_bundle(
    directory: Path,
    *,
    session: Session,
    analytics: duckdb.DuckDBPyConnection,
    on_step: Callable[[str, list[Path]], None] | None = None,
) -> dict[str, ImportSummary]:
    """Import every recognised file of ``directory``; return the summary per step."""
    results: dict[str, ImportSummary] = {}
    for fmt, files in bundle_files(directory):
        if on_step is not None:
            on_step(fmt, files)
        key = f"{fmt}:{files[0].relative_to(directory).parent}/{files[0].name if len(files) == 1 else '*'}"
        results[key] = summary = run_import(fmt, files, session=session, analytics=analytics)
        if summary.refused:  # the demo's own files: one refused stops the demo
            first = summary.refused[0]
            raise InvalidInputError(
                f"{first['file']}：{first['message_zh']}", f"{first['file']}: {first['message_en']}"
            )
        session.flush()
    return results
