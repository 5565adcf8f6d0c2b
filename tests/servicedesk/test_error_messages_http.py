"""The service desk's errors a person reads are bilingual over HTTP: a Chinese half in
Chinese (no codes or pydantic English in it) and an English half in English."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC
from zhengwu.servicedesk import service
from zhengwu.servicedesk.schemas import RequestIntake

from .conftest import World

CJK = re.compile(r"[\u4e00-\u9fff]")


def _bilingual(response: httpx.Response, status: int) -> tuple[str, str]:
    """Check the body is the bilingual error of ``status``; return its two halves."""
    assert response.status_code == status, response.text
    body = response.json()
    zh, en = body["message_zh"], body["message_en"]
    assert CJK.search(zh), zh
    assert not CJK.search(en), en
    assert "Input should" not in zh and "Value error" not in zh and "Field required" not in zh
    return zh, en


def test_desk_errors_speak_each_language(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    w = committed_world
    with Session(committed_engine) as s:
        made = service.receive(s, intake=RequestIntake(source="form", text="金水区路灯不亮"),
                               actor=PUBLIC)  # fmt: skip
        pid, token = made.request.public_id, made.citizen_token
        s.commit()
    with httpx.Client(base_url=live_server, timeout=120) as c:
        # A handler may not rate (回访): the action is named in Chinese in the Chinese half.
        zh, en = _bilingual(c.post(f"/api/desk/requests/{pid}/follow_up",
                                   json={"satisfaction": 5}, headers=w.headers("js_housing")),
                            403)  # fmt: skip
        assert zh == f"无权对诉求 {pid} 执行「回访」", zh
        assert en == f"not allowed to follow_up request {pid}"
        # A blank text: the validator's own words, each in its half.
        zh, en = _bilingual(c.post("/api/desk/requests", json={"source": "api", "text": "   "},
                                   headers=w.headers("office")), 422)  # fmt: skip
        assert "text：诉求内容不能为空白" in zh, zh
        assert en == "invalid request — text: text is blank", en
        # A body that is not a JSON object.
        zh, en = _bilingual(c.post(f"/api/desk/requests/{pid}/accept", json=[1],
                                   headers=w.headers("js_housing")), 422)  # fmt: skip
        assert "应为 JSON 对象" in zh, zh
        # The citizen's rating out of range: the field's Chinese name and Chinese words.
        zh, en = _bilingual(c.post(f"/api/requests/{pid}/rate",
                                   json={"token": token, "satisfaction": 9}), 422)  # fmt: skip
        assert zh == "「满意度」无效：不能大于 5", zh
        assert en == "invalid satisfaction: Input should be less than or equal to 5", en
        # A citizen's token that is not theirs.
        zh, en = _bilingual(c.post(f"/api/requests/{pid}/reopen",
                                   json={"token": "not-the-token", "reason": "没修好"}), 403)  # fmt: skip
        assert (zh, en) == ("凭证无效", "invalid citizen token")
