"""Verification claims over HTTP on a real server (SQLite and PostgreSQL): two verifiers
race to claim the same request, one wins and the other is told who (and which team) is
calling; the claim shows in the queue, blocks the other's verification, and ends with a
verification, a release or its expiry."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.auth import service as auth_service
from zhengwu.db.base import utcnow
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import VerificationClaim
from zhengwu.rescue.schemas import HelpSubmission, IncidentCreate, TeamCreate

from .conftest import DISPATCHER, START, make_users


def _setup(engine: Engine) -> tuple[int, int, dict[str, str]]:
    from zhengwu.rescue import intake

    with Session(engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="认领测试", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        team = rescue_service.create_team(
            session, data=TeamCreate(name="郑州蓝天救援队", area=["410100"]), actor=DISPATCHER
        )
        request = intake.submit(session, incident=incident, actor=DISPATCHER, data=HelpSubmission(
            text="桐柏路2号院一楼进水，老人出不去", phone="13700007777", people=2))  # fmt: skip
        session.commit()
        iid, rid, team_id = incident.id, request.id, team.id
    tokens = make_users(engine, team_id=team_id)
    with Session(engine) as session:
        user = auth_service.create_user(session, username="u_verifier2", password="password-123",
                                        role="verifier", display_name="赵核实", team_id=team_id)  # fmt: skip
        tokens["verifier2"] = auth_service.create_token(session, user, "test")
        session.commit()
    return iid, rid, tokens


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _race(base: str, rid: int, tokens: list[str]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(tokens))
    replies: list[httpx.Response] = []

    def go(token: str) -> None:
        with httpx.Client(base_url=base, headers=_auth(token), timeout=60) as client:
            barrier.wait()
            replies.append(client.post(f"/api/rescue/requests/{rid}/claim"))

    threads = [threading.Thread(target=go, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return replies


def _claim_in_queue(api: httpx.Client, iid: int, rid: int, token: str) -> dict[str, object] | None:
    queue = api.get(f"/api/rescue/incidents/{iid}/queue", headers=_auth(token)).json()
    return next(i for i in queue["items"] if i["id"] == rid)["claim"]


def test_two_verifiers_race_to_claim_and_one_is_told_who_calls(
    live_server: str, committed_engine: Engine
) -> None:
    iid, rid, tokens = _setup(committed_engine)
    names = {"verifier": "u_verifier", "verifier2": "赵核实"}
    replies = _race(live_server, rid, [tokens["verifier"], tokens["verifier2"]])
    assert sorted(r.status_code for r in replies) == [200, 409]
    won = next(r for r in replies if r.status_code == 200).json()["claim"]
    lost = next(r for r in replies if r.status_code == 409).json()
    winner = "verifier" if won["by"] == names["verifier"] else "verifier2"
    loser = "verifier2" if winner == "verifier" else "verifier"
    assert won["mine"] is True and won["by"] == names[winner]
    assert lost["claimed_by"] == names[winner]
    assert names[winner] in lost["message_zh"] and names[winner] in lost["message_en"]
    if winner == "verifier2":
        assert lost["team_name"] == "郑州蓝天救援队" and "郑州蓝天救援队" in lost["message_zh"]
    with Session(committed_engine) as session:
        assert len(session.scalars(select(VerificationClaim)).all()) == 1

    with httpx.Client(base_url=live_server, timeout=60) as api:
        # The queue shows the claim to staff; the public sees no staff names.
        shown = _claim_in_queue(api, iid, rid, tokens["dispatcher"])
        assert shown is not None and shown["by"] == names[winner] and shown["mine"] is False
        assert _claim_in_queue(api, iid, rid, tokens[winner])["mine"] is True  # type: ignore[index]
        assert api.get(f"/api/rescue/requests/{rid}").json()["claim"] is None
        # The other verifier may neither verify nor release it; the holder renews it.
        blocked = api.post(f"/api/rescue/requests/{rid}/verifications", headers=_auth(tokens[loser]),
                           json={"method": "phone", "result": "confirmed"})  # fmt: skip
        assert blocked.status_code == 409 and blocked.json()["claimed_by"] == names[winner]
        refused = api.delete(f"/api/rescue/requests/{rid}/claim", headers=_auth(tokens[loser]))
        assert refused.status_code == 403
        assert api.post(f"/api/rescue/requests/{rid}/claim", headers=_auth(tokens["team"])
                        ).status_code == 403  # fmt: skip
        renewed = api.post(f"/api/rescue/requests/{rid}/claim", headers=_auth(tokens[winner]),
                           json={"minutes": 30})  # fmt: skip
        assert renewed.status_code == 200
        # The holder's verification releases the claim.
        verified = api.post(f"/api/rescue/requests/{rid}/verifications",
                            headers=_auth(tokens[winner]),
                            json={"method": "phone", "result": "confirmed"})  # fmt: skip
        assert verified.status_code == 200 and verified.json()["claim"] is None
        assert _claim_in_queue(api, iid, rid, tokens["dispatcher"]) is None
        again = api.post(f"/api/rescue/requests/{rid}/claim", headers=_auth(tokens[loser]))
        assert again.status_code == 200 and again.json()["claim"]["by"] == names[loser]

    # An expired claim is taken over; a dispatcher may release anyone's.
    with Session(committed_engine) as session:
        held = session.scalars(select(VerificationClaim)).one()
        held.expires_at = utcnow() - timedelta(minutes=1)
        session.commit()
    with httpx.Client(base_url=live_server, timeout=60) as api:
        assert _claim_in_queue(api, iid, rid, tokens["dispatcher"]) is None
        taken = api.post(f"/api/rescue/requests/{rid}/claim", headers=_auth(tokens[winner]))
        assert taken.status_code == 200 and taken.json()["claim"]["by"] == names[winner]
        freed = api.delete(f"/api/rescue/requests/{rid}/claim", headers=_auth(tokens["dispatcher"]))
        assert freed.status_code == 200 and freed.json()["claim"] is None
        assert api.post(f"/api/rescue/requests/{rid}/claim",
                        headers=_auth(tokens[loser])).status_code == 200  # fmt: skip
    with Session(committed_engine) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == rid).order_by(AuditEntry.id)
        ).all()
        assert actions.count("claim") == 5 and actions.count("release_claim") == 2
