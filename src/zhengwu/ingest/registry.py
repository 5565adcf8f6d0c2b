"""Importer plugins, keyed by format name (``weibo-api``, ``wechat-articles`` …).

An importer turns files into a stream of :class:`ImportItem`: one item per top-level
input record (a line, a row, a list element). Each item holds the normalised records that
input record produced — for a Weibo status, the post, its author and the reposted root —
or a single quarantine record. The pipeline counts items, so
``read = imported + updated + duplicates + quarantined`` holds by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from zhengwu.errors import InvalidInputError, did_you_mean
from zhengwu.platforms.records import (
    AccountRecord,
    CommentRecord,
    HotSearchRecord,
    PostRecord,
    QuarantineRecord,
)


@dataclass(slots=True)
class ImportItem:
    """What one top-level input record became.

    ``primary`` is the record the item stands for (the post of a status line, the account of
    a user line, the comment of a comment row); ``related`` are side records it carried
    (author, reposted root and its author). A quarantined input has ``primary`` set to the
    quarantine record.
    """

    primary: AccountRecord | PostRecord | CommentRecord | QuarantineRecord | HotSearchRecord
    related: list[AccountRecord | PostRecord] = field(default_factory=list)


class Importer(Protocol):
    """A format plugin.

    ``splittable`` importers read line-oriented files (JSON Lines) and accept a
    ``byte_range`` so that the pipeline can parse one large file in several processes;
    they must then read exactly the lines that *start* inside the range
    (:func:`zhengwu.ingest.files.iter_lines` does this).
    """

    name: str
    description: str
    splittable: bool

    def read(
        self, path: Path, *, byte_range: tuple[int, int] | None = None
    ) -> Iterator[ImportItem]:
        """Yield one item per top-level record of ``path``; quarantine, never raise, on bad records.

        Raise :class:`zhengwu.errors.InvalidInputError` only when the file as a whole is
        unusable (missing, not this format at all).
        """
        ...


ImporterFactory = Callable[..., Importer]
_REGISTRY: dict[str, ImporterFactory] = {}


def register(name: str) -> Callable[[ImporterFactory], ImporterFactory]:
    """Register an importer factory under a format name (used as a class decorator).

    The factory is called with the keyword options given on the command line
    (``--option account_uid=123``); an importer that takes none is called without any.
    """

    def deco(factory: ImporterFactory) -> ImporterFactory:
        _REGISTRY[name] = factory
        return factory

    return deco


def _load_builtin() -> None:
    # Importing the platform packages registers their importers.
    import importlib

    for module in (
        "zhengwu.accounts.importers",
        "zhengwu.platforms.weibo",
        "zhengwu.platforms.wechat",
        "zhengwu.platforms.douyin",
        "zhengwu.platforms.hotsearch",
    ):
        importlib.import_module(module)


def get_importer(name: str, **options: Any) -> Importer:
    """Return the importer for ``name`` or raise a clear error listing the known formats."""
    _load_builtin()
    factory = _REGISTRY.get(name)
    if factory is None:
        known = ", ".join(sorted(_REGISTRY))
        close_zh, close_en = did_you_mean(name, sorted(_REGISTRY))
        raise InvalidInputError(
            f"未知的导入格式 {name!r}{close_zh}；可用格式：{known}",
            f"unknown import format {name!r}{close_en}; known formats: {known}",
        )
    try:
        return factory(**options)
    except TypeError as exc:
        raise InvalidInputError(
            f"格式 {name} 不接受这些选项 {sorted(options)}：{exc}",
            f"format {name} does not take options {sorted(options)}: {exc}",
        ) from None


def formats() -> dict[str, str]:
    """Return ``{format name: description}`` of every registered importer."""
    _load_builtin()
    return {
        name: str(getattr(factory, "description", ""))
        for name, factory in sorted(_REGISTRY.items())
    }
