"""Who is asking: the principal every access rule takes."""

from __future__ import annotations

from dataclasses import dataclass

from zhengwu.errors import ForbiddenError

# The roles in Chinese, as the console and its messages name them.
ROLE_LABELS = {
    "admin": "平台管理员",
    "matrix_office": "矩阵管理员",
    "operator": "账号运营",
    "handler": "承办人",
    "dispatcher": "救援调度",
    "verifier": "信息核实员",
    "team": "救援队员",
    "public": "公众",
}


@dataclass(frozen=True, slots=True)
class Principal:
    """A logged-in user or the anonymous public, with the scope their role gives them."""

    role: str = "public"
    user_id: int | None = None
    username: str = "public"
    display_name: str = "公众"
    organization_id: int | None = None
    matrix_id: int | None = None
    team_id: int | None = None
    csrf_token: str | None = None

    @property
    def is_authenticated(self) -> bool:
        """Return whether this is a logged-in user."""
        return self.user_id is not None

    @property
    def role_label(self) -> str:
        """Return the role in Chinese (平台管理员, 信息核实员, ...)."""
        return ROLE_LABELS.get(self.role, self.role)

    def has_role(self, *roles: str) -> bool:
        """Return whether the principal has one of ``roles`` (admin has every role)."""
        return self.role == "admin" or self.role in roles

    def require(self, *roles: str) -> None:
        """Raise ForbiddenError unless the principal has one of ``roles``."""
        if not self.has_role(*roles):
            if not self.is_authenticated:
                raise ForbiddenError("请先登录", "please log in")
            raise ForbiddenError(
                f"当前角色（{self.role_label}）无权执行此操作",
                f"role {self.role!r} may not do this",
            )


PUBLIC = Principal()
