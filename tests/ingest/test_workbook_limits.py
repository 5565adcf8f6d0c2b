"""Excel workbooks are zip archives: every sheet import holds them to the unpack limits
(``ZHENGWU_UNPACK_MAX_MEMBERS`` / ``_BYTES`` / ``_RATIO``) before openpyxl reads them, counting
the bytes each part really unpacks to (never the sizes its zip directory declares). A bomb
in a sheet's XML or in the shared strings is refused with the limit named in both languages,
quickly and in little memory; a real workbook is read as before."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import iter_csv_rows, sheet_header
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.ingest.workbook import sheets_left, workbook_rows
from zhengwu.servicedesk.models import ServiceRequest

runner = CliRunner()
HEADER = ["工单编号", "诉求内容"]
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
BOMB_MIB = 64  # what a bomb unpacks to: ~64 KiB of deflate at ~1,000:1
_MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
# A part's XML around the repeated bytes: a sheet of rows (what an importer would take in,
# row after row), or one shared string (which openpyxl holds in memory whole).
PARTS = {
    "sheet": (
        SHEET,
        b"<worksheet " + _MAIN + b"><sheetData>",
        b'<row><c t="inlineStr"><is><t>' + b"A" * 4000 + b"</t></is></c><c><v>1</v></c></row>",
        b"</sheetData></worksheet>",
    ),
    "strings": (
        STRINGS,
        b"<sst " + _MAIN + b' count="1" uniqueCount="1"><si><t>',
        b"A" * 1024,
        b"</t></si></sst>",
    ),
}


def real_workbook(path: Path, rows: list[list[object]] | None = None) -> Path:
    """Write a small real workbook (openpyxl's, as Excel's: a shared-strings part)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows or [HEADER, [20250701000001, "井盖丢失"]]:
        sheet.append(row)
    book.save(path)
    return path


def bomb_workbook(path: Path, part: str = "sheet", mib: int = BOMB_MIB) -> Path:
    """Write a real workbook whose ``part`` ("sheet" or "strings") unpacks to ``mib`` MiB of
    repeated bytes, streamed into the zip (the test never holds them) at ~1,000:1."""
    member, head, repeated, tail = PARTS[part]
    real = real_workbook(path.with_name(f"real-{path.name}"))
    block = repeated * ((1 << 20) // len(repeated))
    with (
        zipfile.ZipFile(real) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml" and member == STRINGS:
                # openpyxl writes strings inline; Excel keeps them in this part, which
                # openpyxl reads whole when the package lists it.
                data = data.replace(b"</Types>", _STRINGS_TYPE + b"</Types>")
            if info.filename != member:
                out.writestr(info, data)
        with out.open(member, "w") as part_out:
            part_out.write(head)
            for _ in range(mib):
                part_out.write(block)
            part_out.write(tail)
        assert out.getinfo(member).compress_size * 500 < mib << 20  # a bomb: over 500:1
    return path


def lie_about_size(path: Path, member: str, size: int) -> Path:
    """Make ``member``'s entry in the zip's directory declare ``size`` unpacked bytes (a
    check of the declared sizes then sees a modest part)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len] == name:
            struct.pack_into("<I", data, at + 24, size)
            path.write_bytes(bytes(data))
            return path
        at = data.find(b"PK\x01\x02", at + 46)
    raise AssertionError(f"{member} not in {path}")


def _refused(read: Callable[[], object]) -> tuple[InvalidInputError, int]:
    """Return the error ``read`` raises and the peak memory Python held meanwhile."""
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInputError) as caught:
            read()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught.value, peak


READERS: dict[str, Callable[[Path], object]] = {
    "rows": lambda path: list(workbook_rows(path)),
    "sheets-left": sheets_left,
    "csv-rows": lambda path: list(iter_csv_rows(path, gbk=True)),
    "header": sheet_header,
    "upload": lambda path: list(workbook_rows(io.BytesIO(path.read_bytes()), name="名单.xlsx")),
}


def test_a_real_workbook_is_read_within_the_default_limits(tmp_path: Path) -> None:
    """A real export of 30,000 alike rows (~15:1, past the ratio's first MiB) is read whole."""
    rows: list[list[object]] = [HEADER, *([20250701000000 + i, "已办结"] for i in range(30_000))]
    path = real_workbook(tmp_path / "工单.xlsx", rows)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(SHEET).file_size > 1 << 20
    got = list(workbook_rows(path))
    assert len(got) == len(rows) and got[-1][1] == ["20250701029999", "已办结"]
    assert sheet_header(path) == HEADER


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("part", sorted(PARTS))
def test_a_bomb_workbook_is_refused_naming_the_ratio_in_little_memory(
    tmp_path: Path, part: str, reader: str
) -> None:
    """64 MiB of repeated bytes in ~64 KiB: refused at 200:1 before openpyxl reads a byte
    (a sheet's rows are not taken in; the shared string is not held in memory)."""
    path = bomb_workbook(tmp_path / "bomb.xlsx", part)
    error, peak = _refused(lambda: READERS[reader](path))
    shown = "名单.xlsx" if reader == "upload" else str(path)
    member = PARTS[part][0]
    assert f"解压 {shown}!{member} 超过压缩比上限 200:1（ZHENGWU_UNPACK_MAX_RATIO）" in (
        error.message_zh
    )
    assert "疑为压缩炸弹，该文件未读取" in error.message_zh
    assert f"unpacking {shown}!{member} passed the compression ratio limit of 200:1 " in (
        error.message_en or ""
    )
    assert "(ZHENGWU_UNPACK_MAX_RATIO)" in (error.message_en or "")
    assert "the file was not read" in (error.message_en or "")
    assert peak < 16 << 20, peak


def test_a_part_that_lies_about_its_size_is_refused_in_little_memory(tmp_path: Path) -> None:
    """The directory says the bomb's sheet unpacks to 1 KiB: zipfile checks what comes out
    (its size and CRC), so the workbook is refused as damaged, without reading past it."""
    path = lie_about_size(bomb_workbook(tmp_path / "lie.xlsx"), SHEET, 1024)
    with zipfile.ZipFile(path) as archive:
        declared = sum(info.file_size for info in archive.infolist())
    assert declared < path.stat().st_size * 200  # a check of declared sizes would pass it
    error, peak = _refused(lambda: list(workbook_rows(path)))
    assert "无法读取 Excel 文件" in error.message_zh and "Bad CRC-32" in error.message_zh
    assert str(path) in (error.message_en or "")
    assert peak < 16 << 20, peak


def test_the_total_and_the_parts_are_limits_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes of every part count towards ZHENGWU_UNPACK_MAX_BYTES; a workbook of more
    parts than ZHENGWU_UNPACK_MAX_MEMBERS is refused before any is read."""
    path = real_workbook(tmp_path / "工单.xlsx")
    with zipfile.ZipFile(path) as archive:
        parts = len(archive.infolist())
        total = sum(info.file_size for info in archive.infolist())
    monkeypatch.setenv("ZHENGWU_UNPACK_MAX_BYTES", str(total - 1))
    get_settings.cache_clear()
    with pytest.raises(InvalidInputError) as caught:
        list(workbook_rows(path))
    assert "超过总量上限" in caught.value.message_zh
    assert "（ZHENGWU_UNPACK_MAX_BYTES），该文件未读取" in caught.value.message_zh
    monkeypatch.setenv("ZHENGWU_UNPACK_MAX_BYTES", str(total))
    monkeypatch.setenv("ZHENGWU_UNPACK_MAX_MEMBERS", str(parts - 1))
    get_settings.cache_clear()
    with pytest.raises(InvalidInputError) as caught:
        sheets_left(path)
    assert (
        f"压缩包中的文件数 {parts} 超过上限 {parts - 1}（ZHENGWU_UNPACK_MAX_MEMBERS），"
        "Excel 文件不会有这么多部件，疑为压缩炸弹"
    ) in caught.value.message_zh
    assert "no Excel workbook has that many parts" in (caught.value.message_en or "")
    monkeypatch.setenv("ZHENGWU_UNPACK_MAX_MEMBERS", str(parts))
    get_settings.cache_clear()
    assert sheet_header(path) == HEADER  # at the limits: read


@pytest.mark.parametrize(
    "command",
    [["desk", "import-csv"], ["import", "zhengwu-orgs"], ["import", "zhengwu-accounts"]],
    ids=["desk", "orgs", "accounts"],
)
def test_cli_sheet_imports_refuse_a_bomb_workbook_and_write_nothing(
    tmp_path: Path, configured_database: str, committed_engine: Engine, command: list[str]
) -> None:
    path = bomb_workbook(tmp_path / "bomb.xlsx")
    result = runner.invoke(app, [*command, str(path), "--json"])
    assert result.exit_code == 2, result.output
    flat = "".join(result.output.split())
    assert "超过压缩比上限200:1（ZHENGWU_UNPACK_MAX_RATIO）" in flat
    assert "(ZHENGWU_UNPACK_MAX_RATIO)" in flat and "thefilewasnotread" in flat
    with Session(committed_engine) as session:
        for model in (ServiceRequest, QuarantineEntry):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model
        # Both keep the refused import's run in the history, alone: 0 read
        runs = [(r.read, [x["file"] for x in r.refused or []])
                for r in session.scalars(select(ImportRun))]  # fmt: skip
        assert runs == [(0, [str(path)])]


def test_a_bomb_workbook_in_a_zip_is_named_as_the_member_not_its_copy(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    """``desk import-csv`` of a .zip holding the workbook: the refusal names
    ``archive.zip!工单.xlsx!part``, never the copy unpacked under the data directory."""
    book = bomb_workbook(tmp_path / "工单.xlsx")
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.write(book, "工单.xlsx")
    result = runner.invoke(app, ["desk", "import-csv", str(path), "--json"])
    assert result.exit_code == 2, result.output
    flat = "".join(result.output.split())
    assert f"解压{path}!工单.xlsx!{SHEET}超过压缩比上限200:1" in flat
    assert str(get_settings().data_dir) not in flat and "unpack-" not in flat
    with Session(committed_engine) as session:  # the refused run alone, naming no copy
        [run] = session.scalars(select(ImportRun))
        assert (run.read, [x["file"] for x in run.refused]) == (0, [str(path)])
        assert str(get_settings().data_dir) not in str(run.refused)


# ---- the XML inside: entity bombs and damage (expat parses each part as it streams by) ---

LAUGHS = b'<!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
    b'<!ENTITY lol%d "%s">' % (i, (b"&lol%s;" % (str(i - 1).encode() if i > 1 else b"")) * 10)
    for i in range(1, 10)
) + b"]>"  # fmt: skip


def rewrite_part(path: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    """Rewrite ``path`` (a real workbook) with ``member``'s XML changed (or added)."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[member] = change(parts.get(member, b""))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return path


def _with_laughs(xml: bytes) -> bytes:
    """Put the entity bomb's DTD after the XML declaration and use its last entity."""
    head, sep, rest = xml.partition(b"?>")
    xml = head + sep + LAUGHS + rest if sep else LAUGHS + xml
    return xml.replace(b"<t>", b"<t>&lol9;", 1)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_an_entity_bomb_is_refused_before_expat_expands_it(tmp_path: Path, reader: str) -> None:
    """ "Billion laughs" in a sheet: refused at its DTD, quickly and in little memory (expat
    alone stops it only after ~2.5 s and ~130 MB)."""
    path = rewrite_part(real_workbook(tmp_path / "laughs.xlsx"), SHEET, _with_laughs)
    assert b"&lol9;" in zipfile.ZipFile(path).read(SHEET)
    error, peak = _refused(lambda: READERS[reader](path))
    shown = "名单.xlsx" if reader == "upload" else str(path)
    assert f"Excel 文件 {shown}!{SHEET} 声明了 DTD 或实体" in error.message_zh
    assert "疑为 XML 炸弹），该文件未读取" in error.message_zh
    assert "declares a DTD or entities (Office Open XML never does" in (error.message_en or "")
    assert peak < 16 << 20, peak


def test_a_dtd_in_any_xml_part_is_refused(tmp_path: Path) -> None:
    """Even a harmless DOCTYPE, in a part openpyxl never reads (docProps/app.xml)."""
    path = rewrite_part(
        real_workbook(tmp_path / "dtd.xlsx"), "docProps/app.xml",
        lambda xml: b"<!DOCTYPE Properties>" + xml,
    )  # fmt: skip
    with pytest.raises(InvalidInputError, match=r"docProps/app\.xml 声明了 DTD 或实体"):
        sheet_header(path)


def test_damaged_sheet_xml_is_refused_before_any_row(tmp_path: Path) -> None:
    """A sheet cut in its last row: refused as damaged XML naming the part, before a row is
    yielded (an importer takes in nothing of it), never a ParseError's traceback."""
    rows: list[list[object]] = [HEADER, *([20250701000000 + i, "已办结"] for i in range(200))]
    path = rewrite_part(
        real_workbook(tmp_path / "cut.xlsx", rows), SHEET, lambda xml: xml[: len(xml) - 40]
    )
    got: list[object] = []

    def take() -> None:
        got.extend(workbook_rows(path))  # row by row: what was yielded before the error stays

    with pytest.raises(InvalidInputError) as caught:
        take()
    assert got == []
    assert f"无法读取 Excel 文件 {path}!{SHEET}（XML 已损坏）" in caught.value.message_zh
    assert "(damaged XML)" in (caught.value.message_en or "")
    assert "the file was not read" in (caught.value.message_en or "")


def test_damaged_xml_in_a_part_openpyxl_never_reads_does_not_stop_the_rows(
    tmp_path: Path,
) -> None:
    """A tool's custom XML part (customXml/item1.xml), broken: the table is still read."""
    path = rewrite_part(
        real_workbook(tmp_path / "custom.xlsx"), "customXml/item1.xml", lambda _: b"<a><b></a>"
    )
    assert [cells for _, cells in workbook_rows(path)] == [HEADER, ["20250701000001", "井盖丢失"]]


def test_cli_desk_import_refuses_damaged_xml_and_writes_nothing(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    path = rewrite_part(real_workbook(tmp_path / "工单.xlsx"), SHEET, lambda xml: xml[:-30])
    result = runner.invoke(app, ["desk", "import-csv", str(path), "--json"])
    assert result.exit_code == 2, result.output
    flat = "".join(result.output.split())
    assert "（XML已损坏）" in flat and "Traceback" not in result.output
    with Session(committed_engine) as session:
        for model in (ServiceRequest, QuarantineEntry):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model
        assert [r.read for r in session.scalars(select(ImportRun))] == [0]  # the run alone
