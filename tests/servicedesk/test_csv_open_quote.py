"""A quote left open in a hotline CSV swallows the rows after it into one cell: the row is
refused with why (the tickets it holds are not dropped without a word), a real multi-line
text is not."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.ingest.models import QuarantineEntry
from zhengwu.servicedesk.csvimport import import_csv
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

HEADER = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "答复意见", "答复时间"]


def test_an_unclosed_quote_that_swallows_rows_is_refused(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "留言.csv"
    # The export quotes its text columns, as many hotline systems do. The quote opened in
    # 2553's text (and never closed) runs on to the quote that opens 2551's text: 2551's
    # first cells become text of 2553, its text the rest of that cell, and the row still
    # has its seven cells.
    lines = [
        ",".join(HEADER),
        '2549,A0001,噪音,2019/4/25 9:32:09,"金水区夜间施工，凌晨还在打桩","已责成停工","2019/4/26 9:00:00"',
        # A real multi-line text with ASCII commas and a date: not a row of the file.
        '2550,A0001,施工,2019/4/25 9:33:00,"情况如下：\r\n1,2,3,2019年5月1日,都有施工\r\n请处理","",""',
        '2553,A0002,路灯,2019/4/25 9:40:00,"路灯坏了 没人修,,',
        '2551,A0003,停水,2019/4/25 9:50:00,"金水区小区停水，已经三天","已通知水务","2019/4/26 9:00:00"',
        '2554,A0004,站牌,2019/4/25 9:55:00,"金水区公交站牌损坏","",""',
    ]  # fmt: skip
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    summary = import_csv(session, path, actor=SYSTEM)
    # Before: read 4, created 4 — ticket 2551 taken in as text of 2553, without a word.
    assert (summary.read, summary.created, summary.quarantined) == (4, 3, 1)
    (source, reason, raw), *others = session.execute(
        select(QuarantineEntry.source, QuarantineEntry.reason, QuarantineEntry.raw).where(
            QuarantineEntry.run_id == summary.run_id
        )
    ).all()
    assert others == []
    assert source == f"{path}:6"
    assert reason.startswith("「留言详情」里的第 2 行像是另一张工单（2551）：可能是未闭合的引号")
    assert "an unclosed quote" in reason
    assert "2551,A0003" in raw  # the swallowed rows are in the quarantine, to fix and import
    refs = set(session.scalars(select(ServiceRequest.source_ref)))
    assert refs == {"12345:2549", "12345:2550", "12345:2554"}
