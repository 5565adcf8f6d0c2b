"""Compressed and archived inputs (压缩文件): ``.gz``, ``.bz2``, ``.xz``, ``.zst`` files and
``.zip`` and ``.7z`` archives.

Crawler dumps and platform exports are usually kept compressed (a national month of Weibo
statuses is gigabytes of JSON Lines), so ``zhengwu import`` takes them as they are. Each
compressed input is decompressed, as a stream in blocks of ``BLOCK`` bytes, into a plain
file under ``<data dir>/tmp/`` named like the input without its compression suffix
(``statuses-2025-07.jsonl.gz`` → ``statuses-2025-07.jsonl``; a hot-search archive keeps its
date), which every importer reads like any other file; the copy is removed as soon as it
has been imported. A ``.zip`` archive is one input per member, in the archive's order
(directories, macOS ``__MACOSX/`` entries and hidden files such as ``.DS_Store`` are not
inputs). People see the input's own name: a record of a member is ``archive.zip!member:line``.
A ``.7z`` archive is read the same way (py7zr, pure Python), in one pass over its data (a
solid archive is one compressed stream), its members copied out in the archive's order. A
``.rar`` archive is refused: reading it needs an unrar binary, so it is to be converted to
``.zip`` or ``.7z``.
A ``.zst`` file (Zstandard, what recent crawlers and ``zstd`` write) is read like a ``.gz``:
one or several frames, skippable frames (``pzstd``'s) passed over; a ``.zip`` member is
not decompressed a second time (a ``.jsonl.zst`` inside a ``.zip`` is not read: unpack it,
or keep the ``.zst`` as it is).

What cannot be read is said, not dropped:

- an input that is not what its suffix says (not gzip data, not Zstandard data, not a zip
  or 7z archive) stops the import before anything is written, like a missing file; so does
  an archive whose index cannot be read (a cut ``.zip`` or ``.7z``: both keep it at the
  end), or whose names are encrypted (a ``.7z`` made with ``-mhe``);
- data damaged or cut short part-way (a download or a crawler stopped mid-write) keeps
  every whole line before the damage: those are imported, and the damage itself becomes a
  quarantine record located at the line it cut (``file:N``), naming the last whole line
  read, its raw text the start of the line it cut — or the last whole line read, when the
  damage fell at a line's end (the cut line is not imported: a CSV row cut inside its text
  would otherwise read as a whole row with a shorter text); in a ``.7z`` the members after
  a damage cannot be read either, and each is a quarantine record saying so;
- an encrypted zip or 7z member is a quarantine record (there is no password to give);
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

import py7zr
import zstandard
from py7zr import io as py7zr_io

from zhengwu.errors import InvalidInputError

BLOCK = 1 << 20
# Compressed bytes given to a decompressor at a time. A damage loses what the call it falls
# in would have given (the decompressor raises instead), so whole lines before a damage are
# kept up to at most this much input before it (a Zstandard block, 128 KiB of data, is whole
# or lost in any case).
FEED = 1 << 16
RAW_HEAD = 2000  # bytes of a cut line kept for its quarantine record
_ENCRYPTED = "压缩包成员已加密，无法读取 / the archive member is encrypted and cannot be read"
_NOT_REACHED = (
    "压缩包在此成员之前已损坏，无法读取 / the archive is damaged before this member, which "
    "cannot be read"
)
_SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
_NOT_SUPPORTED = {
    ".rar": "RAR",  # needs an external unrar binary
}


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
SEVEN_ZIP = ".7z"
ARCHIVES = (ARCHIVE, SEVEN_ZIP)
SUFFIXES = (*COMPRESSED, *ARCHIVES)
# What damaged data raises while it is read (py7zr: its own errors, a CRC mismatch among
# them, and those of the codecs it runs).
_DAMAGE: tuple[type[BaseException], ...] = (
    EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, zstandard.ZstdError,
    py7zr.exceptions.ArchiveError, py7zr.exceptions.CrcError,
    py7zr.exceptions.UnsupportedCompressionMethodError,
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
    damage_line: int | None = None  # the line the damage fell in (the first one not read)
    near: str | None = None  # the start of the line it cut, else of the last whole line

    @property
    def damage_at(self) -> str:
        """Return where the damage is, as records are located: ``file:line``."""
        return self.shown if self.damage_line is None else f"{self.shown}:{self.damage_line}"


def is_packed(path: Path) -> bool:
    """Tell whether ``path`` is a compressed file or archive by its suffix."""
    return path.suffix.lower() in SUFFIXES


def check_packed(path: Path) -> None:
    """Raise a clear error when a compressed input is not what its suffix says, is an
    archive whose index cannot be read, or is of a kind that is not read (``.rar``)."""
    suffix = path.suffix.lower()
    if suffix in _NOT_SUPPORTED:
        kind = _NOT_SUPPORTED[suffix]
        raise InvalidInputError(
            f"不支持 {kind} 压缩包（{suffix}），请转换为 .zip 或 .7z 后导入：{path}",
            f"{kind} archives ({suffix}) are not supported: convert it to .zip or .7z and "
            f"import that: {path}",
        )
    if suffix == ARCHIVE:
        if not zipfile.is_zipfile(path):
            raise InvalidInputError(
                f"不是有效的 zip 压缩包：{path}", f"not a valid zip archive: {path}"
            )
        return
    if suffix == SEVEN_ZIP:
        _seven_zip_names(path)
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


def _seven_zip_names(path: Path) -> list[str]:
    """Return the names of the inputs of a 7z archive; raise a clear error when it is no
    7z archive, its index cannot be read (cut short: the index is at the end), or its
    names are encrypted."""
    with path.open("rb") as fh:
        if fh.read(len(_SEVEN_ZIP_MAGIC)) != _SEVEN_ZIP_MAGIC:
            raise InvalidInputError(
                f"不是有效的 7z 压缩包（文件头不符）：{path}",
                f"not a valid 7z archive (its first bytes are not 7z's): {path}",
            )
    try:
        with py7zr.SevenZipFile(path) as archive:
            return [
                info.filename
                for info in archive.list()
                if _is_input(PurePosixPath(info.filename), info.is_directory)
            ]
    except py7zr.exceptions.PasswordRequired:
        raise InvalidInputError(
            f"7z 压缩包已加密（连文件名也加密），无法读取：{path}",
            f"the 7z archive is encrypted (its file names too) and cannot be read: {path}",
        ) from None
    except _DAMAGE as exc:
        raise InvalidInputError(
            f"7z 压缩包损坏或被截断，无法读取其目录：{path}（{exc}）",
            f"the 7z archive is damaged or cut short: its index cannot be read: {path} "
            f"({type(exc).__name__}: {exc})",
        ) from exc


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
        elif suffix == SEVEN_ZIP:
            yield from _seven_zip_members(path, scratch)
        else:
            target = scratch / path.name[: -len(suffix)]
            damage = _copy(_decompressed(path, _FORMATS[suffix][0]), target, str(path))
            yield PlainFile(str(path), target, damage.reason, damage.line, damage.near)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def input_count(path: Path) -> int:
    """Return how many plain files :func:`plain_files` yields for ``path``."""
    suffix = path.suffix.lower()
    if suffix == SEVEN_ZIP:
        return len(_seven_zip_names(path))
    if suffix != ARCHIVE:
        return 1
    with zipfile.ZipFile(path) as archive:
        return sum(1 for info in archive.infolist() if _is_input(*_zip_name(info)))


def _zip_name(info: zipfile.ZipInfo) -> tuple[PurePosixPath, bool]:
    return PurePosixPath(info.filename), info.is_dir()


def _is_input(name: PurePosixPath, is_dir: bool) -> bool:
    return not (is_dir or name.parts[0] == "__MACOSX" or name.name.startswith("."))


def _members(path: Path, scratch: Path) -> Iterator[PlainFile]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not _is_input(*_zip_name(info)):
                continue
            name = PurePosixPath(info.filename)
            shown = f"{path}!{info.filename}"
            target = scratch / uuid.uuid4().hex[:8] / name.name
            if info.flag_bits & 0x1:
                yield _unread(shown, target, _ENCRYPTED)
                continue
            try:
                with archive.open(info) as src:
                    damage = _copy(iter(lambda: src.read(BLOCK), b""), target, shown)
            except NotImplementedError as exc:  # a compression method zipfile does not know
                damage = _Damage(f"压缩方式不受支持 / unsupported compression method: {exc}")
            yield PlainFile(shown, target, damage.reason, damage.line, damage.near)
            target.unlink(missing_ok=True)


def _unread(shown: str, target: Path, reason: str | None) -> PlainFile:
    """Return a member with nothing to read (an empty copy), and why (None: it is empty)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch()
    return PlainFile(shown, target, reason)


def _seven_zip_members(path: Path, scratch: Path) -> Iterator[PlainFile]:
    """Yield the members of a 7z archive, decompressed in one pass (a solid archive is one
    stream: a member at a time would decompress it again from its start for each)."""
    names = _seven_zip_names(path)
    copies = _SevenZipCopies(path, scratch)
    damaged: str | None = None
    damage = _Damage()
    with py7zr.SevenZipFile(path) as archive:
        encrypted = archive.needs_password()
        empty = {info.filename for info in archive.list() if not info.uncompressed}
        if not encrypted and names:
            try:
                archive.extract(targets=names, factory=copies)
            except _DAMAGE as exc:
                if copies.last is not None:
                    damaged, damage = copies.last, copies.copies[copies.last].damaged(exc)
                else:  # before the first member's first byte
                    damaged, damage = names[0], _LineCopy.reason(0, False, exc)
            finally:
                for written in copies.copies.values():
                    written.out.close()
    for name in names:
        shown, blank = f"{path}!{name}", scratch / uuid.uuid4().hex[:8] / PurePosixPath(name).name
        copy = copies.copies.get(name)
        if encrypted:
            yield _unread(shown, blank, _ENCRYPTED)
        elif copy is None:  # never written: an empty member, or at or after the damage
            if name in empty or damaged is None:
                yield _unread(shown, blank, None)
            else:
                yield _unread(shown, blank, damage.reason if name == damaged else _NOT_REACHED)
        else:
            hit = damage if name == damaged else _Damage()
            yield PlainFile(shown, copy.target, hit.reason, hit.line, hit.near)
            copy.target.unlink(missing_ok=True)


def _copy(blocks: Iterator[bytes], target: Path, shown: str) -> _Damage:
    """Write ``blocks`` into ``target``; return the damage they stopped at (or no damage)."""
    with _LineCopy(target, shown) as copy:
        while True:
            try:
                block = next(blocks, None)
            except _DAMAGE as exc:
                return copy.damaged(exc)
            if block is None:
                return _Damage()
            copy.write(block)


@dataclass(frozen=True, slots=True)
class _Damage:
    """Why a copy stopped early (None: it did not), the line it fell in, the text near it."""

    reason: str | None = None
    line: int | None = None
    near: str | None = None


class _LineCopy:
    """A decompressed copy being written, that knows its last whole line.

    A damage cuts the line it falls in: that line is not left in the copy (a CSV row cut in
    its text would read as a whole row with a shorter text), but named in the damage, and
    its first characters kept for the quarantine (or, when the damage fell at a line's end,
    the last whole line's).
    """

    def __init__(self, target: Path, shown: str) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        self.target, self.shown = target, shown
        self.out = target.open("wb")
        self.lines = 0
        self.tail_len, self.tail_head = 0, b""  # bytes after the last line end, and their start
        self.last_line = b""  # the start of the last whole line

    def __enter__(self) -> _LineCopy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.out.close()

    def write(self, block: bytes) -> None:
        """Append ``block`` to the copy."""
        if not block:
            return
        end = block.rfind(b"\n")
        if end < 0:
            self.tail_len += len(block)
            self.tail_head = (self.tail_head + block)[:RAW_HEAD]
        else:
            before = block.rfind(b"\n", 0, end)
            if before < 0:  # the last whole line began in an earlier block
                self.last_line = (self.tail_head + block[:end])[:RAW_HEAD]
            else:
                self.last_line = block[before + 1 : min(end, before + 1 + RAW_HEAD)]
            self.lines += block.count(b"\n")
            self.tail_len = len(block) - end - 1
            self.tail_head = block[end + 1 : end + 1 + RAW_HEAD]
        try:
            self.out.write(block)
        except OSError as exc:
            raise InvalidInputError(
                f"解压 {self.shown} 时磁盘写入失败（{exc.strerror or exc}）：{self.target.parent}",
                f"could not write the decompressed copy of {self.shown} "
                f"({exc.strerror or exc}): {self.target.parent}",
            ) from exc

    def damaged(self, exc: BaseException) -> _Damage:
        """Cut the copy back to its last whole line; return the damage ``exc`` is."""
        lines, cut = self.lines, self.tail_len > 0
        if cut:
            self.out.truncate(self.out.tell() - self.tail_len)
            self.tail_len = 0
        near = self.tail_head if cut else self.last_line
        return _Damage(
            self.reason(lines, cut, exc).reason, lines + 1, _text(near) if near else None
        )

    @staticmethod
    def reason(lines: int, cut: bool, exc: BaseException) -> _Damage:
        """Return the damage after ``lines`` whole lines (``cut``: inside the next one)."""
        return _Damage(
            f"压缩数据在第 {lines} 行之后损坏或被截断，其后内容无法读取"
            + (f"；被截断的第 {lines + 1} 行未导入" if cut else "")
            + f" / the compressed data is damaged or cut short after line {lines}; "
            "the rest could not be read"
            + (f" and the cut line {lines + 1} is not imported" if cut else "")
            + f" ({type(exc).__name__}: {exc})",
            lines + 1,
        )


def _text(data: bytes) -> str:
    """Return ``data`` as text, a character cut at its end (by RAW_HEAD) left out."""
    return data.decode("utf-8", errors="replace").removesuffix("\ufffd")


class _SevenZipCopies(py7zr_io.WriterFactory):
    """Where py7zr writes the members it decompresses: a :class:`_LineCopy` each."""

    def __init__(self, path: Path, scratch: Path) -> None:
        self.path, self.scratch = path, scratch
        self.copies: dict[str, _LineCopy] = {}
        self.last: str | None = None

    def create(self, filename: str) -> py7zr_io.Py7zIO:
        """Open the copy of member ``filename``."""
        if self.last is not None:
            self.copies[self.last].out.close()
        target = self.scratch / uuid.uuid4().hex[:8] / PurePosixPath(filename).name
        self.copies[filename] = _LineCopy(target, f"{self.path}!{filename}")
        self.last = filename
        return _SevenZipSink(self.copies[filename])


class _SevenZipSink(py7zr_io.Py7zIO):
    """The write-only file py7zr is given for one member."""

    def __init__(self, copy: _LineCopy) -> None:
        self.copy, self.written = copy, 0

    def write(self, s: bytes | bytearray) -> int:
        """Write decompressed data."""
        self.copy.write(bytes(s))
        self.written += len(s)
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        """Nothing to read back (py7zr only writes)."""
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        """Stay where the data ends (py7zr only writes in order)."""
        return self.written

    def flush(self) -> None:
        """Flush the copy."""
        self.copy.out.flush()

    def size(self) -> int:
        """Return how much was written."""
        return self.written
