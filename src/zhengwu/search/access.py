"""Who may search what — the one access rule of search, per kind of document.

- accounts (账号): every logged-in user (accounts are public information; the public
  itself gets no search at all — 403);
- requests (诉求): only those ``zhengwu.servicedesk.access.readable_requests`` allows
  (admin, the matrix office of the queue, the handling organisations); even then hits show
  the masked text only;
- content (内容库): only those ``zhengwu.library.access.readable_items`` allows;
- posts (帖文): matrix office, operator and admin.

A hit links only to a page the principal may open: an account's console page for the
accounts :func:`openable_accounts` gives, else a post's own address on its platform, else
no link.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from zhengwu.accounts import access as accounts_access
from zhengwu.accounts.models import Account
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError
from zhengwu.search.models import KINDS, SearchDocument
from zhengwu.servicedesk import access as desk_access

REQUEST_ROLES = ("matrix_office", "handler", "operator")
CONTENT_ROLES = ("matrix_office", "operator")
POST_ROLES = ("matrix_office", "operator")
# Who may open an account's console page (/console/accounts/{id}): the console's 账号 area
# (``zhengwu.web.console.base.NAV``), and only for the accounts they may read.
ACCOUNT_PAGE_ROLES = ("matrix_office", "operator")


def require_search(principal: Principal) -> None:
    """Raise 403 unless ``principal`` is logged in (the public has no search)."""
    if not principal.is_authenticated:
        raise ForbiddenError("请先登录后再搜索", "please log in to search")


def _library_access() -> Any | None:
    """Return ``zhengwu.library.access`` when the content library is installed."""
    try:
        return importlib.import_module("zhengwu.library.access")
    except ModuleNotFoundError as exc:
        if exc.name and "zhengwu.library".startswith(exc.name):
            return None
        raise


def searchable_kinds(principal: Principal) -> list[str]:
    """Return the kinds ``principal`` may search, in display order."""
    require_search(principal)
    kinds = ["accounts"]
    if principal.has_role(*REQUEST_ROLES):
        kinds.append("requests")
    if principal.has_role(*CONTENT_ROLES) and _library_access() is not None:
        kinds.append("content")
    if principal.has_role(*POST_ROLES):
        kinds.append("posts")
    return [kind for kind in KINDS if kind in kinds]


def document_scope(principal: Principal, kind: str) -> ColumnElement[bool]:
    """Return the condition on ``SearchDocument`` that keeps what ``principal`` may see."""
    if kind not in searchable_kinds(principal):
        return false()
    if kind == "accounts" or principal.role == "admin":
        return true()
    if kind == "requests":
        readable = desk_access.readable_requests(principal).subquery()
        return SearchDocument.ref_id.in_(select(readable.c.id))
    if kind == "content":
        library = _library_access()
        if library is None:  # the content library is not installed: nothing to show
            return false()
        items = library.readable_items(principal).subquery()
        return SearchDocument.ref_id.in_(select(items.c.id))
    return false()


def openable_accounts(session: Session, principal: Principal, ids: Collection[int]) -> set[int]:
    """Return those of account ``ids`` whose console page ``principal`` may open."""
    if not ids or not principal.has_role(*ACCOUNT_PAGE_ROLES):
        return set()
    if principal.role == "admin":
        return set(ids)
    readable = accounts_access.readable_account_ids(principal)
    return set(
        session.scalars(select(Account.id).where(Account.id.in_(ids), Account.id.in_(readable)))
    )
