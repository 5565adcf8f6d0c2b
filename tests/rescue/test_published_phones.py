"""Published numbers (公开电话) on the rescue network's public board and request views."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.accounts import phones
from zhengwu.accounts.models import Organization
from zhengwu.auth.principal import PUBLIC
from zhengwu.config import get_settings
from zhengwu.rescue import access, board, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import Incident
from zhengwu.rescue.schemas import HelpSubmission, IncidentCreate

from .conftest import DISPATCHER, START

COMMAND = "0371-69690110"  # 防汛指挥部, in ZHENGWU_PUBLIC_PHONES
SHELTER = "0371-67180110"  # 文化路小学安置点, registered on its organisation
HOME = "0371-65123456"  # a family's landline: not published
MOBILE = "13812345678"
DESCRIPTION = (f"防汛指挥部 {COMMAND}；文化路小学安置点 （0371）6718 0110；"
               f"联系人张建国 {MOBILE}，家中座机 {HOME}。")  # fmt: skip


@pytest.fixture
def published(session: Session, monkeypatch: pytest.MonkeyPatch) -> frozenset[str]:
    """Register the command centre in the setting and the shelter on its organisation."""
    monkeypatch.setenv("ZHENGWU_PUBLIC_PHONES", COMMAND)
    get_settings.cache_clear()
    school = Organization(name="文化路小学", level="县", sector="教育", adcode="410105",
                          public_phones=[SHELTER])  # fmt: skip
    session.add(school)
    session.flush()
    return phones.directory(session)


def test_public_board_shows_published_numbers_and_masks_the_rest(
    session: Session, make_incident: Callable[..., Incident], published: frozenset[str]
) -> None:
    incident = make_incident(description=DESCRIPTION)
    shown = board.board(session, incident=incident, principal=PUBLIC).incident.description or ""
    assert COMMAND in shown and "（0371）6718 0110" in shown
    assert MOBILE not in shown and "138****5678" in shown
    assert HOME not in shown and "0371-****3456" in shown
    assert "张建国" not in shown
    # Without the directory (the old call) everything phone-shaped is masked.
    assert COMMAND not in (access.incident_view(PUBLIC, incident).description or "")
    assert access.incident_view(PUBLIC, incident, keep=published).description == shown


def test_help_request_texts_keep_published_numbers_but_not_the_requester(
    session: Session, make_incident: Callable[..., Incident], published: frozenset[str]
) -> None:
    incident = make_incident()
    data = HelpSubmission(
        text=f"金水区文化路32号院3号楼被困3人，安置点电话{SHELTER}打不通，请回电{MOBILE}",
        phone=MOBILE, address="郑州市金水区文化路32号院3号楼", people=3,
    )  # fmt: skip
    submitted = intake.submit(session, incident=incident, data=data, actor=PUBLIC)
    found = rescue_service.get_request(session, request_id=submitted.id)  # sources loaded
    seen = access.view(PUBLIC, found, keep=published)
    assert seen.masked
    assert SHELTER in seen.text
    assert MOBILE not in seen.text and "138****5678" in seen.text
    assert sorted(seen.phones) == sorted(["138****5678", SHELTER])  # found in the text
    assert sorted(access.view(PUBLIC, found).phones) == ["0371-****0110", "138****5678"]
    assert "32号院" not in seen.text
    staff = access.view(DISPATCHER, found, keep=published)
    assert MOBILE in staff.text  # staff read everything as written


def test_public_incident_api_over_http(
    live_server: str, committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHENGWU_PUBLIC_PHONES", COMMAND)
    get_settings.cache_clear()
    with Session(committed_engine) as session:
        session.add(Organization(name="文化路小学", level="县", sector="教育",
                                 public_phones=[SHELTER]))  # fmt: skip
        data = IncidentCreate(name="郑州暴雨", regions=["410100"], starts_at=START,
                              description=DESCRIPTION)  # fmt: skip
        incident = rescue_service.create_incident(session, data=data, actor=DISPATCHER)
        session.commit()
        incident_id = incident.id
    with httpx.Client(base_url=live_server, timeout=120) as client:
        one = client.get(f"/api/rescue/incidents/{incident_id}").json()["description"]
        page = client.get(f"/board/rescue/{incident_id}").text
        for shown in (one, page):
            assert COMMAND in shown and "6718 0110" in shown
            assert MOBILE not in shown and HOME not in shown


def test_a_request_shown_after_an_action_keeps_published_numbers(
    session: Session, make_incident: Callable[..., Incident], published: frozenset[str]
) -> None:
    """Every action on a request answers with ``views._reloaded``; a reader it shows the
    request masked to reads the published numbers as on the board and ``GET …/requests/{id}``
    (it masked them: no directory was passed). Called directly: today's action routes are
    open only to roles that read the request in full."""
    from zhengwu.rescue.views import _reloaded

    incident = make_incident()
    data = HelpSubmission(text=f"文化路被困2人，安置点电话{SHELTER}打不通，请回电{MOBILE}",
                          phone=MOBILE, people=2)  # fmt: skip
    submitted = intake.submit(session, incident=incident, data=data, actor=PUBLIC)
    shown = _reloaded(session, PUBLIC, submitted.id)
    assert shown.masked and SHELTER in shown.text
    assert MOBILE not in shown.text and "138****5678" in shown.text
    assert sorted(shown.phones) == sorted(["138****5678", SHELTER])
    found = rescue_service.get_request(session, request_id=submitted.id)
    assert shown.text == access.view(PUBLIC, found, keep=published).text
