"""Public rankings (/rankings, /api/public/rankings): published periods only, cacheable."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.test_console_world import USERS, ConsoleWorld, build_console_world, login

from zhengwu.accounts.models import Account
from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.content import store
from zhengwu.index import access, ranking, results
from zhengwu.index import engine as index_engine
from zhengwu.index.periods import parse_period
from zhengwu.index.system import load_system

OFFICE = Principal(role="matrix_office", user_id=1, username="office", matrix_id=1)
PHONE = re.compile(r"1[3-9]\d{9}")


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city with runs of June (older) and July (newer) stored."""
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine)
    with Session(committed_engine) as session, store.open_store() as con:
        index_engine.run_for_db(session, con, load_system("zhengwu-4d"), parse_period("2025-06"))
    return world


def _publish(engine: Engine, period: str) -> None:
    with Session(engine) as session, store.open_store(read_only=True) as con:
        access.publish(session, con, principal=OFFICE, run_id=f"zhengwu-4d/{period}")
        session.commit()


@contextmanager
def _store_held(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Hold the analytics store open for writing in another process (as an import does)."""
    monkeypatch.setenv("ZHENGWU_STORE_READ_WAIT", "0.2")
    get_settings.cache_clear()
    path = get_settings().resolved_analytics_path
    hold = ("import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()")  # fmt: skip
    with subprocess.Popen([sys.executable, "-c", hold, str(path)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as proc:  # fmt: skip
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        try:
            yield
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=30)


def test_nothing_published_yet(live_server: str, world: ConsoleWorld) -> None:
    r = httpx.get(f"{live_server}/api/public/rankings", timeout=60)
    assert r.status_code == 404
    assert r.json()["message_zh"] == "还没有已发布的排行"
    page = httpx.get(f"{live_server}/rankings", timeout=60)
    assert page.status_code == 200
    assert "还没有已发布的排行" in page.text
    assert "平安郑州" not in page.text  # the stored, unpublished runs stay inside


def test_latest_published_period_only(
    live_server: str, world: ConsoleWorld, committed_engine: Engine
) -> None:
    _publish(committed_engine, "2025-06")  # July is newer but not published
    body = httpx.get(f"{live_server}/api/public/rankings", timeout=60).json()
    assert body["period"] == "2025-06"
    _publish(committed_engine, "2025-07")
    body = httpx.get(f"{live_server}/api/public/rankings", timeout=60).json()
    assert body["period"] == "2025-07"
    assert body["platform"] == "weibo"
    assert body["previous_period_compared"] is True
    ranks = [r["rank"] for r in body["rows"]]
    assert ranks == list(range(1, len(ranks) + 1))
    names = [r["name"] for r in body["rows"]]
    assert "平安郑州" in names
    assert "郑州12345" not in names  # failed the compliance gate: counted, not ranked
    assert body["excluded_count"] >= 1
    assert all(r["movement"] is not None for r in body["rows"])
    douyin = httpx.get(
        f"{live_server}/api/public/rankings", params={"platform": "douyin"}, timeout=60
    ).json()
    assert [r["name"] for r in douyin["rows"]] == ["郑州警方"]
    police = httpx.get(
        f"{live_server}/api/public/rankings", params={"sector": "公安"}, timeout=60
    ).json()
    assert police["sector"] == "公安"
    assert [r["name"] for r in police["rows"]] == ["平安郑州"]
    assert [r["rank"] for r in police["rows"]] == [1]  # rank inside the sector
    # A withdrawn publication stops being public: June is the latest published again.
    with Session(committed_engine) as session:
        access.withdraw(session, principal=OFFICE, run_id="zhengwu-4d/2025-07")
        session.commit()
    assert httpx.get(f"{live_server}/api/public/rankings", timeout=60).json()["period"] == "2025-06"


def test_nothing_personal_and_cacheable(
    live_server: str, world: ConsoleWorld, committed_engine: Engine
) -> None:
    _publish(committed_engine, "2025-07")
    r = httpx.get(f"{live_server}/api/public/rankings", timeout=60)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=300"
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    for key in ("account_uid", "compliance_reasons", "dims_missing", '"excluded"'):
        assert key not in r.text, key
    assert {k for row in r.json()["rows"] for k in row} == {
        "rank", "previous_rank", "movement", "name", "org_name", "sector", "level", "score",
        "percentile",
    }  # fmt: skip
    assert not PHONE.search(r.text)
    same = httpx.get(f"{live_server}/api/public/rankings", headers={"If-None-Match": etag},
                     timeout=60)  # fmt: skip
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == etag
    other = httpx.get(f"{live_server}/api/public/rankings", params={"platform": "douyin"},
                      headers={"If-None-Match": etag}, timeout=60)  # fmt: skip
    assert other.status_code == 200  # another filter is another resource
    page = httpx.get(f"{live_server}/rankings", timeout=60)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "public, max-age=300"
    assert 'name="viewport"' in page.text
    assert "<script" not in page.text
    assert "平安郑州" in page.text
    assert "2025-07" in page.text
    assert not PHONE.search(page.text)
    assert len(page.content) < 20_000  # light: inline CSS, no assets
    cached = httpx.get(f"{live_server}/rankings", headers={"If-None-Match": page.headers["etag"]},
                       timeout=60)  # fmt: skip
    assert cached.status_code == 304
    # Computing the period again changes the published numbers: the old ETag no longer holds.
    with Session(committed_engine) as session, store.open_store() as con:
        index_engine.run_for_db(session, con, load_system("zhengwu-4d"), parse_period("2025-07"))
        assert results.find_run(con, "zhengwu-4d", "2025-07")
    fresh = httpx.get(f"{live_server}/api/public/rankings", headers={"If-None-Match": etag},
                      timeout=60)  # fmt: skip
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag


def test_the_same_for_every_role(
    live_server: str, world: ConsoleWorld, committed_engine: Engine
) -> None:
    _publish(committed_engine, "2025-07")
    expected = httpx.get(f"{live_server}/api/public/rankings", timeout=60).json()
    for username in USERS:
        with httpx.Client(base_url=live_server, timeout=60) as client:
            login(client, username)
            assert client.get("/api/public/rankings").json() == expected, username
            page = client.get("/rankings", headers={"Accept": "text/html"})
            assert page.status_code == 200
            assert "平安郑州" in page.text
    bad = httpx.get(f"{live_server}/api/public/rankings", params={"top": 0}, timeout=60)
    assert bad.status_code == 422


def test_busy_store_gives_a_503_with_retry_after(
    live_server: str, world: ConsoleWorld, committed_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """While another process writes the analytics store, pages answer 503, not 500."""
    _publish(committed_engine, "2025-06")
    with _store_held(monkeypatch):
        busy = httpx.get(f"{live_server}/api/public/rankings", timeout=60)
        page = httpx.get(f"{live_server}/rankings", headers={"Accept": "text/html"}, timeout=60)
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "5"
    assert busy.json()["error"] == "BusyError"
    assert "分析库正被进程" in busy.json()["message_zh"]
    assert page.status_code == 503
    # Once the writer is done, the same request is served again.
    assert httpx.get(f"{live_server}/api/public/rankings", timeout=60).status_code == 200


def test_busy_store_serves_the_last_board_of_the_latest_publication(
    live_server: str, world: ConsoleWorld, committed_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A board served once is served again while a writer holds the store, marked stale;
    filters never served, and a withdrawn publication, still get the 503."""
    _publish(committed_engine, "2025-06")
    _publish(committed_engine, "2025-07")
    fresh = httpx.get(f"{live_server}/api/public/rankings", timeout=60)
    fresh_page = httpx.get(f"{live_server}/rankings", timeout=60)
    assert fresh.status_code == fresh_page.status_code == 200
    assert "X-Zhengwu-Stale" not in fresh.headers
    assert len(fresh.json()["rows"]) < 100  # the whole ranking was kept
    notice = httpx.get(f"{live_server}/api/public/rankings", params={"platform": "tiktok"},
                       timeout=60)  # fmt: skip
    assert notice.status_code == 200 and notice.json()["notices"]
    kept_files = list((get_settings().data_dir / "cache" / "public-rankings").iterdir())
    assert len(kept_files) == 1  # one board per valid filter; a filter with a notice is not kept
    with _store_held(monkeypatch):
        kept = httpx.get(f"{live_server}/api/public/rankings", timeout=60)
        kept_page = httpx.get(f"{live_server}/rankings", timeout=60)
        again = httpx.get(f"{live_server}/api/public/rankings",
                          headers={"If-None-Match": fresh.headers["etag"]}, timeout=60)  # fmt: skip
        head = httpx.get(f"{live_server}/api/public/rankings", params={"top": 2}, timeout=60)
        more = httpx.get(f"{live_server}/api/public/rankings", params={"top": 300}, timeout=60)
        never = httpx.get(f"{live_server}/api/public/rankings", params={"platform": "douyin"},
                          timeout=60)  # fmt: skip
        with Session(committed_engine) as session:
            access.withdraw(session, principal=OFFICE, run_id="zhengwu-4d/2025-07")
            session.commit()
        withdrawn = httpx.get(f"{live_server}/api/public/rankings", timeout=60)
        withdrawn_page = httpx.get(f"{live_server}/rankings", timeout=60)
    assert kept.status_code == 200
    assert kept.json() == fresh.json()
    assert kept.json()["period"] == "2025-07"
    assert kept.headers["etag"] == fresh.headers["etag"]
    assert kept.headers["x-zhengwu-stale"] == "store-busy"
    assert kept.headers["cache-control"] == "public, max-age=30"
    assert kept_page.status_code == 200
    assert kept_page.text == fresh_page.text
    assert again.status_code == 304 and again.content == b""
    assert head.status_code == more.status_code == 200
    assert head.json()["rows"] == fresh.json()["rows"][:2]
    assert more.json()["rows"] == fresh.json()["rows"]  # fewer than 100: that was all of them
    assert head.headers["etag"] not in (fresh.headers["etag"], more.headers["etag"])
    assert never.status_code == 503  # a board of these filters was never served
    # The withdrawal takes effect at once: July's board is no longer served, and June's
    # (now the latest publication) was never served, so nothing stale stands in for it.
    assert withdrawn.status_code == withdrawn_page.status_code == 503
    june = httpx.get(f"{live_server}/api/public/rankings", timeout=60)
    assert june.status_code == 200 and june.json()["period"] == "2025-06"
    assert "X-Zhengwu-Stale" not in june.headers


def test_a_board_that_cannot_be_kept_is_still_served(
    live_server: str, world: ConsoleWorld, committed_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A data directory where the kept boards cannot be written costs nothing but the keeping."""
    _publish(committed_engine, "2025-07")
    cache = get_settings().data_dir / "cache"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("a file where the cache directory would be")
    r = httpx.get(f"{live_server}/api/public/rankings", params={"top": 3}, timeout=60)
    assert r.status_code == 200
    assert len(r.json()["rows"]) == 3


def test_a_kept_board_serves_no_more_rows_than_were_asked_for(
    live_server: str, world: ConsoleWorld, committed_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _publish(committed_engine, "2025-07")
    two = httpx.get(f"{live_server}/api/public/rankings", params={"top": 2}, timeout=60)
    assert len(two.json()["rows"]) == 2
    with _store_held(monkeypatch):
        one = httpx.get(f"{live_server}/api/public/rankings", params={"top": 1}, timeout=60)
        five = httpx.get(f"{live_server}/api/public/rankings", params={"top": 5}, timeout=60)
    assert one.status_code == 200 and one.json()["rows"] == two.json()["rows"][:1]
    assert five.status_code == 503  # rows 3-5 were never read: not made up from the kept two


def test_unknown_filters_are_named_and_unknown_sectors_hidden(
    live_server: str, world: ConsoleWorld, committed_engine: Engine
) -> None:
    # An account of no known body: ranked, but "未知" is no sector to choose publicly.
    with Session(committed_engine) as session, store.open_store() as con:
        session.add(Account(platform="weibo", uid="9001", name="无主账号", is_government=True))
        session.commit()
        index_engine.run_for_db(session, con, load_system("zhengwu-4d"), parse_period("2025-07"))
    _publish(committed_engine, "2025-07")
    body = httpx.get(f"{live_server}/api/public/rankings", timeout=60).json()
    assert "未知" not in body["sectors"] and "公安" in body["sectors"]
    assert body["notices"] == []
    page = httpx.get(f"{live_server}/rankings", timeout=60).text
    assert "未知" not in page
    tiktok = httpx.get(f"{live_server}/rankings", params={"platform": "tiktok"}, timeout=60)
    assert tiktok.status_code == 200
    assert "没有平台「tiktok」的排行，显示微博；可选：" in tiktok.text
    assert "No ranking for platform &#39;tiktok&#39;" in tiktok.text
    assert "平安郑州" in tiktok.text
    unknown = httpx.get(f"{live_server}/rankings", params={"sector": "未知"}, timeout=60).text
    assert "没有「未知」系统的排行，显示全部系统" in unknown


def test_public_board_is_the_published_rankings_top(
    live_server: str, world: ConsoleWorld, committed_engine: Engine
) -> None:
    """The public answer is read the paged way: the same rows and excluded count as the
    whole ranking, and of the failing accounts only their count, never a list."""
    _publish(committed_engine, "2025-06")
    _publish(committed_engine, "2025-07")  # movement against June
    asks: list[dict[str, str | int]] = [
        {"platform": "weibo", "top": 100}, {"platform": "weibo", "top": 1},
        {"platform": "wechat", "top": 5}, {"platform": "douyin", "top": 5},
        {"platform": "weibo", "sector": "住建", "top": 100},
    ]  # fmt: skip
    failing = shown = 0
    for ask in asks:
        body = httpx.get(f"{live_server}/api/public/rankings", params=ask, timeout=60).json()
        sector = ask.get("sector")
        with store.open_store(read_only=True) as con:
            whole = ranking.ranking(
                con, "zhengwu-4d/2025-07", platform=str(ask["platform"]),
                by="sector" if sector else "platform", group=str(sector) if sector else None,
                top=int(ask["top"]), list_excluded=False,
            )  # fmt: skip
        fields = {"rank", "previous_rank", "movement", "name", "org_name", "sector", "level",
                  "score", "percentile"}  # fmt: skip
        expected = [{k: r[k] for k in fields} for g in whole["groups"] for r in g["rows"]]
        assert body["rows"] == expected, ask
        assert len(body["rows"]) <= int(ask["top"])
        shown += len(body["rows"])
        assert body["excluded_count"] == whole["excluded_count"], ask
        assert "excluded" not in body
        failing += body["excluded_count"]
        page = httpx.get(f"{live_server}/rankings", params=ask, timeout=60).text
        assert f"的 {body['excluded_count']} 个账号不参与排行" in page
    assert failing > 0 and shown > 0  # neither side is vacuous (WeChat's one account fails)
