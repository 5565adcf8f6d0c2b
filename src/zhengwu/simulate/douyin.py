"""The Douyin stream: MediaCrawler-shaped ``douyin/aweme.jsonl`` and ``douyin/creators.jsonl``.

Aweme rows carry MediaCrawler's columns (counts as strings, ``create_time`` in unix
seconds, ``ip_location`` from the IP label) plus ``play_count``, which MediaCrawler does
not export but the Douyin open platform reports. Aweme ids hold their time in the high 32
bits, as real ones do. Creators: ``user_id, nickname, desc, ip_location, follows, fans,
interaction, videos_count``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson

from zhengwu.simulate import content
from zhengwu.simulate.activity import growth
from zhengwu.simulate.config import rng
from zhengwu.simulate.event import ENGAGEMENT_BOOST
from zhengwu.simulate.parallel import Part, auto_workers, ordered_map, write_rendered
from zhengwu.simulate.posts import PostBatch, draw_batch, group_bounds
from zhengwu.simulate.streams import StreamContext
from zhengwu.simulate.templates import compile_all
from zhengwu.simulate.texts import TextMaker
from zhengwu.simulate.weibo_format import json_bytes

CHUNK = 1024
_TITLES = compile_all(content.DOUYIN_TITLES)
_EVENT_TITLES = compile_all(content.DOUYIN_EVENT_TITLES)
# One video, in MediaCrawler's column order (+ play_count).
_ROW = (
    b'{"aweme_id":"%d","aweme_type":"%d","title":"%s","desc":"%s","create_time":%d,%s,'
    b'"liked_count":"%d","collected_count":"%d","comment_count":"%d","share_count":"%d",'
    b'"play_count":"%d","ip_location":"%s","last_modify_ts":%d,'
    b'"aweme_url":"https://www.douyin.com/video/%d",'
    b'"cover_url":"https://p3-pc-sign.douyinpic.com/tos-cn-p-0015/%x~tplv-dy-cropcenter:323:430.jpeg",'
    b'"video_download_url":"https://v26-web.douyinvod.com/%x/video/tos/cn/tos-cn-ve-15/%d/",'
    b'"music_download_url":"","note_download_url":"","source_keyword":""}\n'
)


@dataclass(slots=True)
class _Chunk:
    data: bytes | Part
    acct: np.ndarray
    ts: np.ndarray
    event: np.ndarray
    likes: np.ndarray


class DouyinStream:
    """Writes Douyin videos and creators."""

    name = "douyin"

    def write(self, ctx: StreamContext) -> None:
        """Write ``douyin/aweme.jsonl`` (month by month, in chunks) and ``creators.jsonl``."""
        if "douyin" not in ctx.config.platforms:
            return
        self.ctx = ctx
        accounts = ctx.population.accounts["douyin"]
        self.act = act = ctx.activity["douyin"]
        n = len(accounts)
        self.texts = TextMaker(ctx, "douyin")
        posts = np.zeros(n, np.int64)
        likes_total = np.zeros(n, np.int64)
        last_ts = np.full(n, -1, np.int64)
        event_posts = np.zeros(n, np.int64)
        observed_ms = ctx.window.end_ts * 1000
        months = list(ctx.window.months())
        chunks = list(range(0, n, CHUNK))
        workers = auto_workers(ctx.config.workers, len(chunks))
        advance = ctx.progress.task("抖音 Douyin videos", len(months) * len(chunks))
        with ctx.open("douyin/aweme.jsonl", binary=True) as fh:
            for mi, month in enumerate(months):
                self.month = (mi, month)
                for chunk in ordered_map(self._chunk, chunks, workers, spill_dir=ctx.scratch):
                    write_rendered(fh, chunk.data)
                    np.add.at(posts, chunk.acct, 1)
                    np.add.at(likes_total, chunk.acct, chunk.likes)
                    np.maximum.at(last_ts, chunk.acct, chunk.ts)
                    np.add.at(event_posts, chunk.acct[chunk.event], 1)
                    advance(1)
        with ctx.open("douyin/creators.jsonl", binary=True) as fh:
            for i, a in enumerate(accounts):
                prior_likes = int(act.prior_posts[i] * act.followers[i] * 0.01)
                creator = {
                    "user_id": a.uid,
                    "nickname": a.name,
                    "gender": "未知",
                    "avatar": _avatar(a.extra["sec_uid"]),
                    "desc": a.description,
                    "ip_location": a.extra["ip_location"],
                    "follows": str(int(act.friends[i])),
                    "fans": str(int(act.followers[i])),
                    "interaction": str(prior_likes + int(likes_total[i])),
                    "videos_count": str(int(act.prior_posts[i] + posts[i])),
                    "last_modify_ts": observed_ms,
                }
                fh.write(orjson.dumps(creator, option=orjson.OPT_APPEND_NEWLINE))
        from zhengwu.simulate.truth import record_platform

        record_platform(ctx, "douyin", accounts, act, posts, last_ts, event_posts)

    def _chunk(self, lo: int) -> _Chunk:
        """Draw and render the videos of the accounts from ``lo`` for the current month."""
        mi, month = self.month
        ctx, act = self.ctx, self.act
        gen = rng(ctx.config.seed, "douyin", mi, lo // CHUNK)
        ids = np.arange(lo, min(lo + CHUNK, act.size))
        batch = draw_batch(act, ids, month, ctx.window, gen, hours="douyin")
        data, likes = self._render(batch, gen)
        return _Chunk(data, batch.acct, batch.ts, batch.event, likes)

    def _render(self, batch: PostBatch, gen: np.random.Generator) -> tuple[bytes, np.ndarray]:
        """Return the aweme rows of a batch and their like counts."""
        ctx, act = self.ctx, self.act
        accounts = ctx.population.accounts["douyin"]
        acct = batch.acct
        boost = np.where(batch.event, ENGAGEMENT_BOOST, 1.0) * growth(ctx.window.end_ts - batch.ts)
        # Plays: followers' feeds plus the recommendation stream every video gets.
        plays = gen.poisson(
            (act.followers[acct] * 0.3 * act.quality[acct] * batch.noise + 200) * boost
        )
        likes = gen.poisson(plays * 0.025 * np.exp(gen.normal(0, 0.5, len(batch))))
        comments = gen.poisson(likes * 0.06).tolist()
        shares = gen.poisson(likes * 0.12).tolist()
        collected = gen.poisson(likes * 0.05).tolist()
        rel = batch.ts - ctx.window.start_ts
        days, secs = (rel // 86_400).tolist(), (rel % 86_400).tolist()
        ts, event, pick = batch.ts.tolist(), batch.event.tolist(), batch.pick.tolist()
        play_list, like_list = plays.tolist(), likes.tolist()
        observed_ms = ctx.window.end_ts * 1000
        texts, escape = self.texts, json_bytes
        out: list[bytes] = []
        for a, start, stop in zip(*(x.tolist() for x in group_bounds(acct)), strict=True):
            account = accounts[a]
            sec_uid, unique_id = account.extra["sec_uid"], account.extra["unique_id"]
            fixed = (
                f'"user_id":"{account.uid}","sec_uid":"{sec_uid}","short_user_id":"{unique_id}",'
                f'"user_unique_id":"{unique_id}","user_signature":"'.encode()
                + escape(account.description)
                + b'","nickname":"'
                + escape(account.name)
                + f'","avatar":"{_avatar(sec_uid)}"'.encode()
            )
            ip = account.extra["ip_location"].encode()
            for r in range(start, stop):
                aweme_id = (ts[r] << 32) | a  # the high 32 bits are the creation time
                title = escape(
                    texts.title(a, days[r], secs[r], event[r], pick[r], _TITLES, _EVENT_TITLES)
                )
                out.append(_ROW % (
                    aweme_id, 68 if pick[r] % 10 == 0 else 0, title, title, ts[r], fixed,
                    like_list[r], collected[r], comments[r], shares[r], play_list[r], ip,
                    observed_ms, aweme_id, pick[r], pick[r], aweme_id,
                ))  # fmt: skip
        return b"".join(out), likes


def _avatar(sec_uid: str) -> str:
    return f"https://p3-pc.douyinpic.com/aweme/100x100/aweme-avatar/{sec_uid[-16:]}.jpeg"
