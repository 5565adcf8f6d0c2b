"""The Weibo stream: ``weibo/users.jsonl`` and ``weibo/statuses-YYYY-MM.jsonl``.

Month by month, matrix leads post first; their posts form the pool of roots that members
repost (``retweeted_status`` holds the root with its user; a small share of roots were
deleted by their author and appear as the API's ``{"deleted":"1", …}`` stub, and are
missing from the lead's own timeline). Then the other accounts are written in chunks, so
memory stays bounded whatever the scale. Every status is written once, with the counts
observed at the end of the window.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import orjson

from zhengwu.simulate import weibo_format as wf
from zhengwu.simulate.activity import PlatformActivity, growth
from zhengwu.simulate.config import rng
from zhengwu.simulate.event import ENGAGEMENT_BOOST
from zhengwu.simulate.population import Account
from zhengwu.simulate.posts import PostBatch, draw_batch, group_bounds
from zhengwu.simulate.streams import StreamContext
from zhengwu.simulate.texts import TextMaker

CHUNK = 2048
DELETED_ROOT_SHARE = 0.03
PIC_COUNTS = (1, 1, 1, 2, 3, 4, 6, 9)


@dataclass(slots=True)
class _Counts:
    likes: list[int]
    comments: list[int]
    reposts: list[int]


def _engagement(
    act: PlatformActivity, batch: PostBatch, reposted: np.ndarray, end_ts: int,
    gen: np.random.Generator,
) -> _Counts:  # fmt: skip
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


@dataclass
class _Tracker:
    """What the ground truth needs, accumulated over every written status."""

    posts: np.ndarray
    last_ts: np.ndarray
    event_posts: np.ndarray
    reposts: int = 0
    deleted_refs: int = 0
    deleted_roots: set[int] = field(default_factory=set)

    def add(self, batch: PostBatch, keep: np.ndarray) -> None:
        """Count the written rows of a batch (``keep`` masks out deleted lead posts)."""
        acct, ts = batch.acct[keep], batch.ts[keep]
        np.add.at(self.posts, acct, 1)
        np.maximum.at(self.last_ts, acct, ts)
        np.add.at(self.event_posts, batch.acct[keep & batch.event], 1)

    def count_reposts(self, roots: list[tuple[_RootPool, int] | None]) -> None:
        """Count reposts and the deleted roots they point to."""
        for root in roots:
            if root is None:
                continue
            self.reposts += 1
            pool, row = root
            if pool.deleted[row]:
                self.deleted_refs += 1
                self.deleted_roots.add(wf.status_id(int(pool.batch.ts[row]), int(pool.batch.acct[row])))


class _RootPool:
    """Lead posts of one month (plus the previous month's) that members can repost."""

    def __init__(self, stream: WeiboStream, batch: PostBatch, deleted: np.ndarray,
                 counts: _Counts, previous: _RootPool | None) -> None:  # fmt: skip
        self.stream = stream
        self.batch = batch
        self.deleted = deleted
        self.counts = counts
        self.json: dict[int, str] = {}
        self.by_lead: dict[int, tuple[list[int], list[int], list[int], list[int]]] = {}
        ts, event = batch.ts.tolist(), batch.event.tolist()
        for lead, start, stop in zip(*(x.tolist() for x in group_bounds(batch.acct)), strict=True):
            rows = list(range(start, stop))
            event_rows = [r for r in rows if event[r]]
            self.by_lead[lead] = ([ts[r] for r in rows], rows, [ts[r] for r in event_rows], event_rows)
        self.previous = previous
        if previous is not None:
            previous.previous = None  # keep two months at most

    def find(self, lead: int, ts: int, event: bool, pick: int) -> tuple[_RootPool, int] | None:
        """Return a root of ``lead`` posted before ``ts`` (an event root for event posts)."""
        entry = self.by_lead.get(lead)
        if entry is not None:
            times, rows, event_times, event_rows = entry
            k = bisect.bisect_left(times, ts)
            if event:
                j = bisect.bisect_left(event_times, ts)
                if j > 0:
                    return self, event_rows[j - 1 - pick % min(j, 3)]
            if k > 0:
                return self, rows[k - 1 - (pick >> 3) % min(k, 8)]
        if self.previous is not None and not event:
            return self.previous.find(lead, ts, event, pick)
        return None

    def root_json(self, row: int) -> str:
        """Return the root status as embedded in a repost (cached)."""
        cached = self.json.get(row)
        if cached is None:
            ts = int(self.batch.ts[row])
            sid = wf.status_id(ts, int(self.batch.acct[row]))
            if self.deleted[row]:
                cached = wf.deleted_json(self.stream.clock(ts), sid)
            else:
                one = np.array([row])
                counts = _Counts(
                    [self.counts.likes[row]], [self.counts.comments[row]], [self.counts.reposts[row]]
                )
                cached = self.stream.render_rows(self.batch.take(one), counts, (0,), None)[0][:-1]
            self.json[row] = cached
        return cached


class WeiboStream:
    """Writes Weibo users and statuses in the open API v2 shapes."""

    name = "weibo"

    def write(self, ctx: StreamContext) -> None:
        """Write ``weibo/users.jsonl`` and one ``statuses-YYYY-MM.jsonl`` per month."""
        if "weibo" not in ctx.config.platforms:
            return
        self.ctx = ctx
        self.accounts: list[Account] = ctx.population.accounts["weibo"]
        self.act = ctx.activity["weibo"]
        self.clock = wf.DayClock(ctx.window.start_ts, ctx.window.days)
        self.texts = TextMaker(ctx, "weibo")
        n = len(self.accounts)
        if n >= wf.EXTRA_SLOTS:
            raise ValueError("too many Weibo accounts for the status-id layout")
        self._block_cache: dict[int, tuple[str, str]] = {}
        self._lead_of = _lead_table(ctx, n)
        totals = self.act.counts.sum(axis=1, dtype=np.int64)
        if self.act.event_counts.size:
            totals += self.act.event_counts.sum(axis=1, dtype=np.int64)
        self.statuses = self.act.prior_posts + totals
        self._write_users(ctx)
        tracker = _Tracker(np.zeros(n, np.int64), np.full(n, -1, np.int64), np.zeros(n, np.int64))
        leads = np.unique(self._lead_of[self._lead_of >= 0])
        is_lead = np.zeros(n, dtype=bool)
        is_lead[leads] = True
        months = list(ctx.window.months())
        chunks = list(range(0, n, CHUNK))
        advance = ctx.progress.task("微博 Weibo statuses", len(months) * len(chunks))
        pool: _RootPool | None = None
        for mi, month in enumerate(months):
            with ctx.open(f"weibo/statuses-{month.tag}.jsonl") as fh:
                gen = rng(ctx.config.seed, "weibo", "leads", mi)
                batch = draw_batch(self.act, leads, month, ctx.window, gen, hours="weibo")
                deleted = gen.random(len(batch)) < DELETED_ROOT_SHARE
                counts = _engagement(
                    self.act, batch, np.zeros(len(batch), bool), ctx.window.end_ts, gen
                )
                pool = _RootPool(self, batch, deleted, counts, pool)
                visible = np.flatnonzero(~deleted).tolist()
                fh.writelines(self.render_rows(batch, counts, visible, None))
                tracker.add(batch, ~deleted)
                for ci, lo in enumerate(chunks):
                    ids = np.arange(lo, min(lo + CHUNK, n))
                    ids = ids[~is_lead[ids]]
                    gen = rng(ctx.config.seed, "weibo", mi, ci)
                    batch = draw_batch(self.act, ids, month, ctx.window, gen, hours="weibo")
                    roots = self._choose_roots(batch, pool, gen)
                    reposted = np.array([r is not None for r in roots], dtype=bool)
                    counts = _engagement(self.act, batch, reposted, ctx.window.end_ts, gen)
                    fh.writelines(self.render_rows(batch, counts, range(len(batch)), roots))
                    tracker.add(batch, np.ones(len(batch), bool))
                    tracker.count_reposts(roots)
                    advance(1)
        self._record_truth(ctx, tracker)

    # -- users ---------------------------------------------------------------------------
    def _user(self, i: int, full: bool) -> dict[str, object]:
        a, act = self.accounts[i], self.act
        extra = a.extra
        return wf.user_object(
            uid=a.uid, name=a.name, province=extra["province"], city=extra["city"],
            location=extra["location"], description=a.description,
            gender="m" if int(a.uid) % 3 else "f", followers=int(act.followers[i]),
            friends=int(act.friends[i]), statuses=int(self.statuses[i]), created=a.created,
            verified_type=a.verified_type, verified_reason=a.verified_reason, full=full,
        )  # fmt: skip

    def _write_users(self, ctx: StreamContext) -> None:
        with ctx.open("weibo/users.jsonl") as fh:
            for i in range(len(self.accounts)):
                fh.write(orjson.dumps(self._user(i, True)).decode() + "\n")

    def account_block(self, i: int) -> str:
        """Return the author-dependent part of a status (source and compact user), cached."""
        cached = self._block_cache.get(i)
        if cached is None:
            if len(self._block_cache) > 4 * CHUNK:
                self._block_cache.clear()
            a = self.accounts[i]
            user = orjson.dumps(self._user(i, False)).decode()
            source = wf.SOURCE_JSON[int(self.act.source[i]) % len(wf.SOURCE_JSON)]
            cached = (wf.account_block(source, user), f"{int(a.uid):08x}")
            self._block_cache[i] = cached
        return cached[0]

    # -- reposts ---------------------------------------------------------------------------
    def _choose_roots(
        self, batch: PostBatch, pool: _RootPool, gen: np.random.Generator
    ) -> list[tuple[_RootPool, int] | None]:
        """Decide which posts are reposts of a matrix lead, and of which root."""
        roots: list[tuple[_RootPool, int] | None] = [None] * len(batch)
        if not len(batch):
            return roots
        acct = batch.acct
        lead_a, lead_b = self._lead_of[acct, 0], self._lead_of[acct, 1]
        prob = np.where(batch.event, np.maximum(self.act.repost_prob[acct], 0.45), self.act.repost_prob[acct])
        candidates = np.flatnonzero((lead_a >= 0) & (gen.random(len(batch)) < prob))
        ts, event, pick = batch.ts.tolist(), batch.event.tolist(), batch.pick.tolist()
        la, lb = lead_a.tolist(), lead_b.tolist()
        for r in candidates.tolist():
            lead = lb[r] if lb[r] >= 0 and pick[r] & 1 else la[r]
            roots[r] = pool.find(lead, ts[r], event[r], pick[r] >> 1)
        return roots

    # -- rendering ---------------------------------------------------------------------------
    def render_rows(self, batch: PostBatch, counts: _Counts, rows: Iterable[int],
                    roots: list[tuple[_RootPool, int] | None] | None) -> list[str]:  # fmt: skip
        """Return the status lines of some rows of a batch (each ending with a newline)."""
        # Everything that numpy can compute for the whole batch is computed here once;
        # the loop below only glues strings (it runs 20 M times for a national year).
        sids = (((batch.ts - wf.ID_EPOCH) << wf.ACCOUNT_BITS) | batch.acct).tolist()
        rel = batch.ts - self.clock.start_ts
        days, secs = (rel // 86_400).tolist(), (rel % 86_400).tolist()
        acct, event, pick = batch.acct.tolist(), batch.event.tolist(), batch.pick.tolist()
        n_pics = self.texts.picture_counts(batch, self.act.pic_prob)
        prefix, suffix, clock = self.clock.prefix, self.clock.suffix, wf.CLOCK
        text_of, repost_of, block_of = self.texts.text, self.texts.repost_text, self.account_block
        likes, comments, reposts = counts.likes, counts.comments, counts.reposts
        line, dumps, blocks = wf.status_line, orjson.dumps, self._block_cache
        lines: list[str] = []
        for r in rows:
            a, sid, day = acct[r], sids[r], days[r]
            root = roots[r] if roots is not None else None
            block = block_of(a)
            if root is None:
                text = text_of(a, day, secs[r], event[r], pick[r])
                pics, keys = wf.pictures_json(blocks[a][1], sid, n_pics[r]) if n_pics[r] else ("", "")
                retweet = ""
            else:
                text = repost_of(event[r], pick[r])
                pics = keys = ""
                retweet = root[0].root_json(root[1])
            # Templates and names hold no quote or backslash; escape only if one slipped in.
            text_json = dumps(text).decode() if '"' in text or "\\" in text else f'"{text}"'
            created = prefix[day] + clock[secs[r]] + suffix[day]
            lines.append(
                line(created, sid, text_json, pics, keys, block, retweet, reposts[r],
                     comments[r], likes[r]) + "\n"
            )  # fmt: skip
        return lines

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
            },
        )  # fmt: skip


def _lead_table(ctx: StreamContext, n: int) -> np.ndarray:
    """Return [account, 2]: the Weibo leads of the matrices an account is a member of."""
    table = np.full((n, 2), -1, dtype=np.int64)
    for matrix in ctx.population.matrices:  # regional matrices come first
        platform, lead = matrix.lead
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

