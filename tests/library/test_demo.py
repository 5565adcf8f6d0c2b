"""The demo's library step: a new user finds labelled items and one distribution to follow.

Before, ``zhengwu demo`` left the content library empty (共 0 条): nothing to try
distributing, and the follow-up view (分发情况) had nothing to show.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.auth.demo import office_matrix
from zhengwu.auth.models import User
from zhengwu.library import demo, distribution, service
from zhengwu.library.models import LABELS

from .world import World


def _office(session: Session, world: World) -> None:
    """The demo's ``office`` login, on the matrix the demo's office runs."""
    matrix = office_matrix(session)
    assert matrix is not None and matrix.id == world.matrices["henan"]
    session.add(User(username="office", password_hash="x", role="matrix_office",
                     display_name="矩阵管理员", matrix_id=matrix.id))  # fmt: skip
    session.flush()


def test_the_demo_files_labelled_items_and_distributes_one(session: Session, world: World) -> None:
    _office(session, world)
    office = world["office_henan"]
    assert service.list_items(session, office, service.ItemFilters())[0] == 0  # empty before

    figures = demo.run(session, None, {})

    total, items = service.list_items(session, office, service.ItemFilters(limit=200))
    assert total == figures["items"] == len(demo.ITEMS)
    titles = {i.title for i in items}
    assert "【暴雨红色预警】河南省气象台发布暴雨红色预警信号" in titles  # the matrix's region
    labels = {label.label for i in items for label in i.labels}
    assert labels == set(LABELS)  # 权威 独家 首发 原创 all shown
    assert {i.matrix_id for i in items} == {world.matrices["henan"]}
    # Through the service: each item has its audit entry as the office's login.
    created = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "library_item",
                                 AuditEntry.action == "create")
    ).all()  # fmt: skip
    assert {e.actor_name for e in created} == {"矩阵管理员"}
    assert len(created) == len(demo.ITEMS)

    # The distributed item: one active account of each platform of the matrix's tree, the
    # platform without a connector failed with its reason, never dropped.
    warning = next(i for i in items if i.title.startswith("【暴雨红色预警】"))
    report = distribution.report(session, warning)
    assert {t.platform for t in report.targets} == {"weibo", "douyin", "wechat", "toutiao"}
    assert report.counts["queued"] == 3 and report.counts["failed"] == 1
    failed = next(t for t in report.targets if t.state == "failed")
    assert failed.platform == "toutiao" and "toutiao" in (failed.reason or "")
    assert figures["distributed"] == f"#{warning.id} → 4"

    # Run again (make demo reuses its data): nothing doubled.
    assert demo.run(session, None, {})["items"] == 0
    assert service.list_items(session, office, service.ItemFilters())[0] == len(demo.ITEMS)
