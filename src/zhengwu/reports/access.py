"""Who may download a report: index readers any stored run, everyone else published runs only.

The report of a run says what its rankings say, so it follows the index's rules
(:mod:`zhengwu.index.access`): admin, matrix office and operator read every stored run; the
public — and staff roles that do not read index results — only a run that has been
published (发布), like the public rankings page.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError
from zhengwu.index import access as index_access
from zhengwu.index.models import PublishedRun


def can_download(session: Session, principal: Principal, run_id: str) -> bool:
    """Return whether ``principal`` may download the report of ``run_id``."""
    if index_access.can_read(principal):
        return True
    return session.get(PublishedRun, run_id) is not None


def require_download(session: Session, principal: Principal, run_id: str) -> None:
    """Raise 403 unless ``principal`` may download the report of ``run_id``."""
    if not can_download(session, principal, run_id):
        raise ForbiddenError(
            f"报告 {run_id} 尚未发布，无权下载（公众只能下载已发布周期的报告）",
            f"the report of {run_id} is not published; only published periods' reports "
            "may be downloaded without an index role",
        )
