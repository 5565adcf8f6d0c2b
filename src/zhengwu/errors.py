"""The one root error of zhengwu and its shared behaviour.

Every expected business outcome ("request already closed", "unknown format") is a
subclass of :class:`ZhengwuError` that carries an HTTP status and a message in Chinese
and English, so the web layer never turns one into a 500 and the CLI prints it cleanly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from difflib import SequenceMatcher
from typing import ClassVar


class ZhengwuError(Exception):
    """Root of every error zhengwu raises on purpose."""

    status_code: ClassVar[int] = 400

    def __init__(self, message_zh: str, message_en: str | None = None) -> None:
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        super().__init__(f"{message_zh} / {self.message_en}" if message_en else message_zh)

    def to_dict(self) -> dict[str, object]:
        """Return the error as a JSON-serialisable mapping."""
        return {
            "error": type(self).__name__,
            "status": self.status_code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class BadRequestError(ZhengwuError):
    """The request itself cannot be read (a malformed body, a form without its boundary)."""

    status_code = 400


class RequestStatusError(ZhengwuError):
    """An error the web framework answers with a status of its own (401, 413 …), worded
    in both languages like every other error."""

    def __init__(self, status_code: int, message_zh: str, message_en: str) -> None:
        super().__init__(message_zh, message_en)
        self.status_code = status_code  # type: ignore[misc]


class ServerError(ZhengwuError):
    """A bug: the server could not answer (HTTP 500; the traceback is in the server's log)."""

    status_code = 500


class NotFoundError(ZhengwuError):
    """A thing that was asked for does not exist."""

    status_code = 404


class MethodNotAllowedError(ZhengwuError):
    """The address exists, but not for this HTTP method."""

    status_code = 405


class ConflictError(ZhengwuError):
    """The action conflicts with the current state (illegal transition, concurrent edit)."""

    status_code = 409


class ForbiddenError(ZhengwuError):
    """The caller may not see or do this."""

    status_code = 403


class InvalidInputError(ZhengwuError):
    """The input is unusable as a whole (bad file, unknown format, bad value)."""

    status_code = 422


class BusyError(ZhengwuError):
    """A resource is held by another process for now (try again shortly)."""

    status_code = 503


class StoreMemoryError(ZhengwuError):
    """The analytics store (DuckDB) ran out of its memory limit for one request (HTTP 503).

    Another request may fit (the limit is per process, shared by concurrent pages); a page
    that never fits needs ``ZHENGWU_ANALYTICS_MEMORY_LIMIT`` raised.
    """

    status_code = 503


@contextmanager
def named_as(copy: str, shown: str) -> Iterator[None]:
    """Name a file ``shown`` in the messages of the errors raised inside, where they say
    ``copy``: the path of a copy (an upload's, a member unpacked from an archive under the
    data directory) means nothing to who sent the file, and is not theirs to see."""
    try:
        yield
    except ZhengwuError as exc:
        exc.message_zh = exc.message_zh.replace(copy, shown)
        exc.message_en = exc.message_en.replace(copy, shown)
        exc.args = (f"{exc.message_zh} / {exc.message_en}",)
        # And the files an import refused whole (ImportRefusedError.refused), which its
        # to_dict carries: an upload's refusal named the server's copy there.
        refused = getattr(exc, "refused", None)
        if isinstance(refused, list):
            exc.refused = [  # type: ignore[attr-defined]
                {k: v.replace(copy, shown) if isinstance(v, str) else v for k, v in r.items()}
                for r in refused
            ]
        raise


def closest_names(name: object, known: Iterable[str], *, most: int = 3) -> list[str]:
    """Return the names of ``known`` closest to a mistyped ``name``, best first (at most
    ``most``): those difflib finds alike (ratio ≥ 0.6, case ignored) or that begin with it,
    within 0.1 of the best, so that 'weibo-cov' gets weibo-cov-csv alone; none when none is
    close."""
    typed = str(name).casefold()
    scored = []
    for candidate in known:
        ratio = SequenceMatcher(None, typed, candidate.casefold()).ratio()
        if ratio >= 0.6 or (len(typed) >= 3 and candidate.casefold().startswith(typed)):
            scored.append((ratio, candidate))
    if not scored:
        return []
    best = max(ratio for ratio, _ in scored)
    scored.sort(key=lambda pair: -pair[0])  # stable: equals keep the order given
    return [candidate for ratio, candidate in scored if ratio >= best - 0.1][:most]


def did_you_mean(name: object, known: Iterable[str]) -> tuple[str, str]:
    """Return the notes that name the known names closest to a mistyped ``name``
    (:func:`closest_names`), to follow it in an error — ``（是否指 a、b？）`` and
    `` (did you mean a or b?)`` — or two empty strings when none is close. Every refusal
    of an unknown name shares it (import formats, indicator systems, formula presets,
    metrics, jobs)."""
    close = closest_names(name, known)
    if not close:
        return "", ""
    english = close[0] if len(close) == 1 else f"{', '.join(close[:-1])} or {close[-1]}"
    return f"（是否指 {'、'.join(close)}？）", f" (did you mean {english}?)"
