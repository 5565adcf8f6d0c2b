"""An incident's situation description (灾情说明): stored, edited, and masked for the public."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account
from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.privacy.numbers import id_check_char
from zhengwu.rescue import access, board, views
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import Incident
from zhengwu.rescue.schemas import DESCRIPTION_MAX, IncidentCreate, IncidentUpdate, TeamCreate

from .conftest import DISPATCHER, START, make_users, sent_statements

ID_NUMBER = "41010519800101123" + id_check_char("41010519800101123")
MOBILE = "13812345678"
LANDLINE = "0371-67180110"
DESCRIPTION = (
    "7月20日郑州特大暴雨，金水区、二七区多处积水。\r\n"
    "被困群众请拨打 110、119、120，市民热线 12345。\r\n"
    f"防汛办值班电话 {LANDLINE}；文化路小学安置点联系人张建国 {MOBILE}。\r\n"
    f"寻人：王芳，身份证号 {ID_NUMBER}。"
)


def _staff(role: str) -> Principal:
    return Principal(role=role, user_id=1, username=role, display_name=role, team_id=1)


def test_description_is_trimmed_and_bounded() -> None:
    data = IncidentCreate(name="x", starts_at=START, description=f"  {DESCRIPTION}\n ")
    assert data.description is not None
    assert "\r" not in data.description
    assert data.description.startswith("7月20日") and data.description.endswith("。")
    assert IncidentCreate(name="x", starts_at=START, description=" \r\n ").description is None
    # CRLF counts once: 2,000 lines of "a\r\n" are 4,000 characters once normalised.
    assert IncidentUpdate(description="a\r\n" * 1999 + "ab").description is not None
    with pytest.raises(ValidationError, match="4000"):
        IncidentCreate(name="x", starts_at=START, description="灾" * (DESCRIPTION_MAX + 1))
    assert "description" not in IncidentUpdate().model_dump(exclude_unset=True)
    assert IncidentUpdate.model_validate({"description": None}).model_dump(exclude_unset=True) == {
        "description": None
    }


def test_description_round_trip_and_audit(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident(description=DESCRIPTION)
    session.expire_all()
    stored = rescue_service.get_incident(session, incident_id=incident.id)
    assert stored.description == DESCRIPTION.replace("\r\n", "\n")
    rescue_service.update_incident(session, incident=stored, actor=DISPATCHER,
                                   data=IncidentUpdate(description="水位已回落，安置点关闭。"))  # fmt: skip
    assert stored.description == "水位已回落，安置点关闭。"
    rescue_service.update_incident(session, incident=stored, actor=DISPATCHER,
                                   data=IncidentUpdate(keywords=["求助"]))  # fmt: skip
    assert stored.description == "水位已回落，安置点关闭。"  # absent: unchanged
    rescue_service.update_incident(session, incident=stored, actor=DISPATCHER,
                                   data=IncidentUpdate.model_validate({"description": None}))  # fmt: skip
    session.expire_all()
    assert rescue_service.get_incident(session, incident_id=incident.id).description is None
    trail = audit_service.history(session, entity_type="rescue_incident", entity_id=incident.id)
    assert [(e.data or {}).get("description") for e in trail[1:]] == [
        "水位已回落，安置点关闭。", None, "None",
    ]  # fmt: skip


def test_public_sees_the_description_masked_and_hotlines_readable(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident(description=DESCRIPTION)
    public = access.incident_view(PUBLIC, incident).description or ""
    for secret in (MOBILE, ID_NUMBER, LANDLINE, "67180110", "张建国"):
        assert secret not in public, secret
    assert "138****5678" in public
    assert "4101**********" in public
    assert "0371-****0110" in public  # the masker does not tell an office line from a home one
    for hotline in ("110、119、120", "市民热线 12345"):
        assert hotline in public
    assert public.startswith("7月20日郑州特大暴雨")
    for role in ("admin", "dispatcher", "verifier", "team"):
        assert access.incident_view(_staff(role), incident).description == incident.description
    for role in ("handler", "operator", "matrix_office"):
        assert MOBILE not in (access.incident_view(_staff(role), incident).description or "")
    shown = board.board(session, incident=incident, principal=PUBLIC)
    assert shown.incident.description == public
    assert access.incident_view(PUBLIC, make_incident("无说明")).description is None


def _auth(token: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"} if token else {}


def test_description_over_http_per_role(live_server: str, committed_engine: Engine) -> None:
    with Session(committed_engine) as session:
        team = rescue_service.create_team(session, data=TeamCreate(name="A队"), actor=DISPATCHER)
        session.commit()
        tokens = make_users(committed_engine, team_id=team.id)
    payload = {"name": "郑州暴雨（说明）", "regions": ["410100"], "starts_at": START.isoformat(),
               "description": DESCRIPTION}  # fmt: skip
    with httpx.Client(base_url=live_server, timeout=60) as client:
        refused = client.post("/api/rescue/incidents", json=payload,
                              headers=_auth(tokens["verifier"]))  # fmt: skip
        assert refused.status_code == 403
        created = client.post("/api/rescue/incidents", json=payload,
                              headers=_auth(tokens["dispatcher"]))  # fmt: skip
        assert created.status_code == 201, created.text
        incident_id = created.json()["id"]
        assert created.json()["description"] == DESCRIPTION.replace("\r\n", "\n")
        for role in ("dispatcher", "verifier", "team", "public"):
            token = tokens.get(role)
            one = client.get(f"/api/rescue/incidents/{incident_id}", headers=_auth(token)).json()
            listed = client.get("/api/rescue/incidents", headers=_auth(token)).json()
            shown = client.get(f"/api/rescue/incidents/{incident_id}/board",
                               headers=_auth(token)).json()["incident"]  # fmt: skip
            for body in (one, listed[0]):
                assert (MOBILE in body["description"]) is (role != "public"), role
                assert "12345" in body["description"]
            # The board is what everyone sees (projected, shared): masked for staff too.
            assert MOBILE not in shown["description"], role
            assert "138****5678" in shown["description"] and "12345" in shown["description"]
        too_long = client.patch(f"/api/rescue/incidents/{incident_id}",
                                json={"description": "灾" * (DESCRIPTION_MAX + 1)},
                                headers=_auth(tokens["dispatcher"]))  # fmt: skip
        assert too_long.status_code == 422
        changed = client.patch(f"/api/rescue/incidents/{incident_id}",
                               json={"description": f"安置点已转移，联系 {MOBILE}"},
                               headers=_auth(tokens["dispatcher"]))  # fmt: skip
        assert changed.status_code == 200
        assert changed.json()["description"] == f"安置点已转移，联系 {MOBILE}"
        page = client.get(f"/board/rescue/{incident_id}").text
        assert 'id="incident-description"' in page
        assert "安置点已转移" in page and "138****5678" in page
        assert MOBILE not in page
        form = client.get(f"/board/rescue/{incident_id}/help").text
        assert "安置点已转移" in form and MOBILE not in form
        cleared = client.patch(f"/api/rescue/incidents/{incident_id}", json={"description": None},
                               headers=_auth(tokens["dispatcher"]))  # fmt: skip
        assert cleared.json()["description"] is None
        assert 'id="incident-description"' not in client.get(f"/board/rescue/{incident_id}").text


def test_public_description_hides_citizens_handles_and_keeps_government_ones(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    """A dispatcher's 灾情说明 quoting a citizen's Weibo handle showed it to the public: the
    description masked phones, IDs and names, not handles. A government account's handle
    (an account of the registry) stays readable, as on the desk."""
    session.add(Account(platform="weibo", uid="9301", name="郑州发布", is_government=True))
    session.flush()
    incident = make_incident(description="请关注@郑州发布 通报；@吃面的老李头 反映家人被困。")
    public = access.incident_view(PUBLIC, incident, session=session).description or ""
    assert "吃面的老李头" not in public
    assert "@郑州发布" in public and "反映家人被困" in public
    assert board.board(session, incident=incident, principal=PUBLIC).incident.description == public
    staff = access.incident_view(_staff("dispatcher"), incident, session=session).description
    assert staff == incident.description
    # Without the registry at hand every handle is hidden, never shown.
    assert "@郑州发布" not in (access.incident_view(PUBLIC, incident).description or "")


def test_the_public_incident_list_looks_handles_up_once(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    """``GET /api/rescue/incidents`` looked the government handles up once per incident
    whose description named one (N+1): 12 such incidents sent 12 more statements than 1.
    One look-up now serves the whole list, whatever its length."""
    session.add(Account(platform="weibo", uid="9302", name="郑州发布", is_government=True))
    session.flush()

    def listed() -> list[str | None]:
        session.expire_all()
        return [i.description for i in views.list_incidents(db=session, principal=PUBLIC)]

    make_incident(name="暴雨 0", description="请关注@郑州发布 通报；@吃面的老李头 反映家人被困。")
    one = [s for s, _ in sent_statements(session, listed)]
    for n in range(1, 12):
        make_incident(name=f"暴雨 {n}", description=f"@郑州发布 第{n}次通报，@邻居{n} 报告积水。")
    shown: list[str | None] = []
    twelve = [s for s, _ in sent_statements(session, lambda: shown.extend(listed()))]
    assert len(shown) == 12
    assert all(d and "@郑州发布" in d and "@邻居" not in d for d in shown[:-1])
    assert "吃面的老李头" not in (shown[-1] or "") and "@郑州发布" in (shown[-1] or "")
    handle_queries = [s for s in twelve if "FROM accounts" in s]
    assert len(handle_queries) == 1, handle_queries
    assert len(twelve) == len(one), (len(one), len(twelve))
