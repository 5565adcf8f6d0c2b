"""Decompression limits ("zip bombs"): a compressed input unpacks within
``ZHENGWU_UNPACK_MAX_BYTES`` / ``_RATIO`` / ``_MEMBERS``, counted as it is read; what came
before a limit is imported and the limit is a quarantine record at its line, naming the
member and the limit in both languages; members after it are records too; no decompression
step holds a bomb's expansion in memory; a .7z is on disk one member at a time; nothing is
left in the data directory's scratch."""

from __future__ import annotations

import bz2
import gzip
import lzma
import threading
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import py7zr
import pytest
import zstandard
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.ingest.test_cli_import import _summary
from tests.ingest.test_packed import _lines
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.config import get_settings
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.ingest.packed import RATIO_GRACE, Limits, PlainFile, check_packed, plain_files

runner = CliRunner()
LINES = 40
ZEROS = 8 << 20  # 8 MiB of zeros: ~8 KiB of gzip, 6 bytes of bzip2 a MiB
LOOSE = Limits(max_bytes=1 << 40, max_ratio=200, max_members=1000)  # the default ratio


def _bomb() -> bytes:
    """Whole JSON lines, then a "line" of zeros that never ends (what a bomb unpacks to)."""
    return _lines(LINES) + bytes(ZEROS)


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _seven_zip(path: Path, members: dict[str, bytes]) -> Path:
    with py7zr.SevenZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return path


SINGLE: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress,
    ".zst": zstandard.ZstdCompressor().compress,
}  # fmt: skip
ZIP_METHODS = {"deflate": zipfile.ZIP_DEFLATED, "bzip2": zipfile.ZIP_BZIP2,
               "lzma": zipfile.ZIP_LZMA}  # fmt: skip


def _archive(tmp_path: Path, kind: str, members: dict[str, bytes]) -> Path:
    if kind == "7z":
        return _seven_zip(tmp_path / "crawl.7z", members)
    return _zip(tmp_path / f"crawl-{kind}.zip", members, ZIP_METHODS[kind])


def _read(path: Path, work: Path, limits: Limits = LOOSE) -> list[tuple[PlainFile, bytes]]:
    got = [(p, p.path.read_bytes()) for p in plain_files(path, work, limits)]
    assert not work.exists() or not any(work.iterdir())  # every copy removed
    return got


@pytest.mark.parametrize("suffix", sorted(SINGLE))
def test_a_compressed_bomb_keeps_its_whole_lines_and_names_the_ratio(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"statuses.jsonl{suffix}"
    path.write_bytes(SINGLE[suffix](_bomb()))
    [(plain, data)] = _read(path, tmp_path / "work")
    assert data == _lines(LINES)  # every whole line before the limit, nothing after
    assert plain.damage_at == f"{path}:{LINES + 1}"
    assert plain.damage is not None
    assert f"解压 {path.name} 超过压缩比上限 200:1（ZHENGWU_UNPACK_MAX_RATIO）" in plain.damage
    assert "compression ratio limit of 200:1 (ZHENGWU_UNPACK_MAX_RATIO)" in plain.damage
    assert f"已读取前 {LINES} 行" in plain.damage and f"the {LINES} whole lines" in plain.damage
    assert plain.near is not None and plain.near.startswith("\0")  # the line it stopped in


@pytest.mark.parametrize("kind", [*ZIP_METHODS, "7z"])
def test_an_archive_bomb_stops_at_its_member_and_the_rest_are_not_read(
    tmp_path: Path, kind: str
) -> None:
    first, after = _lines(3), _lines(2, start=50)
    path = _archive(tmp_path, kind, {"a.jsonl": first, "bomb.jsonl": _bomb(), "z.jsonl": after})
    got = {p.shown.rsplit("!", 1)[1]: (p, data) for p, data in _read(path, tmp_path / "work")}
    assert list(got) == ["a.jsonl", "bomb.jsonl", "z.jsonl"]
    assert got["a.jsonl"][1] == first and got["a.jsonl"][0].damage is None
    bomb, data = got["bomb.jsonl"]
    assert data == _lines(LINES)
    assert bomb.damage_at == f"{path}!bomb.jsonl:{LINES + 1}"
    assert bomb.damage is not None and "解压 bomb.jsonl 超过压缩比上限 200:1" in bomb.damage
    rest, nothing = got["z.jsonl"]
    assert nothing == b"" and rest.damage_at == f"{path}!z.jsonl"
    assert rest.damage is not None
    assert "此成员未读取" in rest.damage and "this member is not read" in rest.damage
    assert "ZHENGWU_UNPACK_MAX_RATIO" in rest.damage


@pytest.mark.parametrize("kind", ["gz", "deflate", "7z"])
def test_the_total_is_counted_across_members_not_taken_from_headers(
    tmp_path: Path, kind: str
) -> None:
    """Random-looking lines (ratio ~2) under a total of 3,000 bytes: the second member of an
    archive passes it, wherever its headers say the sizes are."""
    one, two = _lines(8), _lines(8, start=100)
    limits = Limits(max_bytes=len(one) + 1000, max_ratio=200, max_members=1000)
    if kind == "gz":
        path = tmp_path / "day.jsonl.gz"
        path.write_bytes(gzip.compress(one + two))
        [(plain, data)] = _read(path, tmp_path / "work", limits)
    else:
        path = _archive(tmp_path, kind, {"one.jsonl": one, "two.jsonl": two})
        [(whole, whole_data), (plain, data)] = _read(path, tmp_path / "work", limits)
        assert whole_data == one and whole.damage is None
    assert plain.damage is not None
    cap = f"{(len(one) + 1000) / 1024:.4g} KiB"
    assert f"超过总量上限 {cap}（ZHENGWU_UNPACK_MAX_BYTES）" in plain.damage
    assert f"passed the limit of {cap} in all (ZHENGWU_UNPACK_MAX_BYTES)" in plain.damage
    read = one + two if kind == "gz" else two
    assert data and data.endswith(b"\n") and read.startswith(data)  # whole lines only
    assert plain.damage_line == data.count(b"\n") + 1


def test_a_small_file_of_one_repeated_line_is_not_a_bomb(tmp_path: Path) -> None:
    """Below RATIO_GRACE no ratio counts: a small export of alike rows compresses ~1,000×."""
    row = b"2025-07-01,\xe5\x8c\x97\xe4\xba\xac,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"
    data = row * (RATIO_GRACE // len(row))
    path = tmp_path / "alike.csv.gz"
    path.write_bytes(gzip.compress(data, 9))
    assert len(data) / path.stat().st_size > 200
    [(plain, got)] = _read(path, tmp_path / "work")
    assert got == data and plain.damage is None


@pytest.mark.parametrize(("suffix", "mib"), [(".bz2", 8), (".gz", 8), ("!bzip2", 8), (".zst", 40)])
def test_no_step_holds_a_bomb_in_memory(tmp_path: Path, suffix: str, mib: int) -> None:
    """200 MiB of zeros (bzip2: 177 bytes; Zstandard: 6 KiB) under a 64 MiB total and no
    ratio limit: stopped at the total, Python never holding more than a few MiB at once
    (Zstandard: 16 MiB a step, which its decompressor joins from pieces: twice that)."""
    zeros = bytes(200 << 20)
    if suffix.startswith("!"):
        path = _zip(tmp_path / "z.zip", {"z.jsonl": zeros}, zipfile.ZIP_BZIP2)
    else:
        path = tmp_path / f"z.jsonl{suffix}"
        path.write_bytes(SINGLE[suffix](zeros))
    del zeros
    limits = Limits(max_bytes=64 << 20, max_ratio=1e12, max_members=10)
    tracemalloc.start()
    try:
        plains = [
            (p.damage, p.path.stat().st_size) for p in plain_files(path, tmp_path / "w", limits)
        ]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [(damage, size)] = plains
    assert damage is not None and "ZHENGWU_UNPACK_MAX_BYTES" in damage and size == 0
    assert peak < mib << 20, peak


def test_too_many_members_stop_the_import_before_anything_is_written(
    tmp_path: Path, configured_database: str, committed_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("ZHENGWU_UNPACK_MAX_MEMBERS", "3")
    get_settings.cache_clear()
    members = {f"day{i}.jsonl": _lines(1, start=i) for i in range(4)}
    for path in (_zip(tmp_path / "many.zip", members), _seven_zip(tmp_path / "many.7z", members)):
        result = runner.invoke(app, ["import", "weibo-api", str(path), "--json"])
        assert result.exit_code == 2, result.output
        flat = " ".join(result.output.split())
        assert "压缩包中的文件数 4 超过上限 3（ZHENGWU_UNPACK_MAX_MEMBERS）" in flat
        assert "more than the limit of 3 (ZHENGWU_UNPACK_MAX_MEMBERS)" in flat
    with Session(committed_engine) as session:
        assert session.scalars(select(QuarantineEntry)).all() == []
    monkeypatch.setenv("ZHENGWU_UNPACK_MAX_MEMBERS", "4")
    get_settings.cache_clear()
    check_packed(tmp_path / "many.zip")  # at the limit: read


@pytest.mark.parametrize("kind", ["gz", "zip", "7z"])
def test_cli_import_of_a_bomb_imports_what_came_before_and_quarantines_the_rest(
    tmp_path: Path, kind: str, configured_database: str, committed_engine: Engine
) -> None:
    if kind == "gz":
        path = tmp_path / "statuses.jsonl.gz"
        path.write_bytes(gzip.compress(_bomb()))
        where = f"{path}:{LINES + 1}"
    else:
        path = _archive(tmp_path, "deflate" if kind == "zip" else kind,
                        {"bomb.jsonl": _bomb(), "later.jsonl": _lines(2, start=90)})  # fmt: skip
        where = f"{path}!bomb.jsonl:{LINES + 1}"
    result = runner.invoke(app, ["import", "weibo-api", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = _summary(result.stdout)
    assert summary["imported"] == LINES
    assert summary["quarantined"] == (1 if kind == "gz" else 2)
    warning = " ".join(result.stderr.split())
    assert "ZHENGWU_UNPACK_MAX_RATIO" in warning and "decompression bomb?" in warning
    with Session(committed_engine) as session:
        entries = {
            e.source: e
            for e in session.scalars(select(QuarantineEntry).order_by(QuarantineEntry.id))
        }
    entry = entries[where]
    assert "超过压缩比上限 200:1" in entry.reason and "(ZHENGWU_UNPACK_MAX_RATIO)" in entry.reason
    assert entry.raw is not None and entry.raw.startswith("\\u0000")  # stored on PostgreSQL too
    if kind != "gz":
        assert "this member is not read" in entries[f"{path}!later.jsonl"].reason
    assert not any((get_settings().data_dir / "tmp").glob("unpack-*/*"))


def test_a_7z_is_on_disk_one_member_at_a_time_and_stops_when_the_reader_does(
    tmp_path: Path,
) -> None:
    members = {f"m{i}.jsonl": _lines(50, start=i * 100) for i in range(4)}
    path = _seven_zip(tmp_path / "solid.7z", members)
    work = tmp_path / "work"
    before = threading.active_count()
    on_disk = []
    plains = plain_files(path, work, LOOSE)
    for plain in plains:
        on_disk.append(sorted(f.name for f in work.rglob("*.jsonl")))
        assert plain.path.read_bytes() == members[plain.shown.rsplit("!", 1)[1]]
    assert on_disk == [[f"m{i}.jsonl"] for i in range(4)]
    plains = plain_files(path, work, LOOSE)
    first = next(plains)
    assert first.path.exists() and threading.active_count() == before + 1
    plains.close()  # the reader stops after one member: py7zr's thread ends, copies go
    assert threading.active_count() == before and not any(work.iterdir())
