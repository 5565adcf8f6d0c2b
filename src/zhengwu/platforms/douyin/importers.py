"""Douyin importer ``douyin-aweme``: videos/notes and creators from MediaCrawler or the web API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from zhengwu.ingest.registry import ImportItem, register
from zhengwu.platforms.douyin.payloads import (
    is_aweme,
    is_creator,
    parse_aweme,
    parse_creator,
    unwrap_aweme_list,
)
from zhengwu.platforms.wechat.sources import PayloadError, RawRecord, import_items, iter_records


@register("douyin-aweme")
class DouyinAwemeImporter:
    """MediaCrawler aweme and creator rows (JSON Lines, CSV, JSON array) and raw API awemes.

    An aweme is one item: its post, plus its author when the record names one (a raw
    ``author`` object or the row's ``user_id`` + ``nickname``). A creator row is one item
    whose primary record is the account. A raw ``{"aweme_list": […]}`` response yields one
    item per aweme.
    """

    name = "douyin-aweme"
    description = (
        "抖音作品与创作者（MediaCrawler 导出、接口原始 aweme）/ "
        "Douyin videos and creators (MediaCrawler JSON Lines/CSV/JSON, raw web API aweme)"
    )
    splittable = True

    def read(
        self, path: Path, *, byte_range: tuple[int, int] | None = None
    ) -> Iterator[ImportItem]:
        """Yield one item per aweme or creator; quarantine bad records."""
        records = iter_records(path, byte_range, unwrap=unwrap_aweme_list, csv_ok=True)
        return import_items(records, _item)


def _item(record: dict[str, object], raw: RawRecord) -> ImportItem:
    if "comment_id" in record:
        # A comment row carries its video's aweme_id; read as an aweme it would overwrite
        # the video with the comment's text, time and likes.
        raise PayloadError(
            "这是评论数据，不是作品；评论不导入",
            "a comment row, not an aweme (comments are not imported)",
        )
    if is_aweme(record):
        post, author = parse_aweme(record)
        return ImportItem(primary=post, related=[author] if author else [])
    if is_creator(record):
        return ImportItem(primary=parse_creator(record))
    raise PayloadError(
        "无法识别的记录：既不是作品（aweme_id）也不是创作者（user_id + fans）",
        "unrecognised record: neither an aweme (aweme_id) nor a creator (user_id + fans)",
    )
