"""Intake channels: imported posts (DuckDB), hotline CSV with quarantine, the real message set."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.chinatime import CHINA
from zhengwu.content import store
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.servicedesk import rates
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
            ["T5", "2025-07-03", "", "x" * 20_001, "", "", "", ""],
            ["T6", "2025-07-03", "", "金水区" * 1500, "", "", "", "1" * 40],
            ["T1", "2025-07-01 09:30:00", "物业", "金水区某小区物业不作为", "物业管理", "", "王五", "13800001111"],
        ])  # fmt: skip
    summary = import_csv(session, path, actor=SYSTEM)
    assert (summary.read, summary.created, summary.existing, summary.quarantined) == (7, 2, 1, 4)
    entries = session.execute(
        select(QuarantineEntry.source, QuarantineEntry.reason)
        .where(QuarantineEntry.run_id == summary.run_id).order_by(QuarantineEntry.id)
    ).all()  # fmt: skip
    # Located as file:line, with the path as given (as the other importers do).
    assert [source for source, _ in entries] == [f"{path}:{n}" for n in (4, 5, 6, 7)]
    reasons = [reason for _, reason in entries]
    assert "时间无法识别" in reasons[0]
    assert "缺少诉求内容" in reasons[1]
    assert reasons[2] == (
        "诉求正文超过 20,000 字（20,001 字）/ request text longer than 20,000 characters (20,001)"
    )
    assert reasons[3].startswith(
        "字段「联系电话」无效：最多 32 个字 / invalid column '联系电话' (citizen_phone): "
    )
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


def _real_rows(path: Path, keep: Callable[[int, list[str]], bool]) -> list[list[str]]:
    """Return the header and the data rows of a real message file that ``keep`` keeps."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return [rows[0], *(r for i, r in enumerate(rows[1:]) if keep(i, r))]


def test_real_long_messages_are_taken_in(
    session: Session, world: World, shared_data: Path, tmp_path: Path
) -> None:
    # The real messages longer than Open311's 4,000 characters (up to 7,020): real requests.
    source = shared_data / "citizen-messages" / "messages_with_votes.csv"
    rows = _real_rows(source, lambda i, r: len(r[2]) + len(r[4]) > 4000)
    assert len(rows) == 6
    path = tmp_path / "long.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    summary = import_csv(session, path, actor=SYSTEM, source="12345")
    assert (summary.read, summary.created, summary.quarantined) == (5, 5, 0)
    longest = session.scalar(
        select(ServiceRequest).where(ServiceRequest.source_ref == "12345:220273")
    )
    assert longest is not None
    assert len(longest.text) > 7000


def test_real_replies_are_imported_as_the_bodies_replies(
    session: Session, world: World, shared_data: Path, tmp_path: Path
) -> None:
    source = shared_data / "citizen-messages" / "messages_with_replies.csv"
    rows = _real_rows(source, lambda i, r: i < 50)
    path = tmp_path / "replies.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    summary = import_csv(session, path, actor=SYSTEM, source="12345")
    assert (summary.read, summary.quarantined, summary.replies) == (50, 0, 50)
    first = session.scalar(select(ServiceRequest).where(ServiceRequest.source_ref == "12345:2549"))
    assert first is not None
    # 答复时间 2019/5/10 14:56:53 in China: the first response, as a reply through the desk.
    assert first.first_response_at == datetime(2019, 5, 10, 6, 56, 53, tzinfo=UTC)
    assert first.state == "replied"
    assert first.reply_text is not None
    assert first.reply_text.startswith("现将网友在平台《问政西地省》栏目向胡华衡书记留言")
    history = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "request",
                                 AuditEntry.entity_id == first.id, AuditEntry.action == "reply")
    ).all()  # fmt: skip
    assert len(history) == 1
    assert history[0].at == datetime(2019, 5, 10, 6, 56, 53, tzinfo=UTC)
    rows_by_category = rates.compute(session, start=date(2018, 1, 1), end=date(2021, 1, 1),
                                     by="category")  # fmt: skip
    assert sum(r.responded for r in rows_by_category) == 50
    assert sum(r.n for r in rows_by_category) == 50
    # Importing the file again records no reply twice.
    audit = session.scalar(select(func.count()).select_from(AuditEntry))
    again = import_csv(session, path, actor=SYSTEM, source="12345")
    assert (again.existing, again.replies) == (50, 0)
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit


def test_unusable_replies_are_quarantined(session: Session, world: World, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([
            ["留言编号", "留言时间", "留言详情", "答复意见", "答复时间"],
            ["R1", "2019/4/25 9:32:09", "路灯不亮", "已修复", ""],
            ["R2", "2019/4/25 9:32:09", "路灯不亮了", "已修复", "昨天"],
            ["R3", "2019/4/25 9:32:09", "路灯一直不亮", "已修复", "2019/4/24 9:00:00"],
            ["R4", "2019/4/25 9:32:09", "路灯还是不亮", "", ""],
        ])  # fmt: skip
    summary = import_csv(session, path, actor=SYSTEM)
    assert (summary.created, summary.replies, summary.quarantined) == (1, 0, 3)
    reasons = session.scalars(
        select(QuarantineEntry.reason).where(QuarantineEntry.run_id == summary.run_id)
        .order_by(QuarantineEntry.id)
    ).all()  # fmt: skip
    assert reasons[0] == "有答复意见但缺少答复时间 / a reply without its reply time"
    assert reasons[1] == (
        "「答复时间」的时间无法识别：'昨天'（应为日期和时间，如 2025-07-01 09:30:00）/ unreadable "
        "reply time '昨天' in column '答复时间': give a date and time such as 2025-07-01 09:30:00"
    )
    assert reasons[2].startswith("答复时间早于留言时间 / reply time")


@pytest.mark.parametrize(
    ("received", "closed", "reason"),
    [
        ("昨天下午", "", "「受理时间」的时间无法识别：'昨天下午'（应为日期和时间，如 2025-07-01 09:30:00）/ "
         "unreadable time '昨天下午' in column '受理时间': give a date and time such as "
         "2025-07-01 09:30:00"),
        ("2025-02-30 10:00", "", "「受理时间」的时间不存在：'2025-02-30 10:00'（没有这一天或时刻，或年份不在 "
         "2000–2100 年之间）/ impossible time '2025-02-30 10:00' in column '受理时间': no such day "
         "or hour, or a year outside 2000–2100"),
        ("2025-07-01 09:00", "2025-07-02 25:00", "「办结时间」的时间不存在：'2025-07-02 25:00'（没有这一天或"
         "时刻，或年份不在 2000–2100 年之间）/ impossible resolution time '2025-07-02 25:00' in "
         "column '办结时间': no such day or hour, or a year outside 2000–2100"),
        # A bare number is no date: before, 1751331000 was read as unix seconds (2025-07-01),
        # and a year written as a date (1800/1/1) was taken as it was.
        ("1751331000", "", "「受理时间」是一个数字 '1751331000'，不是日期和时间（应为如 2025-07-01 09:30:00 "
         "的日期和时间；Excel 里请先把该列设为日期格式再导出）/ column '受理时间' holds the bare number "
         "'1751331000', not a time: give a date and time such as 2025-07-01 09:30:00 (in Excel, "
         "format the column as dates before exporting)"),
        ("2025-07-01 09:00", "1800", "「办结时间」是一个数字 '1800'，不是日期和时间（应为如 2025-07-01 "
         "09:30:00 的日期和时间；Excel 里请先把该列设为日期格式再导出）/ column '办结时间' holds the bare "
         "number '1800', not a resolution time: give a date and time such as 2025-07-01 09:30:00 "
         "(in Excel, format the column as dates before exporting)"),
        ("1800/1/1 10:00", "", "「受理时间」的时间不存在：'1800/1/1 10:00'（没有这一天或时刻，或年份不在 "
         "2000–2100 年之间）/ impossible time '1800/1/1 10:00' in column '受理时间': no such day "
         "or hour, or a year outside 2000–2100"),
        # Relative to the day of the import (the platform parser's 昨天 12:00, 06-14), or a
        # time the pattern does not reach (9点): before, read as a day of this year, or as
        # that day's midnight.
        ("06-14", "", "「受理时间」的时间无法识别：'06-14'（应为日期和时间，如 2025-07-01 09:30:00）/ "
         "unreadable time '06-14' in column '受理时间': give a date and time such as "
         "2025-07-01 09:30:00"),
        ("2025-07-01 9点", "", "「受理时间」的时间无法识别：'2025-07-01 9点'（应为日期和时间，如 2025-07-01 "
         "09:30:00）/ unreadable time '2025-07-01 9点' in column '受理时间': give a date and time "
         "such as 2025-07-01 09:30:00"),
    ],
    ids=["no-date", "no-such-day", "no-such-hour", "unix-seconds", "bare-year", "year-1800",
         "no-year", "hour-unread"],
)  # fmt: skip
def test_an_unusable_time_is_one_line_per_language(
    session: Session, world: World, tmp_path: Path, received: str, closed: str, reason: str
) -> None:
    path = tmp_path / "t.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([
            ["工单编号", "受理时间", "诉求内容", "答复意见", "答复时间", "办理状态", "办结时间"],
            ["T1", received, "金水区路灯不亮", "已修复", "2025-07-02 09:00", "已办结", closed],
        ])  # fmt: skip
    summary = import_csv(session, path, actor=SYSTEM)
    assert summary.quarantined == 1
    found = session.scalar(
        select(QuarantineEntry.reason).where(QuarantineEntry.run_id == summary.run_id)
    )
    assert found == reason


def test_every_written_form_of_a_time_still_reads(
    session: Session, world: World, tmp_path: Path
) -> None:
    forms = {
        "2019/4/25 9:32:09": "2019-04-25 09:32:09", "2025年7月2日 10时": "2025-07-02 10:00:00",
        "2025年7月2日10时30分15秒": "2025-07-02 10:30:15", "2025-7-2 10:00": "2025-07-02 10:00:00",
        "2025.7.3": "2025-07-03 00:00:00", "2025/7/4 10:00:00.000": "2025-07-04 10:00:00",
        "2025-07-05 09:30:00": "2025-07-05 09:30:00", "2025-07-06T01:30:00Z": "2025-07-06 09:30:00",
        "2025-07-07 09:30:00+08:00": "2025-07-07 09:30:00",
    }  # fmt: skip
    path = tmp_path / "forms.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["工单编号", "受理时间", "诉求内容"]] + [
            [f"F{n}", written, f"金水区路灯不亮第{n}处"] for n, written in enumerate(forms)
        ])  # fmt: skip
    summary = import_csv(session, path, actor=SYSTEM)
    assert (summary.created, summary.quarantined) == (len(forms), 0)
    for n, read in enumerate(forms.values()):
        request = session.scalar(
            select(ServiceRequest).where(ServiceRequest.source_ref == f"12345:F{n}")
        )
        assert request is not None
        assert request.received_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") == read


@pytest.mark.parametrize("batch_rows", [0, 500], ids=["per-row", "batched"])
def test_a_row_cut_short_says_its_cells_and_keeps_its_line(
    session: Session, world: World, tmp_path: Path, batch_rows: int
) -> None:
    path = tmp_path / "short.csv"
    path.write_text(
        "工单编号,受理时间,诉求内容,联系电话,区划代码,是否公开\n"
        "S1,2025-07-01 09:00,金水区路灯不亮,13800000000,410105,否\n"
        "S2,2025-07-01 10:00\n"  # a line break in an unquoted text cut the row short
        "S3,2025-07-01 11:00,,13800000003,410105,否\n"  # all its cells, no text
        "S4,2025-07-01 12:00,金水区噪音扰民\n",  # its empty cells at the end left out: imported
        encoding="utf-8",
    )
    summary = import_csv(session, path, actor=SYSTEM, batch_rows=batch_rows)
    assert (summary.created, summary.quarantined) == (2, 2)
    entries = session.execute(
        select(QuarantineEntry.source, QuarantineEntry.reason, QuarantineEntry.raw)
        .where(QuarantineEntry.run_id == summary.run_id).order_by(QuarantineEntry.id)
    ).all()  # fmt: skip
    assert [(source, raw.rstrip()) for source, _, raw in entries] == [
        (f"{path}:3", "S2,2025-07-01 10:00"), (f"{path}:4", "S3,2025-07-01 11:00,,13800000003,410105,否"),
    ]  # fmt: skip
    assert entries[0].reason == (
        "缺少诉求内容：该行只有 2 格，表头有 6 列，可能是逗号或引号有误（未闭合的引号把几格并成一格，"
        "或内容里的换行没有加引号）/ no request text: the row has 2 cells where the header has "
        "6, likely a comma or quote problem (a quote left open merging cells, or a line break "
        "in an unquoted cell)"
    )
    assert entries[1].reason == "缺少诉求内容 / no request text"


def test_a_csv_without_a_text_column_is_refused_whole(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("ticket,when,body\nT1,2025-07-01,路灯不亮\n", encoding="utf-8")
    runs = session.scalar(select(func.count()).select_from(ImportRun))
    with pytest.raises(InvalidInputError) as caught:
        import_csv(session, path, actor=SYSTEM)
    assert "缺少诉求内容列" in caught.value.message_zh
    assert "诉求内容、反映内容" in caught.value.message_zh
    assert "文件中的列：ticket、when、body" in caught.value.message_zh
    assert caught.value.message_zh.startswith(f"{path} 不是可导入的诉求 CSV")
    assert caught.value.message_en.startswith(f"{path} is not a request CSV")
    assert "no request text column (one of: 诉求内容, 反映内容" in caught.value.message_en
    assert "the file's columns: ticket, when, body" in caught.value.message_en
    assert session.scalar(select(func.count()).select_from(ImportRun)) == runs
    assert session.scalar(select(func.count()).select_from(QuarantineEntry)) == 0


def test_intake_posts_days_count_back_from_the_newest_stored_post(
    configured_database: str, committed_world: World
) -> None:
    """``desk intake-posts --days N`` reads the last N days of stored posts, wherever they
    end (the demo's period lies in the past); a window without stored posts says where
    they are, and an empty store says to import first; --json stays one JSON document."""
    import orjson
    from typer.testing import CliRunner

    from zhengwu.cli.desk_requests import app

    runner = CliRunner()
    empty = runner.invoke(app, ["intake-posts", "--days", "7"])
    assert empty.exit_code == 0, empty.output
    assert "no posts are stored: import some first" in empty.output
    with store.open_store() as con:
        store.write_posts(con, _posts([
            {"post_id": "31", "account_uid": "c1", "created_at": datetime(2025, 7, 20, 2),
             "text": "@金水住建 金水区丰产路消防通道被占", "mentions": ["金水住建"]},
            {"post_id": "32", "account_uid": "c3", "created_at": datetime(2025, 7, 25, 4),
             "text": "#马上办# 金水区经八路路灯不亮一个月了", "topics": ["马上办"]},
            {"post_id": "33", "account_uid": "c6", "created_at": datetime(2025, 6, 1, 6),
             "text": "#马上办# 金水区老问题", "topics": ["马上办"]},  # 54 days before the newest
        ]))  # fmt: skip
    taken = runner.invoke(app, ["intake-posts", "--days", "30", "--json"])
    assert taken.exit_code == 0, taken.output
    summary = orjson.loads(taken.stdout)
    assert (summary["scanned"], summary["created"]) == (2, 2)
    assert summary["since"] == "2025-06-25T04:00:00+00:00"  # 30 days before the newest post
    assert "warning" not in taken.output
    window = runner.invoke(app, ["intake-posts", "--days", "30"])
    assert "窗口 window 2025-06-25 12:00" in window.stdout and "existing 2" in window.stdout
    later = runner.invoke(app, ["intake-posts", "--since", "2026-01-01"])
    assert later.exit_code == 0, later.output
    assert "scanned 0" in later.stdout
    assert "已存帖子在 2025-06-01 14:00 – 2025-07-25 12:00" in later.output
    assert "the stored posts run from 2025-06-01 14:00 to 2025-07-25 12:00" in later.output
