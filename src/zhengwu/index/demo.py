"""The influence-index step of ``zhengwu demo``: score the simulated window and summarise it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.index import access, engine, results
from zhengwu.index.periods import parse_period
from zhengwu.index.system import load_system


def run(
    session: Session, analytics: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> dict[str, Any]:
    """Run zhengwu-4d and 清博 WCI over the simulated window; return figures for the summary."""
    window = truth["window"]
    last = date.fromisoformat(window["end"]) - timedelta(days=1)  # "end" is the day after
    period = parse_period(f"{window['start']}..{last.isoformat()}")
    summary = engine.run_for_db(session, analytics, load_system("zhengwu-4d"), period)
    wci = load_system("qingbo_wci_v14_2")
    engine.run_for_db(
        session, analytics, wci, parse_period(period.label, week_start=wci.week_start)
    )
    leaders = analytics.execute(
        "SELECT platform, name FROM index_totals WHERE run_id = ? AND rank = 1 AND entity = 'account' "
        "ORDER BY platform",
        [summary.run_id],
    ).fetchall()
    results.get_run(analytics, summary.run_id)
    # Publish the demo's period so that the public rankings page (/rankings) has content.
    demo_admin = Principal(role="admin", user_id=0, username="demo", display_name="演示")
    access.publish(session, analytics, principal=demo_admin, run_id=summary.run_id)
    return {
        "run": summary.run_id,
        "accounts": summary.accounts,
        "failing": summary.failing,
        "top": ", ".join(f"{platform} {name}" for platform, name in leaders),
    }
