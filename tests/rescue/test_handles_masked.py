"""Handles in help posts (//@小李在新乡: of a repost chain, @mentions) are personal data: the
masked views hide the sources' authors, so they mask the handles in the texts as well."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC
from zhengwu.rescue import access, board, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import Incident

from .conftest import DISPATCHER, OTHER, post

CHAIN = "扩散 //@刘小燕:转发 //@Li_Ming-88: " + OTHER + " 邮箱 zhang.san@qq.com"


def test_masked_views_hide_the_handles_staff_read_them(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    taken = intake.take_in(session, incident=incident, posts=[post("1", CHAIN)], actor=DISPATCHER)
    request = rescue_service.get_request(session, request_id=taken.requests[("weibo", "1")].id)
    seen = access.view(PUBLIC, request)
    assert seen.masked
    assert seen.text.startswith("扩散 //@＊＊＊:转发 //@＊＊＊: #郑州暴雨互助#")
    assert seen.sources[0].author is None and seen.sources[0].text == seen.text
    assert "z***@qq.com" in seen.text  # an e-mail is masked as one, not as a handle
    shown = json.dumps(board.board(session, incident=incident, principal=PUBLIC).model_dump(
        mode="json"), ensure_ascii=False)  # fmt: skip
    assert "刘小燕" not in shown and "Li_Ming" not in shown and "@＊＊＊" in shown
    staff = access.view(DISPATCHER, request)
    assert "//@刘小燕:转发 //@Li_Ming-88:" in staff.text
    assert staff.sources[0].author == "u1"
