"""Report downloads over real HTTP: index readers any run, everyone else published runs only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.test_console_world import REQUESTS, ConsoleWorld, build_console_world, login

from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import Principal
from zhengwu.content import store
from zhengwu.index import access

OFFICE = Principal(role="matrix_office", user_id=1, username="office", matrix_id=1)
HTML, PDF = "/reports/zhengwu-4d/2025-07.html", "/reports/zhengwu-4d/2025-07.pdf"


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city with its July run stored (not published)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine)


@contextmanager
def _client(base: str, username: str | None) -> Iterator[httpx.Client]:
    """Open a client logged in as ``username`` (None = the anonymous public)."""
    with httpx.Client(base_url=base, timeout=60) as client:
        if username:
            login(client, username)
        yield client


def test_index_readers_download_any_run(live_server: str, world: ConsoleWorld) -> None:
    for username in ("admin", "office", "operator"):
        with _client(live_server, username) as client:
            page = client.get(HTML)
            assert page.status_code == 200, (username, page.text[:300])
            assert page.headers["content-type"].startswith("text/html")
            assert "平安郑州" in page.text
            assert "private" in page.headers["cache-control"]
            pdf = client.get(PDF)
            assert pdf.status_code == 200
            assert pdf.content.startswith(b"%PDF")
            assert "attachment" in pdf.headers["content-disposition"]
    with _client(live_server, "admin") as client:
        text = client.get(HTML).text
    for request_text, _adcode, citizen, phone, _days in REQUESTS.values():
        assert request_text not in text and citizen not in text and phone not in text


def test_others_only_after_publication(
    live_server: str, world: ConsoleWorld, committed_engine: Engine
) -> None:
    for username in (None, "handler", "dispatcher"):
        with _client(live_server, username) as client:
            for path in (HTML, PDF):
                refused = client.get(path)
                assert refused.status_code == 403, (username, path)
                assert "尚未发布" in refused.text
    with Session(committed_engine) as session, store.open_store(read_only=True) as con:
        access.publish(session, con, principal=OFFICE, run_id=world.run_id)
        session.commit()
    for username in (None, "handler"):
        with _client(live_server, username) as client:
            assert "平安郑州" in client.get(HTML).text
            assert client.get(PDF).content.startswith(b"%PDF")
    public = httpx.get(f"{live_server}/rankings", timeout=60).text
    assert f'href="{PDF}"' in public  # the public rankings page links the published report


def test_console_list_and_missing_run(live_server: str, world: ConsoleWorld) -> None:
    with _client(live_server, "office") as client:
        page = client.get("/console/reports")
        assert page.status_code == 200
        assert f'href="{HTML}"' in page.text and f'href="{PDF}"' in page.text
        assert "未发布" in page.text
        assert 'href="/console/reports"' in page.text  # in the navigation
        assert "最佳政务公安微博" in page.text
        missing = client.get("/reports/zhengwu-4d/2024-01.pdf")
        assert missing.status_code == 404
        assert "zhengwu index run" in missing.text
    with _client(live_server, "handler") as client:
        assert client.get("/console/reports").status_code == 403
        assert 'href="/console/reports"' not in client.get("/console/desk").text
    anonymous = httpx.get(f"{live_server}/console/reports", timeout=60)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")


def test_a_report_is_built_once_and_again_after_a_new_run(
    live_server: str, world: ConsoleWorld, committed_engine: Engine
) -> None:
    from zhengwu.config import get_settings
    from zhengwu.index import engine as index_engine
    from zhengwu.index.periods import parse_period
    from zhengwu.index.system import load_system

    cache = get_settings().data_dir / "reports" / "cache"
    with _client(live_server, "admin") as client:
        first = client.get(HTML)
        assert first.status_code == 200
        [kept] = list(cache.glob("*.html"))
        assert kept.read_bytes() == first.content
        # Served from the kept file: a marker written into it comes back as it is.
        kept.write_bytes(b"<!doctype html><p>kept copy</p>")
        assert client.get(HTML).text == "<!doctype html><p>kept copy</p>"
        # Computing the run again makes a new report (and a new file).
        with Session(committed_engine) as session, store.open_store() as con:
            index_engine.run_for_db(session, con, load_system("zhengwu-4d"),
                                    parse_period("2025-07"))  # fmt: skip
        fresh = client.get(HTML)
        assert fresh.status_code == 200
        assert "kept copy" not in fresh.text and "平安郑州" in fresh.text
        # The out-of-date rendering of the same run is dropped; the PDF is its own file.
        assert [f.read_bytes() for f in cache.glob("*.html")] == [fresh.content]
        assert client.get(PDF).status_code == 200
        assert len(list(cache.glob("*.pdf"))) == 1
    # The cache never lets anyone around the publication rule.
    with _client(live_server, None) as public:
        assert public.get(HTML).status_code == 403


def test_a_new_page_layout_is_served_at_once(
    live_server: str, world: ConsoleWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhengwu.config import get_settings
    from zhengwu.reports import service

    cache = get_settings().data_dir / "reports" / "cache"
    with _client(live_server, "admin") as client:
        assert client.get(HTML).status_code == 200
        [kept] = list(cache.glob("*.html"))
        kept.write_bytes(b"<!doctype html><p>kept copy</p>")
        assert client.get(HTML).text == "<!doctype html><p>kept copy</p>"
        # The report page's template changed (a release that fixes its layout, no new run):
        # the kept rendering is out of date and the page is built again.
        changed = tmp_path / "report.html"
        changed.write_bytes(service.HTML_TEMPLATE.read_bytes() + b"\n{# a new layout #}\n")
        monkeypatch.setattr(service, "HTML_TEMPLATE", changed)
        fresh = client.get(HTML)
        assert fresh.status_code == 200
        assert "kept copy" not in fresh.text and "平安郑州" in fresh.text
        assert [f.read_bytes() for f in cache.glob("*.html")] == [fresh.content]
