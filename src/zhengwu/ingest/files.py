"""Reading input files robustly: line ranges for parallel parsing, encodings, CSV rows.

Real crawler output is messy: UTF-8 with a BOM (``utf-8-sig``), GBK files from Excel,
broken lines. These helpers never raise on a bad line; they hand the caller either the
decoded line or a reason to quarantine it, always with its location.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.workbook import RowNo, SheetLeft, is_workbook, refuse_old_excel, workbook_rows
from zhengwu.storable import find_nul, nul_reason

GBK_HINT = "不是 UTF-8 编码（可能是 GBK）/ not UTF-8 (GBK file read as UTF-8?)"
NOT_TEXT_HINT = "既不是 UTF-8 也不是 GBK 编码的文本 / neither UTF-8 nor GBK text"


def check_file(path: Path) -> None:
    """Raise a clear error when ``path`` is missing, a directory or unreadable."""
    if not path.exists():
        raise InvalidInputError(f"文件不存在：{path}", f"file not found: {path}")
    if path.is_dir():
        pattern = _files_pattern(path)
        if pattern is None:
            raise InvalidInputError(f"这是一个目录，不是文件：{path}", f"is a directory: {path}")
        # A folder of daily files (hot search, one CSV per account): say how to give them.
        raise InvalidInputError(
            f"这是一个目录，不是文件：{path}；请给出其中的文件，如 {pattern}",
            f"is a directory: {path}; give the files in it, e.g. {pattern}",
        )
    if not os.access(path, os.R_OK):
        raise InvalidInputError(f"文件不可读：{path}", f"file not readable: {path}")


def _files_pattern(folder: Path, *, looked: int = 1000) -> str | None:
    """Return ``folder/*.ext`` for the commonest suffix among the files directly in it (its
    first ``looked`` entries), or None when it holds no file."""
    suffixes: dict[str, int] = {}
    with os.scandir(folder) as entries:
        for n, entry in enumerate(entries):
            if n >= looked:
                break
            if entry.is_file() and not entry.name.startswith("."):
                suffix = Path(entry.name).suffix
                suffixes[suffix] = suffixes.get(suffix, 0) + 1
    if not suffixes:
        return None
    suffix = max(sorted(suffixes), key=lambda s: suffixes[s])
    return str(folder / f"*{suffix}")


def split_ranges(path: Path, parts: int, *, min_bytes: int = 8 << 20) -> list[tuple[int, int]]:
    """Cut a file into about ``parts`` byte ranges of at least ``min_bytes`` each."""
    size = path.stat().st_size
    parts = max(1, min(parts, size // max(min_bytes, 1)))
    step = -(-size // parts) if size else 0
    return [(i * step, min(size, (i + 1) * step)) for i in range(parts)] or [(0, 0)]


def iter_lines(
    path: Path, byte_range: tuple[int, int] | None = None
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, raw line)`` for the non-blank lines starting inside ``byte_range``.

    Line numbers are 1-based and exact even for a range that starts mid-file (the newlines
    before it are counted), so quarantine locations stay ``file:line``.
    """
    check_file(path)
    start, end = byte_range if byte_range else (0, path.stat().st_size)
    with path.open("rb") as fh:
        lineno = 0
        if start > 0:
            # Count the lines before the range, then skip the partial line we land in:
            # it belongs to the previous range (a line belongs to the range it starts in).
            fh.seek(start - 1)
            prev = fh.read(1)
            lineno = _count_newlines(path, start - 1) + (1 if prev == b"\n" else 0)
            if prev != b"\n":
                fh.readline()
                lineno += 1
        pos = fh.tell()
        for raw in fh:
            if pos >= end:
                break
            lineno += 1
            pos += len(raw)
            line = raw.rstrip(b"\r\n")
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if line.strip():
                yield lineno, line


# Where the last count of newlines stopped, per file (path, inode, size, modification
# time): ``(offset, newlines before it)``. Counts go on from the previous one instead
# of from the file's start each time (a 2 GB file cut into 39 ranges: ~37 GB read, 28
# CPU-s of counting on the shared 2-core machine, when each range counted from the
# start). The import counts before each range in file order, once, and hands the count
# to the parser worker with the range (note_lines_before); a worker left to count reads
# the file up to its range itself.
_NEWLINES: dict[tuple[str, int, int, int], tuple[int, int]] = {}


def _file_key(path: Path) -> tuple[str, int, int, int]:
    stat = path.stat()
    return (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)


def lines_before(path: Path, start: int) -> int:
    """Return the count :func:`iter_lines` numbers a range starting at byte ``start`` from:
    the newlines in the bytes before ``start - 1`` (0 at the file's start).

    The process that cuts a file into ranges counts them in file order, each byte once,
    and hands each range its count (:func:`note_lines_before`), so the parser workers
    number their lines without reading the file before their ranges.
    """
    return _count_newlines(path, start - 1) if start > 0 else 0


def note_lines_before(path: Path, start: int, lines: int) -> None:
    """Record :func:`lines_before` of ``start`` as counted elsewhere, so that
    :func:`iter_lines` of a range starting at ``start`` reads nothing before it."""
    if start > 0:
        _NEWLINES.clear()
        _NEWLINES[_file_key(path)] = (start - 1, lines)


def _count_newlines(path: Path, upto: int) -> int:
    """Return the number of newlines in the first ``upto`` bytes of ``path``."""
    key = _file_key(path)
    start, count = _NEWLINES.get(key, (0, 0))
    if start > upto:
        start, count = 0, 0
    with path.open("rb") as fh:
        fh.seek(start)
        remaining = upto - start
        while remaining > 0:
            chunk = fh.read(min(remaining, 16 << 20))
            if not chunk:
                break
            count += chunk.count(b"\n")
            remaining -= len(chunk)
    _NEWLINES.clear()  # one file at a time: keep one checkpoint
    _NEWLINES[key] = (upto - remaining, count)
    return count


def decode_line(raw: bytes, encodings: tuple[str, ...] = ("utf-8",)) -> str | None:
    """Decode a line by the first of ``encodings`` that reads it (UTF-8 by default), or
    return None when none does (quarantine it with GBK_HINT)."""
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def read_text(path: Path) -> tuple[str, str | None]:
    """Read a whole file as text; return ``(text, problem)``.

    UTF-8 (with or without BOM) is read as is. A file that is not UTF-8 is decoded with
    replacement characters and ``problem`` says so, so the caller can quarantine the
    affected records instead of importing garbled text.
    """
    check_file(path)
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), GBK_HINT


CSV_BLOCK = 16 << 20  # bytes of a CSV file decoded at a time
# Bytes of ASCII-only text after which refuse_not_utf8 takes a CSV for UTF-8 and stops
# reading (else an all-ASCII export is read to its end before each import); a GBK line
# further on is then quarantined alone (GBK_HINT), as in a UTF-8 file.
CSV_ASCII_SCAN = 64 << 20
# Characters of a bad record's raw text kept in its quarantine record, by every importer:
# a sheet's row (RowNo.raw), a platform's line or JSON record. Enough for a whole 12345 row
# with its reply (the city messages' longest is 8,002 characters, their median 582) and for
# a Weibo status of long text (a 2,000-character 长微博 is ~8,000 characters of JSON), so an
# operator can fix the record and import it again.
RAW_CHARS = 10_000


def _text_lines(
    path: Path, bad_lines: set[int], *, gbk: bool = False
) -> Generator[str, None, None]:
    """Yield the physical lines of ``path`` as text (ends kept), a block at a time.

    Lines end at \\n, \\r\\n or \\r, as ``open(newline="")`` splits them for the csv module.
    A block is cut after its last \\n, so no line, character or \\r\\n is split; a block
    that is not UTF-8 is decoded line by line, and the numbers (from 1) of the lines that
    are not go into ``bad_lines`` (replacement characters in their text) before they are
    yielded. Memory stays at a block however large the file (a year of a big city's
    12345 export is gigabytes; it used to be read and decoded whole). With ``gbk`` a line
    that is not UTF-8 is read as GB18030 (GBK's superset: Excel's "CSV" on Chinese Windows)
    before it counts as bad; a line of GBK text is almost never valid UTF-8 by chance, so a
    file of either encoding, or of both (a GBK line pasted into a UTF-8 file), reads right.
    """
    number = 0
    rest = bytearray()
    first = True
    block = CSV_BLOCK  # read each time a file is opened (tests make it small)
    with path.open("rb") as fh:
        while True:
            data = fh.read(block)
            if data:
                cut = data.rfind(b"\n") + 1
                rest += data[:cut] if cut else data
                if not cut:
                    continue  # no line ends here yet (or only \r ones): read on
                chunk, rest = bytes(rest), bytearray(data[cut:])
            else:
                chunk, rest = bytes(rest), bytearray()
                if not chunk:
                    return
            if first:  # the file's start: a whole line, so a whole BOM if there is one
                chunk = chunk.removeprefix(b"\xef\xbb\xbf")
                first = False
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:
                for raw in chunk.splitlines(keepends=True):
                    number += 1
                    line = decode_line(raw, ("utf-8", "gb18030") if gbk else ("utf-8",))
                    if line is None:
                        bad_lines.add(number)
                        line = raw.decode("utf-8", errors="replace")
                    yield line
            else:
                for line in io.StringIO(text, newline=""):
                    number += 1
                    yield line
            if not data:
                return


def refuse_not_utf8(path: Path) -> None:
    """Raise InvalidInputError when the CSV file ``path`` is not UTF-8 as a whole.

    That is when its header line is not UTF-8, or when none of its lines with non-ASCII
    bytes is (a file Excel saved as "CSV" on Chinese Windows is GBK throughout). Read as
    UTF-8 such a file would be quarantined row by row (or refused for garbled column
    names); refused once, the message says what it is and how to convert it. A UTF-8 file
    with a few lines that are not (a GBK line pasted in) is read, those rows quarantined
    with GBK_HINT. A workbook is not text and is not checked. Cheap for a UTF-8 file: the
    scan stops at its first block of non-ASCII UTF-8 text, or after ``CSV_ASCII_SCAN`` bytes
    of ASCII alone (a GBK line after those is quarantined alone).
    """
    check_file(path)
    if is_workbook(path):
        return
    found = _csv_encoding(path)
    if found is None:
        return
    if found == "gbk":
        # The file is named before the fix, so its name does not read as part of the command.
        raise InvalidInputError(
            f"文件不是 UTF-8 编码（像是 GBK，Excel 另存的 CSV 常是如此），整个文件未导入：{path}；"
            "请另存为“CSV UTF-8”或先转换，例如 iconv -f GBK -t UTF-8 原文件 > 新文件",
            "the file is not UTF-8 (it looks like GBK, as Excel saves a CSV on Chinese "
            f'Windows), nothing of it was imported: {path}; save it as "CSV UTF-8" or '
            "convert it first, e.g. iconv -f GBK -t UTF-8 old.csv > new.csv",
        )
    raise InvalidInputError(
        f"文件不是 UTF-8 编码的 CSV（既不是 UTF-8 也不是 GBK 编码的文本），整个文件未导入：{path}",
        "the file is not a UTF-8 CSV (neither UTF-8 nor GBK text), nothing of it was "
        f"imported: {path}",
    )


def _csv_encoding(path: Path) -> str | None:
    """Return None for a UTF-8 CSV file, "gbk" for a GBK one, "other" for neither (see
    :func:`refuse_not_utf8`). Blocks are cut after a line break, so no character is split."""
    bad = gbk = False
    first = True
    rest = b""
    ascii_left = CSV_ASCII_SCAN  # read each time (tests make it small)
    with path.open("rb") as fh:
        while True:
            data = fh.read(CSV_BLOCK)
            block = rest + data
            if data:
                cut = block.rfind(b"\n") + 1
                if not cut:
                    rest = block
                    continue  # no line ends here yet: read on
                block, rest = block[:cut], block[cut:]
            if first:
                block = block.removeprefix(b"\xef\xbb\xbf")
                ends = [i for i in (block.find(b"\n"), block.find(b"\r")) if i >= 0]
                header = block[: min(ends)] if ends else block  # csv ends lines at \r too
                if not decodes(header, "utf-8"):
                    return "gbk" if _is_gbk(header) else "other"
                first = False
            if not block.isascii():
                if decodes(block, "utf-8"):
                    return None  # UTF-8 text
                for line in block.splitlines():
                    if line.isascii():
                        continue
                    if decodes(line, "utf-8"):
                        return None  # UTF-8 text: its few bad lines are quarantined alone
                    gbk = _is_gbk(line) and (gbk or not bad)
                    bad = True
            if not bad:  # every line so far ASCII, which is UTF-8
                ascii_left -= len(block)
                if ascii_left <= 0:
                    return None  # no need to read the rest
            if not data:
                break
    if not bad:
        return None
    return "gbk" if gbk else "other"


def decodes(data: bytes, encoding: str) -> bool:
    """Tell whether ``data`` is valid text in ``encoding``."""
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _is_gbk(line: bytes) -> bool:
    # GB18030 (GBK's superset) reads a NUL too, which no text of Excel's holds.
    return b"\x00" not in line and decodes(line, "gb18030")


def iter_csv_rows(
    path: Path, *, gbk: bool = False, left: list[SheetLeft] | None = None
) -> Iterator[tuple[RowNo, dict[str, str] | None, str | None]]:
    """Yield ``(row, row dict, problem)`` for each data row of a CSV file.

    The header is row 1, so the first data row is row 2 (as a spreadsheet shows it);
    ``row.at(shown)`` is the row's location (``file.csv:12``).
    An Excel workbook (``.xlsx``) is read sheet after sheet, every sheet with the first
    table's header, rows numbered as Excel shows them and named by their sheet in a
    workbook of several (``file.xlsx!三月:12``); the sheets not read (another header, a
    chart) go into ``left`` (:mod:`zhengwu.ingest.workbook`). An old ``.xls`` is refused.
    Each row's ``raw`` is its text as read (:class:`RowNo`), for a quarantine record.
    A row whose raw bytes are not UTF-8 gets ``problem`` = GBK_HINT and ``None`` as row
    (with ``gbk``, the sheets people save from Excel, such a row is read as GBK/GB18030, and
    only one that is neither gets ``problem`` = NOT_TEXT_HINT);
    a row with more fields than the header gets a problem too. Empty rows are skipped.
    """
    rows = sheet_rows(path, gbk=gbk, left=left)
    first = next(rows, None)
    if first is None or first[1] is None:
        return
    header = [h.strip() for h in first[1]]
    for number, row, problem in rows:
        yield (number, None, problem) if row is None else (number, *_row_of(header, row))


def sheet_rows(
    path: Path, *, gbk: bool = False, left: list[SheetLeft] | None = None
) -> Iterator[tuple[RowNo, list[str] | None, str | None]]:
    """Yield ``(row, cells, problem)`` for the header row of a CSV file or Excel workbook
    (first, always with its cells, ``problem`` the encoding's if it is not text) and each
    of its non-empty data rows, as :func:`iter_csv_rows` reads them: each ``row`` with its
    number and raw text (its line or lines as they are in the file; a worksheet row's
    cells as a CSV line), ``cells`` None and ``problem`` saying why for a row that cannot
    be read (malformed CSV, bad encoding). For an importer that takes the cells by
    position rather than by header.
    """
    check_file(path)
    if is_workbook(path):
        yield from _workbook_rows(path, left)
        return
    refuse_old_excel(path)
    bad_lines: set[int] = set()
    lines = KeptLines(_text_lines(path, bad_lines, gbk=gbk))
    reader = csv.reader(lines)
    bad_hint = NOT_TEXT_HINT if gbk else GBK_HINT
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InvalidInputError(
            f"CSV 表头无法读取：{exc}", f"unreadable CSV header: {exc}"
        ) from None
    header_problem = (
        bad_hint if any(n in bad_lines for n in range(1, reader.line_num + 1)) else None
    )
    yield RowNo(1, raw=lines.take()), header, header_problem
    while True:
        start_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowNo(start_line, raw=lines.take()), None, f"CSV 格式错误 / malformed CSV: {exc}"
            continue
        number = RowNo(start_line, raw=lines.take(), cells=len(row))
        if not any(cell.strip() for cell in row):
            continue
        end_line = reader.line_num
        if any(n in bad_lines for n in range(start_line, end_line + 1)):
            yield number, None, bad_hint
            continue
        yield number, row, None


class KeptLines:
    """The lines a csv reader is given, kept (up to :data:`RAW_CHARS` characters) until the
    row they make is taken: its raw text, as it is in the file (csv reads no further)."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.kept: list[str] = []
        self.size = 0

    def __iter__(self) -> KeptLines:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        if self.size < RAW_CHARS:
            self.kept.append(line)
            self.size += len(line)
        return line

    def take(self) -> str:
        """Return the lines read since the last call, without the last one's end."""
        text = "".join(self.kept)[:RAW_CHARS].removesuffix("\n").removesuffix("\r")
        self.kept, self.size = [], 0
        return text


def row_text(cells: list[str]) -> str:
    """Return cells as one CSV line (a worksheet row's raw text), cut at :data:`RAW_CHARS`."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()[:RAW_CHARS]


def _row_of(header: list[str], row: list[str]) -> tuple[dict[str, str] | None, str | None]:
    """Return a data row as a dict by header, or None and why it cannot be one (more
    fields than the header; a NUL character, which PostgreSQL cannot store and so no
    database keeps: the reason names its column)."""
    if len(row) > len(header):
        return None, (
            f"字段数 {len(row)} 多于表头 {len(header)} / {len(row)} fields but header has "
            f"{len(header)}"
        )
    cells = dict(zip(header, row + [""] * (len(header) - len(row)), strict=True))
    column = find_nul(cells)
    return (None, nul_reason(column)) if column is not None else (cells, None)


def _workbook_rows(
    path: Path, left: list[SheetLeft] | None
) -> Iterator[tuple[RowNo, list[str] | None, str | None]]:
    """``sheet_rows`` of an Excel workbook's table (see :mod:`workbook`)."""
    for number, row in workbook_lines(path, left=left):
        if any(cell.strip() for cell in row):
            yield number, row, None


def workbook_lines(
    source: Path | IO[bytes], *, name: str = "", left: list[SheetLeft] | None = None
) -> Iterator[tuple[RowNo, list[str]]]:
    """Yield :func:`zhengwu.ingest.workbook.workbook_rows` (empty rows too), each row with
    its raw text for a quarantine record: its cells as a CSV line (:func:`row_text`)."""
    for number, row in workbook_rows(source, name=name, left=left):
        yield dataclasses.replace(number, raw=row_text(row)), row


def sheet_header(path: Path, *, gbk: bool = False) -> list[str]:
    """Return the header of a CSV file or Excel workbook (``[]`` when it has none; a
    workbook's is the header of its first sheet with rows).

    With ``gbk`` a CSV header that is not UTF-8 is read as GBK/GB18030 (see iter_csv_rows).
    """
    check_file(path)
    if is_workbook(path):
        first = next(workbook_rows(path), None)
        return [h.strip() for h in first[1]] if first else []
    refuse_old_excel(path)
    lines = _text_lines(path, set(), gbk=gbk)
    try:
        return [h.strip() for h in next(csv.reader(lines), [])]
    except csv.Error as exc:
        raise InvalidInputError(
            f"CSV 表头无法读取：{exc}", f"unreadable CSV header: {exc}"
        ) from None
    finally:
        lines.close()
