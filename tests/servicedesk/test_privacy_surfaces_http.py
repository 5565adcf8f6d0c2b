"""Third parties' names, IDs in blocks and mistyped IDs on every public surface, through
the real HTTP app: the public board, Open311, the rescue board and incident API, search
snippets (SQLite and PostgreSQL)."""

from __future__ import annotations

import html

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import IncidentCreate
from zhengwu.search import indexer

from ..rescue.conftest import START
from .conftest import World

# Two third parties, an ID with a digit added (19 characters) after its cue, an ID with
# its check character left out (17), one in dashed blocks and one in dotted blocks.
PII = (
    "邻居李秀英天天把电动车堆在楼道，我妈王桂兰为此摔伤。"
    "我的身份证号110105194912310021X（多打了一位），证件号码11010519491231002，"
    "她的证件410105-19900307-1231，补办的是410105.19900307.1231。"
)
SECRETS = (
    "李秀英", "王桂兰", "110105194912310021X", "11010519491231002", "410105-19900307-1231",
    "410105.19900307.1231", "19491231", "19900307",
)  # fmt: skip
MASKS = ("邻居李*", "我妈王*", "1101***********021X", "1101*********1002", "4101**********1231")
DISPATCHER = Principal(role="dispatcher", user_id=None, username="d", display_name="调度员")


def _check(where: str, shown: str, masks: tuple[str, ...] = MASKS) -> None:
    """Assert that ``shown`` holds the masked forms and none of the secrets."""
    shown = html.unescape(shown)
    for secret in SECRETS:
        assert secret not in shown, (where, secret)
    for mask in masks:
        assert mask in shown, (where, mask)


def test_third_parties_and_mistyped_ids_are_masked_on_every_public_surface(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    w = committed_world
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(
            session, actor=DISPATCHER,
            data=IncidentCreate(name="郑州暴雨", regions=["410100"], starts_at=START,
                                description="协调群通报：" + PII),
        )  # fmt: skip
        session.commit()
        incident_id = incident.id
    with httpx.Client(base_url=live_server, timeout=60) as client:
        # A citizen's request through the public form: the board and Open311.
        created = client.post("/api/requests", data={
            "text": "郑州市金水区花园路8号院电梯停运两周。" + PII, "citizen_phone": "13912345678",
        })  # fmt: skip
        assert created.status_code == 201, created.text
        pid = created.json()["public_id"]
        [row] = client.get("/api/public/requests").json()["requests"]
        _check("/api/public/requests", row["text"])
        _check(
            "/api/public/requests/{id}", client.get(f"/api/public/requests/{pid}").json()["text"]
        )
        _check("/board/requests", client.get("/board/requests").text)
        _check("/board/requests/{id}", client.get(f"/board/requests/{pid}").text)
        [record] = client.get("/open311/v2/requests.json").json()
        _check("/open311/v2/requests.json", record["description"])
        [one] = client.get(f"/open311/v2/requests/{pid}.json").json()
        _check("/open311/v2/requests/{id}.json", one["description"])
        xml = client.get(f"/open311/v2/requests/{pid}.xml").text
        _check("/open311/v2/requests/{id}.xml", xml)

        # The rescue network: the incident's description on its public board and API, and
        # a help request from the public form among the board's waiting requests.
        helped = client.post(f"/board/rescue/{incident_id}/help", data={
            "text": "一楼进水，" + PII, "address": "郑州市金水区文化路32号院",
            "people": "2", "phone": "137 0000 7777",
        })  # fmt: skip
        assert helped.status_code == 201, helped.text
        _check("rescue receipt", helped.text, masks=())  # the receipt repeats no text
        description = client.get(f"/api/rescue/incidents/{incident_id}").json()["description"]
        _check("/api/rescue/incidents/{id}", description)
        board = client.get(f"/board/rescue/{incident_id}").text
        assert board.count("邻居李*") == 2  # the description and the help request
        _check("/board/rescue/{id}", board)
        _check("/board/rescue/{id}/help", client.get(f"/board/rescue/{incident_id}/help").text)

    # Search: the handler who may read the request gets a masked snippet, and its secrets
    # find nothing, as the index holds only the masked text.
    with Session(committed_engine) as session:
        indexer.refresh(session)
        session.commit()
    with httpx.Client(base_url=live_server, timeout=60, headers=w.headers("js_housing")) as client:
        found = client.get("/api/search", params={"q": "电梯 停运", "kind": "requests"})
        assert found.status_code == 200, found.text
        [hit] = found.json()["hits"]
        assert hit["key"] == pid
        _check("/api/search snippet", hit["snippet"], masks=MASKS[:3])  # cut after 120
        _check("/api/search snippet_html", hit["snippet_html"], masks=MASKS[:3])
        for secret in ("李秀英", "王桂兰", "110105194912310021X", "410105"):
            nothing = client.get("/api/search", params={"q": secret, "kind": "requests"})
            assert nothing.json()["counts"] == {"requests": 0}, secret
