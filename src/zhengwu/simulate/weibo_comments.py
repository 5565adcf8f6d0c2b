"""Weibo comments in MediaCrawler's JSON Lines layout: ``weibo/comments-YYYY-MM.jsonl``.

What a comment crawler (NanmiCoder/MediaCrawler, Weibo comment store) collects under the
government posts of a month, as seen at the window end:

* citizens' comments: as many as the post's ``comments_count`` (already drawn for the
  status, heavy-tailed: most posts get none, a viral one hundreds), at most
  :data:`COMMENTS_PER_NOTE` per post — MediaCrawler's default per-note limit; each
  written after its post (truncated exponential delay, the engagement growth's scale);
* the accounts' own replies: a replying account answers each citizen comment under its
  posts with probability ``reply_rate × COMMENT_REPLY_SHARE`` — a comment with its uid as
  ``user_id`` and ``parent_comment_id`` = the citizen comment, a few hours later, before
  the window end. Most are comment-only;
* the comment side of each timeline reply (``回复@网友N:答复//@网友N:评论``, see
  :mod:`zhengwu.simulate.weibo`, Weibo's 同时转发): the citizen comment and the account's
  answer with the same reply text, under the account's previous post, the answer at most
  :data:`TWIN_SECONDS` before the timeline post — the index counts such a reply once.

Only repliers answer: zombies and dormant accounts never do (activity.py already keeps
them out of the repliers; the rule is applied here again so the two can't drift apart).
Citizens are synthetic: uids from :data:`CITIZEN_UID_BASE` up, above every account uid
(so a citizen comment is never an account's reply), nickname ``网友NNNNN`` from the uid,
Weibo's default avatar, IP location mostly the account's province.

A comment id is its post's status id × 64 plus a slot (citizen comments 0–9, their
answers 10–19, a timeline reply's pair 20 and 21): unique because status ids are.

Cost: one numpy pass over a batch whose statuses were just rendered, from the rows and
counts the status writer already has, then one ``bytes % tuple`` per comment. Comments
draw from their own random stream, so adding them changes no status.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

import numpy as np

from zhengwu.simulate import content
from zhengwu.simulate import weibo_format as wf
from zhengwu.simulate.activity import PlatformActivity
from zhengwu.simulate.config import CHINA_TZ, Window
from zhengwu.simulate.population import Account, Population
from zhengwu.simulate.posts import PostBatch

COMMENTS_PER_NOTE = 10  # MediaCrawler's CRAWLER_MAX_COMMENTS_COUNT_SINGLENOTES default
# A replier answers this share × its reply rate (0.05–0.6) of the comments under its posts.
COMMENT_REPLY_SHARE = 0.5
COMMENT_DELAY = 36_000.0  # seconds: the scale of activity.growth()
REPLY_DELAY = 14_400.0  # seconds: an office answers within hours
TWIN_SECONDS = 120  # a timeline reply's comment is written at most this long before it
CITIZEN_UID_BASE = 8_000_000_000  # above every account uid (identity.py: < 7,990,000,000)
CITIZEN_UIDS = 900_000_000
HOME_IP_SHARE = 0.85  # commenters from the account's own province
SLOT_BITS = 6
_REPLY_SLOT = COMMENTS_PER_NOTE
_TWIN_CITIZEN_SLOT = 2 * COMMENTS_PER_NOTE
_TWIN_REPLY_SLOT = _TWIN_CITIZEN_SLOT + 1

REPLY_TEXTS: tuple[str, ...] = tuple(
    f"{opening}{body}{closing}"
    for body in content.REPLY_BODIES
    for opening in content.REPLY_OPENINGS
    for closing in content.REPLY_CLOSINGS
)
CITIZEN_TEXTS = content.COMMENT_TEXTS + content.EVENT_COMMENT_TEXTS
_REPLY_BYTES = tuple(wf.json_bytes(t) for t in REPLY_TEXTS)
_CITIZEN_BYTES = tuple(wf.json_bytes(t) for t in CITIZEN_TEXTS)
_CITIZEN_LINE = (
    '{"comment_id":"%d","create_time":%d,"create_date_time":"%s%s+08:00","note_id":"%d",'
    '"content":"%s","sub_comment_count":"%d","comment_like_count":"%d","last_modify_ts":%d,'
    '"ip_location":"%s","parent_comment_id":"%d","user_id":"%d","nickname":"网友%d",'
    '"gender":"%s","profile_url":"https://m.weibo.cn/u/%d",'
    '"avatar":"https://tvax1.sinaimg.cn/default/images/default_avatar_male_50.gif"}\n'
).encode()
_ACCOUNT_LINE = (
    b'{"comment_id":"%d","create_time":%d,"create_date_time":"%s%s+08:00","note_id":"%d",'
    b'"content":"%s","sub_comment_count":"0","comment_like_count":"%d","last_modify_ts":%d,'
    b'"ip_location":"%s","parent_comment_id":"%d","user_id":"%s","nickname":"%s",'
    b'"gender":"%s","profile_url":"https://m.weibo.cn/u/%s","avatar":"%s"}\n'
)
# Weibo's form of an answer inside a thread: 回复@网友N:答复 (the @ as a profile link).
_THREAD_REPLY = "回复<a href='https://m.weibo.cn/n/网友%d'>@网友%d</a>:".encode() + b"%s"


def citizen_number(uid: np.ndarray) -> np.ndarray:
    """Return the number in a citizen's nickname (网友NNNNN) from the uid."""
    number: np.ndarray = (uid - CITIZEN_UID_BASE) % 90_000 + 10_000
    return number


@dataclass(slots=True)
class CommentCounts:
    """What a batch of comments held (for the ground truth)."""

    citizen_comments: int = 0
    own_replies: int = 0  # comment-only answers
    timeline_pairs: int = 0  # answers also posted to the timeline (回复@…)

    def add(self, other: CommentCounts) -> None:
        """Add another batch's counts."""
        self.citizen_comments += other.citizen_comments
        self.own_replies += other.own_replies
        self.timeline_pairs += other.timeline_pairs


@dataclass(slots=True)
class _Rows:
    """Comments of a batch as parallel columns (kind 0 citizen, 1 account)."""

    note: np.ndarray
    slot: np.ndarray
    ts: np.ndarray
    author: np.ndarray  # citizen uid, or account index for kind 1
    kind: np.ndarray
    parent_slot: np.ndarray  # the slot of the comment answered (its own for top level)
    text: np.ndarray  # index into CITIZEN_TEXTS or REPLY_TEXTS
    likes: np.ndarray
    subs: np.ndarray
    ip: np.ndarray  # index into the IP names (citizens)
    thread: np.ndarray  # bool: an answer in the thread form 回复@网友N:…


class CommentMaker:
    """Draws and renders the comments under one platform's statuses (Weibo)."""

    def __init__(self, population: Population, accounts: list[Account],
                 act: PlatformActivity, window: Window) -> None:  # fmt: skip
        self.accounts = accounts
        self.start_ts = window.start_ts
        self.end_ts = window.end_ts
        self.observed_ms = window.end_ts * 1000
        self.gov = np.array([a.org >= 0 for a in accounts], dtype=bool)
        if accounts and max(int(a.uid) for a in accounts) >= CITIZEN_UID_BASE:
            raise ValueError("account uids reach the citizen uid range")
        # Dormant and zombie accounts never answer, whatever their reply rate says.
        answers = act.replier & ~act.dormant & ~act.zombie
        self.answer_p = np.where(answers, act.reply_rate * COMMENT_REPLY_SHARE, 0.0)
        names: dict[str, str] = {}
        for unit in population.scope.units:
            names.setdefault(unit.province.adcode, unit.province.short)
        for province in population.scope.provinces:
            names.setdefault(province.adcode, province.short)
        codes = sorted(names) or ["110000"]
        self.ip_names = tuple(wf.json_bytes(names.get(c, "北京")) for c in codes)
        index = {code: i for i, code in enumerate(codes)}
        self.home_ip = np.array([index.get(a.province, -1) for a in accounts], dtype=np.int64)
        self.dates = [
            datetime.fromtimestamp(self.start_ts + d * 86_400, CHINA_TZ).strftime("%Y-%m-%d ").encode()
            for d in range(window.days + 2)
        ]  # fmt: skip
        self._who: dict[int, tuple[bytes, bytes, bytes, bytes, bytes]] = {}

    def render(self, batch: PostBatch, likes: list[int], comments: list[int],
               timeline: np.ndarray, keep: np.ndarray | None,
               gen: np.random.Generator) -> tuple[bytes, CommentCounts]:  # fmt: skip
        """Return the comment lines under a batch's statuses, and what they held.

        ``timeline`` marks the batch's timeline replies (回复@… posts), ``keep`` the
        statuses written (None: all).
        """
        if not len(batch):
            return b"", CommentCounts()
        visible = keep if keep is not None else np.ones(len(batch), dtype=bool)
        citizens, answered = self._citizen_comments(batch, likes, comments, timeline, visible, gen)
        answers = self._answers(citizens, answered, batch, gen)
        twins = self._timeline_pairs(batch, timeline, visible, gen)
        rows = _concat(citizens, answers, *twins)
        counts = CommentCounts(
            int(citizens.note.shape[0]), int(answers.note.shape[0]), int(twins[0].note.shape[0])
        )
        return self._lines(rows, batch), counts

    # -- drawing -------------------------------------------------------------------------
    def _citizen_comments(self, batch: PostBatch, likes: list[int], comments: list[int],
                          timeline: np.ndarray, visible: np.ndarray,
                          gen: np.random.Generator) -> tuple[_Rows, np.ndarray]:  # fmt: skip
        """Return the citizens' comments under the batch's government posts, and which get an answer."""
        acct, ts = batch.acct, batch.ts
        room = self.end_ts - ts
        n = np.minimum(np.asarray(comments, dtype=np.int64), COMMENTS_PER_NOTE)
        n[~(self.gov[acct] & visible & ~timeline) | (room < 2)] = 0
        total = int(n.sum())
        note = np.repeat(np.arange(len(batch), dtype=np.int64), n)
        k = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)
        t = ts[note] + _delay(gen, room[note], COMMENT_DELAY)
        uid = CITIZEN_UID_BASE + gen.integers(0, CITIZEN_UIDS, total, dtype=np.int64)
        ordinary = gen.integers(0, len(content.COMMENT_TEXTS), total, dtype=np.int64)
        event = len(content.COMMENT_TEXTS) + gen.integers(
            0, len(content.EVENT_COMMENT_TEXTS), total, dtype=np.int64
        )
        text = np.where(batch.event[note], event, ordinary)
        home = self.home_ip[acct[note]]
        away = gen.integers(0, len(self.ip_names), total, dtype=np.int64)
        ip = np.where((home >= 0) & (gen.random(total) < HOME_IP_SHARE), home, away)
        # Earlier comments collect more likes (they are shown first).
        c_likes = gen.poisson(np.asarray(likes, dtype=float)[note] * 0.04 / (1.0 + k))
        answered = (gen.random(total) < self.answer_p[acct[note]]) & (self.end_ts - t >= 2)
        rows = _Rows(note, k, t, uid, np.zeros(total, np.int8), k, text, c_likes,
                     answered.astype(np.int64), ip, np.zeros(total, bool))  # fmt: skip
        return rows, answered

    def _answers(self, citizens: _Rows, answered: np.ndarray, batch: PostBatch,
                 gen: np.random.Generator) -> _Rows:  # fmt: skip
        """Return the accounts' comment-only answers to the citizen comments marked."""
        idx = np.flatnonzero(answered)
        size = idx.shape[0]
        note, t = citizens.note[idx], citizens.ts[idx]
        return _Rows(
            note, citizens.slot[idx] + _REPLY_SLOT, t + _delay(gen, self.end_ts - t, REPLY_DELAY),
            batch.acct[note], np.ones(size, np.int8), citizens.slot[idx],
            gen.integers(0, len(REPLY_TEXTS), size, dtype=np.int64),
            gen.poisson(0.3 + 0.2 * citizens.likes[idx]), np.zeros(size, np.int64),
            np.zeros(size, np.int64), np.zeros(size, bool),
        )  # fmt: skip

    def _timeline_pairs(self, batch: PostBatch, timeline: np.ndarray, visible: np.ndarray,
                        gen: np.random.Generator) -> tuple[_Rows, _Rows]:  # fmt: skip
        """Return the comment side of timeline replies: the citizen comment and the answer.

        Both go under the account's previous status of the batch; a timeline reply that
        has none (its account's first post of the month) stays timeline-only.
        """
        acct, ts, pick = batch.acct, batch.ts, batch.pick
        rows = np.flatnonzero(timeline)
        prev = np.maximum(rows - 1, 0)
        ok = (rows > 0) & (acct[prev] == acct[rows]) & visible[prev] & visible[rows]
        ok &= (ts[rows] - ts[prev] > TWIN_SECONDS + 2) & (ts[rows] < self.end_ts)
        rows, prev = rows[ok], prev[ok]
        size = rows.shape[0]
        number = pick[rows] % 90_000 + 10_000  # the 网友N of the timeline text
        uid = (
            CITIZEN_UID_BASE
            + (number - 10_000)
            + 90_000 * gen.integers(0, CITIZEN_UIDS // 90_000, size, dtype=np.int64)
        )
        answer_t = ts[rows] - gen.integers(0, TWIN_SECONDS + 1, size, dtype=np.int64)
        asked_t = ts[prev] + 1 + (gen.random(size) * (answer_t - ts[prev] - 1)).astype(np.int64)
        home = self.home_ip[acct[rows]]
        ip = np.where(home >= 0, home, 0)
        zeros, ones = np.zeros(size, np.int64), np.ones(size, np.int64)
        asked = _Rows(prev, zeros + _TWIN_CITIZEN_SLOT, asked_t, uid, np.zeros(size, np.int8),
                      zeros + _TWIN_CITIZEN_SLOT, (pick[rows] >> 30) % len(content.COMMENT_TEXTS),
                      zeros, ones, ip, np.zeros(size, bool))  # fmt: skip
        answer = _Rows(prev, zeros + _TWIN_REPLY_SLOT, answer_t, acct[rows], np.ones(size, np.int8),
                       zeros + _TWIN_CITIZEN_SLOT, (pick[rows] >> 20) % len(REPLY_TEXTS),
                       zeros, zeros, zeros, np.ones(size, bool))  # fmt: skip
        return asked, answer

    # -- rendering -----------------------------------------------------------------------
    def _who_is(self, i: int) -> tuple[bytes, bytes, bytes, bytes, bytes]:
        """Return (uid, nickname, gender, avatar, IP location) of an account (cached)."""
        cached = self._who.get(i)
        if cached is None:
            if len(self._who) > 8192:
                self._who.clear()
            a = self.accounts[i]
            uid = int(a.uid)
            # As in the status writer's user objects (weibo_format.user_object).
            avatar = f"https://tvax{uid % 4 + 1}.sinaimg.cn/crop.0.0.180.180.50/{uid:x}ly8g.jpg"
            home = int(self.home_ip[i])
            cached = (
                a.uid.encode(), wf.json_bytes(a.name), b"m" if uid % 3 else b"f", avatar.encode(),
                self.ip_names[home] if home >= 0 else wf.json_bytes("北京"),
            )  # fmt: skip
            self._who[i] = cached
        return cached

    def _lines(self, rows: _Rows, batch: PostBatch) -> bytes:
        """Return the JSON lines of the comments, each post's thread together."""
        order = np.lexsort((rows.slot, rows.note))
        sid = ((batch.ts - wf.ID_EPOCH) << wf.ACCOUNT_BITS) | batch.acct
        note_id = sid[rows.note][order]
        cid = ((note_id << SLOT_BITS) | rows.slot[order]).tolist()
        parent = ((note_id << SLOT_BITS) | rows.parent_slot[order]).tolist()
        ts = rows.ts[order]
        rel = ts - self.start_ts
        day, sec = (rel // 86_400).tolist(), (rel % 86_400).tolist()
        author, kind, text = rows.author[order].tolist(), rows.kind[order].tolist(), rows.text[order].tolist()  # fmt: skip
        likes, subs, ip = rows.likes[order].tolist(), rows.subs[order].tolist(), rows.ip[order].tolist()  # fmt: skip
        thread = rows.thread[order].tolist()
        number = citizen_number(rows.author[order]).tolist()
        # A thread answer names the citizen it answers: the comment just before it.
        ts_list, notes = ts.tolist(), note_id.tolist()
        dates, clock, observed, names = self.dates, wf.CLOCK_BYTES, self.observed_ms, self.ip_names
        citizen_line, account_line = _CITIZEN_LINE, _ACCOUNT_LINE
        out: list[bytes] = []
        append = out.append
        for j in range(len(cid)):
            if kind[j]:
                uid, nick, gender, avatar, where = self._who_is(author[j])
                words = _REPLY_BYTES[text[j]]
                if thread[j]:
                    words = _THREAD_REPLY % (number[j - 1], number[j - 1], words)
                append(account_line % (cid[j], ts_list[j], dates[day[j]], clock[sec[j]], notes[j],
                                       words, likes[j], observed, where, parent[j], uid, nick,
                                       gender, uid, avatar))  # fmt: skip
            else:
                append(citizen_line % (cid[j], ts_list[j], dates[day[j]], clock[sec[j]], notes[j],
                                       _CITIZEN_BYTES[text[j]], subs[j], likes[j], observed,
                                       names[ip[j]], parent[j], author[j], number[j],
                                       b"m" if author[j] & 1 else b"f", author[j]))  # fmt: skip
        return b"".join(out)


def _delay(gen: np.random.Generator, room: np.ndarray, scale: float) -> np.ndarray:
    """Return delays in [1, room - 1] seconds: exponential of ``scale``, cut at ``room``."""
    u = gen.random(room.shape[0])
    reach = -np.expm1(-np.maximum(room, 0) / scale)
    delay = (-scale * np.log1p(-u * reach)).astype(np.int64)
    clipped: np.ndarray = np.clip(delay, 1, np.maximum(room - 1, 1))
    return clipped


def _concat(*parts: _Rows) -> _Rows:
    """Return the rows of several parts as one."""
    names = [f.name for f in fields(_Rows)]
    return _Rows(*(np.concatenate([getattr(p, name) for p in parts]) for name in names))
