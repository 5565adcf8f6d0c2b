"""Turn a stream of :class:`ImportItem` into the batches the stores take (Arrow tables).

The same collector runs in the main process and in parser worker processes, so parallel
and serial imports produce exactly the same rows. Post rows are buffered as JSON Lines
(msgspec encodes a record in C) and become one Arrow table through ``pyarrow.json``:
no per-value Python work, no ``astimezone`` per timestamp (Arrow converts offsets to
UTC), and no pandas import (``pa.array`` on Python lists imports pandas, which costs a
second before the first row). A worker ships its posts as Arrow IPC bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

import msgspec
import pyarrow as pa

from zhengwu.content.store import (
    ACCOUNT_SNAPSHOT_SCHEMA,
    COMMENT_SCHEMA,
    POST_SCHEMA,
    table_from_json_lines,
)
from zhengwu.ingest.files import RAW_CHARS
from zhengwu.ingest.registry import ImportItem
from zhengwu.platforms.records import (
    AccountRecord,
    CommentRecord,
    HotSearchRecord,
    PostRecord,
    QuarantineRecord,
)
from zhengwu.storable import find_nul, nul_reason, shown

# Rows of one input line are ordered by ``line << LINE_SHIFT | k`` when the caller gives
# line numbers (the fast path merges its rows with the collector's this way). A line
# holds far fewer than 2**24 records: DuckDB refuses longer lines before they get here.
LINE_SHIFT = 24

_ENCODE = msgspec.json.Encoder().encode
# msgspec writes fields in declaration order: a post without observed_at ends like this,
# and the collector's own observed_at is spliced in instead of copying the record.
_NO_OBSERVED = b'"observed_at":null}'
_OBSERVED_LAST = PostRecord.__struct_fields__[-1] == "observed_at"


# What an account record may know or not: every field but the key (platform, uid).
ACCOUNT_FIELDS = tuple(f for f in AccountRecord.__struct_fields__ if f not in ("platform", "uid"))
_GOVERNMENT = ACCOUNT_FIELDS.index("is_government")
_NAME = ACCOUNT_FIELDS.index("name")


def account_known(account: AccountRecord) -> list[bool]:
    """Return, per field of ``ACCOUNT_FIELDS``, whether ``account`` knows it (not None).

    ``is_government`` False is not known without a ``verified_type`` (a crawler's folder
    name, a repost's root author), nor is an empty name (a Weibo-COV user-pool row with
    ``nick_name`` blank), as the account upsert reads them.
    """
    values = msgspec.structs.astuple(account)[2:]
    known = [v is not None for v in values]
    known[_GOVERNMENT] = account.is_government or account.verified_type is not None
    known[_NAME] = bool(account.name.strip())
    return known


def merge_account(old: AccountRecord, new: AccountRecord) -> AccountRecord:
    """Return ``new`` with the fields it does not know taken from ``old`` (the same account).

    A later record of an account (a note row naming its author) must not erase what an
    earlier one knew (the creator row's followers); what the later one knows wins.
    """
    old_known, new_known = account_known(old), account_known(new)
    changes = {
        name: getattr(old, name)
        for name, was, now in zip(ACCOUNT_FIELDS, old_known, new_known, strict=True)
        if was and not now
    }
    return msgspec.structs.replace(new, **changes) if changes else new


def merge_by_order(parts: list[tuple[AccountRecord, list[int]]]) -> AccountRecord:
    """Return one account from records of it whose fields were last known at given orders.

    Each part is a record and, per field of ``ACCOUNT_FIELDS``, the input order where that
    field was last known (-1: never); each field takes the value known last. The same as
    :func:`merge_account` over the records in input order.
    """
    base = max(parts, key=lambda part: max(part[1]))[0]
    values: dict[str, object] = {}
    for i, name in enumerate(ACCOUNT_FIELDS):
        record, orders = max(parts, key=lambda part: part[1][i])
        # A field no record knows keeps the unknown value they all hold (None, False, "").
        values[name] = getattr(record if orders[i] >= 0 else base, name)
    return msgspec.structs.replace(base, **values)


def utc_naive(dt: datetime | None) -> datetime | None:
    """Return ``dt`` as naive UTC (naive values are taken as they are)."""
    if dt is None or dt.tzinfo is None:
        return dt
    return dt.astimezone(UTC).replace(tzinfo=None)


def _exact_in_json(tz: tzinfo) -> bool:
    # JSON (RFC 3339) offsets have minutes only; other zones are converted to UTC first.
    if not isinstance(tz, timezone):
        return False
    offset = tz.utcoffset(None)
    return offset % timedelta(minutes=1) == timedelta(0)


@dataclass(slots=True)
class Chunk:
    """What one chunk of input became, ready for the stores (picklable, posts as IPC)."""

    read: int
    posts_ipc: bytes
    post_rows: int
    primary_posts: int
    accounts: list[AccountRecord]
    primary_accounts: list[AccountRecord]
    snapshots_ipc: bytes
    quarantines: list[QuarantineRecord]
    hot: list[dict[str, Any]]
    comments_ipc: bytes
    comment_rows: int

    @property
    def posts(self) -> pa.Table:
        """Return the post rows (POST_SCHEMA)."""
        return ipc_table(self.posts_ipc)

    @property
    def account_snapshots(self) -> pa.Table:
        """Return the account snapshot rows (ACCOUNT_SNAPSHOT_SCHEMA)."""
        return ipc_table(self.snapshots_ipc)

    @property
    def comments(self) -> pa.Table:
        """Return the comment rows (COMMENT_SCHEMA)."""
        return ipc_table(self.comments_ipc)


def ipc_bytes(table: pa.Table) -> bytes:
    """Serialise a table as an Arrow IPC stream."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def ipc_table(data: bytes) -> pa.Table:
    """Read a table written by :func:`ipc_bytes`."""
    return pa.ipc.open_stream(data).read_all()


class Collector:
    """Buffers of one chunk of input: posts, accounts, snapshots, comments, hot search …

    ``add(item, line=n)`` orders the rows of input line ``n`` by ``n << LINE_SHIFT | k``
    (and records where each account was first and last seen); without ``line`` rows are
    numbered in arrival order.
    """

    def __init__(self, observed_at: datetime, source: str = "") -> None:
        self.observed_at = observed_at
        self.source = source  # the file the items come from (names a quarantined record)
        self.read = 0
        self.accounts: dict[tuple[str, str], AccountRecord] = {}
        # (first, last) order of each account, the order where each of its fields was last
        # known (ACCOUNT_FIELDS, -1: never) and the order of its last snapshot: only kept
        # when items come with line numbers.
        self.account_orders: dict[tuple[str, str], tuple[int, int]] = {}
        self.account_field_orders: dict[tuple[str, str], list[int]] = {}
        self.snapshot_orders: dict[tuple[str, str], int] = {}
        self.primary_accounts: list[AccountRecord] = []
        self.quarantines: list[QuarantineRecord] = []
        self.hot: list[dict[str, Any]] = []
        self._comments: list[bytes] = []
        self.primary_posts = 0
        self._posts: list[bytes] = []
        self._longest = 0
        self._snapshots: dict[tuple[str, str], dict[str, Any]] = {}
        self._snapshot_seq = 0
        self._order = 0
        self._safe_tz: set[tzinfo] = set()
        observed = utc_naive(observed_at)
        assert observed is not None
        self._observed_json = _ENCODE(observed)

    @property
    def snapshots(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Return the last snapshot row of every account (ACCOUNT_SNAPSHOT_SCHEMA fields)."""
        return self._snapshots

    @property
    def post_rows(self) -> int:
        """Return the number of buffered post rows."""
        return len(self._posts)

    def add(self, item: ImportItem, *, line: int | None = None) -> None:
        """Buffer one input record's outcome (``line``: its 1-based input line)."""
        self.read += 1
        if line is not None and self._order >> LINE_SHIFT != line:
            self._order = line << LINE_SHIFT
        primary = item.primary
        refused = nul_quarantine(item, self.source)
        if refused is not None:
            self.quarantines.append(refused)
            return
        if isinstance(primary, PostRecord):
            self.primary_posts += 1
            self._add_post(primary, b"true")
        elif isinstance(primary, AccountRecord):
            self._add_account(primary, line is not None)
            self.primary_accounts.append(primary)
        elif isinstance(primary, CommentRecord):
            self._add_comment(primary)
        elif isinstance(primary, QuarantineRecord):
            self.quarantines.append(primary)
        elif isinstance(primary, HotSearchRecord):
            self.hot.append(
                {"day": datetime.fromisoformat(primary.day).date(), "title": primary.title,
                 "url": primary.url, "rank": primary.rank}
            )  # fmt: skip
        for rec in item.related:
            if isinstance(rec, PostRecord):
                self._add_post(rec, b"false")
            else:
                self._add_account(rec, line is not None)

    def _add_post(self, post: PostRecord, primary: bytes) -> None:
        created, observed = post.created_at, post.observed_at
        safe = self._safe_tz
        for value in (created, observed):
            tz = None if value is None else value.tzinfo
            if tz is not None and tz not in safe:
                if not _exact_in_json(tz):
                    post = msgspec.structs.replace(
                        post, created_at=utc_naive(created), observed_at=utc_naive(observed)
                    )
                    break
                safe.add(tz)
        body = _ENCODE(post)
        if observed is None:
            if _OBSERVED_LAST and body.endswith(_NO_OBSERVED):
                body = body[:-5] + self._observed_json + b"}"
            else:  # pragma: no cover - only if PostRecord's field order changes
                body = _ENCODE(msgspec.structs.replace(post, observed_at=self.observed_at))
        row = b'{"seq":%d,"is_primary":%s,%s' % (self._order, primary, body[1:])
        self._order += 1
        if len(row) > self._longest:
            self._longest = len(row)
        self._posts.append(row)

    def _add_comment(self, comment: CommentRecord) -> None:
        # Few comments per import compared with posts: a dict per row is cheap enough, and
        # converting the times here keeps zones with odd offsets exact (see _add_post).
        row = {
            "seq": len(self._comments), "platform": comment.platform,
            "comment_id": comment.comment_id, "note_id": comment.note_id,
            "parent_comment_id": comment.parent_comment_id, "account_uid": comment.account_uid,
            "created_at": utc_naive(comment.created_at), "content": comment.content,
            "likes": comment.likes, "sub_comments": comment.sub_comments,
            "observed_at": utc_naive(comment.observed_at or self.observed_at),
        }  # fmt: skip
        self._comments.append(_ENCODE(row))

    def _add_account(self, account: AccountRecord, ordered: bool) -> None:
        key = (account.platform, account.uid)
        accounts = self.accounts
        earlier = accounts.get(key)
        # A later record completes the earlier ones: what it does not know (None) is kept.
        accounts[key] = (
            account if earlier is None or earlier == account else merge_account(earlier, account)
        )
        order = self._order
        if ordered:
            self._order += 1
            first = self.account_orders.get(key)
            self.account_orders[key] = (order if first is None else first[0], order)
            orders = self.account_field_orders.setdefault(key, [-1] * len(ACCOUNT_FIELDS))
            for i, known in enumerate(account_known(account)):
                if known:
                    orders[i] = order
        if account.followers is not None or account.friends is not None:
            # The last snapshot of an account wins; it keeps the place of the first.
            self._snapshots[key] = {
                "seq": self._snapshot_seq, "platform": account.platform, "uid": account.uid,
                "followers": account.followers, "friends": account.friends,
                "statuses": account.statuses,
                "observed_at": utc_naive(account.observed_at or self.observed_at),
            }  # fmt: skip
            self._snapshot_seq += 1
            if ordered:
                self.snapshot_orders[key] = order

    def posts_table(self, seq_offset: int = 0) -> pa.Table:
        """Return the buffered posts as an Arrow table (``seq`` shifted by ``seq_offset``)."""
        table = table_from_json_lines(b"\n".join(self._posts), POST_SCHEMA, longest=self._longest)
        if seq_offset:
            import pyarrow.compute as pc

            table = table.set_column(0, "seq", pc.add(table["seq"], _int64_scalar(seq_offset)))
        return table

    def comments_table(self) -> pa.Table:
        """Return the buffered comments as an Arrow table (COMMENT_SCHEMA, in input order)."""
        longest = max(map(len, self._comments), default=0)
        return table_from_json_lines(b"\n".join(self._comments), COMMENT_SCHEMA, longest=longest)

    def account_snapshot_table(self) -> pa.Table:
        """Return the buffered account snapshots, deduplicated to the last per account."""
        rows = [_ENCODE(row) for row in self._snapshots.values()]
        return table_from_json_lines(b"\n".join(rows), ACCOUNT_SNAPSHOT_SCHEMA)

    def chunk(self) -> Chunk:
        """Return what was collected, with posts and snapshots as Arrow IPC."""
        return Chunk(
            read=self.read,
            posts_ipc=ipc_bytes(self.posts_table()),
            post_rows=self.post_rows,
            primary_posts=self.primary_posts,
            accounts=list(self.accounts.values()),
            primary_accounts=self.primary_accounts,
            snapshots_ipc=ipc_bytes(self.account_snapshot_table()),
            quarantines=self.quarantines,
            hot=self.hot,
            comments_ipc=ipc_bytes(self.comments_table()),
            comment_rows=len(self._comments),
        )

    def clear_posts(self) -> None:
        """Forget the buffered posts (after they were written)."""
        self._posts.clear()
        self.primary_posts = 0


def nul_quarantine(item: ImportItem, source: str = "") -> QuarantineRecord | None:
    """Return the quarantine record of an item with a NUL character in a text (None when
    it has none): PostgreSQL cannot store one, so no database is given it — neither the
    record nor the records it carried (its author, its root post). ``source`` is the file.
    """
    for record in (item.primary, *item.related):
        if isinstance(record, QuarantineRecord):
            return None  # already refused, for a reason of its own
        field = find_nul(record)
        if field is None:
            continue
        kind = str(type(record).__struct_config__.tag)
        primary = item.primary
        name = f"{type(primary).__struct_config__.tag} {_record_id(primary)}".strip()
        return QuarantineRecord(
            source=f"{source} ({name})" if source else name,
            reason=nul_reason(field if record is primary else f"{kind}.{field}"),
            raw=_ENCODE(record).decode()[:RAW_CHARS],  # the record at fault; JSON: "\u0000"
        )
    return None


def _record_id(record: object) -> str:
    """Return what names a record among its kind (``weibo:123``; "" when nothing does)."""
    platform = getattr(record, "platform", None)
    for attribute in ("post_id", "uid", "comment_id", "title"):
        value = getattr(record, attribute, None)
        if isinstance(value, str):
            return shown(f"{platform}:{value}" if platform else value)
    return ""


def _int64_scalar(value: int) -> pa.Scalar:
    # pa.scalar() imports pandas; a one-element array built from a buffer does not.
    buffer = pa.py_buffer(value.to_bytes(8, "little", signed=True))
    return pa.Array.from_buffers(pa.int64(), 1, [None, buffer])[0]
