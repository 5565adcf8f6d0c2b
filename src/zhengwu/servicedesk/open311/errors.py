"""The one error of the Open311 routes: rendered as the spec's ``errors`` document."""

from __future__ import annotations

from collections.abc import Sequence

from zhengwu.errors import ZhengwuError
from zhengwu.servicedesk.open311.serialize import Format


class Open311Error(ZhengwuError):
    """Errors of one Open311 call, in the format the client asked for.

    The spec knows three statuses: 404 (not found), 403 (bad or missing api_key) and 400
    (everything else), so any other status of a wrapped error becomes 400.
    """

    def __init__(self, status_code: int, descriptions: Sequence[str], fmt: Format = "xml"):
        super().__init__("；".join(descriptions), "; ".join(descriptions))
        self.status_code = status_code if status_code in (403, 404) else 400  # type: ignore[misc]
        self.descriptions = list(descriptions)
        self.fmt = fmt

    @classmethod
    def wrap(cls, exc: ZhengwuError, fmt: Format) -> Open311Error:
        """Return a domain error as an Open311 error with a bilingual description."""
        text = exc.message_zh
        if exc.message_en and exc.message_en != exc.message_zh:
            text = f"{exc.message_zh} / {exc.message_en}"
        return cls(exc.status_code, [text], fmt)


def bad(fmt: Format, *descriptions: str) -> Open311Error:
    """Return a 400 error with one or more descriptions."""
    return Open311Error(400, descriptions, fmt)


def not_found(fmt: Format, description: str) -> Open311Error:
    """Return a 404 error."""
    return Open311Error(404, [description], fmt)
