"""The WeChat stream: ``wechat/articles.jsonl`` as the wechat_spider export writes it.

One row per article (FORMATS.md §5): ``title, link, publishAt, readNum, likeNum (点赞),
likeNum2 (在看), msgBiz, msgMid, msgIdx, sourceUrl, cover, digest, isFail, author,
copyrightStat, accountName, updateNumAt``. A push (群发) holds 1–5 articles sharing its
``mid``; ``msgIdx`` 1 is the headline (头条). Reads of 100,001 and more are exported as
100001, the number behind the UI's "10万+".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhengwu.simulate import content
from zhengwu.simulate.activity import growth
from zhengwu.simulate.config import rng
from zhengwu.simulate.event import ENGAGEMENT_BOOST
from zhengwu.simulate.parallel import Part, auto_workers, ordered_map, write_rendered
from zhengwu.simulate.posts import PostBatch, draw_batch, group_bounds
from zhengwu.simulate.streams import StreamContext
from zhengwu.simulate.templates import compile_all
from zhengwu.simulate.texts import TextMaker
from zhengwu.simulate.weibo_format import CLOCK_BYTES, json_bytes

CHUNK = 1024
READ_CAP = 100_001
FIRST_MID = 2_247_483_648  # newer accounts number their pushes from 2^31
_ARTICLES = np.array((1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5), dtype=np.int64)
_TITLES = compile_all(content.WECHAT_TITLES)
_EVENT_TITLES = compile_all(content.WECHAT_EVENT_TITLES)
_MASK128 = (1 << 128) - 1
# One article, in wechat_spider's column order.
_ROW = (
    b'{"title":"%s","link":"https://mp.weixin.qq.com/s?__biz=%s&mid=%d&idx=%d&sn=%s",'
    b'"publishAt":"%s","readNum":%d,"likeNum":%d,"likeNum2":%d,"msgBiz":"%s","msgMid":"%d",'
    b'"msgIdx":"%d","sourceUrl":"","cover":"http://mmbiz.qpic.cn/mmbiz_jpg/%s%s/0?wx_fmt=jpeg",'
    b'"digest":"%s","isFail":false,"author":"%s","copyrightStat":%d,"accountName":"%s",'
    b'"updateNumAt":"%s"}\n'
)


@dataclass(slots=True)
class _Chunk:
    data: bytes | Part
    acct: np.ndarray
    ts: np.ndarray
    event: np.ndarray
    articles: int


class WechatStream:
    """Writes WeChat official-account articles."""

    name = "wechat"

    def write(self, ctx: StreamContext) -> None:
        """Write ``wechat/articles.jsonl`` month by month, in account chunks."""
        if "wechat" not in ctx.config.platforms:
            return
        self.ctx = ctx
        accounts = ctx.population.accounts["wechat"]
        self.act = act = ctx.activity["wechat"]
        n = len(accounts)
        self.texts = TextMaker(ctx, "wechat")
        dates = [*ctx.window.dates, ctx.window.end]
        self.days = [f"{d.isoformat()}T".encode() for d in dates]
        self.observed = ctx.window.observed_at.isoformat().encode()
        # Each account numbers its pushes; earlier pushes happened before the window. A
        # chunk's first mid only depends on the pushes before it, so chunks stay independent.
        pushes = act.counts.astype(np.int64)
        if act.event_counts.size:
            for k, day in enumerate(act.event_days):
                pushes[:, day] += act.event_counts[:, k]
        self.first_mid = FIRST_MID + act.prior_posts[:, None] + np.cumsum(pushes, axis=1) - pushes
        posts = np.zeros(n, np.int64)
        last_ts = np.full(n, -1, np.int64)
        event_posts = np.zeros(n, np.int64)
        articles = 0
        months = list(ctx.window.months())
        chunks = list(range(0, n, CHUNK))
        workers = auto_workers(ctx.config.workers, len(chunks))
        advance = ctx.progress.task("微信 WeChat articles", len(months) * len(chunks))
        with ctx.open("wechat/articles.jsonl", binary=True) as fh:
            for mi, month in enumerate(months):
                self.month = (mi, month)
                for chunk in ordered_map(self._chunk, chunks, workers, spill_dir=ctx.scratch):
                    write_rendered(fh, chunk.data)
                    articles += chunk.articles
                    np.add.at(posts, chunk.acct, 1)
                    np.maximum.at(last_ts, chunk.acct, chunk.ts)
                    np.add.at(event_posts, chunk.acct[chunk.event], 1)
                    advance(1)
        from zhengwu.simulate.truth import record_platform

        record_platform(ctx, "wechat", accounts, act, posts, last_ts, event_posts,
                        extra={"pushes": int(posts.sum()), "articles": articles})  # fmt: skip

    def _chunk(self, lo: int) -> _Chunk:
        """Draw and render the pushes of the accounts from ``lo`` for the current month."""
        mi, month = self.month
        ctx, act = self.ctx, self.act
        gen = rng(ctx.config.seed, "wechat", mi, lo // CHUNK)
        ids = np.arange(lo, min(lo + CHUNK, act.size))
        batch = draw_batch(act, ids, month, ctx.window, gen, hours="wechat")
        data, count = self._render(batch, gen)
        return _Chunk(data, batch.acct, batch.ts, batch.event, count)

    def _render(self, batch: PostBatch, gen: np.random.Generator) -> tuple[bytes, int]:
        """Return the article rows of every push in a batch, and how many there are."""
        act, window = self.act, self.ctx.window
        accounts = self.ctx.population.accounts["wechat"]
        n_articles = _ARTICLES[(batch.pick >> 5) % len(_ARTICLES)]
        acct_rep = np.repeat(batch.acct, n_articles)
        idx = np.concatenate(
            [np.arange(1, 1 + k) for k in n_articles.tolist()] or [np.zeros(0, np.int64)]
        )
        # Reads: a share of the fans open a push; the headline draws most of them.
        boost = (
            batch.noise
            * growth(window.end_ts - batch.ts)
            * np.where(batch.event, ENGAGEMENT_BOOST, 1.0)
        )
        base = act.followers[acct_rep] * 0.04 * act.quality[acct_rep] * np.repeat(boost, n_articles)
        base /= np.where(idx == 1, 1.0, 2.5 * idx)
        reads = np.minimum(gen.poisson(base), READ_CAP).tolist()
        likes = gen.poisson(np.asarray(reads) * 0.008).tolist()
        zaikan = gen.poisson(np.asarray(reads) * 0.004).tolist()
        original = (gen.random(acct_rep.shape[0]) < 0.6).tolist()
        rel = batch.ts - window.start_ts
        days, secs = (rel // 86_400).tolist(), (rel % 86_400).tolist()
        event, pick, counts = batch.event.tolist(), batch.pick.tolist(), n_articles.tolist()
        out: list[bytes] = []
        j = 0
        texts, observed, escape = self.texts, self.observed, json_bytes
        last_day = window.days - 1
        for a, start, stop in zip(*(x.tolist() for x in group_bounds(batch.acct)), strict=True):
            account = accounts[a]
            biz, name = account.uid.encode(), escape(account.name)
            pieces = texts.account(a)
            previous_day = -1
            mid = 0
            for r in range(start, stop):
                if days[r] != previous_day:
                    previous_day = days[r]
                    mid = int(self.first_mid[a, min(previous_day, last_day)])
                publish = self.days[days[r]] + CLOCK_BYTES[secs[r]] + b"+08:00"
                for k in range(1, counts[r] + 1):
                    bits = (pick[r] + k * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
                    title = texts.title(a, days[r], secs[r], event[r], bits, _TITLES, _EVENT_TITLES)
                    digest = texts.compose(pieces, days[r], secs[r], event[r], bits)
                    sn = b"%032x" % ((bits * 0xD6E8FEB86659FD93) & _MASK128)
                    out.append(_ROW % (
                        escape(title), biz, mid, k, sn, publish, reads[j], likes[j], zaikan[j],
                        biz, mid, k, sn, sn[:14], escape(digest.replace("#", "")[:54]),
                        name if bits % 3 == 0 else b"", 11 if original[j] else 100, name, observed,
                    ))  # fmt: skip
                    j += 1
                mid += 1
        return b"".join(out), j
