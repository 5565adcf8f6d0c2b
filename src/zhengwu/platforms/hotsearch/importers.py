"""Hot-search importer ``hot-search``: one daily Weibo hot-search archive file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import check_file
from zhengwu.ingest.registry import ImportItem, register
from zhengwu.platforms.hotsearch.payloads import day_of, parse_entry
from zhengwu.platforms.wechat.sources import RawRecord, import_items, iter_records


@register("hot-search")
class HotSearchImporter:
    """A daily archive (JSON array); the day is ``day`` given here or the file name ``YYYY-MM-DD.json``."""

    name = "hot-search"
    description = (
        "微博热搜每日存档（justjavac/weibo-trending-hot-search raw JSON）/ "
        "daily Weibo hot-search archive (one JSON array per day)"
    )
    splittable = False

    def __init__(self, *, day: str | None = None) -> None:
        self.day = day

    def read(
        self, path: Path, *, byte_range: tuple[int, int] | None = None
    ) -> Iterator[ImportItem]:
        """Yield one item per archive entry; quarantine bad entries."""
        check_file(path)
        day = day_of(self.day or path.stem)
        if day is None:
            raise InvalidInputError(
                f"无法确定热搜存档的日期（文件名应为 YYYY-MM-DD.json）：{path}",
                f"cannot tell the day of the hot-search archive (name it YYYY-MM-DD.json): {path}",
            )
        if not _starts_with_array(path):
            raise InvalidInputError(
                f"热搜存档应为 JSON 数组：{path}", f"a hot-search archive is a JSON array: {path}"
            )

        def parse(record: dict[str, object], raw: RawRecord) -> ImportItem:
            return ImportItem(primary=parse_entry(record, day=day))

        return import_items(iter_records(path, byte_range), parse)


def _starts_with_array(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[")
