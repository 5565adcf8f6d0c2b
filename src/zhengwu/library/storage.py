"""The blob store of library files: one file per SHA-256 under ``data_dir/library``.

An upload is checked before anything is kept: not empty, not over the size limit
(``ZHENGWU_LIBRARY_MAX_UPLOAD_BYTES``), an allowed extension whose magic bytes match. The
bytes are written to a temporary file in the store and renamed into place only when
complete, so a refused or interrupted upload leaves nothing half-written; identical content
is stored once however many items use it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError, NotFoundError

CHUNK = 1 << 20


def _prefix(*magic: bytes) -> Callable[[bytes], bool]:
    return lambda head: any(head.startswith(m) for m in magic)


def _riff(form: bytes) -> Callable[[bytes], bool]:
    return lambda head: head[:4] == b"RIFF" and head[8:12] == form


def _ftyp(head: bytes) -> bool:
    return head[4:8] == b"ftyp"


def _mp3(head: bytes) -> bool:
    return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character may be cut at the end
        return exc.start >= len(head) - 3
    return True


_OLE = _prefix(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_ZIP = _prefix(b"PK\x03\x04")
# extension → (content type, magic check)
FILE_TYPES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    ".jpg": ("image/jpeg", _prefix(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", _prefix(b"\xff\xd8\xff")),
    ".png": ("image/png", _prefix(b"\x89PNG\r\n\x1a\n")),
    ".gif": ("image/gif", _prefix(b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", _riff(b"WEBP")),
    ".mp4": ("video/mp4", _ftyp),
    ".mov": ("video/quicktime", _ftyp),
    ".webm": ("video/webm", _prefix(b"\x1a\x45\xdf\xa3")),
    ".mp3": ("audio/mpeg", _mp3),
    ".m4a": ("audio/mp4", _ftyp),
    ".wav": ("audio/wav", _riff(b"WAVE")),
    ".ogg": ("audio/ogg", _prefix(b"OggS")),
    ".pdf": ("application/pdf", _prefix(b"%PDF-")),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    ".doc": ("application/msword", _OLE),
    ".xls": ("application/vnd.ms-excel", _OLE),
    ".txt": ("text/plain; charset=utf-8", _text),
    ".md": ("text/markdown; charset=utf-8", _text),
    ".csv": ("text/csv; charset=utf-8", _text),
}
ALLOWED = ", ".join(sorted(FILE_TYPES))


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """A checked file in the store."""

    sha256: str
    size: int
    content_type: str
    filename: str


def root() -> Path:
    """Return the store's directory (``data_dir/library``)."""
    return get_settings().data_dir / "library"


def blob_path(sha256: str) -> Path:
    """Return where the bytes of ``sha256`` live."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise NotFoundError("文件不存在", "no such file")
    return root() / sha256[:2] / sha256


def clean_filename(filename: str) -> str:
    """Return the base name of an uploaded file, without path or control characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"<>|:*?')
    return name.strip()[:200]


def content_type_of(filename: str) -> tuple[str, Callable[[bytes], bool]]:
    """Return the content type and magic check of ``filename``'s extension (422 if refused)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in FILE_TYPES:
        raise InvalidInputError(
            f"不支持的文件类型「{suffix or '无扩展名'}」，允许：{ALLOWED}",
            f"file type {suffix or '(none)'!r} not allowed; allowed: {ALLOWED}",
        )
    return FILE_TYPES[suffix]


def store(stream: BinaryIO, filename: str) -> StoredBlob:
    """Check and store an upload; return its blob (422 for empty, too large, wrong type)."""
    name = clean_filename(filename)
    if not name:
        raise InvalidInputError("文件名为空", "the file has no name")
    content_type, matches = content_type_of(name)
    limit = get_settings().library_max_upload_bytes
    directory = root()
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise InvalidInputError(
                        f"文件「{name}」超过大小上限 {limit} 字节",
                        f"file {name!r} exceeds the size limit of {limit} bytes",
                    )
                if len(head) < 64:
                    head += chunk[: 64 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInputError(f"文件「{name}」为空", f"file {name!r} is empty")
        if not matches(head):
            raise InvalidInputError(
                f"文件「{name}」的内容与扩展名不符（不是 {content_type}）",
                f"the content of {name!r} does not match its extension ({content_type})",
            )
        sha = digest.hexdigest()
        final = blob_path(sha)
        if final.exists():
            tmp.unlink()  # already stored: identical bytes are kept once …
            os.utime(final)  # … and fresh again, so that prune() leaves it to this upload
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return StoredBlob(sha256=sha, size=size, content_type=content_type, filename=name)


def prune(referenced: set[str], *, grace_seconds: float = 3600.0) -> list[str]:
    """Delete stored blobs that no file references; return their hashes.

    A blob written (or re-uploaded) less than ``grace_seconds`` ago is kept: its item may
    not be committed yet. Temporary files of interrupted uploads older than that go too.
    """
    directory = root()
    if not directory.is_dir():
        return []
    cutoff = time.time() - grace_seconds
    removed: list[str] = []
    for path in sorted(directory.glob("*/*")) + sorted(directory.glob(".upload-*")):
        name = path.name
        if name in referenced or not path.is_file() or path.stat().st_mtime > cutoff:
            continue
        path.unlink(missing_ok=True)
        if not name.startswith(".upload-"):
            removed.append(name)
    return removed


def open_blob(sha256: str) -> Path:
    """Return the path of a stored blob (404 when it is missing from the store)."""
    path = blob_path(sha256)
    if not path.is_file():
        raise NotFoundError("文件内容缺失", "file content missing from the store")
    return path
