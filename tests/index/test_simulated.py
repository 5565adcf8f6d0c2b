"""The index over the simulator's output, imported through the real importers.

A simulated city (30 days) goes through the same import path as real data; then the
default system runs twice over it. Its ground truth (``truth.json``) lists the accounts
that did not post in the last 14 days of the window: the compliance report must list them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from zhengwu.index import compliance as gate
from zhengwu.index import engine, ranking
from zhengwu.index.dimensions import load_dimensions
from zhengwu.index.periods import parse_period
from zhengwu.index.system import load_system

from .conftest import city_period


def _rankings(con: Any, run_id: str) -> list[tuple[str, str, int | None, float]]:
    return [
        (r[0], r[1], r[2], round(r[3], 9))
        for r in con.execute(
            "SELECT platform, account_uid, rank, score FROM index_totals WHERE run_id = ? "
            "ORDER BY platform, rank_with_failing", [run_id],
        ).fetchall()
    ]  # fmt: skip


def test_two_runs_give_identical_rankings(city: dict[str, Any]) -> None:
    system = load_system()
    period = parse_period(city_period(city["truth"]))
    first = engine.run_for_db(city["session"], city["con"], system, period)
    before = _rankings(city["con"], first.run_id)
    second = engine.run_for_db(city["session"], city["con"], system, period)
    assert _rankings(city["con"], second.run_id) == before
    assert first.accounts > 300
    assert {p for p, *_ in before} == {"weibo", "wechat", "douyin", "all"}
    listing = ranking.ranking(city["con"], first.run_id, platform="weibo", top=10)
    assert len(listing["groups"][0]["rows"]) == 10
    assert listing["excluded_count"] == first.failing - sum(
        1 for p, _, rank, _ in before if p in ("wechat", "douyin") and rank is None
    )


def test_explanations_add_up_for_every_account(city: dict[str, Any]) -> None:
    run = engine.run_for_db(
        city["session"], city["con"], load_system(), parse_period(city_period(city["truth"]))
    )
    gaps = (
        city["con"]
        .execute(
            """SELECT count(*), max(abs(t.score - s.total)) FROM index_totals t
           JOIN (SELECT platform, account_uid, sum(contribution) AS total FROM index_score_items
                 WHERE run_id = ? AND indicator <> '' GROUP BY ALL) s USING (platform, account_uid)
           WHERE t.run_id = ?""",
            [run.run_id, run.run_id],
        )
        .fetchall()[0]
    )
    assert gaps[0] == run.accounts
    assert gaps[1] < 1e-9


def test_compliance_report_lists_the_dormant_accounts(city: dict[str, Any]) -> None:
    truth = city["truth"]
    check = date.fromordinal(date.fromisoformat(truth["window"]["end"]).toordinal() - 1)
    dims = load_dimensions(city["session"])
    report = gate.report(city["con"], dims.accounts, gate.FLAGS_SCHEMA.empty_table(), check,
                         gate.ComplianceRules(window_days=14))  # fmt: skip
    for platform, section in truth["platforms"].items():
        non_government = {a["uid"] for a in section["non_government"]}
        dormant = set(section["dormant"]) - non_government
        failing = {r["uid"] for r in report["rows"]
                   if r["platform"] == platform and "no_post" in r["reasons"]}  # fmt: skip
        assert dormant, platform
        assert failing == dormant, platform


def test_own_replies_in_comments_count_once_and_pass_the_reply_check(city: dict[str, Any]) -> None:
    """The simulator's comments: comment-only answers count; a timeline reply's comment does not."""
    truth, con = city["truth"], city["con"]
    section = truth["platforms"]["weibo"]
    repliers = list(section["repliers"])
    written = con.execute(
        "SELECT count(*) FROM comments WHERE platform = 'weibo' AND list_contains(?, account_uid)",
        [repliers],
    ).fetchone()
    counted = con.execute(
        "SELECT count(*) FROM account_replies WHERE platform = 'weibo' "
        "AND list_contains(?, account_uid)",
        [repliers],
    ).fetchone()
    comments = section["comments"]
    assert written == (comments["own_replies"] + comments["timeline_reply_pairs"],)
    assert counted == (comments["own_replies"],)
    assert comments["timeline_reply_pairs"] > 0
    check = date.fromordinal(date.fromisoformat(truth["window"]["end"]).toordinal() - 1)
    dims = load_dimensions(city["session"])
    report = gate.report(city["con"], dims.accounts, gate.FLAGS_SCHEMA.empty_table(), check,
                         gate.ComplianceRules(window_days=14))  # fmt: skip
    start, end = gate.window_bounds(check, 14)
    answered = {
        uid
        for (uid,) in con.execute(
            "SELECT DISTINCT account_uid FROM account_replies WHERE created_at >= ? "
            "AND created_at < ?",
            [start, end],
        ).fetchall()
    }
    timeline = {
        uid
        for (uid,) in con.execute(
            "SELECT DISTINCT account_uid FROM posts WHERE starts_with(text, '回复@') "
            "AND created_at >= ? AND created_at < ?",
            [start, end],
        ).fetchall()
    }
    weibo = [r for r in report["rows"] if r["platform"] == "weibo"]
    assert all(r["reply_checked"] for r in weibo)
    no_replies = {r["uid"] for r in weibo if "no_replies" in r["reasons"]}
    assert no_replies.isdisjoint(answered | timeline)
    assert no_replies >= {r["uid"] for r in weibo if r["uid"] not in section["repliers"]}
    # Some repliers pass only thanks to answers they wrote as comments.
    assert answered - timeline - no_replies
