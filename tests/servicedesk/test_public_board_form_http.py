"""The public board over HTTP: its own "我要反映" form (field errors, typed values kept, a
receipt in words), Beijing time, and the month of its statistics."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC
from zhengwu.servicedesk import service
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import RequestIntake

from .conftest import World

TYPED = {"text": "金水区丰产路路灯坏了一个星期", "address": "丰产路与文化路口",
         "citizen_name": "王建国", "citizen_phone": "136 5555 6666", "category_code": "01"}  # fmt: skip


def _receive(engine: Engine, text: str, at: datetime) -> None:
    with Session(engine) as session:
        intake = RequestIntake(source="form", text=text, submitted_at=at)
        service.receive(session, intake=intake, actor=PUBLIC)
        session.commit()


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return len(list(session.scalars(select(ServiceRequest.id))))


def test_form_errors_are_named_by_field_with_the_typed_values_kept(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        board = client.get("/board/requests").text
        assert 'action="/board/requests#report"' in board
        assert 'action="/api/requests"' not in board
        for field, bad, zh, en in (
            ("text", "   ", "请描述问题", "describe the problem"),
            ("citizen_phone", "not-a-phone", "电话号码无效", "not a phone number"),
            ("category_code", "99", "请从列表中选择分类", "choose a category"),
        ):
            sent = client.post("/board/requests", data={**TYPED, field: bad})
            assert sent.status_code == 422, field
            page = html.unescape(sent.text)
            assert f'id="{field}-error"' in sent.text
            assert zh in page and en in page
            assert "政务新媒体操作后台" not in page and "登录" not in page
            assert "字段" not in page and "Value error" not in page
            for key in ("address", "citizen_name"):
                assert f'value="{TYPED[key]}"' in page
            if field != "citizen_phone":
                assert 'value="136 5555 6666"' in page
            if field != "text":
                assert f">{TYPED['text']}</textarea>" in page
            assert sent.headers["cache-control"] == "private, no-store"
    assert _count(committed_engine) == 0


def test_form_success_gives_a_public_receipt_in_words(
    live_server: str, committed_world: World
) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        sent = client.post("/board/requests", data=TYPED)
        assert sent.status_code == 201
        assert "已收到您的诉求" in sent.text
        assert "当前状态：已" in sent.text
        assert "received" not in sent.text.split("<body>")[1]
        link = sent.text.split("<body>")[1].split('href="')[1].split('"')[0]
        assert link.startswith("/board/requests/SR") and "token=" in link
        mine = client.get(html.unescape(link))
        assert mine.status_code == 200
        assert "13655556666" not in mine.text and "136 5555 6666" not in mine.text
        # The JSON API is unchanged.
        api = client.post("/api/requests", json={"text": "   "})
        assert api.status_code == 422
        assert api.headers["content-type"].startswith("application/json")


def test_board_shows_beijing_time(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    _receive(
        committed_engine, "金水区文化路小区垃圾没人清运", datetime(2025, 7, 30, 12, 11, tzinfo=UTC)
    )
    with httpx.Client(base_url=live_server, timeout=120) as client:
        page = client.get("/board/requests").text
    assert "2025-07-30 20:11" in page
    assert "2025-07-30 12:11" not in page


def test_rates_default_to_the_latest_month_with_requests(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        empty = client.get("/board/requests").text
        assert "本期无数据 / no data for this period" in empty
        assert 'id="period"' not in empty  # no month has data: nothing to choose
    _receive(committed_engine, "金水区文化路小区垃圾没人清运", datetime(2025, 7, 10, 2, tzinfo=UTC))
    # 2025-05-31 17:00 UTC is already June 1st in Beijing.
    _receive(committed_engine, "金水区丰产路路灯坏了", datetime(2025, 5, 31, 17, tzinfo=UTC))
    with httpx.Client(base_url=live_server, timeout=120) as client:
        page = client.get("/board/requests").text
        assert "2025-07 办理情况" in page
        assert 'id="rates-empty"' not in page
        options = page.split('id="period"')[1].split("</select>")[0]
        assert '<option value="2025-07" selected>' in options
        assert '<option value="2025-06">' in options
        assert "2025-05" not in options and "2026" not in options
        june = client.get("/board/requests", params={"period": "2025-06"}).text
        assert "2025-06 办理情况" in june and 'id="rates-empty"' not in june
        none = client.get("/board/requests", params={"period": "2024-01"}).text
        assert "2024-01 办理情况" in none
        assert "本期无数据 / no data for this period" in none
        data = client.get("/api/public/requests").json()
        assert (data["period"], data["periods"]) == ("2025-07", ["2025-07", "2025-06"])
        assert client.get("/api/public/requests", params={"period": "2025-13"}).status_code == 422


def test_a_form_of_raw_utf8_is_stored_as_written_and_a_wrong_charset_refused(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    """``curl -d "text=路灯坏了…"`` sends the words unescaped: they are the citizen's words,
    not Latin-1 mojibake; GBK declared is read as GBK; bytes valid in no declared charset
    are refused, nothing stored."""
    form = "application/x-www-form-urlencoded"
    text = "金水区丰产路路灯坏了一个星期，晚上很黑"
    with httpx.Client(base_url=live_server, timeout=120) as client:
        raw = client.post("/api/requests", content=f"text={text}".encode(),
                          headers={"content-type": form})  # fmt: skip
        assert raw.status_code == 201, raw.text
        gbk = client.post("/api/requests", content=f"text={text}（二）".encode("gbk"),
                          headers={"content-type": f"{form}; charset=GBK"})  # fmt: skip
        assert gbk.status_code == 201, gbk.text
        broken = client.post("/api/requests", content=f"text={text}".encode("gbk"),
                             headers={"content-type": form})  # fmt: skip
        assert broken.status_code == 422
        assert "不是有效的 utf-8" in broken.json()["message_zh"]
        assert "not valid utf-8" in broken.json()["message_en"]
    with Session(committed_engine) as session:
        stored = sorted(session.scalars(select(ServiceRequest.text)))
    assert stored == [text, f"{text}（二）"]
