"""Rankings pages with an account that has no usable counts (无数据): it passed the gate.

A real WeChat article list carries no reads or likes: its account posts (so it passes the
compliance gate) but gets no score and is left out of the ranking as 无数据. The console
said "合规检查未通过 1 个" and the public board "未通过合规检查…的 1 个账号" of it.
"""

from __future__ import annotations

from datetime import datetime

import httpx
import pyarrow as pa
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.test_console_world import ConsoleWorld, build_console_world, login

from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import Principal
from zhengwu.content import store
from zhengwu.index import access
from zhengwu.index import engine as index_engine
from zhengwu.index.periods import parse_period
from zhengwu.index.system import load_system

OFFICE = Principal(role="matrix_office", user_id=1, username="office", matrix_id=1)


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, its WeChat account (中原文旅) posting daily without counts."""
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine)
    rows = [
        {"seq": day, "is_primary": True, "platform": "wechat", "post_id": f"w3001-{day}",
         "account_uid": "w3001", "created_at": datetime(2025, 7, day, 2, 0),
         "text": f"7月{day}日推送", "topics": [], "mentions": [], "is_repost": False,
         "observed_at": datetime(2025, 8, 5)}
        for day in range(1, 32)
    ]  # fmt: skip
    with Session(committed_engine) as session, store.open_store() as con:
        store.write_posts(con, pa.Table.from_pylist(rows, schema=store.POST_SCHEMA))
        summary = index_engine.run_for_db(
            session, con, load_system("zhengwu-4d"), parse_period("2025-07")
        )
        access.publish(session, con, principal=OFFICE, run_id=summary.run_id)
        session.commit()
        [(compliance, excluded)] = con.execute(
            "SELECT compliance, excluded FROM index_totals WHERE run_id = ? "
            "AND platform = 'wechat' AND account_uid = 'w3001'",
            [summary.run_id],
        ).fetchall()
    assert (compliance, excluded) == ("pass", True)  # passed the gate, no data
    return world


def test_no_data_is_not_called_failing_the_gate(client: httpx.Client, world: ConsoleWorld) -> None:
    login(client, "admin")
    page = client.get("/console/rankings", params={"platform": "wechat"}).text
    assert "合规检查未通过 1 个" not in page
    assert "未纳入排行 1 个（合规检查未通过或无数据" in page
    assert "未纳入排行（合规检查未通过或无数据）" in page
    public = client.get("/rankings", params={"platform": "wechat"}).text
    assert "未通过合规检查（国办秘函〔2019〕19号）的 1 个账号" not in public
    assert "或没有可用数据的 1 个账号不参与排行" in public
