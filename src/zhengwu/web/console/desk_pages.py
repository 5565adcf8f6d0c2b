"""诉求办理: the service-desk queue and a request's page with every workflow action as a form.

Reading goes through :mod:`zhengwu.servicedesk.service` (``search``, ``get_readable``),
which apply the desk's one access rule: a handler sees only its organisation's requests.
Actions go through ``service.perform`` and its transition table; the forms offered are
the actions the presenter says this reader may take from the request's state.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts.models import Organization
from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError, ZhengwuError
from zhengwu.servicedesk import presenters, service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.schemas import ActionInput
from zhengwu.servicedesk.workflow import ACTION_LABELS, REASON_REQUIRED, STATE_LABELS
from zhengwu.web.console.base import (
    ConsoleDB,
    ConsoleRoute,
    Viewer,
    Writer,
    int_or_none,
    render,
    require,
)

router = APIRouter(prefix="/console/desk", route_class=ConsoleRoute, include_in_schema=False)
PAGE = 100
# The fields each action's form asks for (its ActionInput fields).
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "accept": (),
    "assign": ("organization_id", "reason"),
    "transfer": ("organization_id", "reason"),
    "return": ("reason",),
    "start": (),
    "reply": ("reply_text",),
    "resolve": ("reply_text",),
    "follow_up": ("satisfaction", "reason"),
    "reopen": ("reason",),
    "cohandle": ("helper_organization_ids",),
    "note": ("reason",),
    "request_extension": ("days", "reason"),
    "approve_extension": ("reason",),
    "refuse_extension": ("reason",),
    "supervise": ("reason",),
    "duplicate": ("duplicate_of", "reason"),
    "invalid": ("reason",),
    "reclassify": ("category_code",),
}
FIELD_LABELS = {
    "organization_id": "承办单位",
    "helper_organization_ids": "协办单位（可多选）",
    "reason": "理由 / 说明",
    "reply_text": "公开答复内容",
    "satisfaction": "满意度（1–5）",
    "days": "延期工作日数",
    "duplicate_of": "保留的诉求编号",
    "category_code": "新分类",
}
# The audit log also holds steps that are not workflow actions.
HISTORY_LABELS = {**ACTION_LABELS, "receive": "接收", "route": "自动派单", "merge": "合并重复件"}
SOURCE_LABELS = {"weibo": "微博", "wechat": "微信", "douyin": "抖音", "form": "网页表单",
                 "csv": "批量导入", "api": "接口", "open311": "Open311", "12345": "12345 热线"}  # fmt: skip


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request, db: ConsoleDB, principal: Viewer, state: str = "", overdue: str = "",
    offset: int = 0,
) -> HTMLResponse:  # fmt: skip
    """List the requests you handle or oversee, newest first (filters: state, overdue)."""
    require(principal, "desk")
    if state and state not in STATE_LABELS:
        raise InvalidInputError(f"未知状态：{state}", f"unknown state: {state}")
    found = service.search(
        db, principal=principal, states=[state] if state else None,
        overdue=True if overdue == "1" else None, limit=PAGE + 1, offset=max(offset, 0),
    )  # fmt: skip
    rows = [presenters.summary(r, unmasked=True) for r in found[:PAGE]]
    orgs = _org_names(db, {r.organization_id for r in rows})
    return render(
        request, "desk_queue.html", area="desk", rows=rows, orgs=orgs, state=state,
        overdue=overdue, offset=max(offset, 0), more=len(found) > PAGE, page=PAGE,
        state_labels=STATE_LABELS, source_labels=SOURCE_LABELS,
    )  # fmt: skip


def _org_names(db: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = db.execute(select(Organization.id, Organization.name).where(Organization.id.in_(wanted)))
    return {int(i): str(n) for i, n in rows}


def _detail_page(
    request: Request, db: Session, principal: Principal, public_id: str, *,
    error: ZhengwuError | None = None, values: dict[str, str] | None = None,
    failed_action: str | None = None,
) -> HTMLResponse:  # fmt: skip
    req = service.get_readable(db, principal=principal, public_id=public_id)
    detail = presenters.detail(db, req, principal)
    organizations = list(db.execute(select(Organization.id, Organization.name)
                                    .order_by(Organization.name).limit(1000)))  # fmt: skip
    names = {int(i): str(n) for i, n in organizations}
    tree = category_service.get_tree(db)
    division = regions.get(detail.adcode) if detail.adcode else None
    return render(
        request, "desk_request.html", area="desk", r=detail, orgs=names,
        organizations=organizations, categories=tree,
        category_names={c.code: c.name for c in tree}, division=division,
        action_labels=ACTION_LABELS, history_labels=HISTORY_LABELS, action_fields=ACTION_FIELDS, field_labels=FIELD_LABELS,
        reason_required=REASON_REQUIRED, state_labels=STATE_LABELS, source_labels=SOURCE_LABELS,
        error=error, values=values or {}, failed_action=failed_action,
        status_code=error.status_code if error else 200,
    )  # fmt: skip


@router.get("/{public_id}", response_class=HTMLResponse)
def request_page(
    request: Request, db: ConsoleDB, principal: Viewer, public_id: str
) -> HTMLResponse:
    """Show a request: fields, actions you may take, audit history, outbox, sources."""
    require(principal, "desk")
    return _detail_page(request, db, principal, public_id)


def _action_input(
    *, reason: str, organization_id: str, helper_organization_ids: list[str], days: str,
    reply_text: str, satisfaction: str, duplicate_of: str, category_code: str,
    expected_version: str,
) -> ActionInput:  # fmt: skip
    try:
        return ActionInput(
            reason=reason.strip() or None, organization_id=int_or_none(organization_id),
            helper_organization_ids=[int(h) for h in helper_organization_ids if h.strip()],
            days=int_or_none(days), reply_text=reply_text.strip() or None,
            satisfaction=int_or_none(satisfaction), duplicate_of=duplicate_of.strip() or None,
            category_code=category_code.strip() or None,
            expected_version=int_or_none(expected_version),
        )  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        label = FIELD_LABELS.get(where, where)
        raise InvalidInputError(
            f"{label} 无效：{first['msg']}", f"invalid {where}: {first['msg']}"
        ) from None
    except ValueError:
        raise InvalidInputError("协办单位编号无效", "invalid helper organisation id") from None


@router.post("/{public_id}/act", response_class=HTMLResponse)
def act(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    public_id: str,
    action: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    organization_id: Annotated[str, Form()] = "",
    helper_organization_ids: Annotated[list[str] | None, Form()] = None,
    days: Annotated[str, Form()] = "",
    reply_text: Annotated[str, Form()] = "",
    satisfaction: Annotated[str, Form()] = "",
    duplicate_of: Annotated[str, Form()] = "",
    category_code: Annotated[str, Form()] = "",
    expected_version: Annotated[str, Form()] = "",
) -> Response:
    """Perform a workflow action from its form; errors come back in the form (4xx)."""
    require(principal, "desk")
    values = {"reason": reason, "organization_id": organization_id, "days": days,
              "reply_text": reply_text, "satisfaction": satisfaction,
              "duplicate_of": duplicate_of, "category_code": category_code}  # fmt: skip
    try:
        data = _action_input(
            reason=reason, organization_id=organization_id,
            helper_organization_ids=helper_organization_ids or [], days=days,
            reply_text=reply_text, satisfaction=satisfaction, duplicate_of=duplicate_of,
            category_code=category_code, expected_version=expected_version,
        )  # fmt: skip
        req = service.get_readable(db, principal=principal, public_id=public_id)
        service.perform(db, request=req, action=action, actor=principal, data=data)
    except ZhengwuError as exc:
        if exc.status_code == 404:
            raise
        # Nothing of the refused action may stay: roll back, then show the form again.
        db.rollback()
        return _detail_page(request, db, principal, public_id, error=exc, values=values,
                            failed_action=action)  # fmt: skip
    return RedirectResponse(f"/console/desk/{public_id}?done=desk-{action}", status_code=303)
