"""Handles in help posts (//@小李在新乡: of a repost chain, @mentions) are personal data: the
masked views hide the sources' authors, so they mask the handles in the texts as well."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account
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


def test_government_accounts_handles_stay_readable_on_the_masked_views(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    """A help post addressing a government account (@平安郑州, also run into the words
    after it) showed it masked like a citizen's handle; the desk keeps it readable, and so
    does the rescue board now. Citizens' handles and the phone stay masked."""
    session.add_all([
        Account(platform="weibo", uid="9401", name="平安郑州", is_government=True),
        Account(platform="weibo", uid="9402", name="郑州发布", is_government=True),
    ])  # fmt: skip
    session.flush()
    incident = make_incident()
    text = "@平安郑州 @郑州发布请转发 //@刘小燕:转发 " + OTHER
    taken = intake.take_in(session, incident=incident, posts=[post("1", text)], actor=DISPATCHER)
    request = rescue_service.get_request(session, request_id=taken.requests[("weibo", "1")].id)
    officials = access.government_handles(session, [request])
    seen = access.view(PUBLIC, request, officials=officials)
    assert seen.text.startswith("@平安郑州 @郑州发布请转发 //@＊＊＊:转发 #郑州暴雨互助#")
    assert "139-0000-2222" not in seen.text and "139****2222" in seen.text
    assert seen.sources[0].text == seen.text
    shown = json.dumps(board.board(session, incident=incident, principal=PUBLIC).model_dump(
        mode="json"), ensure_ascii=False)  # fmt: skip
    assert "@平安郑州 @郑州发布请转发" in shown
    assert "刘小燕" not in shown and "139-0000-2222" not in shown
    # Without the registry at hand every handle is hidden, never shown (the words run into
    # one that are addressed to it stay readable: rules 10).
    assert access.view(PUBLIC, request).text.startswith("@＊＊＊ @＊＊＊请转发 //@＊＊＊:")
