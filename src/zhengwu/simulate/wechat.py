"""The WeChat stream: ``wechat/articles.jsonl`` as the wechat_spider export writes it.

One row per article (FORMATS.md §5): ``title, link, publishAt, readNum, likeNum (点赞),
likeNum2 (在看), msgBiz, msgMid, msgIdx, sourceUrl, cover, digest, isFail, author,
copyrightStat, accountName, updateNumAt``. A push (群发) holds 1–5 articles sharing its
``mid``; ``msgIdx`` 1 is the headline (头条). Reads of 100,001 and more are exported as
100001, the number behind the UI's "10万+".
"""

from __future__ import annotations

import numpy as np
import orjson

from zhengwu.simulate import content
from zhengwu.simulate.activity import growth
from zhengwu.simulate.config import CHINA_TZ, rng
from zhengwu.simulate.event import ENGAGEMENT_BOOST
from zhengwu.simulate.posts import PostBatch, draw_batch, group_bounds
from zhengwu.simulate.streams import StreamContext
from zhengwu.simulate.texts import TextMaker
from zhengwu.simulate.weibo_format import CLOCK

CHUNK = 4096
READ_CAP = 100_001
FIRST_MID = 2_247_483_648  # newer accounts number their pushes from 2^31
_ARTICLES = np.array((1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5), dtype=np.int64)


class WechatStream:
    """Writes WeChat official-account articles."""

    name = "wechat"

    def write(self, ctx: StreamContext) -> None:
        """Write ``wechat/articles.jsonl`` month by month, in account chunks."""
        if "wechat" not in ctx.config.platforms:
            return
        accounts = ctx.population.accounts["wechat"]
        act = ctx.activity["wechat"]
        n = len(accounts)
        texts = TextMaker(ctx, "wechat")
        # Each account numbers its pushes; earlier pushes happened before the window.
        next_mid = FIRST_MID + act.prior_posts.astype(np.int64)
        days = [d.isoformat() for d in ctx.window.dates]
        days.append(ctx.window.end.isoformat())
        observed = ctx.window.observed_at.astimezone(CHINA_TZ).isoformat()
        posts = np.zeros(n, np.int64)
        last_ts = np.full(n, -1, np.int64)
        event_posts = np.zeros(n, np.int64)
        articles = 0
        months = list(ctx.window.months())
        chunks = list(range(0, n, CHUNK))
        advance = ctx.progress.task("微信 WeChat articles", len(months) * len(chunks))
        with ctx.open("wechat/articles.jsonl") as fh:
            for mi, month in enumerate(months):
                for ci, lo in enumerate(chunks):
                    gen = rng(ctx.config.seed, "wechat", mi, ci)
                    ids = np.arange(lo, min(lo + CHUNK, n))
                    batch = draw_batch(act, ids, month, ctx.window, gen, hours="wechat")
                    mids = _push_numbers(batch, next_mid)
                    rows = self._rows(ctx, batch, mids, gen, texts, days, observed)
                    fh.writelines(rows)
                    articles += len(rows)
                    np.add.at(posts, batch.acct, 1)
                    np.maximum.at(last_ts, batch.acct, batch.ts)
                    np.add.at(event_posts, batch.acct[batch.event], 1)
                    advance(1)
        from zhengwu.simulate.truth import record_platform

        record_platform(ctx, "wechat", accounts, act, posts, last_ts, event_posts,
                        extra={"pushes": int(posts.sum()), "articles": articles})  # fmt: skip

    def _rows(self, ctx: StreamContext, batch: PostBatch, mids: np.ndarray,
              gen: np.random.Generator, texts: TextMaker, days: list[str], observed: str) -> list[str]:  # fmt: skip
        """Return the article rows of every push in a batch."""
        act = ctx.activity["wechat"]
        accounts = ctx.population.accounts["wechat"]
        size = len(batch)
        n_articles = _ARTICLES[(batch.pick >> 5) % len(_ARTICLES)]
        acct_rep = np.repeat(batch.acct, n_articles)
        idx = np.concatenate([np.arange(1, k + 1) for k in n_articles.tolist()]) if size else np.zeros(0, np.int64)
        # Reads: a share of the fans open it; the headline draws most.
        base = act.followers[acct_rep] * 0.04 * act.quality[acct_rep]
        base *= np.repeat(batch.noise * growth(ctx.window.end_ts - batch.ts) * np.where(batch.event, ENGAGEMENT_BOOST, 1.0), n_articles)
        base /= np.where(idx == 1, 1.0, 2.5 * idx)
        reads = np.minimum(gen.poisson(base), READ_CAP)
        likes = gen.poisson(reads * 0.008)
        zaikan = gen.poisson(reads * 0.004)
        original = gen.random(acct_rep.shape[0]) < 0.6
        start_ts = ctx.window.start_ts
        rows: list[str] = []
        j = 0
        for r, (a, ts, event, pick, mid) in enumerate(zip(batch.acct.tolist(), batch.ts.tolist(), batch.event.tolist(), batch.pick.tolist(), mids.tolist(), strict=True)):
            account = accounts[a]
            day, sec = divmod(ts - start_ts, 86_400)
            publish = f"{days[day]}T{CLOCK[sec]}+08:00"
            for k in range(1, int(n_articles[r]) + 1):
                seed_bits = pick + k * 0x9E3779B97F4A7C15
                title = texts.title(a, ts, event, seed_bits, content.WECHAT_TITLES, content.WECHAT_EVENT_TITLES)
                digest = texts.text(a, ts, event, seed_bits).replace("#", "")[:54]
                sn = f"{(seed_bits * 0xD6E8FEB86659FD93) & ((1 << 128) - 1):032x}"
                row = {
                    "title": title,
                    "link": f"https://mp.weixin.qq.com/s?__biz={account.uid}&mid={mid}&idx={k}&sn={sn}",
                    "publishAt": publish,
                    "readNum": int(reads[j]),
                    "likeNum": int(likes[j]),
                    "likeNum2": int(zaikan[j]),
                    "msgBiz": account.uid,
                    "msgMid": str(mid),
                    "msgIdx": str(k),
                    "sourceUrl": "",
                    "cover": f"http://mmbiz.qpic.cn/mmbiz_jpg/{sn[:22]}{sn[:20]}/0?wx_fmt=jpeg",
                    "digest": digest,
                    "isFail": False,
                    "author": account.name if pick % 3 == 0 else "",
                    "copyrightStat": 11 if original[j] else 100,
                    "accountName": account.name,
                    "updateNumAt": observed,
                }
                rows.append(orjson.dumps(row).decode() + "\n")
                j += 1
        return rows


def _push_numbers(batch: PostBatch, next_mid: np.ndarray) -> np.ndarray:
    """Return each push's ``mid`` (consecutive per account) and advance the counters."""
    mids = np.empty(len(batch), dtype=np.int64)
    accts, starts, stops = group_bounds(batch.acct)
    for a, start, stop in zip(accts.tolist(), starts.tolist(), stops.tolist(), strict=True):
        mids[start:stop] = next_mid[a] + np.arange(stop - start)
        next_mid[a] += stop - start
    return mids
