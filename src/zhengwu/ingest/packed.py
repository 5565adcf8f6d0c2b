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

Limits (解压上限: against "zip bombs", a few kilobytes that unpack to terabytes). The bytes
are counted as they are decompressed — never taken from an archive's headers, which say what
the archive likes — and no decompression step hands over more than about ``BLOCK`` bytes at
once (Zstandard 16 MiB, an LZMA zip member ~28 MB, a 7z step py7zr's 128 MB at most), so
nothing unpacks past a limit on disk, nor in memory beyond one step:

- one input unpacks to at most ``ZHENGWU_UNPACK_MAX_BYTES`` (all members of an archive
  together, non-input members of a .7z too);
- past its first ``RATIO_GRACE`` bytes, a compressed file, a zip member or a .7z archive
  unpacks to at most ``ZHENGWU_UNPACK_MAX_RATIO`` times the compressed bytes read for it so
  far (a zip member: its compressed size, at most the archive's size);
- an archive holds at most ``ZHENGWU_UNPACK_MAX_MEMBERS`` files, or the import stops
  before anything is written.

A limit reached stops the copy like a damage does: the whole lines before it are imported,
the quarantine record at the line it stopped in (``file:N``, with the line's start as its
raw text) names the member and the limit in both languages, and so does the import's
warning; the members after it in the archive are not read, each a quarantine record saying
why. The defaults (:mod:`zhengwu.config`, docs/configuration.md) let real data through:
exports and crawls compress 2.5–45 times (gzip to xz -9), a national year of every
platform is about 100 GB, and a crawl of every national account is one file per account.

An Excel workbook is a zip archive that openpyxl reads itself: :func:`check_zip_contents`
holds it to the same limits, decompressing each part once as a stream (nothing kept)
before openpyxl opens it, and refuses it whole past one (:mod:`zhengwu.ingest.workbook`).

A ``.7z`` is decompressed by py7zr in a thread of its own, member after member, into one
copy at a time: py7zr waits while the member before is imported, and the copy is removed
before it goes on (a solid archive is still decompressed once, from its start).
"""

from __future__ import annotations

import bz2
import copy as copying
import lzma
import os
import queue
import shutil
import threading
import uuid
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

import py7zr
import zstandard
from py7zr import io as py7zr_io

from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError

BLOCK = 1 << 20
# Compressed bytes given to a Zstandard decompressor at a time: its decompressobj has no
# bound on what one call gives, and a Zstandard RLE block turns 4 bytes into 128 KiB, so
# at most 16 MiB come of one call (512-byte feeds unpack a CSV at ~350 MB/s, 400 at 64 KiB).
ZSTD_FEED = 1 << 9
# A zip member compressed with LZMA is read through zipfile in these steps (zipfile gives
# LZMA no output bound either: 4 KiB unpack to at most ~28 MB, LZMA's ratio being ~6,900).
ZIP_LZMA_READ = 1 << 12
RATIO_GRACE = 1 << 20  # bytes a stream may unpack to before its ratio is checked
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


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one compressed input may unpack to (see the module's "Limits")."""

    max_bytes: int
    max_ratio: float
    max_members: int

    @classmethod
    def configured(cls) -> Limits:
        """Return the limits of the settings (``ZHENGWU_UNPACK_MAX_*``)."""
        settings = get_settings()
        return cls(
            settings.unpack_max_bytes, settings.unpack_max_ratio, settings.unpack_max_members
        )


class LimitReached(Exception):
    """Decompression stopped at a limit; ``zh`` and ``en`` say which, naming the member."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en

    def not_reached(self) -> str:
        """Return why a member after the limit was not read."""
        return f"{self.zh}；此成员未读取 / {self.en}; this member is not read"


def _size(n: float) -> str:
    """Return a byte count as people read it: 256 GiB, 1.5 MiB, 900 B."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.4g} {unit}"
        n /= 1024
    return f"{n:.4g} TiB"


class _Meter:
    """Counts what one compressed input unpacks to, as it comes, against the limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.total = 0
        self.reached: LimitReached | None = None

    def take(self, shown: str, piece: bytes, out: int, packed: int) -> bytes:
        """Count ``piece``, the next bytes of ``shown`` (a member's name in its archive, a
        compressed file's name: the record's location says the rest, and an upload's copy
        is not named), a stream that has unpacked to ``out`` bytes before it from ``packed``
        compressed ones; return the part of it within the limits. That is all of it unless
        a limit is reached: then :attr:`reached` says which, for :meth:`check` to raise once
        the part is kept (every byte up to the limit is)."""
        limits = self.limits
        total_room = limits.max_bytes - self.total
        ratio_room = max(RATIO_GRACE, int(limits.max_ratio * packed)) - out
        if len(piece) > min(total_room, ratio_room):
            if total_room <= ratio_room:
                cap = _size(limits.max_bytes)
                self.reached = LimitReached(
                    f"解压 {shown} 超过总量上限 {cap}（ZHENGWU_UNPACK_MAX_BYTES）",
                    f"unpacking {shown} passed the limit of {cap} in all "
                    "(ZHENGWU_UNPACK_MAX_BYTES)",
                )
            else:
                ratio, given = f"{limits.max_ratio:g}:1", _size(out + len(piece))
                self.reached = LimitReached(
                    f"解压 {shown} 超过压缩比上限 {ratio}（ZHENGWU_UNPACK_MAX_RATIO）："
                    f"{_size(packed)} 压缩数据解出 {given}，疑为压缩炸弹",
                    f"unpacking {shown} passed the compression ratio limit of {ratio} "
                    f"(ZHENGWU_UNPACK_MAX_RATIO): {_size(packed)} of compressed data gave "
                    f"{given} — a decompression bomb?",
                )
            piece = piece[: max(min(total_room, ratio_room), 0)]
        self.total += len(piece)
        return piece

    def check(self) -> None:
        """Raise the limit :meth:`take` reached, if it did."""
        if self.reached is not None:
            raise self.reached


_SPLIT = ("请分成几个压缩包导入", "split it into several archives")


def _check_members(
    path: Path | str, count: int, limits: Limits, advice: tuple[str, str] = _SPLIT
) -> None:
    """Refuse an archive of more files than ``limits`` allow, before anything is read;
    ``advice`` (Chinese, English) says what to do instead."""
    if count > limits.max_members:
        cap = limits.max_members
        raise InvalidInputError(
            f"压缩包中的文件数 {count:,} 超过上限 {cap:,}（ZHENGWU_UNPACK_MAX_MEMBERS），"
            f"{advice[0]}：{path}",
            f"the archive holds {count:,} files, more than the limit of {cap:,} "
            f"(ZHENGWU_UNPACK_MAX_MEMBERS): {advice[1]}: {path}",
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
# What a damaged zip member raises when it is read (a compression method zipfile does not
# know: NotImplementedError).
ZIP_DAMAGE: tuple[type[BaseException], ...] = (*_DAMAGE, NotImplementedError)
# What stops a copy part-way and is quarantined: a damage, or a limit reached.
_STOPS: tuple[type[BaseException], ...] = (*_DAMAGE, LimitReached)


_ZLIB = type(zlib.decompressobj())
# The decompressors that take a bound on what one call gives (max_length).
_BOUNDED = (_ZLIB, bz2.BZ2Decompressor, lzma.LZMADecompressor)


class _Stream:
    """One compressed stream, fed bytes and giving what they unpack to a piece at a time.

    zlib's, bz2's and lzma's decompressors are asked for at most ``BLOCK`` bytes a call
    (the rest waits in their ``unconsumed_tail`` or buffer); Zstandard's, which has no such
    bound, is fed ``ZSTD_FEED`` bytes at a time.
    """

    def __init__(self, dec: Any) -> None:
        self.dec = dec
        self.left = b""  # after the stream's end: the bytes fed that follow it

    @property
    def eof(self) -> bool:
        """Tell whether the stream has ended."""
        return bool(self.dec.eof)

    def pieces(self, raw: bytes) -> Iterator[bytes]:
        """Yield what ``raw`` unpacks to, at most about ``BLOCK`` bytes a piece."""
        dec = self.dec
        if not isinstance(dec, _BOUNDED):  # Zstandard
            for at in range(0, len(raw), ZSTD_FEED):
                yield dec.decompress(raw[at : at + ZSTD_FEED])
                if dec.eof:
                    self.left = dec.unused_data + raw[at + ZSTD_FEED :]
                    return
            return
        while True:
            piece = dec.decompress(raw, BLOCK)
            yield piece
            if dec.eof:
                self.left = dec.unused_data
                return
            if isinstance(dec, _ZLIB):  # zlib: input not read yet, or output not given
                raw = dec.unconsumed_tail
                if not raw and len(piece) < BLOCK:
                    return
            else:  # bz2 and lzma keep both inside
                raw = b""
                if dec.needs_input:
                    return


def _decompressed(path: Path, new: Callable[[], Any], meter: _Meter, shown: str) -> Iterator[bytes]:
    """Yield the decompressed data of ``path``, stream after stream (a .gz may hold several,
    and zero bytes between or after them, as gzip itself allows; a .zst several frames),
    counted by ``meter`` as ``shown`` (the file's name)."""
    packed = out = 0
    with path.open("rb") as fh:
        stream = _Stream(new())
        while True:
            raw = fh.read(FEED)
            if not raw:
                if not stream.eof:
                    raise EOFError("the file ends inside a compressed stream")
                return
            packed += len(raw)
            while raw:
                if stream.eof:  # a stream has ended: the next one starts after any zero bytes
                    raw = raw.lstrip(b"\0")
                    if not raw:
                        break
                    stream = _Stream(new())
                for piece in stream.pieces(raw):
                    kept = meter.take(shown, piece, out, packed)
                    out += len(kept)
                    yield kept
                    meter.check()
                raw = stream.left if stream.eof else b""


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


def check_packed(path: Path, limits: Limits | None = None) -> None:
    """Raise a clear error when a compressed input is not what its suffix says, is an
    archive whose index cannot be read or that holds more files than ``limits`` allow
    (default: the settings'), or is of a kind that is not read (``.rar``)."""
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
        with zipfile.ZipFile(path) as archive:
            files = sum(1 for info in archive.infolist() if not info.is_dir())
        _check_members(path, files, limits or Limits.configured())
        return
    if suffix == SEVEN_ZIP:
        _seven_zip_names(path, limits or Limits.configured())
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


def _seven_zip_names(path: Path, limits: Limits) -> list[str]:
    """Return the names of the inputs of a 7z archive; raise a clear error when it is no
    7z archive, its index cannot be read (cut short: the index is at the end), its names
    are encrypted, or it holds more files than ``limits`` allow."""
    with path.open("rb") as fh:
        if fh.read(len(_SEVEN_ZIP_MAGIC)) != _SEVEN_ZIP_MAGIC:
            raise InvalidInputError(
                f"不是有效的 7z 压缩包（文件头不符）：{path}",
                f"not a valid 7z archive (its first bytes are not 7z's): {path}",
            )
    try:
        with py7zr.SevenZipFile(path) as archive:
            listed = archive.list()
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
    _check_members(path, sum(1 for info in listed if not info.is_directory), limits)
    return [
        info.filename
        for info in listed
        if _is_input(PurePosixPath(info.filename), info.is_directory)
    ]


def plain_files(
    path: Path, workdir: Path, limits: Limits | None = None
) -> Generator[PlainFile, None, None]:
    """Yield ``path`` as plain files to import; each copy is removed when the next is asked for.

    A plain input is yielded as it is. ``workdir`` holds the copies (made on demand and
    removed, with anything left in it, when the generator ends or is closed). A compressed
    input unpacks within ``limits`` (default: the settings'; see the module's "Limits").
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        yield PlainFile(str(path), path)
        return
    limits = limits or Limits.configured()
    meter = _Meter(limits)
    scratch = workdir / f"unpack-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    try:
        if suffix == ARCHIVE:
            yield from _members(path, scratch, meter)
        elif suffix == SEVEN_ZIP:
            yield from _seven_zip_members(path, scratch, meter)
        else:
            target = scratch / path.name[: -len(suffix)]
            blocks = _decompressed(path, _FORMATS[suffix][0], meter, path.name)
            damage = _copy(blocks, target, str(path))
            yield PlainFile(str(path), target, damage.reason, damage.line, damage.near)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def input_count(path: Path) -> int:
    """Return how many plain files :func:`plain_files` yields for ``path``."""
    suffix = path.suffix.lower()
    if suffix == SEVEN_ZIP:
        return len(_seven_zip_names(path, Limits.configured()))
    if suffix != ARCHIVE:
        return 1
    with zipfile.ZipFile(path) as archive:
        return sum(1 for info in archive.infolist() if _is_input(*_zip_name(info)))


def _zip_name(info: zipfile.ZipInfo) -> tuple[PurePosixPath, bool]:
    return PurePosixPath(info.filename), info.is_dir()


def _is_input(name: PurePosixPath, is_dir: bool) -> bool:
    return not (is_dir or name.parts[0] == "__MACOSX" or name.name.startswith("."))


def _members(path: Path, scratch: Path, meter: _Meter) -> Iterator[PlainFile]:
    size = path.stat().st_size
    limit: LimitReached | None = None
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not _is_input(*_zip_name(info)):
                continue
            name = PurePosixPath(info.filename)
            shown = f"{path}!{info.filename}"
            target = scratch / uuid.uuid4().hex[:8] / name.name
            if limit is not None:  # the archive reached a limit in a member before
                yield _unread(shown, target, limit.not_reached())
                continue
            if info.flag_bits & 0x1:
                yield _unread(shown, target, _ENCRYPTED)
                continue
            try:
                blocks = _zip_blocks(archive, info, meter, min(info.compress_size, size))
                damage = _copy(blocks, target, shown)
            except NotImplementedError as exc:  # a compression method zipfile does not know
                damage = _Damage(f"压缩方式不受支持 / unsupported compression method: {exc}")
            limit = damage.limit
            yield PlainFile(shown, target, damage.reason, damage.line, damage.near)
            target.unlink(missing_ok=True)


def _zip_blocks(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, meter: _Meter, packed: int,
    shown: str | None = None,
) -> Iterator[bytes]:  # fmt: skip
    """Yield the data of a zip member as it is decompressed, counted by ``meter`` as
    ``shown`` (default: the member's name).

    ``packed``: its compressed size, as the ratio's base (at most the archive's size, so a
    lying header gains nothing). zipfile bounds what a step of a deflated member gives, not
    of a bzip2 one (4 KiB of bzip2 unpack to gigabytes): those are read raw and decompressed
    here, their CRC checked as zipfile would.
    """
    shown = shown or info.filename
    if info.compress_type == zipfile.ZIP_BZIP2:
        yield from _zip_bzip2(archive, info, meter, shown)
        return
    step = ZIP_LZMA_READ if info.compress_type == zipfile.ZIP_LZMA else BLOCK
    out = 0
    with archive.open(info) as src:
        while block := src.read(step):
            kept = meter.take(shown, block, out, packed)
            out += len(kept)
            yield kept
            meter.check()


def _zip_bzip2(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, meter: _Meter, shown: str
) -> Iterator[bytes]:
    """Yield the data of a bzip2 zip member, decompressed here from its raw bytes."""
    raw_info = copying.copy(info)
    raw_info.compress_type, raw_info.file_size = zipfile.ZIP_STORED, info.compress_size
    del raw_info.CRC  # the raw bytes' CRC is not the member's: checked below instead
    stream, crc, out, packed = _Stream(bz2.BZ2Decompressor()), 0, 0, 0
    with archive.open(raw_info) as src:
        while not stream.eof and (raw := src.read(FEED)):
            packed += len(raw)
            for piece in stream.pieces(raw):
                kept = meter.take(shown, piece, out, packed)
                out += len(kept)
                yield kept
                meter.check()
                crc = zlib.crc32(piece, crc)
    if not stream.eof:
        raise EOFError("the member ends inside its bzip2 stream")
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")


class PartCheck(Protocol):
    """A check of one member's data as :func:`check_zip_contents` decompresses it."""

    def feed(self, data: bytes, *, final: bool = False) -> None:
        """Take the next block (``final``: the member's data ends here)."""
        ...


def check_zip_contents(
    source: Path | IO[bytes], shown: str, advice: tuple[str, str], limits: Limits | None = None,
    *, inspect: Callable[[str], PartCheck | None] | None = None,
) -> None:  # fmt: skip
    """Refuse a file that is a zip archive read by another library (an Excel workbook, which
    openpyxl reads) when it would unpack past ``limits`` (default: the settings'), before
    that library reads any of it: more members than allowed (``advice``, Chinese and
    English, says what to do instead), or members that unpack past the total or the ratio,
    counted as every member is decompressed here as a stream (a block at a time, nothing
    kept: the zip's headers say what it likes). A damaged or encrypted member raises what
    zipfile raises (:data:`ZIP_DAMAGE`), for the caller to name the file.

    ``inspect`` (given a member's name) may return a :class:`PartCheck` that sees the
    member's data as it streams by and raises to refuse the file (the workbook reader
    checks the XML parts: :mod:`zhengwu.ingest.workbook`).
    """
    limits = limits or Limits.configured()
    meter = _Meter(limits)
    size = source.stat().st_size if isinstance(source, Path) else source.seek(0, os.SEEK_END)
    try:
        with zipfile.ZipFile(source) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            _check_members(shown, len(members), limits, advice)
            for info in members:
                if info.flag_bits & 0x1:
                    raise zipfile.BadZipFile(f"member {info.filename!r} is encrypted")
                packed = min(info.compress_size, size)
                check = inspect(info.filename) if inspect is not None else None
                for block in _zip_blocks(archive, info, meter, packed, f"{shown}!{info.filename}"):
                    if check is not None:
                        check.feed(block)
                if check is not None:
                    check.feed(b"", final=True)
    except LimitReached as exc:
        raise InvalidInputError(
            f"{exc.zh}，该文件未读取", f"{exc.en}; the file was not read"
        ) from None
    finally:
        if not isinstance(source, Path):
            source.seek(0)


def _unread(shown: str, target: Path, reason: str | None) -> PlainFile:
    """Return a member with nothing to read (an empty copy), and why (None: it is empty)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch()
    return PlainFile(shown, target, reason)


def _seven_zip_members(path: Path, scratch: Path, meter: _Meter) -> Iterator[PlainFile]:
    """Yield the members of a 7z archive, decompressed in one pass (a solid archive is one
    stream: a member at a time would decompress it again from its start for each) by py7zr
    in a thread, which waits while each member is imported (:class:`_SevenZipCopies`)."""
    names = _seven_zip_names(path, meter.limits)
    # A file object, not a path: py7zr then decompresses the folders one after another, in
    # this thread's order, instead of in threads of its own.
    with path.open("rb") as fh, py7zr.SevenZipFile(fh) as archive:
        if archive.needs_password():
            for name in names:
                yield _unread(f"{path}!{name}", _blank(scratch, name), _ENCRYPTED)
            return
        copies = _SevenZipCopies(path, scratch, names, meter, fh)
        worker = threading.Thread(target=copies.run, args=(archive,), name="7z", daemon=True)
        worker.start()
        seen: set[str] = set()
        after: str | None = None  # why the members not reached are not read
        try:
            while True:
                got = copies.handed.get()
                if isinstance(got, BaseException):  # a disk too full, …: the import stops
                    raise got
                if got is None:  # the end of the archive
                    break
                if not got.name:  # a damage after the last input member: nothing is lost
                    break
                seen.add(got.name)
                shown = f"{path}!{got.name}"
                if got.copy is None:  # damaged before its first byte
                    yield _unread(shown, _blank(scratch, got.name), got.damage.reason)
                else:
                    damage = got.damage
                    yield PlainFile(shown, got.copy.target, damage.reason, damage.line, damage.near)
                    got.copy.target.unlink(missing_ok=True)
                if got.after is not None:  # the damage or limit ended the archive
                    after = got.after
                    break
                copies.taken.release()
            for name in names:
                if name not in seen:  # not reached (or, in a whole archive, never written)
                    yield _unread(f"{path}!{name}", _blank(scratch, name), after)
        finally:
            copies.stopping.set()
            copies.taken.release()
            worker.join()


def _blank(scratch: Path, name: str) -> Path:
    return scratch / uuid.uuid4().hex[:8] / PurePosixPath(name).name


def _copy(blocks: Iterator[bytes], target: Path, shown: str) -> _Damage:
    """Write ``blocks`` into ``target``; return the damage or limit they stopped at (or none)."""
    with _LineCopy(target, shown) as copy:
        while True:
            try:
                block = next(blocks, None)
            except _STOPS as exc:
                return copy.damaged(exc)
            if block is None:
                return _Damage()
            copy.write(block)


@dataclass(frozen=True, slots=True)
class _Damage:
    """Why a copy stopped early (None: it did not), the line it fell in, the text near it;
    ``limit``: the limit it stopped at, if that is why."""

    reason: str | None = None
    line: int | None = None
    near: str | None = None
    limit: LimitReached | None = None


class _LineCopy:
    """A decompressed copy being written, that knows its last whole line.

    A damage cuts the line it falls in: that line is not left in the copy (a CSV row cut in
    its text would read as a whole row with a shorter text), but named in the damage, and
    its first characters kept for the quarantine (or, when the damage fell at a line's end,
    the last whole line's). A limit reached cuts it the same way.
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
        """Cut the copy back to its last whole line; return the damage (or limit) ``exc`` is."""
        lines, cut = self.lines, self.tail_len > 0
        if cut:
            self.out.truncate(self.out.tell() - self.tail_len)
            self.tail_len = 0
        near = self.tail_head if cut else self.last_line
        reason = self.reason(lines, cut, exc)
        return _Damage(reason.reason, lines + 1, _text(near) if near else None, reason.limit)

    @staticmethod
    def reason(lines: int, cut: bool, exc: BaseException) -> _Damage:
        """Return the damage after ``lines`` whole lines (``cut``: inside the next one)."""
        if isinstance(exc, LimitReached):
            return _Damage(
                f"{exc.zh}：已读取前 {lines} 行，其后内容未读取"
                + (f"，第 {lines + 1} 行未导入" if cut else "")
                + f" / {exc.en}: the {lines} whole lines before it were read, the rest is not"
                + (f", and line {lines + 1} is not imported" if cut else ""),
                lines + 1,
                limit=exc,
            )
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


class _Stopped(Exception):
    """The reader of a 7z archive's members has stopped: py7zr is to stop too."""


@dataclass(frozen=True, slots=True)
class _Handed:
    """A 7z member decompressed, handed to the reader: its copy (None: damaged before its
    first byte) and damage; ``after``: why the members after it are not read (it ended
    the archive), else None."""

    name: str
    copy: _LineCopy | None
    damage: _Damage
    after: str | None = None


class _SevenZipCopies(py7zr_io.WriterFactory):
    """Where py7zr, in a thread of its own (:meth:`run`), writes the members it decompresses.

    Each input member goes to a :class:`_LineCopy`, handed to the reader (``handed``) once
    whole; py7zr then waits (``taken``) until the reader is done with it, so one member at
    a time is on disk. Every byte, of the other members (``.DS_Store``…) too, is counted by
    the meter, the ratio against the compressed bytes read so far.
    """

    def __init__(
        self, path: Path, scratch: Path, names: list[str], meter: _Meter, fh: IO[bytes]
    ) -> None:
        self.path, self.scratch, self.meter, self.fh = path, scratch, meter, fh
        self.names, self.left = names, set(names)  # the input members, those not handed on
        self.handed: queue.Queue[_Handed | BaseException | None] = queue.Queue()
        self.taken = threading.Semaphore(0)
        self.stopping = threading.Event()
        self.current: tuple[str, _LineCopy] | None = None
        self.start = fh.tell()  # where the compressed data begins (after the signature)

    def run(self, archive: py7zr.SevenZipFile) -> None:
        """Decompress every member (in the worker thread); hand on what comes of it."""
        try:
            archive.extract(factory=self)
        except _Stopped:
            return  # the reader is gone: nothing to hand on
        except _STOPS as exc:
            self.handed.put(self._stopped_at(exc))
        except BaseException as exc:  # raised in the reader's thread
            self.handed.put(exc)
        else:
            self.handed.put(None)

    def _stopped_at(self, exc: BaseException) -> _Handed:
        """Return the member a damage or limit fell in (its copy cut back to a whole line)."""
        after = exc.not_reached() if isinstance(exc, LimitReached) else _NOT_REACHED
        if self.current is not None:
            name, copy = self.current
            damage = copy.damaged(exc)
            copy.out.close()
            return _Handed(name, copy, damage, after)
        # Before the next input member's first byte: that member is the one not read.
        name = next((name for name in self.names if name in self.left), "")
        return _Handed(name, None, _LineCopy.reason(0, False, exc), after)

    def create(self, filename: str) -> py7zr_io.Py7zIO:
        """Open the copy of member ``filename`` (a counter only, for a member not imported)."""
        if filename not in self.left:
            return _SevenZipSink(self, None, filename)
        target = self.scratch / uuid.uuid4().hex[:8] / PurePosixPath(filename).name
        copy = _LineCopy(target, f"{self.path}!{filename}")
        self.current = (filename, copy)
        return _SevenZipSink(self, copy, filename)

    def take(self, name: str, piece: bytes) -> bytes:
        """Count ``piece``, the next bytes of member ``name`` (see :meth:`_Meter.take`)."""
        return self.meter.take(name, piece, self.meter.total, self.fh.tell() - self.start)

    def whole(self, name: str, copy: _LineCopy) -> None:
        """Hand on a whole member's copy; wait until the reader is done with it."""
        copy.out.close()
        self.current = None
        self.left.discard(name)
        self.handed.put(_Handed(name, copy, _Damage()))
        self.taken.acquire()
        if self.stopping.is_set():
            raise _Stopped


class _SevenZipSink(py7zr_io.Py7zIO):
    """The write-only file py7zr is given for one member (``copy`` None: only counted)."""

    def __init__(self, copies: _SevenZipCopies, copy: _LineCopy | None, name: str) -> None:
        self.copies, self.copy, self.name, self.written = copies, copy, name, 0

    def write(self, s: bytes | bytearray) -> int:
        """Write decompressed data (up to 128 MB at once: py7zr's step), up to a limit."""
        kept = self.copies.take(self.name, bytes(s))
        if self.copy is not None:
            self.copy.write(kept)
        self.written += len(kept)
        self.copies.meter.check()
        return len(s)

    def close(self) -> None:
        """The member is whole (py7zr does not close a member it failed to decompress)."""
        if self.copy is not None:
            self.copies.whole(self.name, self.copy)

    def seekable(self) -> bool:
        """Not seekable: py7zr does not rewind it when it closes it."""
        return False

    def read(self, size: int | None = None) -> bytes:
        """Nothing to read back (py7zr only writes)."""
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        """Stay where the data ends (py7zr only writes in order)."""
        return self.written

    def flush(self) -> None:
        """Flush the copy."""
        if self.copy is not None:
            self.copy.out.flush()

    def size(self) -> int:
        """Return how much was written."""
        return self.written
