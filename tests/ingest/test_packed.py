"""Compressed and archived inputs (``.gz``, ``.bz2``, ``.xz``, ``.zst``, ``.zip``): read whole,
damage kept to its place, people's names for what they gave, nothing left behind."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.ingest.test_cli_import import _status, _summary
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError
from zhengwu.ingest import packed
from zhengwu.ingest.bundle import bundle_files
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.ingest.packed import PlainFile, check_packed, plain_files

runner = CliRunner()
COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress,
    ".zst": zstandard.ZstdCompressor().compress,
}  # fmt: skip


def _recoverable(suffix: str, cut: bytes) -> bytes:
    """What the format's own decompressor gives of a file cut short (all it can)."""
    if suffix == ".gz":
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(cut)
    got = []
    dec = zstandard.ZstdDecompressor().decompressobj()
    for at in range(0, len(cut), 1000):
        try:
            got.append(dec.decompress(cut[at : at + 1000]))
        except zstandard.ZstdError:
            break
    return b"".join(got)


def _read_all(
    path: Path, workdir: Path, *, block: int | None = None
) -> list[tuple[str, bytes, str | None]]:
    """What ``plain_files`` gives for ``path`` (read and decompressed ``block`` bytes at a time
    if given)."""
    old = packed.BLOCK, packed.FEED
    packed.BLOCK = packed.FEED = block or old[0]
    try:
        return [(p.shown, p.path.read_bytes(), p.damage) for p in plain_files(path, workdir)]
    finally:
        packed.BLOCK, packed.FEED = old


def _lines(n: int, start: int = 0) -> bytes:
    return b"".join(
        json.dumps(_status(4091509081366576 + i, i % 7), ensure_ascii=False).encode() + b"\n"
        for i in range(start, start + n)
    )


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
def test_each_format_reads_back_whole_and_leaves_nothing(tmp_path: Path, suffix: str) -> None:
    data = _lines(300)
    path = tmp_path / f"statuses-2025-07.jsonl{suffix}"
    path.write_bytes(COMPRESS[suffix](data))
    check_packed(path)
    work = tmp_path / "work"
    seen = []
    for plain in plain_files(path, work):
        assert plain.path.name == "statuses-2025-07.jsonl"  # the name without the suffix
        assert plain.path.parent.parent == work
        seen.append((plain.shown, plain.path.read_bytes(), plain.damage))
    assert seen == [(str(path), data, None)]
    assert list(work.iterdir()) == []  # the copy is gone


def test_a_plain_file_is_read_in_place(tmp_path: Path) -> None:
    path = tmp_path / "statuses.jsonl"
    path.write_bytes(_lines(2))
    assert list(plain_files(path, tmp_path / "work")) == [PlainFile(str(path), path)]
    assert not (tmp_path / "work").exists()
    check_packed(path)  # nothing to check


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(st.binary(min_size=0, max_size=400), min_size=1, max_size=5),
    padding=st.lists(st.integers(min_value=0, max_value=30), min_size=5, max_size=5),
    block=st.integers(min_value=1, max_value=97),
    suffix=st.sampled_from(sorted(COMPRESS)),
)
def test_streams_one_after_another_in_any_block_size(
    tmp_path_factory: pytest.TempPathFactory, parts: list[bytes], padding: list[int],
    block: int, suffix: str,
) -> None:  # fmt: skip
    """Several streams in one file (``cat a.gz b.gz``), zero bytes between and after them
    (as gzip itself allows), read in blocks of any size: the same bytes as the whole."""
    tmp = tmp_path_factory.mktemp("streams")
    path = tmp / f"x.jsonl{suffix}"
    path.write_bytes(
        b"".join(COMPRESS[suffix](p) + b"\0" * pad for p, pad in zip(parts, padding, strict=False))
    )
    [(_, data, damage)] = _read_all(path, tmp / "work", block=block)
    assert damage is None
    assert data == b"".join(parts)


# Lines enough for several Zstandard blocks (128 KiB of data each: a block is whole or lost).
CUT_LINES = {".gz": 400, ".zst": 2500}
CUT_DATA = {suffix: _lines(n) for suffix, n in CUT_LINES.items()}


@settings(max_examples=60, deadline=None)
@given(
    cut=st.floats(min_value=0.05, max_value=0.98), block=st.integers(min_value=5, max_value=4096),
    suffix=st.sampled_from(sorted(CUT_LINES)),
)  # fmt: skip
def test_a_cut_file_keeps_every_byte_before_the_cut(
    tmp_path_factory: pytest.TempPathFactory, cut: float, block: int, suffix: str
) -> None:
    """A download cut short: all that zlib (zstd) itself can recover is kept, and the damage
    is named."""
    tmp = tmp_path_factory.mktemp("cut")
    data = CUT_DATA[suffix]
    whole = COMPRESS[suffix](data)
    path = tmp / f"cut.jsonl{suffix}"
    path.write_bytes(whole[: max(11, int(len(whole) * cut))])
    recoverable = _recoverable(suffix, path.read_bytes())
    [(shown, got, damage)] = _read_all(path, tmp / "work", block=block)
    assert shown == str(path)
    # Every whole line zlib itself recovers; the line the cut fell in is named, not kept.
    assert got == recoverable[: recoverable.rfind(b"\n") + 1] and data.startswith(got)
    assert damage is not None
    if recoverable and not recoverable.endswith(b"\n"):  # zstd may give nothing of a cut block
        assert f"被截断的第 {got.count(bytes([10])) + 1} 行未导入" in damage
    lines = got.count(b"\n")
    assert f"第 {lines} 行之后" in damage and "cut short" in damage


def test_damage_in_the_middle_is_named(tmp_path: Path) -> None:
    data = _lines(2000)
    whole = bytearray(bz2.compress(data))
    whole[len(whole) // 2 : len(whole) // 2 + 40] = b"\xff" * 40
    path = tmp_path / "broken.jsonl.bz2"
    path.write_bytes(bytes(whole))
    [(_, got, damage)] = _read_all(path, tmp_path / "work")
    assert damage is not None and "damaged" in damage
    assert data.startswith(got) and len(got) < len(data)


def _skippable(payload: bytes, nibble: int = 0) -> bytes:
    """A Zstandard skippable frame (pzstd writes one before each of its frames)."""
    return bytes([0x50 + nibble, 0x2A, 0x4D, 0x18]) + len(payload).to_bytes(4, "little") + payload


def test_zstandard_frames_and_skippable_frames_read_as_zstd_reads_them(tmp_path: Path) -> None:
    """``zstd -c a b`` (two frames) and pzstd's output (skippable frames first): the data of
    every frame, in order; the skippable ones give nothing."""
    first, second = _lines(3000), _lines(5, start=9000)
    path = tmp_path / "statuses.jsonl.zst"
    path.write_bytes(
        _skippable(b"\x00\x10\x00\x00") + COMPRESS[".zst"](first)
        + _skippable(b"", nibble=15) + COMPRESS[".zst"](second)
    )  # fmt: skip
    check_packed(path)  # a skippable frame first is Zstandard too
    assert _read_all(path, tmp_path / "work", block=4096) == [(str(path), first + second, None)]
    assert (
        zstandard.ZstdDecompressor()
        .stream_reader(path.read_bytes(), read_across_frames=True)
        .read()
        == first + second
    )  # what zstandard itself reads


def test_damage_in_the_middle_of_a_zstandard_file_is_named(tmp_path: Path) -> None:
    data = _lines(3000)
    whole = bytearray(COMPRESS[".zst"](data))
    whole[len(whole) // 2 : len(whole) // 2 + 40] = b"\xff" * 40
    path = tmp_path / "broken.jsonl.zst"
    path.write_bytes(bytes(whole))
    [(_, got, damage)] = _read_all(path, tmp_path / "work", block=1000)  # the blocks before it
    assert damage is not None and "damaged" in damage and "ZstdError" in damage
    assert data.startswith(got) and got.endswith(b"\n") and 0 < len(got) < len(data)


@pytest.mark.parametrize(
    ("name", "body", "says"),
    [
        pytest.param("a.jsonl.gz", b"{}\n", "不是 gzip 压缩文件", id="gz-plain"),
        pytest.param("a.jsonl.xz", gzip.compress(b"{}\n", mtime=0), "not a xz file", id="xz-gzip"),
        pytest.param("a.jsonl.bz2", b"", "not a bzip2 file", id="bz2-empty"),
        pytest.param(
            "a.csv.zst", gzip.compress(b"{}\n", mtime=0), "不是 Zstandard 压缩文件", id="zst-gzip"
        ),
        pytest.param("a.csv.zst", b"\x28\xb5\x2f", "not a Zstandard file", id="zst-short"),
        pytest.param(
            "a.zip", gzip.compress(b"{}\n", mtime=0), "not a valid zip archive", id="zip-gzip"
        ),
    ],
)  # ids, not bytes: every xdist worker must collect the same names
def test_a_file_that_is_not_what_its_suffix_says_is_refused(
    tmp_path: Path, name: str, body: bytes, says: str
) -> None:
    path = tmp_path / name
    path.write_bytes(body)
    with pytest.raises(InvalidInputError) as caught:
        check_packed(path)
    assert says in caught.value.message_zh + caught.value.message_en
    assert str(path) in caught.value.message_en


def test_zip_members_in_order_without_directories_or_mac_leftovers(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("weibo/", b"")
        zf.writestr("weibo/b.jsonl", _lines(3))
        zf.writestr("weibo/a.jsonl", _lines(2, start=10))
        zf.writestr("__MACOSX/weibo/._a.jsonl", b"\x00\x05\x16\x07")
        zf.writestr("weibo/.DS_Store", b"Bud1")
        zf.writestr("weibo/locked.jsonl", b"scrambled")
    _mark_encrypted(path, b"weibo/locked.jsonl")  # there is no password to give
    check_packed(path)
    got = _read_all(path, tmp_path / "work")
    assert [(shown, damage is None) for shown, _, damage in got] == [
        (f"{path}!weibo/b.jsonl", True), (f"{path}!weibo/a.jsonl", True),
        (f"{path}!weibo/locked.jsonl", False),
    ]  # fmt: skip
    assert got[0][1] == _lines(3) and got[1][1] == _lines(2, start=10)
    assert got[2][1] == b"" and "encrypted" in str(got[2][2])
    assert list((tmp_path / "work").iterdir()) == []


def _mark_encrypted(path: Path, member: bytes) -> None:
    """Set the "encrypted" flag of ``member`` in its local and central headers (zipfile
    itself writes no encrypted members)."""
    data = bytearray(path.read_bytes())
    for signature, flags_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = data.find(signature)
        while at >= 0 and data[at + name_at : at + name_at + len(member)] != member:
            at = data.find(signature, at + 1)
        assert at >= 0
        data[at + flags_at] |= 0x1
    path.write_bytes(bytes(data))


def test_a_bundle_directory_may_hold_compressed_files(tmp_path: Path) -> None:
    (tmp_path / "weibo").mkdir()
    (tmp_path / "weibo" / "statuses-2025-07.jsonl.gz").write_bytes(gzip.compress(_lines(1)))
    (tmp_path / "weibo" / "statuses-2025-08.jsonl").write_bytes(_lines(1))
    (tmp_path / "weibo" / "statuses-2025-09.jsonl.xz").write_bytes(lzma.compress(_lines(1)))
    (tmp_path / "weibo" / "statuses-2025-10.jsonl.zip").write_bytes(b"not taken: no pattern")
    [(fmt, files)] = bundle_files(tmp_path)
    assert fmt == "weibo-api"
    assert [f.name for f in files] == [
        "statuses-2025-07.jsonl.gz", "statuses-2025-08.jsonl", "statuses-2025-09.jsonl.xz",
    ]  # fmt: skip


# ---- through ``zhengwu import`` (SQLite and PostgreSQL) --------------------------------------


def test_import_of_a_gzip_file_equals_the_plain_file(
    tmp_path: Path, configured_database: str
) -> None:
    plain = tmp_path / "statuses.jsonl"
    plain.write_bytes(_lines(50))
    packed_file = tmp_path / "statuses.jsonl.gz"
    packed_file.write_bytes(gzip.compress(plain.read_bytes()))
    first = runner.invoke(app, ["import", "weibo-api", str(packed_file), "--json"])
    assert first.exit_code == 0, first.output
    assert _summary(first.stdout)["imported"] == 50
    again = runner.invoke(app, ["import", "weibo-api", str(plain), "--json"])
    assert _summary(again.stdout)["duplicates"] == 50  # the very same records
    assert list((get_settings().data_dir / "tmp").iterdir()) == []


def test_quarantine_names_the_archive_member_and_the_damage(
    tmp_path: Path, configured_database: str, committed_engine: object
) -> None:
    from sqlalchemy import Engine

    assert isinstance(committed_engine, Engine)
    archive = tmp_path / "crawl.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("day1.jsonl", _lines(3) + b'{"id": broken\n')
    cut = tmp_path / "day2.jsonl.gz"
    cut.write_bytes(gzip.compress(_lines(300, start=100))[:4000])
    result = runner.invoke(app, ["import", "weibo-api", str(archive), str(cut), "--json"])
    assert result.exit_code == 0, result.output
    summary = _summary(result.stdout)
    with Session(committed_engine) as session:
        sources = dict(
            session.execute(select(QuarantineEntry.source, QuarantineEntry.reason)).all()
        )
    assert f"{archive}!day1.jsonl:4" in sources
    # The damage is located at the line it cut (file:N, as every record), named in the
    # reason, and its raw text is the start of that line.
    [where] = [s for s in sources if s.startswith(f"{cut}:")]
    line = int(where.rsplit(":", 1)[1])
    assert sources[where].startswith(f"压缩数据在第 {line - 1} 行之后")
    assert f"被截断的第 {line} 行未导入" in sources[where] and "the cut line" in sources[where]
    with Session(committed_engine) as session:
        raw = session.scalar(select(QuarantineEntry.raw).where(QuarantineEntry.source == where))
    assert raw and _lines(300, start=100).decode().splitlines()[line - 1].startswith(raw)
    assert not any("/tmp/unpack-" in s or "unpack-" in s for s in sources)
    assert summary["imported"] >= 3 + 1 and summary["quarantined"] == len(sources)
    assert any(str(cut) in w and "cut short" in w for w in json.loads(
        result.stdout.strip().splitlines()[-1])["warnings"])  # fmt: skip


def test_dry_run_names_members_and_a_bad_gzip_stops_before_writing(
    tmp_path: Path, configured_database: str
) -> None:
    archive = tmp_path / "crawl.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("in/day1.jsonl", _lines(1) + b"{oops\n")
    dry = runner.invoke(app, ["import", "weibo-api", str(archive), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    records = [orjson.loads(line) for line in dry.stdout.strip().splitlines()[:-1]]
    assert [r["source"] for r in records if r["kind"] == "quarantine"] == [
        f"{archive}!in/day1.jsonl:2"
    ]
    good = tmp_path / "good.jsonl"
    good.write_bytes(_lines(1))
    fake = tmp_path / "fake.jsonl.gz"
    fake.write_bytes(_lines(1))  # not compressed at all
    bad = runner.invoke(app, ["import", "weibo-api", str(good), str(fake), "--json"])
    assert bad.exit_code == 2
    assert "不是 gzip 压缩文件" in bad.output and "not a gzip file" in bad.output
    later = runner.invoke(app, ["import", "weibo-api", str(good), "--json"])
    assert _summary(later.stdout)["imported"] == 1  # the refused run wrote nothing


def test_import_and_desk_import_of_zstandard_files(
    tmp_path: Path, configured_database: str, committed_engine: object
) -> None:
    """``.jsonl.zst`` through ``zhengwu import`` as the plain file; a 12345 export as
    ``.csv.zst`` through ``desk import-csv``: cut short, the rows before the cut stand and
    the damage is quarantined naming the cut row; whole, it finds them all."""
    from sqlalchemy import Engine

    assert isinstance(committed_engine, Engine)
    plain = tmp_path / "statuses.jsonl"
    plain.write_bytes(_lines(50))
    zst = tmp_path / "statuses.jsonl.zst"
    zst.write_bytes(COMPRESS[".zst"](plain.read_bytes()))
    first = runner.invoke(app, ["import", "weibo-api", str(zst), "--json"])
    assert first.exit_code == 0, first.output
    assert _summary(first.stdout)["imported"] == 50
    assert _summary(runner.invoke(app, ["import", "weibo-api", str(plain), "--json"]).stdout)[
        "duplicates"
    ] == 50  # fmt: skip
    rows = ["工单编号,受理时间,诉求内容"] + [
        f"2025100100{i:04d},2025-10-01 08:{i % 60:02d}:00,二七区第{i}号井盖松动，车辆经过响声很大"
        for i in range(3000)
    ]
    export = ("\n".join(rows) + "\n").encode()
    cut = tmp_path / "工单-cut.csv.zst"
    whole = COMPRESS[".zst"](export)
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    got = runner.invoke(app, ["desk", "import-csv", str(cut), "--json"])
    assert got.exit_code == 0, got.output
    summary = json.loads(got.stdout.strip().splitlines()[-1])
    assert 0 < summary["created"] < 3000 and summary["quarantined"] == 1
    with Session(committed_engine) as session:
        entry = session.scalars(
            select(QuarantineEntry).where(QuarantineEntry.source.startswith(f"{cut}:"))
        ).one()
    # As zhengwu import records it: at the cut line, with the start of that line as raw.
    line = int(entry.source.rsplit(":", 1)[1])
    assert f"被截断的第 {line} 行未导入" in entry.reason and "the cut line" in entry.reason
    assert entry.raw and rows[line - 1].startswith(entry.raw)
    full = tmp_path / "工单.csv.zst"
    full.write_bytes(whole)
    again = runner.invoke(app, ["desk", "import-csv", str(full), "--json"])
    summary_again = json.loads(again.stdout.strip().splitlines()[-1])
    assert (summary_again["existing"], summary_again["created"]) == (
        summary["created"], 3000 - summary["created"],
    )  # fmt: skip
    assert summary_again["quarantined"] == 0  # the cut row was not stored shortened
    fake = tmp_path / "假.csv.zst"
    fake.write_bytes(export)  # not compressed at all
    refused = runner.invoke(app, ["desk", "import-csv", str(fake), "--json"])
    assert refused.exit_code == 2 and "不是 Zstandard 压缩文件" in refused.output
    assert list((get_settings().data_dir / "tmp").iterdir()) == []


def test_real_hot_search_archive_keeps_its_date_when_compressed(
    tmp_path: Path, shared_data: Path, configured_database: str
) -> None:
    day = shared_data / "weibo-hot-search" / "2023-02-13.json"
    as_is = runner.invoke(app, ["import", "hot-search", str(day), "--dry-run", "--json"])
    path = tmp_path / "2023-02-13.json.gz"
    path.write_bytes(gzip.compress(day.read_bytes()))
    packed_run = runner.invoke(app, ["import", "hot-search", str(path), "--dry-run", "--json"])
    assert packed_run.exit_code == as_is.exit_code == 0, packed_run.output
    plain_records = as_is.stdout.strip().splitlines()[:-1]
    assert plain_records and packed_run.stdout.strip().splitlines()[:-1] == plain_records
    assert all(orjson.loads(r)["day"] == "2023-02-13" for r in plain_records)


def test_desk_import_of_a_compressed_export(tmp_path: Path, configured_database: str) -> None:
    """A 12345 export as .csv.gz or in a .zip of one sheet reads as the CSV; a cut file keeps
    its rows before the cut; an archive of several sheets is refused before anything is read."""
    rows = ["工单编号,受理时间,诉求内容"] + [
        f"2025090100{i:04d},2025-09-01 08:{i % 60:02d}:00,金水区第{i}号路灯不亮，晚上行人看不清路面"
        for i in range(400)
    ]
    plain = tmp_path / "工单.csv"
    plain.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cut = tmp_path / "工单-cut.csv.gz"
    cut.write_bytes(gzip.compress(plain.read_bytes())[:1500])
    first = runner.invoke(app, ["desk", "import-csv", str(cut), "--json"])
    assert first.exit_code == 0, first.output
    got = json.loads(first.stdout.strip().splitlines()[-1])
    assert 0 < got["created"] < 400 and got["quarantined"] >= 1
    assert got["read"] == got["created"] + got["merged"] + got["existing"] + got["quarantined"]
    archive = tmp_path / "工单.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(plain, "导出/工单.csv")
        zf.writestr("__MACOSX/导出/._工单.csv", b"\0")
    whole = runner.invoke(app, ["desk", "import-csv", str(archive), "--json"])
    assert whole.exit_code == 0, whole.output
    summary = json.loads(whole.stdout.strip().splitlines()[-1])
    assert (summary["created"], summary["existing"]) == (400 - got["created"], got["created"])
    assert summary["quarantined"] == 0  # the row the cut fell in was not stored shortened
    gz = tmp_path / "工单.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    again = json.loads(
        runner.invoke(app, ["desk", "import-csv", str(gz), "--json"])
        .stdout.strip()
        .splitlines()[-1]
    )
    assert again["existing"] == 400
    two = tmp_path / "两份.zip"
    with zipfile.ZipFile(two, "w") as zf:
        zf.write(plain, "a.csv")
        zf.write(plain, "b.csv")
    refused = runner.invoke(app, ["desk", "import-csv", str(two), "--json"])
    assert refused.exit_code == 2
    assert "恰好有一个表格文件" in refused.output and "exactly one sheet" in refused.output
    assert list((get_settings().data_dir / "tmp").iterdir()) == []


def test_an_unreadable_member_is_warned_about_once_for_what_it_is(
    tmp_path: Path, configured_database: str
) -> None:
    archive = tmp_path / "crawl.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("locked.jsonl", _lines(2))
        zf.writestr("open.jsonl", _lines(2, start=5))
    _mark_encrypted(archive, b"locked.jsonl")
    result = runner.invoke(app, ["import", "weibo-api", str(archive), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["imported"], summary["quarantined"]) == (2, 1)
    assert summary["warnings"] == [
        f"{archive}!locked.jsonl: 压缩包成员已加密，无法读取 / the archive member is encrypted "
        "and cannot be read"
    ]  # not also "no records (empty file?)" about the member it could not open
