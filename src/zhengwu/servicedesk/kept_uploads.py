"""Uploads kept between a check (检查, a dry run) and their import (导入).

The console's upload forms check a file, then import it: without this the browser
had to send the file twice, and the admin to choose it again. After a check that ran, the
checked copy is kept under ``<data_dir>/tmp/kept-uploads/<token>/<file name>``, with an
``owner.json`` saying who checked it (user id), for what (``kind``), when, and the SHA-256
of its bytes; the page carries only the token (URL-safe, 32 random bytes) in its form.
An import with the token reads that copy — for the same user and kind only, within
:data:`TTL`, with the same bytes — and removes it. A token that is unknown, expired, another
user's or another kind's is one answer (422: choose the file again), so a token tells
nobody anything; it is a capability of the user who checked, behind the form's CSRF token.
Expired copies are removed whenever a new one is kept.

:func:`checked_or_chosen` is the flow a console form runs (the routing table's, the hotline
export's, a matrix's member list's, the volunteers' sheet's; the last two bind the copy to
their matrix or incident too, in ``kind``): a file chosen anew is saved and read (and kept after a check), else the copy of
the form's token is read; an import that took effect spends the token.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.db.base import utcnow
from zhengwu.errors import InvalidInputError

TTL = timedelta(minutes=30)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
_OWNER = "owner.json"
R = TypeVar("R")


def kept_minutes() -> int:
    """Return :data:`TTL` in minutes (what a form's note says)."""
    return int(TTL.total_seconds() // 60)


def _root() -> Path:
    return get_settings().data_dir / "tmp" / "kept-uploads"


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            sha.update(chunk)
    return sha.hexdigest()


def _expired(folder: Path, now: datetime) -> bool:
    """Return whether a kept folder is past :data:`TTL` (or unreadable: nothing to keep)."""
    try:
        owner = json.loads((folder / _OWNER).read_text("utf-8"))
        return now - datetime.fromisoformat(owner["at"]) > TTL
    except (OSError, ValueError, KeyError, TypeError):
        return True


def sweep(now: datetime | None = None) -> int:
    """Remove the kept copies past :data:`TTL`; return how many."""
    root, now = _root(), now or utcnow()
    if not root.is_dir():
        return 0
    gone = 0
    for folder in root.iterdir():
        if folder.is_dir() and _expired(folder, now):
            shutil.rmtree(folder, ignore_errors=True)
            gone += 1
    return gone


def keep(path: Path, *, kind: str, owner: Principal) -> str | None:
    """Move a checked upload (its saved copy at ``path``) aside for ``owner``; return its
    token, or None for a principal that is no user (nothing to bind the copy to)."""
    if owner.user_id is None:
        return None
    sweep()
    token = secrets.token_urlsafe(32)
    folder = _root() / token
    folder.mkdir(parents=True)
    kept = folder / path.name
    shutil.move(path, kept)
    record = {"user_id": owner.user_id, "kind": kind, "at": utcnow().isoformat(),
              "name": path.name, "sha256": _digest(kept)}  # fmt: skip
    (folder / _OWNER).write_text(json.dumps(record), "utf-8")
    return token


def _gone() -> InvalidInputError:
    return InvalidInputError(
        "已检查的文件不存在或已过期（保留 30 分钟），请重新选择文件",
        "the checked file is gone or expired (kept for 30 minutes): choose the file again",
    )


def kept_path(token: str, *, kind: str, owner: Principal) -> Path:
    """Return the kept copy of ``token`` if ``owner`` kept it for ``kind``; else refuse."""
    if not _TOKEN.fullmatch(token) or owner.user_id is None:
        raise _gone()
    folder = _root() / token
    try:
        record = json.loads((folder / _OWNER).read_text("utf-8"))
    except (OSError, ValueError):
        raise _gone() from None
    path = folder / str(record.get("name", ""))
    if (
        record.get("user_id") != owner.user_id or record.get("kind") != kind
        or _expired(folder, utcnow()) or not path.is_file()
        or _digest(path) != record.get("sha256")
    ):  # fmt: skip
        raise _gone()
    return path


def discard(token: str) -> None:
    """Remove a kept copy (after its import)."""
    if _TOKEN.fullmatch(token):
        shutil.rmtree(_root() / token, ignore_errors=True)


def checked_or_chosen(
    work: Callable[[Path], R], *, kind: str, owner: Principal, filename: str, checked: str,
    saved: Callable[[], AbstractContextManager[Path]], dry_run: bool,
    took_effect: Callable[[R], bool] = lambda _: True,
) -> tuple[R, str | None]:  # fmt: skip
    """Run ``work`` (a check or an import) on a console form's file; return what it
    returned and the token the page carries on (None: nothing kept).

    With no file chosen (``filename`` blank) and a ``checked`` token, ``work`` reads the kept
    copy: once an import took effect (``took_effect`` of its result; an import that raised
    or was refused whole did not) the copy goes, else it stays for another check or a
    second try. A file chosen anew is saved by ``saved`` (refusals of size and name are its
    own) and read; after a check (``dry_run``) it is kept for ``owner``.
    """
    if not filename.strip() and checked.strip():
        token = checked.strip()
        result = work(kept_path(token, kind=kind, owner=owner))
        if dry_run or not took_effect(result):
            return result, token
        discard(token)
        return result, None
    with saved() as path:
        result = work(path)
        return result, (keep(path, kind=kind, owner=owner) if dry_run else None)
