"""Errors of the service desk (each carries its HTTP status)."""

from __future__ import annotations

from zhengwu.errors import ConflictError, ZhengwuError
from zhengwu.servicedesk.workflow import ACTION_LABELS, STATE_LABELS


class IllegalTransitionError(ConflictError):
    """The action is not allowed from the request's current state."""

    def __init__(self, state: str, action: str) -> None:
        super().__init__(
            f"当前状态「{STATE_LABELS.get(state, state)}」不能执行「{ACTION_LABELS.get(action, action)}」",
            f"action {action!r} is not allowed in state {state!r}",
        )
        self.state = state
        self.action = action


class StaleRequestError(ConflictError):
    """Someone else changed the request between this reader's read and write."""

    def __init__(self, public_id: str) -> None:
        super().__init__(
            f"诉求 {public_id} 已被他人处理或修改，请刷新后重试",
            f"request {public_id} was changed by someone else; reload and retry",
        )


class IntakeThrottledError(ZhengwuError):
    """Too many anonymous submissions from one client."""

    status_code = 429
