"""Intake channels: imported posts (DuckDB), hotline CSV with quarantine, the real message set."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.content import store
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.servicedesk.csvimport import import_csv
from zhengwu.servicedesk.models import RequestSource, ServiceRequest
from zhengwu.servicedesk.posts import intake_from_posts
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World


def _posts(rows: list[dict[str, object]]) -> pa.Table:
    full = []
    for i, row in enumerate(rows):
        base: dict[str, object] = dict.fromkeys(store.POST_SCHEMA.names)
        base.update(seq=i, is_primary=True, platform="weibo", is_repost=False,
                    observed_at=datetime(2025, 7, 10), topics=[], mentions=[])  # fmt: skip
        base.update(row)
        full.append(base)
    return pa.Table.from_pylist(full, schema=store.POST_SCHEMA)


def test_posts_mentioning_matrix_accounts_become_requests(
    session: Session, world: World, tmp_path: Path
) -> None:
    con = store.connect(tmp_path / "a.duckdb")
    text = "@金水住建 金水区丰产路56号院物业把消防通道改成停车位收费，电话13812340000"
    store.write_posts(con, _posts([
        {"post_id": "1", "account_uid": "c1", "created_at": datetime(2025, 7, 1, 2), "text": text,
         "mentions": ["金水住建"]},
        {"post_id": "2", "account_uid": "c2", "created_at": datetime(2025, 7, 1, 3),
         "text": "扩散//@c1:" + text, "mentions": ["c1", "金水住建"], "is_repost": True,
         "root_post_id": "1"},
        {"post_id": "3", "account_uid": "c3", "created_at": datetime(2025, 7, 1, 4),
         "text": "#马上办# 金水区经八路路灯不亮一个月了", "topics": ["马上办"]},
        {"post_id": "4", "account_uid": "1002", "created_at": datetime(2025, 7, 1, 5),
         "text": "@金水住建 今日发布：物业服务标准", "mentions": ["金水住建"]},  # the account itself
        {"post_id": "5", "account_uid": "c5", "created_at": datetime(2025, 7, 1, 6),
         "text": "今天天气不错 @某明星", "mentions": ["某明星"]},  # not for the desk
        {"post_id": "6", "account_uid": "c6", "created_at": datetime(2025, 6, 1, 6),
         "text": "#马上办# 金水区老问题", "topics": ["马上办"]},  # before the window
    ]))  # fmt: skip
    since = datetime(2025, 6, 30, tzinfo=UTC)
    first = intake_from_posts(session, con, since=since, actor=SYSTEM)
    assert (first.scanned, first.created, first.merged, first.existing) == (3, 2, 1, 0)
    again = intake_from_posts(session, con, since=since, actor=SYSTEM)
    assert (again.created, again.merged, again.existing) == (0, 0, 3)
    req = session.scalar(select(ServiceRequest).where(ServiceRequest.source_ref == "weibo:1"))
    assert req is not None
    assert req.account_uid == "1002"
    assert req.citizen_key == "weibo:c1"
    assert req.received_at == datetime(2025, 7, 1, 2, tzinfo=UTC)
    assert req.organization_id == world.orgs["js_housing"]
    refs = session.scalars(
        select(RequestSource.source_ref).where(RequestSource.request_id == req.id)
    )
    assert sorted(refs) == ["weibo:1", "weibo:2"]
    con.close()


def test_hotline_csv_imports_and_quarantines_bad_rows(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "12345.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "工单编号",
                "受理时间",
                "标题",
                "诉求内容",
                "问题分类",
                "区划代码",
                "联系人",
                "联系电话",
            ]
        )
        writer.writerows([
            ["T1", "2025-07-01 09:30:00", "物业", "金水区某小区物业不作为", "物业管理", "", "王五", "13800001111"],
            ["T2", "2025/7/2 10:00", "", "金水区经三路夜间施工噪音扰民", "噪音", "410105", "", ""],
            ["T3", "not a time", "", "内容", "", "", "", ""],
            ["T4", "2025-07-03", "", "", "", "", "", ""],
            ["T5", "2025-07-03", "", "x" * 4100, "", "", "", ""],
            ["T1", "2025-07-01 09:30:00", "物业", "金水区某小区物业不作为", "物业管理", "", "王五", "13800001111"],
        ])  # fmt: skip
    summary = import_csv(session, path, actor=SYSTEM)
    assert (summary.read, summary.created, summary.existing, summary.quarantined) == (6, 2, 1, 3)
    reasons = session.scalars(
        select(QuarantineEntry.reason).where(QuarantineEntry.run_id == summary.run_id)
        .order_by(QuarantineEntry.id)
    ).all()  # fmt: skip
    assert "时间无法识别" in reasons[0]
    assert "缺少诉求内容" in reasons[1]
    assert "invalid field" in reasons[2]
    t1 = session.scalar(select(ServiceRequest).where(ServiceRequest.source_ref == "12345:T1"))
    assert t1 is not None
    assert (t1.category_code, t1.classified_by) == ("0101", "citizen")
    assert t1.text.startswith("物业：")
    assert t1.citizen_name == "王五"
    t2 = session.scalar(select(ServiceRequest).where(ServiceRequest.source_ref == "12345:T2"))
    assert t2 is not None
    assert t2.attributes == {"source_category": "噪音"}
    assert t2.category_code == "0201"
    assert t2.adcode == "410105"


def test_real_city_messages_import(session: Session, world: World, shared_data: Path,
                                   tmp_path: Path) -> None:  # fmt: skip
    # The first 200 real messages with official replies (A市, anonymised by the organiser).
    source = shared_data / "citizen-messages" / "messages_with_replies.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[:201]
    path = tmp_path / "messages.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    summary = import_csv(session, path, actor=SYSTEM, source="12345")
    assert summary.read == 200
    assert summary.quarantined == 0
    assert summary.created + summary.merged == 200
    classified = session.scalar(
        select(func.count()).select_from(ServiceRequest)
        .where(ServiceRequest.source == "12345", ServiceRequest.category_code.is_not(None))
    )  # fmt: skip
    assert classified is not None
    assert classified >= 150
    first = session.scalar(select(ServiceRequest).where(ServiceRequest.source_ref == "12345:2549"))
    assert first is not None
    assert first.citizen_name == "A00045581"
    assert first.received_at == datetime(2019, 4, 25, 1, 32, 9, tzinfo=UTC)  # 09:32:09 in China
    assert first.text.startswith("A2区景蓉华苑物业管理有问题：")
