"""Turn a stream of :class:`ImportItem` into column buffers ready for the stores.

The same collector runs in the main process and in parser worker processes, so parallel
and serial imports produce exactly the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from zhengwu.content.store import ACCOUNT_SNAPSHOT_SCHEMA, COUNT_COLUMNS, POST_SCHEMA
from zhengwu.ingest.registry import ImportItem
from zhengwu.platforms.records import (
    AccountRecord,
    HotSearchRecord,
    PostRecord,
    QuarantineRecord,
)

_POST_FIELDS = [f.name for f in POST_SCHEMA if f.name not in {"seq", "is_primary"}]


def _utc_naive(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt
    return dt.astimezone(UTC).replace(tzinfo=None)


@dataclass(slots=True)
class Collector:
    """Column buffers of one chunk of input: posts, accounts, quarantines, hot search."""

    observed_at: datetime
    read: int = 0
    columns: dict[str, list[Any]] = field(default_factory=dict)
    accounts: dict[tuple[str, str], AccountRecord] = field(default_factory=dict)
    primary_accounts: list[AccountRecord] = field(default_factory=list)
    account_snapshots: list[dict[str, Any]] = field(default_factory=list)
    quarantines: list[QuarantineRecord] = field(default_factory=list)
    hot: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.columns = {name: [] for name in ("seq", "is_primary", *_POST_FIELDS)}

    @property
    def post_rows(self) -> int:
        """Return the number of buffered post rows."""
        return len(self.columns["seq"])

    def add(self, item: ImportItem) -> None:
        """Buffer one input record's outcome."""
        self.read += 1
        primary = item.primary
        if isinstance(primary, PostRecord):
            self._add_post(primary, True)
        elif isinstance(primary, AccountRecord):
            self._add_account(primary)
            self.primary_accounts.append(primary)
        elif isinstance(primary, QuarantineRecord):
            self.quarantines.append(primary)
        elif isinstance(primary, HotSearchRecord):
            self.hot.append(
                {"day": datetime.fromisoformat(primary.day).date(), "title": primary.title,
                 "url": primary.url, "rank": primary.rank}
            )  # fmt: skip
        for rec in item.related:
            if isinstance(rec, PostRecord):
                self._add_post(rec, False)
            else:
                self._add_account(rec)

    def _add_post(self, post: PostRecord, primary: bool) -> None:
        cols = self.columns
        cols["seq"].append(len(cols["seq"]))
        cols["is_primary"].append(primary)
        cols["platform"].append(post.platform)
        cols["post_id"].append(post.post_id)
        cols["account_uid"].append(post.account_uid)
        cols["created_at"].append(_utc_naive(post.created_at))
        cols["text"].append(post.text)
        cols["topics"].append(post.topics)
        cols["mentions"].append(post.mentions)
        cols["is_repost"].append(post.is_repost)
        cols["root_post_id"].append(post.root_post_id)
        cols["root_deleted"].append(post.root_deleted)
        cols["bid"].append(post.bid)
        cols["title"].append(post.title)
        cols["url"].append(post.url)
        cols["is_headline"].append(post.is_headline)
        cols["is_original"].append(post.is_original)
        cols["source"].append(post.source)
        cols["region_name"].append(post.region_name)
        for name in COUNT_COLUMNS:
            cols[name].append(getattr(post, name))
        cols["observed_at"].append(_utc_naive(post.observed_at or self.observed_at))

    def _add_account(self, account: AccountRecord) -> None:
        self.accounts[(account.platform, account.uid)] = account
        if account.followers is not None or account.friends is not None:
            self.account_snapshots.append(
                {"seq": len(self.account_snapshots), "platform": account.platform,
                 "uid": account.uid, "followers": account.followers, "friends": account.friends,
                 "statuses": account.statuses,
                 "observed_at": _utc_naive(account.observed_at or self.observed_at)}
            )  # fmt: skip

    def posts_table(self, seq_offset: int = 0) -> pa.Table:
        """Return the buffered posts as an Arrow table (``seq`` shifted by ``seq_offset``)."""
        cols = dict(self.columns)
        if seq_offset:
            cols["seq"] = [s + seq_offset for s in cols["seq"]]
        return pa.table(cols, schema=POST_SCHEMA)

    def account_snapshot_table(self) -> pa.Table:
        """Return the buffered account snapshots, deduplicated to the last per account."""
        last: dict[tuple[str, str], dict[str, Any]] = {}
        for row in self.account_snapshots:
            last[(row["platform"], row["uid"])] = row
        return pa.Table.from_pylist(list(last.values()), schema=ACCOUNT_SNAPSHOT_SCHEMA)

    def clear_posts(self) -> None:
        """Forget the buffered posts (after they were written)."""
        for values in self.columns.values():
            values.clear()
