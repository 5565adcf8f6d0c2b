"""Compressed and archived inputs (压缩文件): ``.gz``, ``.bz2``, ``.xz``, ``.zst`` files and
``.zip`` archives.

Crawler dumps and platform exports are usually kept compressed (a national month of Weibo
statuses is gigabytes of JSON Lines), so ``zhengwu import`` takes them as they are. Each
compressed input is decompressed, as a stream in blocks of ``BLOCK`` bytes, into a plain
file under ``<data dir>/tmp/`` named like the input without its compression suffix
(``statuses-2025-07.jsonl.gz`` → ``statuses-2025-07.jsonl``; a hot-search archive keeps its
date), which every importer reads like any other file; the copy is removed as soon as it
has been imported. A ``.zip`` archive is one input per member, in the archive's order
(directories, macOS ``__MACOSX/`` entries and hidden files such as ``.DS_Store`` are not
inputs). People see the input's own name: a record of a member is ``archive.zip!member:line``.
A ``.zst`` file (Zstandard, what recent crawlers and ``zstd`` write) is read like a ``.gz``:
one or several frames, skippable frames (``pzstd``'s) passed over; a ``.zip`` member is
not decompressed a second time (a ``.jsonl.zst`` inside a ``.zip`` is not read: unpack it,
or keep the ``.zst`` as it is).

What cannot be read is said, not dropped:

- an input that is not what its suffix says (not gzip data, not Zstandard data, not a zip
  archive) stops the import before anything is written, like a missing file;
- data damaged or cut short part-way (a download or a crawler stopped mid-write) keeps
  every whole line before the damage: those are imported, and the damage itself becomes a
  quarantine record naming the last whole line read, with the start of the line it cut
  (that line is not imported: a CSV row cut inside its text would otherwise read as a
  whole row with a shorter text);
- an encrypted zip member is a quarantine record (there is no password to give);
- a disk too full for the copy stops the import with the directory named.
"""

from __future__ import annotations

import bz2
import lzma
import os
import shutil
import uuid
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import zstandard

from zhengwu.errors import InvalidInputError

BLOCK = 1 << 20
# Compressed bytes given to a decompressor at a time. A damage loses what the call it falls
# in would have given (the decompressor raises instead), so whole lines before a damage are
# kept up to at most this much input before it (a Zstandard block, 128 KiB of data, is whole
# or lost in any case).
FEED = 1 << 16
RAW_HEAD = 2000  # bytes of a cut line kept for its quarantine record
_ENCRYPTED = "压缩包成员已加密，无法读取 / the archive member is encrypted and cannot be read"


def _gzip() -> Any:
    return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)


def _zstd() -> Any:
    """A decompressor of one Zstandard frame (``eof`` and ``unused_data`` after it, as the
    others; a skippable frame is a frame of no data). Not zstandard's stream_reader: it
    ends a file cut inside a frame as if it were whole, with no error to quarantine."""
    return zstandard.ZstdDecompressor().decompressobj()


# Zstandard's frame, and its skippable frames (0x184D2A50–5F, little-endian), which pzstd
# writes first.
_ZSTD_MAGIC = (b"\x28\xb5\x2f\xfd", *(bytes([n, 0x2A, 0x4D, 0x18]) for n in range(0x50, 0x60)))

# Compression suffix → (a new decompressor of one stream, the magic bytes one of which starts
# such a file, the format's name). Decompressor objects, not gzip.open & co: they hand over
# all the data before a damage, where a file object's read() loses the block it was reading.
_FORMATS: dict[str, tuple[Callable[[], Any], tuple[bytes, ...], str]] = {
    ".gz": (_gzip, (b"\x1f\x8b",), "gzip"),
    ".bz2": (bz2.BZ2Decompressor, (b"BZh",), "bzip2"),
    ".xz": (lzma.LZMADecompressor, (b"\xfd7zXZ\x00",), "xz"),
    ".zst": (_zstd, _ZSTD_MAGIC, "Zstandard"),
}
COMPRESSED = tuple(_FORMATS)
ARCHIVE = ".zip"
SUFFIXES = (*COMPRESSED, ARCHIVE)
# What damaged data raises while it is read.
_DAMAGE: tuple[type[BaseException], ...] = (
    EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, zstandard.ZstdError,
)  # fmt: skip


def _decompressed(path: Path, new: Callable[[], Any]) -> Iterator[bytes]:
    """Yield the decompressed data of ``path``, stream after stream (a .gz may hold several,
    and zero bytes between or after them, as gzip itself allows; a .zst several frames)."""
    with path.open("rb") as fh:
        dec = new()
        while True:
            raw = fh.read(FEED)
            if not raw:
                if not dec.eof:
                    raise EOFError("the file ends inside a compressed stream")
                return
            while raw:
                if dec.eof:  # a stream has ended: the next one starts after any zero bytes
                    raw = raw.lstrip(b"\0")
                    if not raw:
                        break
                    dec = new()
                yield dec.decompress(raw)
                raw = dec.unused_data if dec.eof else b""


@dataclass(frozen=True, slots=True)
class PlainFile:
    """One input as a plain file to read."""

    shown: str  # how people see it: the input's path, or "archive.zip!member"
    path: Path  # the file to read: the input itself, or its decompressed copy
    damage: str | None = None  # why the copy stops early (it holds what came before)
    cut_line: str | None = None  # the start of the line the damage cut (not in the copy)


def is_packed(path: Path) -> bool:
    """Tell whether ``path`` is a compressed file or archive by its suffix."""
    return path.suffix.lower() in SUFFIXES


def check_packed(path: Path) -> None:
    """Raise a clear error when a compressed input is not what its suffix says."""
    suffix = path.suffix.lower()
    if suffix == ARCHIVE:
        if not zipfile.is_zipfile(path):
            raise InvalidInputError(
                f"不是有效的 zip 压缩包：{path}", f"not a valid zip archive: {path}"
            )
        return
    if suffix in _FORMATS:
        _, magics, name = _FORMATS[suffix]
        with path.open("rb") as fh:
            head = fh.read(max(len(magic) for magic in magics))
        if not head.startswith(magics):
            raise InvalidInputError(
                f"不是 {name} 压缩文件（文件头不符）：{path}",
                f"not a {name} file (its first bytes are not {name}'s): {path}",
            )


def plain_files(path: Path, workdir: Path) -> Generator[PlainFile, None, None]:
    """Yield ``path`` as plain files to import; each copy is removed when the next is asked for.

    A plain input is yielded as it is. ``workdir`` holds the copies (made on demand and
    removed, with anything left in it, when the generator ends or is closed).
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        yield PlainFile(str(path), path)
        return
    scratch = workdir / f"unpack-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    try:
        if suffix == ARCHIVE:
            yield from _members(path, scratch)
        else:
            target = scratch / path.name[: -len(suffix)]
            damage, cut = _copy(_decompressed(path, _FORMATS[suffix][0]), target, str(path))
            yield PlainFile(str(path), target, damage, cut)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def input_count(path: Path) -> int:
    """Return how many plain files :func:`plain_files` yields for ``path``."""
    if path.suffix.lower() != ARCHIVE:
        return 1
    with zipfile.ZipFile(path) as archive:
        return sum(1 for info in archive.infolist() if _is_input(info))


def _is_input(info: zipfile.ZipInfo) -> bool:
    name = PurePosixPath(info.filename)
    return not (info.is_dir() or name.parts[0] == "__MACOSX" or name.name.startswith("."))


def _members(path: Path, scratch: Path) -> Iterator[PlainFile]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not _is_input(info):
                continue
            name = PurePosixPath(info.filename)
            shown = f"{path}!{info.filename}"
            target = scratch / uuid.uuid4().hex[:8] / name.name
            if info.flag_bits & 0x1:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.touch()
                yield PlainFile(shown, target, _ENCRYPTED)
                continue
            damage: str | None
            cut: str | None = None
            try:
                with archive.open(info) as src:
                    damage, cut = _copy(iter(lambda: src.read(BLOCK), b""), target, shown)
            except NotImplementedError as exc:  # a compression method zipfile does not know
                damage = f"压缩方式不受支持 / unsupported compression method: {exc}"
            yield PlainFile(shown, target, damage, cut)
            target.unlink(missing_ok=True)


def _copy(blocks: Iterator[bytes], target: Path, shown: str) -> tuple[str | None, str | None]:
    """Write ``blocks`` into ``target``; return why they stopped early (or None) and the
    start of the line the damage cut (or None).

    A damage cuts the line it falls in: that line is not left in the copy (a CSV row cut in
    its text would read as a whole row with a shorter text), but named in the damage and
    its first characters returned for the quarantine.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = 0
    tail_len, tail_head = 0, b""  # bytes after the last line end written, and their start
    with target.open("wb") as out:
        while True:
            try:
                block = next(blocks, None)
            except _DAMAGE as exc:
                cut = ""
                if tail_len:
                    out.truncate(out.tell() - tail_len)
                    cut = f"；被截断的第 {lines + 1} 行未导入"
                return (
                    f"压缩数据在第 {lines} 行之后损坏或被截断，其后内容无法读取{cut}"
                    f" / the compressed data is damaged or cut short after line {lines}; "
                    f"the rest could not be read"
                    + (f" and the cut line {lines + 1} is not imported" if tail_len else "")
                    + f" ({type(exc).__name__}: {exc})"
                ), (tail_head.decode("utf-8", errors="replace") if tail_len else None)
            if block is None:
                return None, None
            if not block:
                continue
            lines += block.count(b"\n")
            end = block.rfind(b"\n")
            if end < 0:
                tail_len += len(block)
                tail_head = (tail_head + block)[:RAW_HEAD]
            else:
                tail_len = len(block) - end - 1
                tail_head = block[end + 1 : end + 1 + RAW_HEAD]
            try:
                out.write(block)
            except OSError as exc:
                raise InvalidInputError(
                    f"解压 {shown} 时磁盘写入失败（{exc.strerror or exc}）：{target.parent}",
                    f"could not write the decompressed copy of {shown} "
                    f"({exc.strerror or exc}): {target.parent}",
                ) from exc
