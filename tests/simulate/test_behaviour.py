"""Behaviour the downstream modules rely on: dormancy, the rainstorm, rhythms, heavy tails."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import numpy as np
import orjson

from zhengwu.simulate.output import SimulatedOutput, weibo_time
from zhengwu.simulate.truth import top_share
from zhengwu.simulate.weibo import REPLY_POST_SHARE

HOLIDAYS_2025 = {date(2025, 10, d) for d in range(1, 9)}  # 国庆 + 中秋, 1–8 October
MAKE_UP_WORKDAYS = {date(2025, 9, 28), date(2025, 10, 11)}


def _last_post_by_uid(run: SimulatedOutput) -> dict[str, dict[str, float]]:
    last: dict[str, dict[str, float]] = defaultdict(dict)
    for s in run.statuses():
        uid, ts = s["user"]["idstr"], weibo_time(s["created_at"]).timestamp()
        last["weibo"][uid] = max(last["weibo"].get(uid, 0.0), ts)
    for row in run.jsonl("wechat/articles.jsonl"):
        ts = datetime.fromisoformat(row["publishAt"]).timestamp()
        last["wechat"][row["msgBiz"]] = max(last["wechat"].get(row["msgBiz"], 0.0), ts)
    for row in run.jsonl("douyin/aweme.jsonl"):
        last["douyin"][row["user_id"]] = max(
            last["douyin"].get(row["user_id"], 0.0), float(row["create_time"])
        )
    return last


def test_dormant_accounts_really_have_no_post_in_the_last_14_days(month: SimulatedOutput) -> None:
    end = datetime.fromisoformat(month.truth["window"]["observed_at"]).timestamp()
    cutoff = end - 14 * 86_400
    last = _last_post_by_uid(month)
    _, accounts = month.csv("accounts.csv")
    for platform in ("weibo", "wechat", "douyin"):
        section = month.truth["platforms"][platform]
        assert section["dormant_days"] == 14
        dormant = set(section["dormant"])
        uids = {row["uid"] for row in accounts if row["platform"] == platform}
        assert dormant
        assert dormant <= uids
        # Exact: listed accounts are silent since the cutoff, every other account posted.
        for uid in uids:
            assert (last[platform].get(uid, 0.0) < cutoff) == (uid in dormant), (platform, uid)
        # The accounts made dormant on purpose (silent ≥ 21 days) are among them.
        assert set(section["designed_dormant"]) <= dormant
        assert set(section["never_posted"]) <= set(section["designed_dormant"])


def test_dormant_share_is_realistic(month: SimulatedOutput) -> None:
    section = month.truth["platforms"]["weibo"]
    share = len(section["designed_dormant"]) / section["government_accounts"]
    assert 0.02 <= share <= 0.15
    assert len(section["dormant"]) / section["accounts"] < 0.35


def test_rainstorm_is_a_burst_of_hashtag_posts_from_the_city(month: SimulatedOutput) -> None:
    event = month.truth["event"]
    assert event["hashtag"] == "#郑州暴雨#"
    assert event["city"] == "410100"
    event_days = {date.fromisoformat(d) for d in event["days"]}
    assert 2 <= len(event_days) <= 3
    per_day: Counter[date] = Counter()
    posters: set[str] = set()
    for s in month.statuses():
        if event["hashtag"] in s["text"]:
            per_day[weibo_time(s["created_at"]).date()] += 1
            posters.add(s["user"]["idstr"])
    assert set(per_day) <= event_days
    assert min(per_day.values()) >= 100
    assert posters == set(event["posters"]["weibo"])
    # Posters are the city's accounts: organisations under 4101xx or its local media/users.
    _, accounts = month.csv("accounts.csv")
    _, orgs = month.csv("orgs.csv")
    adcode = {row["org_id"]: row["adcode"] for row in orgs}
    weibo = {row["uid"]: row for row in accounts if row["platform"] == "weibo"}
    government = [uid for uid in posters if weibo[uid]["org_id"]]
    assert len(government) >= 0.8 * len(posters)
    assert all(adcode[weibo[uid]["org_id"]].startswith("4101") for uid in government)


def test_rainstorm_posts_get_far_more_engagement(month: SimulatedOutput) -> None:
    tag = month.truth["event"]["hashtag"]
    lead_likes: dict[bool, list[int]] = {True: [], False: []}
    for s in month.statuses():
        if s["user"]["screen_name"] == "郑州发布":
            lead_likes[tag in s["text"]].append(s["attitudes_count"])
    assert lead_likes[True]
    assert lead_likes[False]
    assert np.median(lead_likes[True]) > 2 * np.median(lead_likes[False])


def test_members_repost_their_matrix_lead(month: SimulatedOutput) -> None:
    matrices = orjson.loads((month.root / "matrices.json").read_bytes())
    leads_of: dict[str, set[str]] = defaultdict(set)
    for matrix in matrices:
        for member in matrix["members"]:
            if member["platform"] == "weibo" and member["role"] == "member":
                leads_of[member["uid"]].add(matrix["lead"]["uid"])
    tag = month.truth["event"]["hashtag"]
    reposts = event_reposts = 0
    for s in month.statuses():
        root = s.get("retweeted_status")
        if root is None or root.get("deleted"):
            continue
        reposts += 1
        assert root["user"]["idstr"] in leads_of[s["user"]["idstr"]]
        assert weibo_time(root["created_at"]) <= weibo_time(s["created_at"])
        if tag in s["text"] and root["user"]["screen_name"] == "郑州发布":
            event_reposts += 1
    assert reposts > 100
    assert event_reposts > 10
    section = month.truth["platforms"]["weibo"]
    assert section["reposts_of_deleted_roots"] > 0
    assert len(section["deleted_root_ids"]) <= section["reposts_of_deleted_roots"]


def test_daily_rhythm_has_few_posts_at_night(month: SimulatedOutput) -> None:
    hours = Counter(weibo_time(s["created_at"]).hour for s in month.statuses())
    assert hours[3] * 5 < hours[9]
    assert hours[3] * 3 < hours[21]
    assert hours[9] > hours[14]
    assert hours[21] > hours[16]


def test_weekends_and_public_holidays_are_quieter(month: SimulatedOutput) -> None:
    event_days = {date.fromisoformat(d) for d in month.truth["event"]["days"]}
    per_day: Counter[date] = Counter()
    for s in month.statuses():
        day = weibo_time(s["created_at"]).date()
        if day not in event_days:
            per_day[day] += 1
    start = date.fromisoformat(month.truth["window"]["start"])
    days = [start + timedelta(days=i) for i in range(month.truth["window"]["days"])]
    usable = [d for d in days if d not in event_days]
    workdays = [
        d for d in usable if d not in HOLIDAYS_2025 and (d.weekday() < 5 or d in MAKE_UP_WORKDAYS)
    ]
    weekends = [d for d in usable if d.weekday() >= 5 and d not in HOLIDAYS_2025 | MAKE_UP_WORKDAYS]
    holidays = [d for d in usable if d in HOLIDAYS_2025 and d.weekday() < 5]
    assert workdays
    assert weekends
    assert holidays

    def mean(group: list[date]) -> float:
        return float(np.mean([per_day[d] for d in group]))

    assert mean(weekends) < 0.85 * mean(workdays)
    assert mean(holidays) < 0.8 * mean(workdays)


def test_followers_and_engagement_are_heavy_tailed(month: SimulatedOutput) -> None:
    _, accounts = month.csv("accounts.csv")
    government = {row["uid"] for row in accounts if row["platform"] == "weibo" and row["org_id"]}
    followers = np.array(
        [u["followers_count"] for u in month.jsonl("weibo/users.jsonl") if u["idstr"] in government]
    )
    assert top_share(followers, 0.01) >= 0.1  # 1 % of accounts, ≥ 10 × their even share
    assert top_share(followers, 0.10) >= 0.5
    likes = np.array([s["attitudes_count"] for s in month.statuses()])
    assert likes.max() >= 50 * max(np.median(likes), 1)
    posts = Counter(s["user"]["idstr"] for s in month.statuses())
    counts = np.array(sorted(posts.values()))
    assert counts[-1] >= 8 * np.median(counts)


def test_zombies_post_without_response_and_never_reply(month: SimulatedOutput) -> None:
    section = month.truth["platforms"]["weibo"]
    zombies = set(section["zombies"])
    assert zombies
    zombie_likes = [s["attitudes_count"] + s["comments_count"] for s in month.statuses()
                    if s["user"]["idstr"] in zombies and "retweeted_status" not in s]  # fmt: skip
    assert zombie_likes
    assert np.mean(zombie_likes) < 1.0
    repliers = section["repliers"]
    assert repliers
    assert all(0 < rate <= 1 for rate in repliers.values())
    assert zombies.isdisjoint(repliers)


def test_repliers_answer_comments_on_their_timeline_and_nobody_else_does(
    month: SimulatedOutput,
) -> None:
    """Own replies (回复@… posts and comments, what the compliance gate looks for) come from repliers."""
    section = month.truth["platforms"]["weibo"]
    repliers = section["repliers"]
    hashtag = month.truth["event"]["hashtag"]
    replies: Counter[str] = Counter()
    ordinary: Counter[str] = Counter()  # own posts outside the rainstorm
    for s in month.statuses():
        uid = s["user"]["idstr"]
        if "retweeted_status" in s or hashtag in s["text"]:
            continue
        ordinary[uid] += 1
        if s["text"].startswith("回复@网友"):
            replies[uid] += 1
    assert replies
    assert set(replies) <= set(repliers)  # zombies, dormant and silent bodies never reply
    # Each replier posts its reply rate × REPLY_POST_SHARE of its ordinary posts as replies.
    expected = sum(rate * REPLY_POST_SHARE * ordinary[uid] for uid, rate in repliers.items())
    assert 0.8 * expected <= sum(replies.values()) <= 1.2 * expected
    # Most answers are comments only; with them, most repliers that post a fair amount
    # show at least one own reply in three weeks.
    answers = Counter(c["user_id"] for c in month.comments() if c["user_id"] in repliers)
    assert sum(answers.values()) > 2 * sum(replies.values())
    active = [uid for uid in repliers if ordinary[uid] >= 10]
    assert active
    assert sum(1 for uid in active if replies[uid] + answers[uid]) >= 0.8 * len(active)
