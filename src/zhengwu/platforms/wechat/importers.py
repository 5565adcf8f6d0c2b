"""WeChat importers: ``wechat-articles`` (article lists, wechat_spider) and ``wechat-stats``.

Both read JSON Lines (split across processes by byte range) or a JSON document (an array,
or the wrapper a response comes in); see :mod:`zhengwu.platforms.wechat.sources`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from zhengwu.ingest.registry import ImportItem, register
from zhengwu.platforms.wechat.payloads import (
    is_profile_push,
    is_spider_row,
    parse_datacube_row,
    parse_profile_push,
    parse_spider_row,
    unwrap_article_list,
    unwrap_datacube,
)
from zhengwu.platforms.wechat.sources import (
    PayloadError,
    RawRecord,
    id_of,
    import_items,
    iter_records,
)


@register("wechat-articles")
class WechatArticlesImporter:
    """Profile article lists (one item per article of a push) and wechat_spider rows.

    Every article of a push (群发: the lead article 头条 and the others) is one item, so
    ``read`` counts articles and each is classified on its own (a push whose lead is
    stored but which carries a new article imports that article). A push that cannot be
    read at all is one quarantined item. A wechat_spider row is one item: the article,
    plus its account when the row names it.
    """

    name = "wechat-articles"
    description = (
        "微信公众号文章列表（历史消息 profile_ext）与 wechat_spider 导出 / "
        "WeChat profile article lists and wechat_spider exports (JSON, JSON Lines)"
    )
    splittable = True

    def read(
        self, path: Path, *, byte_range: tuple[int, int] | None = None
    ) -> Iterator[ImportItem]:
        """Yield one item per article (of a push, or exported); quarantine bad records."""
        records = iter_records(path, byte_range, unwrap=unwrap_article_list)
        return import_items(records, _article_item)


def _article_item(record: dict[str, object], raw: RawRecord) -> ImportItem | list[ImportItem]:
    if is_profile_push(record):
        lead, others = parse_profile_push(record)
        return [ImportItem(primary=article) for article in (lead, *others)]
    if is_spider_row(record):
        post, account = parse_spider_row(record)
        return ImportItem(primary=post, related=[account] if account else [])
    raise PayloadError(
        "无法识别的记录：既不是历史消息文章列表也不是 wechat_spider 导出",
        "unrecognised record: neither a profile article-list push nor a wechat_spider row",
    )


@register("wechat-stats")
class WechatStatsImporter:
    """Official datacube ``getarticletotal`` rows: cumulative counts of an article per day.

    The datacube answers for the caller's own account and names none, so the account id
    comes from a ``biz`` / ``account_uid`` key of the row or of the response that wraps it,
    else from ``account_uid`` given here, else from the file name (``<biz>.json``).
    Each row is one item: the article's cumulative counts at the end of the row's latest
    ``stat_date`` (earlier days are checked, not imported; see ``parse_datacube_row``).
    Daily increments (``getarticlesummary``), account-level rows (``getuserread``) and
    per-channel rows are quarantined with the reason.
    """

    name = "wechat-stats"
    description = (
        "微信公众平台图文统计（datacube getarticletotal）/ "
        "WeChat datacube article statistics (JSON response or JSON Lines rows)"
    )
    splittable = True

    def __init__(self, *, account_uid: str | None = None) -> None:
        self.account_uid = account_uid

    def read(
        self, path: Path, *, byte_range: tuple[int, int] | None = None
    ) -> Iterator[ImportItem]:
        """Yield one item per datacube row; quarantine bad and non-total rows."""
        default_uid = self.account_uid or path.stem

        def parse(record: dict[str, object], raw: RawRecord) -> ImportItem:
            uid = (
                id_of(record, "biz", "account_uid")
                or id_of(raw.context, "biz", "account_uid")
                or default_uid
            )
            return ImportItem(primary=parse_datacube_row(record, account_uid=uid))

        return import_items(iter_records(path, byte_range, unwrap=unwrap_datacube), parse)
