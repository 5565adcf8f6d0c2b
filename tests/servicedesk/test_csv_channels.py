"""A hotline export's channel column (来源, 受理渠道 …): each ticket keeps the channel it came
by (微博, 网站, 电话 …), not the import's 12345; a value the desk has no channel for is
said in a warning, never taken silently as 12345."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.servicedesk import deadlines, export
from zhengwu.servicedesk.csvimport import import_csv
from zhengwu.servicedesk.filters import RequestFilters
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.service import SYSTEM
from zhengwu.servicedesk.upload import intake_warnings

from .conftest import World

# What 12345 systems write in their channel column, and the desk's channel it is.
CHANNELS = ["微博", "网站", "电话", "APP", "信件", "", "微信公众号", "12345热线", "来信", "来访",
            "短信", "其他", "群众来访", "手机短信", "其他"]  # fmt: skip
EXPECTED = ["weibo", "form", "12345", "api", "letter", "12345", "wechat", "12345", "letter",
            "visit", "sms", "12345", "visit", "sms", "12345"]  # fmt: skip


def _file(shared_data: Path, tmp_path: Path, header: str) -> Path:
    """The real messages with replies (A市), with a channel column as other centres export."""
    source = shared_data / "citizen-messages" / "messages_with_replies.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[: len(CHANNELS) + 1]
    path = tmp_path / "channels.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*rows[0], header])
        writer.writerows([*row, channel] for row, channel in zip(rows[1:], CHANNELS, strict=True))
    return path


def _sources(session: Session, path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        tickets = [row[0] for row in list(csv.reader(fh))[1:]]
    by_ref = dict(session.execute(select(ServiceRequest.source_ref, ServiceRequest.source)).all())
    return [by_ref[f"12345:{t}"] for t in tickets]


def test_a_hotline_export_s_channel_column_is_each_ticket_s_channel(
    session: Session, world: World, shared_data: Path, tmp_path: Path
) -> None:
    path = _file(shared_data, tmp_path, "来源")
    with deadlines.collect_provisional() as provisional:
        summary = import_csv(session, path, actor=SYSTEM)
    assert (summary.created, summary.quarantined) == (len(CHANNELS), 0)
    # Before: every ticket was 12345, whatever its 来源 said.
    assert _sources(session, path) == EXPECTED
    # Before, 信件, 来访 and 短信 had no channel on the desk and were taken as 12345. 其他
    # has none: the import says so, once per value, with the count.
    assert summary.unknown_channels == {"其他": 2}
    [said] = [w for w in intake_warnings(session, summary, provisional) if "其他" in w]
    assert "「来源」" in said and "其他（2 件）" in said and "12345" in said
    assert "信件 letter" in said and "来访 visit" in said and "短信 sms" in said
    assert "unknown channel" in said
    # A ticket of another channel is still the hotline's ticket: private, its number kept
    # (an export writes it again, so the file imports again as "existing").
    weibo = session.scalar(select(ServiceRequest).where(ServiceRequest.source == "weibo"))
    assert weibo is not None
    assert (weibo.is_public, weibo.platform, weibo.source_ref) == (False, None, "12345:2549")
    records = list(export.iter_records(session, principal=SYSTEM, filters=RequestFilters()))
    assert {r["工单编号"] for r in records if r["来源渠道"] == "weibo"} == {"2549"}
    assert sorted(r["来源渠道"] for r in records if r["来源渠道"] in ("letter", "visit", "sms")) == [
        "letter", "letter", "sms", "sms", "visit", "visit",
    ]  # fmt: skip
    again = import_csv(session, path, actor=SYSTEM)
    assert (again.existing, again.created, again.unknown_channels) == (len(CHANNELS), 0, {})


def test_another_header_of_the_channel_column_reads_too(
    session: Session, world: World, shared_data: Path, tmp_path: Path
) -> None:
    path = _file(shared_data, tmp_path, "受理渠道")
    import_csv(session, path, actor=SYSTEM)
    assert _sources(session, path) == EXPECTED
