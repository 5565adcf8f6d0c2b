"""Hot-search importer ``hot-search``: one daily Weibo hot-search archive file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import check_file, decodes
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
        _check_archive(path)

        def parse(record: dict[str, object], raw: RawRecord) -> ImportItem:
            return ImportItem(primary=parse_entry(record, day=day))

        return import_items(iter_records(path, byte_range), parse)


def _check_archive(path: Path) -> None:
    """Refuse a file that is not a UTF-8 JSON array, saying what it is instead.

    An archive is one JSON document: a file in another encoding (GBK from a Windows
    tool) is wrong as a whole, so it is refused with the fix rather than read as
    replacement characters and quarantined entry by entry.
    """
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data.lstrip(b" \t\r\n")
    if not head:
        raise InvalidInputError(
            f"热搜存档是空文件（应为 JSON 数组）：{path}",
            f"the hot-search archive is an empty file (expected a JSON array): {path}",
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, data, exc.start) from None
    if not head.startswith(b"["):
        start = head[:20].decode("utf-8", "replace")
        raise InvalidInputError(
            f"热搜存档应为 JSON 数组，但文件以 {start!r} 开头：{path}",
            f"a hot-search archive is a JSON array, but the file starts with {start!r}: {path}",
        )


def _not_utf8(path: Path, data: bytes, offset: int) -> InvalidInputError:
    if b"\x00" not in data and decodes(data, "gbk"):
        return InvalidInputError(
            f"热搜存档不是 UTF-8 编码（像是 GBK，第 {offset} 字节起）；请先转换为 UTF-8，"
            f"例如 iconv -f GBK -t UTF-8：{path}",
            f"the hot-search archive is not UTF-8 (it looks like GBK, from byte {offset}); "
            f"convert it first, e.g. iconv -f GBK -t UTF-8: {path}",
        )
    return InvalidInputError(
        f"热搜存档不是 UTF-8 编码的 JSON 文件（二进制文件？第 {offset} 字节起）：{path}",
        f"the hot-search archive is not a UTF-8 JSON file (binary? from byte {offset}): {path}",
    )
