"""Letters (信件), walk-in visits (来访) and SMS (短信) are channels of the desk, as a 12345
centre takes requests by phone, web, app, WeChat, Weibo, letter, visit and SMS: staff
register them, the queue filters and labels them, the export writes them (再导入 keeps
them). They had no channel: a letter registered through the API was refused (422)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from .conftest import World

TEXTS = {
    "letter": "来信反映：金水区丰产路小区楼道灯损坏三个月无人维修",
    "visit": "群众来访：金水区经八路人行道地砖破损，老人多次摔倒",
    "sms": "短信反映：金水区花园路公交站牌倒伏",
}
LABELS = {"letter": "信件", "visit": "来访", "sms": "短信"}
CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def client(live_server: str, committed_world: World) -> Iterator[httpx.Client]:
    """A client of the running server, as the admin."""
    headers = committed_world.headers("admin")
    with httpx.Client(base_url=live_server, timeout=120, headers=headers) as client:
        yield client


def test_letters_visits_and_sms_are_channels_of_the_desk(client: httpx.Client) -> None:
    ids = {}
    for channel, text in TEXTS.items():
        answer = client.post("/api/desk/requests", json={"source": channel, "text": text})
        assert answer.status_code == 201, answer.text
        ids[channel] = answer.json()["public_id"]
    for channel, public_id in ids.items():
        listed = client.get("/api/desk/requests", params={"channel": channel})
        assert listed.status_code == 200, listed.text
        assert [row["public_id"] for row in listed.json()] == [public_id]
        assert listed.json()[0]["source"] == channel
        page = html.unescape(client.get(f"/console/desk/{public_id}").text)
        assert f"<th>来源</th><td>{LABELS[channel]}" in page
    # The queue's 渠道 filter offers them, and its rows name them.
    queue = html.unescape(client.get("/console/desk", params={"channel": "visit"}).text)
    for channel, label in LABELS.items():
        assert f'<option value="{channel}"' in queue and f">{label}</option>" in queue
    assert ids["visit"] in queue and ids["letter"] not in queue
    # The export writes the channel (来源渠道), which an import reads back.
    exported = client.get("/api/desk/requests/export", params={"format": "json", "channel": "sms"})
    assert exported.status_code == 200, exported.text
    assert [row["来源渠道"] for row in exported.json()] == ["sms"]
    # An unknown channel is still refused, naming the ones there are.
    refused = client.get("/api/desk/requests", params={"channel": "fax"})
    assert refused.status_code == 422
    assert "letter" in refused.text and "visit" in refused.text and "sms" in refused.text
    body = refused.json()
    assert body["message_zh"].startswith("未知渠道：fax（可选：weibo、")
    assert body["message_en"].startswith("unknown channel: fax (one of: weibo, ")
    # The console's queue refuses it too, in both languages.
    page = client.get("/console/desk", params={"channel": "fax"})
    assert page.status_code == 422
    assert "未知渠道：fax" in page.text and "unknown channel: fax" in page.text


def test_the_rates_count_each_channel(client: httpx.Client, committed_world: World) -> None:
    """Stats by channel: 受理 and 回应率 … per channel (by=channel), as the rates by body,
    matrix or category are; a handler reads those of its own organisation's requests."""
    for channel, text in TEXTS.items():
        answer = client.post("/api/desk/requests", json={"source": channel, "text": text,
                                                        "region": "金水区", "category_code": "0101"})  # fmt: skip
        assert answer.status_code == 201, answer.text
    other = {
        "source": "sms",
        "text": "短信：洛阳市西工区小区电梯困人",
        "region": "洛阳市",
        "category_code": "0101",
    }  # another body's: not the handler's
    assert client.post("/api/desk/requests", json=other).status_code == 201
    period = datetime.now(CHINA).strftime("%Y-%m")
    rows = client.get("/api/desk/rates", params={"period": period, "by": "channel"})
    assert rows.status_code == 200, rows.text
    found = {r["key"]: (r["name"], r["n"]) for r in rows.json()}
    assert found == {"letter": ("信件", 1), "visit": ("来访", 1), "sms": ("短信", 2)}
    handler = committed_world.headers("js_housing")
    mine = client.get("/api/desk/rates", params={"period": period, "by": "channel"},
                      headers=handler)  # fmt: skip
    assert mine.status_code == 200, mine.text
    assert {r["key"]: r["n"] for r in mine.json()} == {"letter": 1, "visit": 1, "sms": 1}
