"""CSV files are read a block at a time: the rows, their numbers and problems as if read whole."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengwu.errors import InvalidInputError
from zhengwu.ingest import files
from zhengwu.ingest.files import GBK_HINT, NOT_TEXT_HINT, iter_csv_rows, sheet_header


def _whole(path: Path, *, gbk: bool = False) -> list[tuple[int, dict[str, str] | None, str | None]]:
    """The rows as the whole-file reader made them (read, decode, split, then csv); with
    ``gbk`` a line that is not UTF-8 is decoded as GB18030 before it counts as bad."""
    raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    bad: set[int] = set()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        parts = []
        for i, line in enumerate(raw.splitlines(keepends=True), start=1):
            for encoding in ("utf-8", "gb18030") if gbk else ("utf-8",):
                try:
                    parts.append(line.decode(encoding))
                    break
                except UnicodeDecodeError:
                    continue
            else:
                parts.append(line.decode("utf-8", errors="replace"))
                bad.add(i)
        text = "".join(parts)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    rows: list[tuple[int, dict[str, str] | None, str | None]] = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            rows.append((start, None, f"CSV 格式错误 / malformed CSV: {exc}"))
            continue
        if not any(c.strip() for c in row):
            continue
        if any(n in bad for n in range(start, reader.line_num + 1)):
            rows.append((start, None, NOT_TEXT_HINT if gbk else GBK_HINT))
        elif len(row) > len(header):
            rows.append((start, None, "more"))
        else:
            rows.append(
                (start, dict(zip(header, row + [""] * (len(header) - len(row)), strict=True)), None)
            )


def _blockwise(
    path: Path, *, gbk: bool = False
) -> list[tuple[int, dict[str, str] | None, str | None]]:
    return [
        (n.number, row, "more" if p and p.startswith("字段数") else p)
        for n, row, p in iter_csv_rows(path, gbk=gbk)
    ]


_CELLS = st.sampled_from(
    ["诉求", "金水区路灯不亮", '"带引号, 逗号"', '"跨\n行"', '"跨\r\n行"', "a\rb", "", " ",
     "😀表情", "12345", '"引号""内"']
)  # fmt: skip
_ENDS = st.sampled_from(["\n", "\r\n", "\r"])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(_CELLS, min_size=1, max_size=4), max_size=12),
    ends=st.lists(_ENDS, min_size=1, max_size=12),
    bom=st.booleans(),
    gbk=st.sets(st.integers(0, 12), max_size=3),
    broken=st.sets(st.integers(0, 12), max_size=2),
    block=st.integers(1, 64),
)
def test_blocks_read_like_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[list[str]], ends: list[str],
    bom: bool, gbk: set[int], broken: set[int], block: int,
) -> None:  # fmt: skip
    """In both modes: UTF-8 only (platform data: a GBK line is a quarantined record) and
    UTF-8 or GBK (sheets people save from Excel); ``broken`` lines are neither."""
    data = bytearray(b"\xef\xbb\xbf" if bom else b"")
    lines = [["编号", "内容", "备注"], *rows]
    for i, cells in enumerate(lines):
        line = ",".join(cells)
        raw = line.encode("gbk", errors="replace") if i in gbk and i else line.encode()
        if i in broken and i:
            raw += b"\xff\xfe"  # no UTF-8 and no GB18030 has these bytes
        data += raw + ends[i % len(ends)].encode()
    path = tmp_path / "rows.csv"
    path.write_bytes(bytes(data))
    monkeypatch.setattr(files, "CSV_BLOCK", block)
    assert _blockwise(path) == _whole(path)
    assert _blockwise(path, gbk=True) == _whole(path, gbk=True)


def test_a_large_file_is_read_in_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.csv"
    body = "".join(f'{i},"第{i}条\n诉求",备注{i}\r\n' for i in range(3000))
    path.write_bytes(("\ufeff编号,内容,备注\r\n" + body).encode() + "尾,行,无换行".encode("gbk"))
    monkeypatch.setattr(files, "CSV_BLOCK", 4096)  # ~20 blocks
    rows = [(n.number, row, p) for n, row, p in iter_csv_rows(path)]
    assert rows == _whole(path)
    assert len(rows) == 3001
    assert rows[0] == (2, {"编号": "0", "内容": "第0条\n诉求", "备注": "备注0"}, None)
    assert rows[2999][0] == 2 + 2 * 2999  # each row two physical lines
    assert rows[-1] == (6002, None, GBK_HINT)


def test_a_sheet_saved_as_gbk_reads_as_text(tmp_path: Path) -> None:
    """Excel's "CSV" on Chinese Windows is GBK: a sheet import reads it; a UTF-8 line pasted
    in reads too; platform data (no ``gbk``) still quarantines every GBK line."""
    path = tmp_path / "工单.csv"
    path.write_bytes(
        "工单编号,诉求内容\r\n1,金水区路灯不亮\r\n".encode("gbk")
        + "2,二七区井盖丢失😀\r\n".encode()
        + "3,中原区".encode("gbk") + b"\xff\r\n"
    )  # fmt: skip
    assert sheet_header(path, gbk=True) == ["工单编号", "诉求内容"]
    assert [(n.number, row, p) for n, row, p in iter_csv_rows(path, gbk=True)] == [
        (2, {"工单编号": "1", "诉求内容": "金水区路灯不亮"}, None),
        (3, {"工单编号": "2", "诉求内容": "二七区井盖丢失😀"}, None),
        (4, None, NOT_TEXT_HINT),
    ]
    plain = list(iter_csv_rows(path))
    assert [(str(n), p) for n, _, p in plain] == [("2", GBK_HINT), ("3", None), ("4", GBK_HINT)]
    assert plain[0][0].at(path) == f"{path}:2"  # a CSV file's location names no sheet


class _Counting:
    """A binary file that counts the bytes read from every file opened (``total``)."""

    total = 0

    def __init__(self, fh: Any) -> None:
        self.fh = fh

    @classmethod
    def opener(cls, real_open: Any) -> Any:
        """Return a ``Path.open`` whose files count what is read, the count set to 0."""
        cls.total = 0
        return lambda self, *a, **k: cls(real_open(self, *a, **k))

    def __enter__(self) -> _Counting:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def seek(self, offset: int) -> int:
        return int(self.fh.seek(offset))

    def read(self, size: int = -1) -> bytes:
        chunk: bytes = self.fh.read(size)
        _Counting.total += len(chunk)
        return chunk

    def readline(self) -> bytes:
        line: bytes = self.fh.readline()
        _Counting.total += len(line)
        return line

    def tell(self) -> int:
        return int(self.fh.tell())

    def __iter__(self) -> Iterator[bytes]:
        for line in self.fh:
            _Counting.total += len(line)
            yield line


def _refusal(path: Path) -> str | None:
    try:
        files.refuse_not_utf8(path)
    except InvalidInputError as exc:
        return exc.message_en
    return None


@pytest.mark.parametrize("block", [files.CSV_BLOCK, 7, 64])
def test_a_csv_that_is_not_utf8_as_a_whole_is_refused_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Refused: a GBK header, or GBK text and no UTF-8 text; read: UTF-8 with a GBK line."""
    monkeypatch.setattr(files, "CSV_BLOCK", block)  # blocks cut mid-line, mid-character
    header = b"comment_id,content\r\n"
    gbk_rows = "1,路灯坏了\r\n2,ok\r\n3,已修好".encode("gbk")
    cases = {
        "ascii.csv": (header + b"1,a\r\n2,b", None),
        "utf8.csv": ("\ufeff编号,内容\r\n1,路灯坏了\r\n".encode(), None),
        "pasted.csv": (header + "1,路灯坏了\r\n".encode() + "2,已修好\r\n".encode("gbk"), None),
        "pasted-late.csv": (header + "2,已修好\r\n".encode("gbk") + "1,路灯\r\n".encode(), None),
        "gbk.csv": (header + gbk_rows, "looks like GBK"),
        "bom-gbk.csv": (b"\xef\xbb\xbf" + header + gbk_rows, "looks like GBK"),
        "gbk-header.csv": ("编号,内容\r\n".encode("gbk") + "1,路灯\r\n".encode(), "looks like GBK"),
        "cr-pasted.csv": ("编号,内容\r1,路灯\r".encode() + "2,已修好\r".encode("gbk"), None),
        "binary.csv": (header + b"1,\xff\xfe\x80\r\n", "neither UTF-8 nor GBK"),
        "gbk-and-binary.csv": (header + gbk_rows + b"\n4,\xff\xff\n", "neither UTF-8 nor GBK"),
    }
    for name, (data, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        refusal = _refusal(path)
        if expected is None:
            assert refusal is None, name
        else:
            assert refusal is not None and expected in refusal, name
            assert "nothing of it was imported" in refusal


@pytest.mark.parametrize("block", [64, 1000])
def test_an_ascii_csv_is_not_read_to_its_end_for_its_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """The encoding check stops after CSV_ASCII_SCAN bytes of ASCII (an all-ASCII export was
    read whole before each import); GBK text within them is still refused, and a GBK line
    after them is quarantined alone, as in a UTF-8 file."""
    monkeypatch.setattr(files, "CSV_BLOCK", block)
    monkeypatch.setattr(files, "CSV_ASCII_SCAN", 4096, raising=False)
    head = b"comment_id,content\r\n" + b"".join(b"%d,ok\r\n" % i for i in range(8000))
    late = tmp_path / "late.csv"
    late.write_bytes(head + "8000,已修好\r\n".encode("gbk"))
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(head[:3000] + "\r\n1,路灯坏了\r\n2,已修好\r\n".encode("gbk") + head[3000:])
    real_open = Path.open
    monkeypatch.setattr(Path, "open", _Counting.opener(real_open))
    assert _refusal(late) is None
    assert _Counting.total <= 4096 + 2 * block < len(head) // 10
    monkeypatch.setattr(Path, "open", real_open)
    refusal = _refusal(gbk)
    assert refusal is not None and "looks like GBK" in refusal
    rows = list(iter_csv_rows(late))
    assert [(str(n), p) for n, _, p in rows[-2:]] == [("8001", None), ("8002", GBK_HINT)]


def test_line_numbers_of_ranges_count_each_byte_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker numbering its ranges in file order counts on from its last range (the
    file read once, not once per range), and the numbers stay exact in any order and
    after the file changes."""
    import random

    path = tmp_path / "lines.jsonl"
    lines = [b"x" * random.Random(i).randint(0, 300) for i in range(5000)]
    data = b"\n".join(lines) + b"\n"
    path.write_bytes(data)
    real_open = Path.open
    monkeypatch.setattr(files, "_NEWLINES", {})
    monkeypatch.setattr(Path, "open", _Counting.opener(real_open))
    ranges = files.split_ranges(path, 20, min_bytes=1)
    counts = [files._count_newlines(path, start - 1) for start, _ in ranges[1:]]
    assert counts == [data[: start - 1].count(b"\n") for start, _ in ranges[1:]]
    assert _Counting.total <= len(data)  # was the sum of every range's start: ~10 times the file
    monkeypatch.setattr(Path, "open", real_open)
    rng = random.Random(3)
    for upto in [rng.randrange(len(data)) for _ in range(30)]:
        assert files._count_newlines(path, upto) == data[:upto].count(b"\n")
    mtime = path.stat().st_mtime_ns
    path.write_bytes(data.replace(b"x\n", b"\n\n"))  # same size, other lines
    os.utime(path, ns=(mtime + 10**9, mtime + 10**9))  # written a second later
    changed = path.read_bytes()
    for upto in (len(data) // 2, len(data) // 3, len(data)):
        assert files._count_newlines(path, upto) == changed[:upto].count(b"\n")
    seen = [n for r in ranges for n, _ in files.iter_lines(path, r)]
    assert seen == [n for n, line in enumerate(changed.split(b"\n")[:-1], 1) if line.strip()]


def test_a_worker_given_the_lines_before_its_range_reads_nothing_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process that cuts a file into ranges counts the lines before each (the file
    read once, in order); a parser worker given that count reads only its own range, and
    its quarantine locations are the file's line numbers."""
    from datetime import UTC, datetime

    from zhengwu.ingest.pipeline import _parse_chunk

    lines = [
        b'{"title": "not weibo %d"}' % i if i % 97 == 0 else b"x" * (i % 50) for i in range(4000)
    ]
    lines[0] = b'{"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": "1", "text": "t"}'
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / "ranges.jsonl"
    path.write_bytes(data)
    # Ranges cut mid-line, and some right at a line's start (after a newline).
    cuts = [start for start, _ in files.split_ranges(path, 9, min_bytes=1)]
    cuts = sorted({*cuts, *(data.index(b"\n", c) + 1 for c in cuts[1::2])})
    ranges = list(zip(cuts, [*cuts[1:], len(data)], strict=True))
    monkeypatch.setattr(files, "_NEWLINES", {})
    counts = [files.lines_before(path, start) for start, _ in ranges]
    # What iter_lines numbers a range from: the newlines before the byte before it.
    assert counts == [data[: max(start - 1, 0)].count(b"\n") for start, _ in ranges]
    seen = datetime(2025, 7, 1, tzinfo=UTC)
    sources: list[str] = []
    real_open = Path.open
    for (start, end), before in zip(ranges, counts, strict=True):
        monkeypatch.setattr(files, "_NEWLINES", {})  # a fresh worker
        monkeypatch.setattr(Path, "open", _Counting.opener(real_open))
        chunk = _parse_chunk("weibo-api", {}, str(path), (start, end), seen, before)
        monkeypatch.setattr(Path, "open", real_open)
        # Its range, the line it ends in and the sniffed first line; not the file before it.
        assert _Counting.total <= (end - start) + 2 * 4096 + 100, (start, _Counting.total)
        sources += [q.source for q in chunk.quarantines]
    numbered = [i + 1 for i, line in enumerate(lines) if line.strip() and i]
    assert sources == [f"{path}:{n}" for n in numbered]
