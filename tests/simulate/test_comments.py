"""Weibo comments (MediaCrawler's layout): citizens under government posts, own replies."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from zhengwu.ingest.registry import get_importer
from zhengwu.platforms.records import CommentRecord, QuarantineRecord
from zhengwu.simulate.output import SimulatedOutput, weibo_time
from zhengwu.simulate.weibo_comments import CITIZEN_UID_BASE, COMMENTS_PER_NOTE

# The columns of MediaCrawler's Weibo comment store (docs/comments.md).
COMMENT_KEYS = [
    "comment_id", "create_time", "create_date_time", "note_id", "content", "sub_comment_count",
    "comment_like_count", "last_modify_ts", "ip_location", "parent_comment_id", "user_id",
    "nickname", "gender", "profile_url", "avatar",
]  # fmt: skip


def _account_uids(run: SimulatedOutput) -> set[str]:
    _, accounts = run.csv("accounts.csv")
    return {row["uid"] for row in accounts if row["platform"] == "weibo"}


def _own_replies(run: SimulatedOutput) -> list[dict[str, Any]]:
    accounts = _account_uids(run)
    return [c for c in run.comments() if c["user_id"] in accounts]


def test_comments_import_with_nothing_quarantined(city: SimulatedOutput) -> None:
    files = sorted((city.root / "weibo").glob("comments-*.jsonl"))
    assert [f.name for f in files] == ["comments-2025-07.jsonl"]
    items = [item for f in files for item in get_importer("weibo-comments").read(f)]
    refused = [i.primary for i in items if isinstance(i.primary, QuarantineRecord)]
    assert refused == []
    records = [i.primary for i in items if isinstance(i.primary, CommentRecord)]
    section = city.truth["platforms"]["weibo"]["comments"]
    expected = (
        section["citizen_comments"] + section["own_replies"] + 2 * section["timeline_reply_pairs"]
    )
    assert len(records) == expected > 100
    assert len({r.comment_id for r in records}) == len(records)  # nothing is a duplicate


def test_comments_have_mediacrawler_columns_and_hang_under_government_posts(
    city: SimulatedOutput,
) -> None:
    _, accounts = city.csv("accounts.csv")
    government = {r["uid"] for r in accounts if r["platform"] == "weibo" and r["org_id"]}
    notes = {s["idstr"]: s for s in city.statuses()}
    end = datetime.fromisoformat(city.truth["window"]["observed_at"]).timestamp()
    comments = list(city.comments())
    by_id = {c["comment_id"]: c for c in comments}
    for c in comments:
        assert list(c) == COMMENT_KEYS
        note = notes[c["note_id"]]
        assert note["user"]["idstr"] in government
        assert weibo_time(note["created_at"]).timestamp() < c["create_time"] < end
        assert c["create_date_time"] == datetime.fromtimestamp(
            c["create_time"], weibo_time(note["created_at"]).tzinfo
        ).isoformat(" ")
        assert c["last_modify_ts"] == end * 1000
        parent = by_id[c["parent_comment_id"]]
        if parent is c:  # Weibo's rootid of a top-level comment is the comment itself
            continue
        # An answer: under the same post, after the comment it answers, in its thread count.
        assert parent["note_id"] == c["note_id"]
        assert parent["create_time"] < c["create_time"]
        assert parent["sub_comment_count"] == "1"


def test_most_posts_get_few_comments_and_popular_ones_the_crawlers_limit(
    month: SimulatedOutput,
) -> None:
    accounts = _account_uids(month)
    per_note = Counter(c["note_id"] for c in month.comments() if c["user_id"] not in accounts)
    _, rows = month.csv("accounts.csv")
    government = {r["uid"] for r in rows if r["platform"] == "weibo" and r["org_id"]}
    posts = [s["idstr"] for s in month.statuses() if s["user"]["idstr"] in government]
    counts = np.array([per_note.get(p, 0) for p in posts])
    assert (counts == 0).mean() > 0.25
    assert (counts <= 2).mean() > 0.5
    # One citizen may come on top of the limit: the one a timeline reply answers.
    assert counts.max() <= COMMENTS_PER_NOTE + 1
    assert (counts >= COMMENTS_PER_NOTE).sum() >= 20
    assert counts.sum() >= 3 * len(per_note) > 0  # commented posts get several


def test_citizens_are_synthetic_and_never_an_account(city: SimulatedOutput) -> None:
    accounts = _account_uids(city)
    citizens = [c for c in city.comments() if c["user_id"] not in accounts]
    assert citizens
    for c in citizens:
        uid = int(c["user_id"])
        assert CITIZEN_UID_BASE <= uid < 2 * CITIZEN_UID_BASE
        assert c["nickname"] == f"网友{(uid - CITIZEN_UID_BASE) % 90_000 + 10_000}"
        assert "default_avatar" in c["avatar"]
        assert c["parent_comment_id"] == c["comment_id"]  # citizens write top-level comments
    assert max(int(a) for a in accounts) < CITIZEN_UID_BASE


def test_own_replies_come_from_repliers_only_and_never_from_dormant_or_zombie_accounts(
    month: SimulatedOutput,
) -> None:
    section = month.truth["platforms"]["weibo"]
    repliers = section["repliers"]
    replies = _own_replies(month)
    authors = Counter(c["user_id"] for c in replies)
    assert (
        len(replies)
        == section["comments"]["own_replies"] + section["comments"]["timeline_reply_pairs"]
    )
    assert set(authors) <= set(repliers)
    assert authors.keys().isdisjoint(section["designed_dormant"])
    assert authors.keys().isdisjoint(section["zombies"])
    assert len(authors) >= 0.5 * len(repliers)
    # An account answers under its own posts, as itself.
    notes = {s["idstr"]: s["user"]["idstr"] for s in month.statuses()}
    names = {u["idstr"]: u["screen_name"] for u in month.jsonl("weibo/users.jsonl")}
    for c in replies:
        assert notes[c["note_id"]] == c["user_id"]
        assert c["nickname"] == names[c["user_id"]]
    # Answers vary, and more often answer in comments only than on the timeline too.
    assert len({c["content"] for c in replies}) >= 50
    assert section["comments"]["own_replies"] > 3 * section["comments"]["timeline_reply_pairs"]


def test_timeline_replies_are_the_same_answer_as_their_comment(month: SimulatedOutput) -> None:
    """A 回复@ post and its comment: same author, same text, minutes apart (counted once)."""
    timeline: dict[tuple[str, str], list[float]] = {}
    for s in month.statuses():
        if s["text"].startswith("回复@"):
            answer = s["text"].split(":", 1)[1].split("//@", 1)[0]
            key = (s["user"]["idstr"], answer)
            timeline.setdefault(key, []).append(weibo_time(s["created_at"]).timestamp())
    pairs = [c for c in _own_replies(month) if c["content"].startswith("回复<a href=")]
    assert pairs
    assert len(pairs) == month.truth["platforms"]["weibo"]["comments"]["timeline_reply_pairs"]
    assert len(pairs) < sum(len(t) for t in timeline.values())  # some are timeline-only
    for c in pairs:
        answer = c["content"].split("</a>:", 1)[1]
        times = timeline[(c["user_id"], answer)]
        assert min(abs(t - c["create_time"]) for t in times) <= 600


def test_comments_are_deterministic_for_a_seed(runs: dict[str, SimulatedOutput]) -> None:
    def digest(run: SimulatedOutput) -> str:
        path = Path(run.root / "weibo" / "comments-2025-07.jsonl")
        return hashlib.sha256(path.read_bytes()).hexdigest()

    assert digest(runs["a"]) == digest(runs["b"])
    assert digest(runs["a"]) != digest(runs["other_seed"])
