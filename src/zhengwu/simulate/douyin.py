"""The Douyin stream: MediaCrawler-shaped ``douyin/aweme.jsonl`` and ``douyin/creators.jsonl``.

Aweme rows carry MediaCrawler's columns (counts as strings, ``create_time`` in unix
seconds, ``ip_location`` from the IP label) plus ``play_count``, which MediaCrawler does
not export but the Douyin open platform reports. Aweme ids hold their time in the high 32
bits, as real ones do. Creators: ``user_id, nickname, desc, ip_location, follows, fans,
interaction, videos_count``.
"""

from __future__ import annotations

import numpy as np
import orjson

from zhengwu.simulate import content
from zhengwu.simulate.activity import growth
from zhengwu.simulate.config import rng
from zhengwu.simulate.event import ENGAGEMENT_BOOST
from zhengwu.simulate.posts import PostBatch, draw_batch
from zhengwu.simulate.streams import StreamContext
from zhengwu.simulate.texts import TextMaker

CHUNK = 4096


class DouyinStream:
    """Writes Douyin videos and creators."""

    name = "douyin"

    def write(self, ctx: StreamContext) -> None:
        """Write ``douyin/aweme.jsonl`` (month by month, in chunks) and ``creators.jsonl``."""
        if "douyin" not in ctx.config.platforms:
            return
        accounts = ctx.population.accounts["douyin"]
        act = ctx.activity["douyin"]
        n = len(accounts)
        texts = TextMaker(ctx, "douyin")
        posts = np.zeros(n, np.int64)
        likes_total = np.zeros(n, np.int64)
        last_ts = np.full(n, -1, np.int64)
        event_posts = np.zeros(n, np.int64)
        observed_ms = str(ctx.window.end_ts * 1000)
        months = list(ctx.window.months())
        chunks = list(range(0, n, CHUNK))
        advance = ctx.progress.task("抖音 Douyin videos", len(months) * len(chunks))
        with ctx.open("douyin/aweme.jsonl") as fh:
            for mi, month in enumerate(months):
                for ci, lo in enumerate(chunks):
                    gen = rng(ctx.config.seed, "douyin", mi, ci)
                    ids = np.arange(lo, min(lo + CHUNK, n))
                    batch = draw_batch(act, ids, month, ctx.window, gen, hours="douyin")
                    likes = self._write_batch(ctx, fh, batch, gen, texts, observed_ms)
                    np.add.at(posts, batch.acct, 1)
                    np.add.at(likes_total, batch.acct, likes)
                    np.maximum.at(last_ts, batch.acct, batch.ts)
                    np.add.at(event_posts, batch.acct[batch.event], 1)
                    advance(1)
        with ctx.open("douyin/creators.jsonl") as fh:
            for i, a in enumerate(accounts):
                prior_likes = int(act.prior_posts[i] * act.followers[i] * 0.01)
                creator = {
                    "user_id": a.uid,
                    "nickname": a.name,
                    "gender": "未知",
                    "avatar": f"https://p3-pc.douyinpic.com/aweme/100x100/aweme-avatar/{a.extra['sec_uid'][-16:]}.jpeg",
                    "desc": a.description,
                    "ip_location": a.extra["ip_location"],
                    "follows": str(int(act.friends[i])),
                    "fans": str(int(act.followers[i])),
                    "interaction": str(prior_likes + int(likes_total[i])),
                    "videos_count": str(int(act.prior_posts[i] + posts[i])),
                    "last_modify_ts": int(observed_ms),
                }
                fh.write(orjson.dumps(creator).decode() + "\n")
        from zhengwu.simulate.truth import record_platform

        record_platform(ctx, "douyin", accounts, act, posts, last_ts, event_posts)

    def _write_batch(self, ctx: StreamContext, fh: object, batch: PostBatch,
                     gen: np.random.Generator, texts: TextMaker, observed_ms: str) -> np.ndarray:  # fmt: skip
        """Write the aweme rows of a batch and return their like counts."""
        act = ctx.activity["douyin"]
        accounts = ctx.population.accounts["douyin"]
        acct = batch.acct
        boost = np.where(batch.event, ENGAGEMENT_BOOST, 1.0) * growth(ctx.window.end_ts - batch.ts)
        plays = gen.poisson(act.followers[acct] * 0.3 * act.quality[acct] * batch.noise * boost + 200 * boost)
        likes = gen.poisson(plays * 0.025 * np.exp(gen.normal(0, 0.5, len(batch))))
        comments = gen.poisson(likes * 0.06)
        shares = gen.poisson(likes * 0.12)
        collected = gen.poisson(likes * 0.05)
        lines: list[str] = []
        for r, (a, ts, event, pick) in enumerate(zip(acct.tolist(), batch.ts.tolist(), batch.event.tolist(), batch.pick.tolist(), strict=True)):
            account = accounts[a]
            aweme_id = str((ts << 32) | a)
            title = texts.title(a, ts, event, pick, content.DOUYIN_TITLES, content.DOUYIN_EVENT_TITLES)
            row = {
                "aweme_id": aweme_id,
                "aweme_type": "68" if pick % 10 == 0 else "0",
                "title": title,
                "desc": title,
                "create_time": ts,
                "user_id": account.uid,
                "sec_uid": account.extra["sec_uid"],
                "short_user_id": account.extra["unique_id"],
                "user_unique_id": account.extra["unique_id"],
                "user_signature": account.description,
                "nickname": account.name,
                "avatar": f"https://p3-pc.douyinpic.com/aweme/100x100/aweme-avatar/{account.extra['sec_uid'][-16:]}.jpeg",
                "liked_count": str(int(likes[r])),
                "collected_count": str(int(collected[r])),
                "comment_count": str(int(comments[r])),
                "share_count": str(int(shares[r])),
                "play_count": str(int(plays[r])),
                "ip_location": account.extra["ip_location"],
                "last_modify_ts": int(observed_ms),
                "aweme_url": f"https://www.douyin.com/video/{aweme_id}",
                "cover_url": f"https://p3-pc-sign.douyinpic.com/tos-cn-p-0015/{pick:x}~tplv-dy-cropcenter:323:430.jpeg",
                "video_download_url": f"https://v26-web.douyinvod.com/{pick:x}/video/tos/cn/tos-cn-ve-15/{aweme_id}/",
                "music_download_url": "",
                "note_download_url": "",
                "source_keyword": "",
            }
            lines.append(orjson.dumps(row).decode() + "\n")
        fh.writelines(lines)  # type: ignore[attr-defined]
        return likes
