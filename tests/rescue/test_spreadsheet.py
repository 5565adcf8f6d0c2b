"""The volunteers' spreadsheet: import with quarantine, idempotent re-import, export layout."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.ingest.test_workbook_limits import bomb_workbook

from zhengwu.auth.principal import PUBLIC
from zhengwu.errors import ForbiddenError, InvalidInputError
from zhengwu.rescue import access, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.labels import urgency_reason
from zhengwu.rescue.models import HelpRequest, HelpSource, Incident, SetAside, Verification
from zhengwu.rescue.schemas import HelpSubmission
from zhengwu.rescue.spreadsheet import EXPORT_HEADER, export_csv, import_csv

from .conftest import DISPATCHER, ORIGINAL, VERIFIER, post

SHEET = """序号,姓名,地址,人数,情况,紧急程度,联系方式,是否核实,是否获救
1,张建国,郑州市金水区文化路32号院3号楼,8,老人孩子被困水已到二楼,超级紧急,13800001111,是,否
2,刘桂兰,郑州市二七区航海中路158号院5号楼,1,老人心脏病药快吃完了,紧急,139 0000 2211,否,否
3,王五,,很多人,,一般,,否,否

4,赵六,郑州市中原区桐柏路绿城小区2号楼,3,被困,不知道,13700003333,否,否
5,孙七,,一车人,车被困,一般,,否,否
"""


def _sheet(tmp_path: Path, text: str = SHEET) -> Path:
    path = tmp_path / "待救援人员信息.csv"
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_import_quarantines_bad_rows_with_reasons_and_merges_good_ones(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    incident = make_incident()
    weibo = intake.take_in(
        session, incident=incident, posts=[post("1", ORIGINAL)], actor=DISPATCHER
    )
    report = import_csv(session, incident=incident, path=_sheet(tmp_path), actor=DISPATCHER)
    assert report.read == 5
    assert report.quarantined == 2
    assert report.new_requests == 2  # row 1 repeats the Weibo request: merged by phone
    assert report.merged == 1
    reasons = sorted(session.scalars(select(SetAside.reason).where(
        SetAside.incident_id == incident.id, SetAside.kind == "quarantined")))  # fmt: skip
    assert any("第 4 行" in r and "neither address nor contact" in r for r in reasons)
    assert not any("第 6 行" in r for r in reasons)
    # An urgency word the sheet invented does not refuse the row: it is taken in, warned.
    [warning] = report.warnings
    assert (
        "第 6 行" in warning
        and "不知道" in warning
        and "urgency '不知道' not understood" in warning
    )
    zhao = session.scalars(select(HelpSource).where(
        HelpSource.incident_id == incident.id, HelpSource.text.contains("赵六"))).one()  # fmt: skip
    assert "【紧急程度（无法识别）】不知道" in zhao.text
    row6 = rescue_service.get_request(session, request_id=zhao.request_id)
    assert row6.urgency in ("normal", "urgent", "critical") and row6.people_total == 3
    # 孙七's 人数「一车人」 no longer refuses a row (it is taken in with a warning:
    # test_a_people_count_in_words_…); the row is refused for having no address or contact.
    assert any("第 7 行" in r and "neither address nor contact" in r for r in reasons)
    request = weibo.requests[("weibo", "1")]
    assert request.verification == "confirmed"  # the sheet said 是否核实 = 是
    assert request.state == "verified"
    again = import_csv(session, incident=incident, path=_sheet(tmp_path), actor=DISPATCHER)
    assert (again.new_requests, again.merged, again.known) == (0, 0, 3)
    count = len(session.scalars(select(SetAside).where(SetAside.incident_id == incident.id)).all())
    assert count == 2  # the quarantined rows are not recorded twice


def test_urgency_column_overrides_the_text(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    incident = make_incident()
    report = import_csv(session, incident=incident, path=_sheet(tmp_path), actor=DISPATCHER)
    second = rescue_service.get_request(session, request_id=report.request_ids[1])
    assert second.urgency in ("urgent", "critical")
    assert second.phones == ["13900002211"]


@pytest.mark.parametrize(
    ("word", "level"),
    [("非常紧急", "critical"), ("特别紧急", "critical"), ("十万火急", "critical"),
     ("紧急", "urgent"), ("较急", "urgent"), ("一般", "normal"), ("不急", "normal")],
)  # fmt: skip
def test_common_urgency_words_are_mapped_without_a_warning(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path, word: str, level: str
) -> None:
    """The words volunteers write in 紧急程度 set the level; only unknown words are warned."""
    request = _urgency_row(session, make_incident(), tmp_path, "需要饮用水", word)
    assert request.urgency == level


def _urgency_row(
    session: Session, incident: Incident, tmp_path: Path, situation: str, word: str
) -> HelpRequest:
    """Import a sheet of one row with ``situation`` and 紧急程度 ``word``: taken in without
    a warning; return its request."""
    sheet = (
        "姓名,地址,人数,情况,紧急程度,联系方式\n"
        f"周八,郑州市金水区纬五路12号院1号楼,2,{situation},{word},13600004444\n"
    )
    report = import_csv(session, incident=incident, path=_sheet(tmp_path, sheet), actor=DISPATCHER)
    assert report.warnings == [] and report.new_requests == 1
    return rescue_service.get_request(session, request_id=report.request_ids[0])


@pytest.mark.parametrize(
    ("word", "level"),
    [("高", "critical"), ("高危", "critical"), ("中", "urgent"), ("中等", "urgent"),
     ("低", "normal"), ("较低", "normal"), ("很紧急", "critical"), ("正常", "normal")],
)  # fmt: skip
def test_graded_urgency_words_are_mapped_and_read_as_set_by_hand(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path, word: str, level: str
) -> None:
    """A sheet graded 高/中/低 (高危, 很紧急 …) sets the level without a warning, whatever
    the text says (被困 reads 紧急, an elderly man's 老人 stays among the reasons); the
    level reads as set by hand: 人工设定「表格·高」 for staff, 人工设定 masked."""
    request = _urgency_row(session, make_incident(), tmp_path, "老人被困", word)
    assert request.urgency == level
    assert f"manual:表格·{word}" in request.urgency_reasons
    assert any(r != f"manual:表格·{word}" for r in request.urgency_reasons)  # the text's
    full = [urgency_reason(r) for r in access.view(DISPATCHER, request).urgency_reasons]
    assert f"人工设定「表格·{word}」" in full
    masked = [urgency_reason(r) for r in access.view(PUBLIC, request).urgency_reasons]
    assert masked.count("人工设定") == 1 and not any(word in r for r in masked if "人工" in r)


def test_export_writes_the_volunteers_layout(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    incident = make_incident()
    import_csv(session, incident=incident, path=_sheet(tmp_path), actor=DISPATCHER)
    rows = list(
        csv.reader(io.StringIO(export_csv(session, incident=incident, principal=DISPATCHER)))
    )
    assert tuple(rows[0]) == EXPORT_HEADER
    assert len(rows) == 4  # 张建国, 刘桂兰 and 赵六 (whose 紧急程度 was unknown)
    by_name = {row[3]: row for row in rows[1:]}
    assert by_name["张建国"][10] == "13800001111"
    assert by_name["张建国"][11] == "是"
    assert by_name["张建国"][9] == "超级紧急"
    assert by_name["刘桂兰"][5] == "二七区"


FORMULA_LEADS = tuple("=+-@\t\r＝＋－＠")


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_a_sheet_of_ours_reads_back_as_it_was_exported(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """Export → re-import gives the same names, addresses, phones and texts; the cells
    that start like a formula are read back as written and neutralised again on export."""
    first, second = make_incident("郑州暴雨"), make_incident("郑州暴雨（复核）")
    intake.take_in(session, incident=first, posts=[post("1", ORIGINAL)], actor=DISPATCHER)
    attack = HelpSubmission(name="=cmd|' /C calc'!A0", address="-2+3 郑州市中原区建设路18号院",
                            phone="13700007777", text="+1+cmd|' /C notepad'!A0 三人被困")  # fmt: skip
    quoted = HelpSubmission(name="'老王", address="郑州市二七区大学路78号院", phone="13900002222",
                            text="'引号开头的求助：两人被困二楼")  # fmt: skip
    for data in (attack, quoted):
        intake.submit(session, incident=first, data=data, actor=DISPATCHER)
    exported = export_csv(session, incident=first, principal=DISPATCHER)
    cells = [c for row in _csv_rows(exported)[1:] for c in row]
    assert "'=cmd|' /C calc'!A0" in cells and "''老王" in cells
    assert not [c for c in cells if c.startswith(FORMULA_LEADS)]
    path = tmp_path / "导出.csv"
    path.write_text("\ufeff" + exported, encoding="utf-8")
    report = import_csv(session, incident=second, path=path, actor=DISPATCHER)
    assert (report.new_requests, report.quarantined) == (3, 0)
    before = {tuple(r.phones): r for r in rescue_service.requests_of(session, incident=first)}
    after = {tuple(r.phones): r for r in rescue_service.requests_of(session, incident=second)}
    assert sorted(after) == sorted(before) == [("13700007777",), ("13800001111",),
                                               ("13900002222",)]  # fmt: skip
    for phones, was in before.items():
        now = after[phones]
        assert (now.name, now.address) == (was.name, was.address), phones
        assert now.sources[0].text.endswith(f"【情况描述】{was.text}"), now.sources[0].text
    assert after[("13700007777",)].name == "=cmd|' /C calc'!A0"  # as written, no '
    assert after[("13900002222",)].name == "'老王"
    again = [c for row in _csv_rows(export_csv(session, incident=second,
                                               principal=DISPATCHER))[1:] for c in row]  # fmt: skip
    assert "'=cmd|' /C calc'!A0" in again and "'-2+3 郑州市中原区建设路18号院" in again
    assert not [c for c in again if c.startswith(FORMULA_LEADS)]


def test_a_cell_a_spreadsheet_kept_as_text_loses_its_apostrophe(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """``'13800138000`` (a number a spreadsheet keeps as text) is the phone 13800138000."""
    sheet = ("姓名,地址,人数,情况,联系方式\n"
             "'李四,'郑州市金水区文化路32号院,'4,一家四口被困,'13800138000\n")  # fmt: skip
    report = import_csv(session, incident=make_incident(), path=_sheet(tmp_path, sheet),
                        actor=DISPATCHER)  # fmt: skip
    assert (report.new_requests, report.quarantined) == (1, 0)
    request = rescue_service.get_request(session, request_id=report.request_ids[0])
    assert request.phones == ["13800138000"]
    assert (request.name, request.address, request.people_total) == (
        "李四",
        "郑州市金水区文化路32号院",
        4,
    )
    assert "'" not in request.sources[0].text


DATED = """姓名,地址,人数,情况,紧急程度,联系方式,是否核实,时间,链接
张建国,郑州市金水区文化路32号院3号楼,8,老人孩子被困,超级紧急,13800001111,否,2021-07-20 09:30,https://weibo.com/1/A1
孙七,,一车人,车被困,一般,,否,2021-07-20 10:15,https://weibo.com/1/B2
周八,,好多,被困,一般,,否,某天,https://weibo.com/1/C3
"""


@pytest.mark.parametrize(
    ("written", "people"),
    [("三个", 3), ("10余人", 10), ("二十多个人", 20), ("5名", 5), ("3位", 3), ("共4人", 4)],
)
def test_people_written_in_words_are_a_count(
    session: Session,
    make_incident: Callable[..., Incident],
    tmp_path: Path,
    written: str,
    people: int,
) -> None:
    """Volunteers write 三个 or 10余人 in 人数: those rows were refused (不是人数)."""
    sheet = (
        f"姓名,地址,人数,情况,联系方式\n李四,郑州市金水区文化路32号院,{written},被困,13800138000\n"
    )
    report = import_csv(session, incident=make_incident(), path=_sheet(tmp_path, sheet),
                        actor=DISPATCHER)  # fmt: skip
    assert (report.new_requests, report.quarantined) == (1, 0)
    request = rescue_service.get_request(session, request_id=report.request_ids[0])
    assert request.people_total == people


@pytest.mark.parametrize(
    ("written", "people", "said"),
    [
        ("很多人", None, "按人数不详导入"),
        ("若干", None, "按人数不详导入"),
        ("一家人", None, "按人数不详导入"),
        ("十几个", 10, "不是确切人数，按至少 10 人导入"),
        ("几十人", 10, "不是确切人数，按至少 10 人导入"),
        ("100以上", 100, "不是确切人数，按至少 100 人导入"),
        ("一家三口", 3, "不是数字，按 3 人导入"),
    ],
)
def test_a_people_count_in_words_takes_the_row_in_with_a_warning(
    session: Session,
    make_incident: Callable[..., Incident],
    tmp_path: Path,
    written: str,
    people: int | None,
    said: str,
) -> None:
    """A coordinator's sheet says 很多人 or 十几个 in 人数: the row was refused (不是人数);
    people wait behind it, so it is taken in — the count unknown, or the lower bound the
    words give — with a warning naming the row and the cell, the words kept in its text."""
    sheet = (
        f"姓名,地址,人数,情况,联系方式\n李四,郑州市金水区文化路32号院,{written},被困,13800138000\n"
    )
    report = import_csv(session, incident=make_incident(), path=_sheet(tmp_path, sheet),
                        actor=DISPATCHER)  # fmt: skip
    assert (report.new_requests, report.quarantined, report.refused) == (1, 0, [])
    request = rescue_service.get_request(session, request_id=report.request_ids[0])
    assert request.people_total == people
    assert f"【人数】{written}" in request.text
    [warning] = report.warnings
    assert warning.startswith(
        f"待救援人员信息.csv 第 2 行：人数「{written}」{'' if people else '无法识别，'}"
    )
    assert said in warning and f"row 2: people '{written}'" in warning


def test_a_people_cell_in_words_does_not_hide_the_count_of_the_situation(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    sheet = "姓名,地址,人数,情况,联系方式\n李四,郑州市金水区文化路32号院,很多人,一楼被困共12人,13800138000\n"
    report = import_csv(session, incident=make_incident(), path=_sheet(tmp_path, sheet),
                        actor=DISPATCHER)  # fmt: skip
    request = rescue_service.get_request(session, request_id=report.request_ids[0])
    assert request.people_total == 12


def test_a_refused_row_promoted_keeps_its_link_sheet_and_time(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    incident = make_incident()
    path = _sheet(tmp_path, DATED)
    report = import_csv(session, incident=incident, path=path, actor=DISPATCHER)
    assert (report.new_requests, report.quarantined) == (1, 2)
    taken = session.scalars(select(HelpSource).where(HelpSource.incident_id == incident.id)).one()
    assert (taken.url, taken.author, taken.posted_at) == (
        "https://weibo.com/1/A1", path.name, datetime(2021, 7, 20, 1, 30, tzinfo=UTC),
    )  # fmt: skip
    refused = {a.url: a for a in session.scalars(select(SetAside).where(
        SetAside.incident_id == incident.id))}  # fmt: skip
    sun, zhou = refused["https://weibo.com/1/B2"], refused["https://weibo.com/1/C3"]
    assert "一车人" in sun.text and "neither address nor contact" in zhou.reason
    assert (sun.author, sun.posted_at) == (path.name, datetime(2021, 7, 20, 2, 15, tzinfo=UTC))
    assert (zhou.author, zhou.posted_at) == (path.name, None)  # its 时间 could not be read
    request = intake.promote(session, set_aside=sun, actor=DISPATCHER, reason="电话核实有人被困")
    (source,) = request.sources
    # Like the row taken in at once: the sheet's link, the sheet as author, the row's time.
    assert (source.channel, source.url, source.author, source.posted_at) == (
        "csv", "https://weibo.com/1/B2", path.name, datetime(2021, 7, 20, 2, 15, tzinfo=UTC),
    )  # fmt: skip
    # It counts from the row's time, not from the import (the refused row's raw text also
    # carries its time, which the extractor may read as a stated time: the earlier wins).
    assert request.reported_at <= source.posted_at < sun.created_at
    late = intake.promote(session, set_aside=zhou, actor=DISPATCHER, reason="家属来电")
    assert late.sources[0].url == "https://weibo.com/1/C3"
    assert late.reported_at == zhou.created_at  # no readable time: when it was set aside


def test_the_volunteers_sheet_as_excel(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    rows = list(csv.reader(io.StringIO(SHEET)))
    book = tmp_path / "待救援人员信息.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in [["7·20 待救援人员信息（志愿者汇总）"], *rows]:
        sheet.append(row)
    workbook.save(book)
    incident = make_incident()
    report = import_csv(session, incident=incident, path=book, actor=DISPATCHER)
    assert (report.read, report.quarantined, report.new_requests) == (5, 2, 3)
    reasons = session.scalars(
        select(SetAside.reason).where(SetAside.incident_id == incident.id)
    ).all()
    # Rows are named as Excel shows them: the CSV's row 4 is the workbook's row 5.
    assert any("第 5 行" in r and "neither address nor contact" in r for r in reasons)


def test_a_volunteers_workbook_of_one_sheet_per_district_is_read_whole(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """Two districts' sheets of one header and a 统计 sheet: every row of both is taken in
    (the second sheet used to be dropped without a word), a bad row is named by its sheet,
    the 统计 sheet is a warning, and importing again adds nothing."""
    rows = list(csv.reader(io.StringIO(SHEET)))
    book = tmp_path / "待救援人员信息.xlsx"
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "金水区"
    for row in rows[:3]:  # header, 张建国, 刘桂兰
        first.append(row)
    second = workbook.create_sheet("其他区")
    for row in [rows[0], *rows[3:]]:  # 王五 (no address nor contact) on row 2, then the rest
        second.append(row)
    workbook.create_sheet("统计").append(["区", "人数"])
    workbook.save(book)
    incident = make_incident()
    report = import_csv(session, incident=incident, path=book, actor=DISPATCHER)
    assert (report.read, report.quarantined, report.new_requests) == (5, 2, 3)
    reasons = session.scalars(
        select(SetAside.reason).where(SetAside.incident_id == incident.id)
    ).all()
    assert any(
        r.startswith("待救援人员信息.xlsx!其他区 第 2 行：没有地址也没有联系方式") for r in reasons
    )
    [warning] = [w for w in report.warnings if "统计" in w]
    assert (
        warning.startswith("待救援人员信息.xlsx!统计：工作表「统计」未读取")
        and "not read" in warning
    )
    again = import_csv(session, incident=incident, path=book, actor=DISPATCHER)
    assert again.new_requests == 0 and again.quarantined == 2


def test_only_dispatchers_import_and_the_sheet_keeps_its_own_name(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    incident = make_incident()
    path = tmp_path / ".sheet-x1y2.csv"  # an upload's temporary file
    path.write_text(SHEET, encoding="utf-8")
    with pytest.raises(ForbiddenError):
        import_csv(session, incident=incident, path=path, actor=VERIFIER)
    report = import_csv(session, incident=incident, path=path, actor=DISPATCHER,
                        name="待救援人员信息.csv")  # fmt: skip
    assert report.quarantined == 2
    reasons = session.scalars(select(SetAside.reason).where(SetAside.incident_id == incident.id))
    assert all(r.startswith("待救援人员信息.csv 第 ") for r in reasons)
    assert ".sheet-" not in report.warnings[0]
    old = tmp_path / ".sheet-z9.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InvalidInputError) as refused:
        import_csv(session, incident=incident, path=old, actor=DISPATCHER, name="名单.xls")
    assert "名单.xls" in str(refused.value) and str(tmp_path) not in str(refused.value)


def test_a_refused_row_keeps_its_line_as_it_is_in_the_file(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """As every sheet import's quarantine: the row's line or lines as they are in the file
    (its quotes, a quoted cell's line break, a GBK line read as text), not its cells joined;
    importing the sheet again sets nothing aside twice."""
    header = SHEET.splitlines()[0]
    # Refused for having neither address nor contact (很多人 in 人数 no longer refuses).
    quoted = '7,吴九,,很多人,"郑州市金水区""花园""路1号 水深\r\n一米",紧急,,否,否'
    gbk = "8,郑九,,2,被困,一般,,否,否"  # neither address nor contact; saved as GBK
    good = "9,钱十,郑州市二七区大学路9号,2,被困,一般,13900001010,否,否"
    path = tmp_path / "待救援人员信息.csv"
    path.write_bytes(f"{header}\n{quoted}\n".encode() + gbk.encode("gbk") + f"\n{good}\n".encode())
    incident = make_incident()
    report = import_csv(session, incident=incident, path=path, actor=DISPATCHER)
    assert (report.read, report.quarantined, report.new_requests) == (3, 2, 1)
    asides = {a.reason.split("：")[0]: a.text for a in session.scalars(
        select(SetAside).where(SetAside.incident_id == incident.id))}  # fmt: skip
    assert asides == {f"{path.name} 第 2 行": quoted, f"{path.name} 第 4 行": gbk}
    again = import_csv(session, incident=incident, path=path, actor=DISPATCHER)
    assert again.quarantined == 2
    assert len(session.scalars(select(SetAside).where(
        SetAside.incident_id == incident.id)).all()) == 2  # fmt: skip


def test_a_bomb_workbook_is_refused_naming_the_limit_and_sets_nothing_aside(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """An .xlsx upload is a zip: one whose sheet unpacks ~1,000:1 is refused whole, named
    by the upload's own name, before a row is read."""
    path = bomb_workbook(tmp_path / ".sheet-b0mb.xlsx")
    incident = make_incident()
    with pytest.raises(InvalidInputError) as refused:
        import_csv(session, incident=incident, path=path, actor=DISPATCHER, name="名单.xlsx")
    assert "解压 名单.xlsx!xl/worksheets/sheet1.xml 超过压缩比上限" in refused.value.message_zh
    assert "(ZHENGWU_UNPACK_MAX_RATIO)" in (refused.value.message_en or "")
    assert str(tmp_path) not in str(refused.value)
    assert session.scalars(select(SetAside).where(SetAside.incident_id == incident.id)).all() == []


UNSURE = """姓名,地址,人数,情况,紧急程度,联系方式,是否核实,是否获救,时间
吴九,郑州市金水区经三路66号,4,老人卧床水已到一楼,超级紧急,13500006666,{verified},{rescued},{time}
"""


@pytest.mark.parametrize("unsure", ["不知道", "待定", "?", "未知"])
def test_an_unreadable_minor_cell_takes_the_row_in_with_a_warning(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path, unsure: str
) -> None:
    """A 超级紧急 row whose 是否核实 / 是否获救 say neither 是 nor 否 and whose 时间 is
    昨天下午 was refused whole: it is taken in as not verified, not rescued, at the import's
    time, each cell a warning naming the row; a later sheet saying 是 still marks it."""
    incident = make_incident()
    path = _sheet(tmp_path, UNSURE.format(verified=unsure, rescued=unsure, time="昨天下午"))
    before = datetime.now(UTC)
    report = import_csv(session, incident=incident, path=path, actor=DISPATCHER)
    assert (report.new_requests, report.quarantined, report.refused) == (1, 0, [])
    at = f"{path.name} 第 2 行："
    assert report.warnings == [
        f"{at}时间「昨天下午」无法识别，已按导入时间记录，请人工核定 / row 2: time '昨天下午' "
        "not understood, taken in at the import's time: check it",
        f"{at}是否核实「{unsure}」无法识别，按未核实导入（应为 是/否） / row 2: verified "
        f"{unsure!r} not understood, taken in as not verified (yes or no)",
        f"{at}是否获救「{unsure}」无法识别，按未获救导入（应为 是/否） / row 2: rescued "
        f"{unsure!r} not understood, taken in as not rescued (yes or no)",
    ]
    request = rescue_service.get_request(session, request_id=report.request_ids[0])
    assert (request.verification, request.state, request.reported_rescued_at) == (
        "unverified", "new", None,
    )  # fmt: skip
    assert request.urgency == "critical" and before <= request.reported_at <= datetime.now(UTC)
    assert request.sources[0].text.endswith("【时间（无法识别）】昨天下午")
    # The volunteers have since called: the same row, now 是 / 是 and a readable time.
    later = _sheet(tmp_path, UNSURE.format(verified="是", rescued="是", time="2021-07-20 15:00"))
    again = import_csv(session, incident=incident, path=later, actor=DISPATCHER)
    assert (again.known, again.new_requests, again.warnings) == (1, 0, [])
    session.refresh(request)
    assert (request.verification, request.state) == ("confirmed", "verified")
    assert request.reported_rescued_at is not None


def test_a_sheet_without_address_and_situation_columns_is_imported_with_a_warning(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """Only 姓名 and 电话 (and a 家庭住址 the import does not know): the rows are taken in,
    and the report says which columns the sheet lacks and which it did not read."""
    sheet = "姓名,电话,家庭住址\n李四,13800138000,郑州市金水区文化路32号院\n"
    path = _sheet(tmp_path, sheet)
    report = import_csv(session, incident=make_incident(), path=path, actor=DISPATCHER)
    assert (report.new_requests, report.quarantined) == (1, 0)
    assert report.warnings == [
        f"{path.name}：表格没有「地址」、「情况」列，各行导入后缺少这些信息，请核对表头并人工补充；"
        f"未识别的列：家庭住址 / {path.name}: the sheet has no 地址 (address), 情况 (situation) "
        "columns; its rows are taken in without them: check the header and complete the "
        "requests; columns not read: 家庭住址"
    ]
    full = _sheet(tmp_path, "姓名,地址,情况,电话\n李四,郑州市金水区文化路32号院,被困,13800138000\n")
    assert import_csv(session, incident=make_incident("另一灾情"), path=full,
                      actor=DISPATCHER).warnings == []  # fmt: skip


def test_long_file_names_and_cells_are_cut_to_their_columns(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """A file name near the file system's limit and cells of thousands of characters: the
    reasons, the author, the verifier, the name, the address and the link are cut to what
    their columns hold (PostgreSQL refused the whole import), the texts keep every cell."""
    name = "待救援人员信息" + "（金水区志愿者汇总）" * 3 + "x" * 120 + ".csv"  # 235 bytes
    path = tmp_path / name
    long_cell = "水" * 3000
    link = "https://weibo.com/1/" + "A" * 3000
    note = "备注" + "说明" * 200  # a column the import does not read, named when refused
    rows = [
        ["姓名", "地址", "人数", "情况", "紧急程度", "联系方式", "是否核实", "时间", "链接", note],
        ["张" * 300, "郑州市金水区" + "文化路" * 300, "3", long_cell, long_cell, "13800001111",
         "是", long_cell, link, ""],
        ["李四", "郑州市二七区大学路9号", long_cell, "被困", "一般", "13900002222", long_cell,
         "", link, ""],
        ["王五", "郑州市中原区建设路1号", "2", "被困", "一般", "13700003333", "否", "", "",
         "\x00"],
    ]  # fmt: skip
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    incident = make_incident()
    report = import_csv(session, incident=incident, path=path, actor=DISPATCHER)
    # Row 3's long 人数 no longer refuses it (taken in with a warning, its cell quoted
    # cut); the NUL row is refused with a reason cut to its column.
    assert (report.new_requests, report.quarantined) == (2, 1)
    assert len(name) == 161
    where = name[:49] + "…" + name[-50:]  # its start and its end
    [nul] = report.refused
    assert (
        len(nul) == 256
        and nul.startswith(f"{where} 第 4 行：字段「备注说明说明")
        and nul[-1] == "…"
    )
    asides = session.scalars(select(SetAside).where(SetAside.incident_id == incident.id)).all()
    assert [a.reason for a in asides] == [nul]
    assert {(a.author, a.url) for a in asides} == {(name, None)}
    assert all(len(w) < 400 and ("第 2 行" in w or "第 3 行" in w) for w in report.warnings)
    assert f"{where} 第 3 行：人数「{'水' * 39}…」无法识别，按人数不详导入" in "\n".join(
        report.warnings
    )
    assert any("link too long (3020 characters, at most 2048)" in w for w in report.warnings)
    [request] = [
        found
        for i in report.request_ids
        if (found := rescue_service.get_request(session, request_id=i)).name != "李四"
    ]
    assert (len(request.name or ""), len(request.address or "")) == (64, 256)
    (source,) = request.sources
    assert (source.author, source.url) == (name, None)
    assert long_cell in source.text and "张" * 300 in source.text
    assert request.verification == "confirmed"
    verifier = session.scalars(select(Verification.verifier_name).where(
        Verification.request_id == request.id)).one()  # fmt: skip
    assert verifier == f"志愿者表格 {name}"[:127] + "…"
    again = import_csv(session, incident=incident, path=path, actor=DISPATCHER)
    assert (again.known, again.quarantined) == (2, 1)
