"""Factories shared by the rescue tests: incidents, teams, posts, users with tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.merge import HelpPostIn
from zhengwu.rescue.models import Incident, Team
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate

START = datetime(2021, 7, 20, 0, 0, tzinfo=UTC)
DISPATCHER = Principal(role="dispatcher", user_id=None, username="d", display_name="调度员")
VERIFIER = Principal(role="verifier", user_id=None, username="v", display_name="核实员")

# One request told three ways, plus an update and noise.
ORIGINAL = (
    "#郑州暴雨互助#【姓名】张建国【年龄】67【所在城市】郑州市【所在小区】金水区文化路32号院3号楼"
    "【联系方式】13800001111【情况描述】家中老人2名孩子1名被困，水已到二楼，共8人，求救援！"
)
COPY = "求扩散！" + ORIGINAL.replace("#郑州暴雨互助#", "").replace("，", " ") + " 帮帮忙"
OTHER = (
    "#郑州暴雨互助# 求助！我家人在郑州市二七区大学路78号院，老人腿脚不好，家里停电了，"
    "一共3个人，电话139-0000-2222，谢谢大家帮帮忙！"
)
PRAYER = "#郑州暴雨互助# 祈福郑州，愿大家平安！"
UPDATE = "#郑州暴雨互助#【更新】13800001111 张建国一家已获救，谢谢大家！请不要再打电话了"


def at(minutes: int) -> datetime:
    """Return START plus ``minutes``."""
    return START + timedelta(minutes=minutes)


def post(post_id: str, text: str, minutes: int = 0, **extra: Any) -> HelpPostIn:
    """Return a Weibo help post."""
    return HelpPostIn(post_id=post_id, text=text, posted_at=at(minutes), author=f"u{post_id}",
                      url=f"https://m.weibo.cn/detail/{post_id}", **extra)  # fmt: skip


def repost(
    post_id: str, root_id: str, root_text: str, comment: str = "扩散", minutes: int = 5
) -> HelpPostIn:
    """Return a repost of ``root_id`` carrying the root's text."""
    return post(post_id, comment, minutes, is_repost=True, root_post_id=root_id,
                root_text=root_text, root_posted_at=at(0))  # fmt: skip


@pytest.fixture
def make_incident(session: Session) -> Callable[..., Incident]:
    """Return a factory of incidents in 郑州 with the #郑州暴雨互助# hashtag."""

    def make(name: str = "郑州暴雨", **fields: object) -> Incident:
        data = {"name": name, "type": "flood", "regions": ["410100"],
                "hashtags": ["#郑州暴雨互助#"], "keywords": ["求助"], "starts_at": START, **fields}  # fmt: skip
        return rescue_service.create_incident(
            session, data=IncidentCreate.model_validate(data), actor=DISPATCHER
        )

    return make


@pytest.fixture
def make_team(session: Session) -> Callable[..., Team]:
    """Return a factory of rescue teams."""

    def make(name: str = "蓝天救援队", **fields: object) -> Team:
        data = TeamCreate.model_validate({"name": name, "area": ["410100"], **fields})
        return rescue_service.create_team(session, data=data, actor=DISPATCHER)

    return make


def make_users(engine: Engine, team_id: int | None = None) -> dict[str, str]:
    """Create one user per rescue-relevant role (committed); return role → API token."""
    from zhengwu.auth import service as auth_service

    tokens: dict[str, str] = {}
    with Session(engine) as session:
        specs = [("admin", None), ("dispatcher", None), ("dispatcher2", None), ("verifier", None),
                 ("team", team_id), ("other_team", (team_id or 0) + 1000)]  # fmt: skip
        for name, team in specs:
            role = {"dispatcher2": "dispatcher", "other_team": "team"}.get(name, name)
            user = auth_service.create_user(session, username=f"u_{name}", password="password-123",
                                            role=role, team_id=team)  # fmt: skip
            tokens[name] = auth_service.create_token(session, user, "test")
        session.commit()
    return tokens


def sent_statements(session: Session, run: Callable[[], object]) -> list[tuple[str, Any]]:
    """The statements ``run`` sends on the session's connection, with their parameters."""
    sent: list[tuple[str, Any]] = []

    def grab(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        sent.append((statement, parameters))

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", grab)
    try:
        run()
    finally:
        event.remove(connection, "before_cursor_execute", grab)
    return sent
