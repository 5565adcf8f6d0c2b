"""The workflow of a request as data: states, actions, (state, action) → state, who may act.

Who may act is said in *relations* a principal has to one request, not in roles, so one
access rule (:mod:`zhengwu.servicedesk.access`) decides them all:

- ``lead``: a handler/operator of the organisation handling it (承办单位);
- ``helper``: a handler/operator of a co-handling organisation (协办单位);
- ``office``: the matrix office over it (矩阵管理员 / 12345 dispatch) and the admin;
- ``citizen``: the person who asked, proven by the request's citizen token;
- ``system``: scheduled jobs (automatic 督办).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

STATES: Final = (
    "received", "accepted", "assigned", "in_progress", "replied", "resolved", "followed_up",
    "returned", "reopened", "duplicate", "invalid",
)  # fmt: skip
STATE_LABELS: Final = {
    "received": "已接收",
    "accepted": "已受理",
    "assigned": "已转办",
    "in_progress": "办理中",
    "replied": "已答复",
    "resolved": "已办结",
    "followed_up": "已回访",
    "returned": "已退单",
    "reopened": "已重启",
    "duplicate": "重复件",
    "invalid": "无效件",
}
# Open: the request still needs work from someone (Open311 status "open").
OPEN_STATES: Final = frozenset(
    {"received", "accepted", "assigned", "in_progress", "replied", "returned", "reopened"}
)
# Being handled by an organisation: its deadlines run and it may be supervised.
HANDLING_STATES: Final = frozenset({"accepted", "in_progress", "replied", "reopened"})

ACTION_LABELS: Final = {
    "accept": "受理",
    "assign": "派单",
    "transfer": "转办",
    "return": "退单",
    "start": "开始办理",
    "reply": "答复",
    "resolve": "办结",
    "follow_up": "回访",
    "reopen": "重启",
    "cohandle": "协办",
    "note": "备注",
    "request_extension": "申请延期",
    "approve_extension": "批准延期",
    "refuse_extension": "驳回延期",
    "supervise": "督办",
    "duplicate": "标记重复",
    "invalid": "标记无效",
    "reclassify": "改分类",
}
Action = Literal[
    "accept", "assign", "transfer", "return", "start", "reply", "resolve", "follow_up",
    "reopen", "cohandle", "note", "request_extension", "approve_extension",
    "refuse_extension", "supervise", "duplicate", "invalid", "reclassify",
]  # fmt: skip
ACTIONS: Final[tuple[str, ...]] = get_args(Action)
assert set(ACTIONS) == set(ACTION_LABELS)

_ACTIVE = ("received", "accepted", "assigned", "in_progress", "replied", "returned", "reopened")
_WORKING = ("accepted", "in_progress", "replied", "reopened")

TRANSITIONS: Final[dict[tuple[str, str], str]] = {
    ("received", "accept"): "accepted",
    ("assigned", "accept"): "accepted",
    ("received", "assign"): "assigned",
    ("returned", "assign"): "assigned",
    **{(s, "transfer"): "assigned" for s in ("received", "accepted", "assigned", "in_progress",
                                            "replied", "reopened")},
    **{(s, "return"): "returned" for s in ("received", "accepted", "assigned", "in_progress",
                                          "reopened")},
    ("accepted", "start"): "in_progress",
    ("replied", "start"): "in_progress",
    ("reopened", "start"): "in_progress",
    ("accepted", "reply"): "replied",
    ("in_progress", "reply"): "replied",
    ("reopened", "reply"): "replied",
    **{(s, "resolve"): "resolved" for s in ("accepted", "in_progress", "replied", "reopened")},
    ("resolved", "follow_up"): "followed_up",
    ("resolved", "reopen"): "reopened",
    ("followed_up", "reopen"): "reopened",
    **{(s, "duplicate"): "duplicate" for s in _ACTIVE},
    **{(s, "invalid"): "invalid" for s in _ACTIVE},
    # Actions that keep the state (they still pass the table, so a closed request refuses them).
    **{(s, "cohandle"): s for s in _WORKING},
    **{(s, "request_extension"): s for s in _WORKING},
    **{(s, "approve_extension"): s for s in _WORKING},
    **{(s, "refuse_extension"): s for s in _WORKING},
    **{(s, "supervise"): s for s in _ACTIVE},
    **{(s, "reclassify"): s for s in _ACTIVE},
    **{(s, "note"): s for s in (*_ACTIVE, "resolved", "followed_up")},
}  # fmt: skip

ACTION_ACTORS: Final[dict[str, frozenset[str]]] = {
    "accept": frozenset({"lead", "office"}),
    "assign": frozenset({"office"}),
    "transfer": frozenset({"lead", "office"}),
    "return": frozenset({"lead"}),
    "start": frozenset({"lead"}),
    "reply": frozenset({"lead"}),
    "resolve": frozenset({"lead"}),
    "follow_up": frozenset({"office", "citizen"}),
    "reopen": frozenset({"citizen", "office"}),
    "cohandle": frozenset({"lead", "office"}),
    "note": frozenset({"lead", "helper", "office"}),
    "request_extension": frozenset({"lead"}),
    "approve_extension": frozenset({"office"}),
    "refuse_extension": frozenset({"office"}),
    "supervise": frozenset({"office", "system"}),
    "duplicate": frozenset({"lead", "office"}),
    "invalid": frozenset({"lead", "office"}),
    "reclassify": frozenset({"lead", "office"}),
}
# Actions whose reason the audit log must carry (the citizen or the office reads it).
REASON_REQUIRED: Final = frozenset(
    {"return", "transfer", "request_extension", "refuse_extension", "invalid", "reopen", "note"}
)


def next_state(state: str, action: str) -> str | None:
    """Return the state ``action`` leads to from ``state``, or None when it is illegal."""
    return TRANSITIONS.get((state, action))


def actions_from(state: str) -> list[str]:
    """Return the actions allowed from ``state``, in the order of :data:`ACTIONS`."""
    return [a for a in ACTIONS if (state, a) in TRANSITIONS]
