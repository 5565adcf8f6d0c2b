"""The Weibo stream: ``weibo/users.jsonl``, ``statuses-YYYY-MM.jsonl``, ``comments-YYYY-MM.jsonl``.

Month by month, matrix leads post first; their posts form the pool of roots that members
repost (``retweeted_status`` holds the root with its user; a small share of roots were
deleted by their author and appear as the API's ``{"deleted":"1", …}`` stub, and are
missing from the lead's own timeline). Then the other accounts are written in chunks
(in worker processes for large runs), so memory stays bounded whatever the scale. Every
status is written once, with the counts observed at the end of the window. The comments
under the government statuses of a month (MediaCrawler's layout, see
:mod:`zhengwu.simulate.weibo_comments`) are drawn from each rendered batch, in the same
worker, and written next to them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import orjson

from zhengwu.simulate import content
from zhengwu.simulate import weibo_format as wf
from zhengwu.simulate.activity import PlatformActivity, growth
from zhengwu.simulate.config import rng
from zhengwu.simulate.event import ENGAGEMENT_BOOST
from zhengwu.simulate.parallel import Part, auto_workers, ordered_map, write_rendered
from zhengwu.simulate.population import Account
from zhengwu.simulate.posts import PostBatch, draw_batch, group_bounds
from zhengwu.simulate.streams import StreamContext
from zhengwu.simulate.texts import TextMaker
from zhengwu.simulate.weibo_comments import (
    COMMENTS_PER_NOTE,
    REPLY_TEXTS,
    CommentCounts,
    CommentMaker,
)

CHUNK = 512  # accounts per chunk: ~7,000 statuses a month, ~10 MB of text
DELETED_ROOT_SHARE = 0.03
# A replying account (activity ``replier``) answers comments (weibo_comments.py); some
# answers it also posts to its timeline ("回复@网友N:答复//@网友N:评论", Weibo's 同时转发):
# this share of its ordinary posts, times its reply rate (0.05–0.6), i.e. 1.5–18 % of them.
# Both kinds count as own replies (the index counts a timeline reply and its comment once).
REPLY_POST_SHARE = 0.3

Root = tuple["_RootPool", int]


@dataclass(slots=True)
class _Counts:
    likes: list[int]
    comments: list[int]
    reposts: list[int]


def _engagement(act: PlatformActivity, batch: PostBatch, reposted: np.ndarray, end_ts: int,
                gen: np.random.Generator) -> _Counts:  # fmt: skip
    """Return likes, comments and reposts of each post as observed at the window end."""
    acct = batch.acct
    base = 0.012 * act.followers[acct].astype(float) ** 0.62 * act.quality[acct] * batch.noise
    base *= growth(end_ts - batch.ts) * np.where(batch.event, ENGAGEMENT_BOOST, 1.0)
    base *= np.where(reposted, 0.15, 1.0)
    return _Counts(
        gen.poisson(base).tolist(),
        gen.poisson(base * 0.18).tolist(),
        gen.poisson(base * 0.25).tolist(),
    )


@dataclass(slots=True)
class _Chunk:
    """One rendered chunk and what the ground truth needs from it."""

    spilled: ClassVar[tuple[str, ...]] = ("data", "comments")  # see parallel.py

    data: bytes | Part
    comments: bytes | Part
    comment_counts: CommentCounts
    acct: np.ndarray
    ts: np.ndarray
    event: np.ndarray
    reposts: int
    deleted_roots: list[int]


@dataclass
class _Tracker:
    """What the ground truth needs, accumulated over every written status."""

    posts: np.ndarray
    last_ts: np.ndarray
    event_posts: np.ndarray
    reposts: int = 0
    deleted_refs: int = 0
    deleted_roots: set[int] = field(default_factory=set)
    comments: CommentCounts = field(default_factory=CommentCounts)

    def add(self, acct: np.ndarray, ts: np.ndarray, event: np.ndarray) -> None:
        """Count written statuses."""
        np.add.at(self.posts, acct, 1)
        np.maximum.at(self.last_ts, acct, ts)
        np.add.at(self.event_posts, acct[event], 1)

    def add_chunk(self, chunk: _Chunk) -> None:
        """Count a rendered chunk."""
        self.add(chunk.acct, chunk.ts, chunk.event)
        self.reposts += chunk.reposts
        self.deleted_refs += len(chunk.deleted_roots)
        self.deleted_roots.update(chunk.deleted_roots)
        self.comments.add(chunk.comment_counts)


class _RootPool:
    """Lead posts of one month (and the previous month's) that members can repost."""

    def __init__(self, stream: WeiboStream, batch: PostBatch, deleted: np.ndarray,
                 counts: _Counts, previous: _RootPool | None) -> None:  # fmt: skip
        self.stream = stream
        self.batch = batch
        self.deleted = deleted
        self.counts = counts
        self.json: dict[int, bytes] = {}
        self.by_lead: dict[int, tuple[list[int], list[int], list[int], list[int]]] = {}
        ts, event = batch.ts.tolist(), batch.event.tolist()
        for lead, start, stop in zip(*(x.tolist() for x in group_bounds(batch.acct)), strict=True):
            rows = list(range(start, stop))
            event_rows = [r for r in rows if event[r]]
            times = [ts[r] for r in rows]
            self.by_lead[lead] = (times, rows, [ts[r] for r in event_rows], event_rows)
        self.previous = previous
        if previous is not None:
            previous.previous = None  # two months at most

    def find(self, lead: int, ts: int, event: bool, pick: int) -> Root | None:
        """Return a recent root of ``lead`` posted before ``ts`` (event roots for event posts)."""
        entry = self.by_lead.get(lead)
        if entry is not None:
            times, rows, event_times, event_rows = entry
            if event:
                j = bisect.bisect_left(event_times, ts)
                if j > 0:
                    return self, event_rows[j - 1 - pick % min(j, 3)]
            k = bisect.bisect_left(times, ts)
            if k > 0:
                return self, rows[k - 1 - (pick >> 3) % min(k, 8)]
        if self.previous is not None and not event:
            return self.previous.find(lead, ts, event, pick)
        return None

    def sid(self, row: int) -> int:
        """Return the status id of a root."""
        return wf.status_id(int(self.batch.ts[row]), int(self.batch.acct[row]))

    def root_json(self, row: int) -> bytes:
        """Return the root status as embedded in a repost (cached)."""
        cached = self.json.get(row)
        if cached is None:
            if self.deleted[row]:
                cached = wf.deleted_json(self.stream.clock(int(self.batch.ts[row])), self.sid(row))
            else:
                one = self.batch.take(np.array([row]))
                c = self.counts
                counts = _Counts([c.likes[row]], [c.comments[row]], [c.reposts[row]])
                cached = self.stream.render(one, counts, None)[:-1]
            self.json[row] = cached
        return cached


class WeiboStream:
    """Writes Weibo users and statuses in the open API v2 shapes."""

    name = "weibo"

    def write(self, ctx: StreamContext) -> None:
        """Write ``weibo/users.jsonl``, one ``statuses-`` and one ``comments-YYYY-MM.jsonl`` a month."""
        if "weibo" not in ctx.config.platforms:
            return
        self.ctx = ctx
        self.accounts: list[Account] = ctx.population.accounts["weibo"]
        self.act = ctx.activity["weibo"]
        self.clock = wf.DayClock(ctx.window.start_ts, ctx.window.days)
        self.texts = TextMaker(ctx, "weibo")
        self.comments = CommentMaker(ctx.population, self.accounts, self.act, ctx.window)
        self._blocks: dict[int, tuple[bytes, str]] = {}
        n = len(self.accounts)
        if n >= wf.EXTRA_SLOTS:
            raise ValueError("too many Weibo accounts for the status-id layout")
        self.lead_of = _lead_table(ctx, n)
        self.statuses = statuses_counts(self.act)
        with ctx.open("weibo/users.jsonl", binary=True) as fh:
            for i in range(n):
                fh.write(orjson.dumps(self._user(i, True), option=orjson.OPT_APPEND_NEWLINE))

        tracker = _Tracker(np.zeros(n, np.int64), np.full(n, -1, np.int64), np.zeros(n, np.int64))
        leads = np.unique(self.lead_of[self.lead_of >= 0])
        is_lead = np.zeros(n, dtype=bool)
        is_lead[leads] = True
        self.others = [np.flatnonzero(~is_lead[lo : lo + CHUNK]) + lo for lo in range(0, n, CHUNK)]
        months = list(ctx.window.months())
        workers = auto_workers(ctx.config.workers, len(self.others))
        advance = ctx.progress.task("微博 Weibo statuses", len(months) * len(self.others))
        self.pool: _RootPool | None = None
        for mi, month in enumerate(months):
            gen = rng(ctx.config.seed, "weibo", "leads", mi)
            batch = draw_batch(self.act, leads, month, ctx.window, gen, hours="weibo")
            deleted = gen.random(len(batch)) < DELETED_ROOT_SHARE
            counts = _engagement(
                self.act, batch, np.zeros(len(batch), bool), ctx.window.end_ts, gen
            )
            self.pool = _RootPool(self, batch, deleted, counts, self.pool)
            self.month = (mi, month)
            with (
                ctx.open(f"weibo/statuses-{month.tag}.jsonl", binary=True) as fh,
                ctx.open(f"weibo/comments-{month.tag}.jsonl", binary=True) as comments_fh,
            ):
                replies = self._reply_posts(batch)
                fh.write(self.render(batch, counts, None, keep=~deleted, replies=replies))
                tracker.add(batch.acct[~deleted], batch.ts[~deleted], batch.event[~deleted])
                lines, comment_counts = self.comments.render(
                    batch, counts.likes, counts.comments, replies, ~deleted,
                    rng(ctx.config.seed, "weibo-comments", "leads", mi),
                )  # fmt: skip
                comments_fh.write(lines)
                tracker.comments.add(comment_counts)
                chunks = ordered_map(
                    self._chunk, range(len(self.others)), workers, spill_dir=ctx.scratch
                )
                for chunk in chunks:
                    write_rendered(fh, chunk.data)
                    write_rendered(comments_fh, chunk.comments)
                    tracker.add_chunk(chunk)
                    advance(1)
        self._record_truth(ctx, tracker)

    def _chunk(self, ci: int) -> _Chunk:
        """Draw and render the non-lead accounts of chunk ``ci`` for the current month."""
        mi, month = self.month
        assert self.pool is not None
        gen = rng(self.ctx.config.seed, "weibo", mi, ci)
        batch = draw_batch(self.act, self.others[ci], month, self.ctx.window, gen, hours="weibo")
        roots = self._choose_roots(batch, self.pool, gen)
        reposted = np.array([r is not None for r in roots], dtype=bool)
        counts = _engagement(self.act, batch, reposted, self.ctx.window.end_ts, gen)
        replies = self._reply_posts(batch) & ~reposted
        data = self.render(batch, counts, roots, replies=replies)
        comments, comment_counts = self.comments.render(
            batch, counts.likes, counts.comments, replies, None,
            rng(self.ctx.config.seed, "weibo-comments", mi, ci),
        )  # fmt: skip
        deleted = [
            pool.sid(row) for pool, row in (r for r in roots if r is not None) if pool.deleted[row]
        ]
        return _Chunk(data, comments, comment_counts, batch.acct, batch.ts, batch.event,
                      int(reposted.sum()), deleted)  # fmt: skip

    # -- users ---------------------------------------------------------------------------
    def _user(self, i: int, full: bool) -> dict[str, object]:
        return user_json(self.accounts[i], self.act, i, int(self.statuses[i]), full=full)

    def _block(self, i: int) -> tuple[bytes, str]:
        """Return (source-and-user part of a status, uid in hex), cached per chunk."""
        cached = self._blocks.get(i)
        if cached is None:
            if len(self._blocks) > 4 * CHUNK:
                self._blocks.clear()
            user = orjson.dumps(self._user(i, False))
            source = wf.SOURCE_JSON[int(self.act.source[i]) % len(wf.SOURCE_JSON)]
            cached = (wf.account_block(source, user), f"{int(self.accounts[i].uid):08x}")
            self._blocks[i] = cached
        return cached

    # -- reposts ---------------------------------------------------------------------------
    def _choose_roots(self, batch: PostBatch, pool: _RootPool,
                      gen: np.random.Generator) -> list[Root | None]:  # fmt: skip
        """Decide which posts are reposts of a matrix lead, and of which root."""
        roots: list[Root | None] = [None] * len(batch)
        if not len(batch):
            return roots
        acct = batch.acct
        lead_a, lead_b = self.lead_of[acct, 0], self.lead_of[acct, 1]
        prob = self.act.repost_prob[acct]
        # During the rainstorm members relay their lead's warnings far more often.
        prob = np.where(batch.event, np.maximum(prob, 0.45), prob)
        candidates = np.flatnonzero((lead_a >= 0) & (gen.random(len(batch)) < prob))
        ts, event, pick = batch.ts.tolist(), batch.event.tolist(), batch.pick.tolist()
        la, lb = lead_a.tolist(), lead_b.tolist()
        for r in candidates.tolist():
            lead = lb[r] if lb[r] >= 0 and pick[r] & 1 else la[r]
            roots[r] = pool.find(lead, ts[r], event[r], pick[r] >> 1)
        return roots

    # -- rendering ---------------------------------------------------------------------------
    def _reply_posts(self, batch: PostBatch) -> np.ndarray:
        """Return which posts are timeline replies (回复@…), reposts not yet excluded."""
        # ``pick`` (40 random bits, all read by compose()) mixed by a multiplicative hash
        # into 10 fresh-looking bits, so no other stream is disturbed.
        mixed = (batch.pick.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(54)
        share = self.act.reply_rate[batch.acct] * REPLY_POST_SHARE * 1024
        reply: np.ndarray = (~batch.event) & (mixed.astype(np.int64) < share)
        return reply

    def render(self, batch: PostBatch, counts: _Counts, roots: list[Root | None] | None,
               keep: np.ndarray | None = None,
               replies: np.ndarray | None = None) -> bytes:  # fmt: skip
        """Return the status lines of a batch (rows where ``keep`` is true), newline-ended.

        ``replies`` marks the timeline replies (default: :meth:`_reply_posts`; a repost
        is never one).
        """
        # numpy computes what it can for the whole batch; the loop only glues bytes
        # (it runs 20 M times for a national year), one account group at a time.
        sids = (((batch.ts - wf.ID_EPOCH) << wf.ACCOUNT_BITS) | batch.acct).tolist()
        rel = batch.ts - self.clock.start_ts
        days, secs = (rel // 86_400).tolist(), (rel % 86_400).tolist()
        event, pick = batch.event.tolist(), batch.pick.tolist()
        n_pics = self.texts.picture_counts(batch, self.act.pic_prob)
        reply = self._reply_posts(batch) if replies is None else replies
        replies_list = reply.tolist()
        asked = content.COMMENT_TEXTS
        skip = (~keep).tolist() if keep is not None else None
        prefix, suffix, clock = self.clock.prefix, self.clock.suffix, wf.CLOCK_BYTES
        texts, escape, pictures, line = self.texts, wf.json_bytes, wf.pictures_json, wf.STATUS_LINE
        likes, comments, reposts = counts.likes, counts.comments, counts.reposts
        out: list[bytes] = []
        append = out.append
        empty = b""
        for a, start, stop in zip(*(x.tolist() for x in group_bounds(batch.acct)), strict=True):
            block, uid_hex = self._block(a)
            pieces = texts.account(a)
            for r in range(start, stop):
                if skip is not None and skip[r]:
                    continue
                sid, day = sids[r], days[r]
                root = roots[r] if roots is not None else None
                pics = keys = retweet = empty
                if root is None and replies_list[r]:
                    # The answer, then the comment it answers (the 同时转发 chain); the
                    # same picks give the comment pair in weibo_comments.py.
                    number, p = pick[r] % 90_000 + 10_000, pick[r]
                    text = escape(
                        f"回复@网友{number}:{REPLY_TEXTS[(p >> 20) % len(REPLY_TEXTS)]}"
                        f"//@网友{number}:{asked[(p >> 30) % len(asked)]}"
                    )
                elif root is None:
                    plain = texts.compose(pieces, day, secs[r], event[r], pick[r])
                    text = plain.encode() if pieces.safe else escape(plain)
                    if n_pics[r]:
                        pics, keys = pictures(uid_hex, sid, n_pics[r])
                else:
                    text = escape(texts.repost_text(event[r], pick[r]))
                    retweet = wf.RETWEET_KEY + root[0].root_json(root[1])
                append(line % (prefix[day], clock[secs[r]], suffix[day], sid, sid, sid, text,
                               pics, keys, block, retweet, reposts[r], comments[r], likes[r]))  # fmt: skip
        return b"".join(out)

    # -- truth -------------------------------------------------------------------------------
    def _record_truth(self, ctx: StreamContext, tracker: _Tracker) -> None:
        from zhengwu.simulate.truth import record_platform

        record_platform(
            ctx, "weibo", self.accounts, self.act, tracker.posts, tracker.last_ts,
            tracker.event_posts,
            extra={
                "reposts": tracker.reposts,
                "reposts_of_deleted_roots": tracker.deleted_refs,
                "deleted_root_ids": sorted(str(x) for x in tracker.deleted_roots),
                "comments": {
                    "citizen_comments": tracker.comments.citizen_comments,
                    "own_replies": tracker.comments.own_replies,
                    "timeline_reply_pairs": tracker.comments.timeline_pairs,
                    "per_note_limit": COMMENTS_PER_NOTE,
                },
            },
        )  # fmt: skip


def statuses_counts(act: PlatformActivity) -> np.ndarray:
    """Return each account's ``statuses_count``: earlier posts plus those of the window."""
    totals = act.counts.sum(axis=1, dtype=np.int64)
    if act.event_counts.size:
        totals += act.event_counts.sum(axis=1, dtype=np.int64)
    return np.asarray(act.prior_posts + totals)


def user_json(
    account: Account, act: PlatformActivity, i: int, statuses: int, *, full: bool
) -> dict[str, object]:
    """Return the Weibo user object of account ``i`` (``full``: as users/show gives it).

    Other streams that post as a simulated account (the help posts' official notices)
    embed this same object, so importing them finds the account as ``users.jsonl`` has it.
    """
    extra = account.extra
    return wf.user_object(
        uid=account.uid, name=account.name, province=extra["province"], city=extra["city"],
        location=extra["location"], description=account.description,
        gender="m" if int(account.uid) % 3 else "f", followers=int(act.followers[i]),
        friends=int(act.friends[i]), statuses=statuses, created=account.created,
        verified_type=account.verified_type, verified_reason=account.verified_reason, full=full,
    )  # fmt: skip


def _lead_table(ctx: StreamContext, n: int) -> np.ndarray:
    """Return [account, 2]: the Weibo leads of the matrices an account is a member of."""
    table = np.full((n, 2), -1, dtype=np.int64)
    for matrix in ctx.population.matrices:  # regional matrices come first
        _platform, lead = matrix.lead
        for member_platform, member in matrix.members:
            if member_platform != "weibo" or member == lead:
                continue
            slot = 0 if table[member, 0] < 0 else 1
            if table[member, slot] < 0:
                table[member, slot] = lead
    # Leads post originals only: a lead of one matrix does not repost in another.
    leads = np.unique(table[table >= 0])
    table[leads] = -1
    return table
