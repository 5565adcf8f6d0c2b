"""Every page the public reaches without logging in, on a phone and on a desktop.

Citizens open these pages from a link in a Weibo or WeChat post: the request board and its
form (我要反映), a request's public page and the citizen's private link (评价, 重新办理), the
rescue board, the help form and its receipt, the private follow-up page (补充, 撤回) and
its look-up, a closed incident's page, the published rankings and report, the login page
and an error page. In Debian's Chromium, offline, at 375×740 (2× pixels, touch) and at
1280 wide, each page is checked for:

- no horizontal scrolling of the page (and a phone's layout viewport not widened by it),
  every table in a box of its own that scrolls;
- text of at least 12 px, tap targets at least 24 px high and wide (WCAG 2.5.8);
- ``<html lang="zh-CN">``, a ``<meta name="viewport">``, every form field labelled
  (``<label for>`` or ``aria-label``), phone fields ``type="tel"``;
- every script, stylesheet, image and CSS ``url()`` from the server itself;
- no phone number, ID number or name of a citizen shown unmasked.

A form's refused field is named next to it in Chinese and English, with what was typed
still there. One test per device goes through all the pages (the world they show is built
once, not once a page) and lists every page's failures together.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.content import store
from zhengwu.index import access as index_access
from zhengwu.rescue import followup, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import HelpSubmission, IncidentCreate, IncidentUpdate
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.schemas import ActionInput, RequestIntake

from .conftest import TIMEOUT_MS, Offline, shot
from .test_console_world import MONTH, build_console_world

pytestmark = pytest.mark.browser

DEVICES: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2,
              "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}  # fmt: skip
# What citizens wrote that no public page may show as it is (the world's requests and help).
SECRETS = ("13912345678", "13800001111", "13811112222", "410105199001011234", "李小红",
           "张建国", "刘德华")  # fmt: skip
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
LONG_LINK = "https://example.invalid/" + "a" * 90  # one unbreakable word, wider than a phone


@dataclass
class PublicWorld:
    """What the public pages show: an open and a closed incident, a request of the board,
    one whose citizen holds the private link, a help request's follow-up key."""

    incident_id: int
    closed_incident_id: int
    public_id: str
    owned_id: str
    owned_token: str
    followup_token: str
    followup_code: str


@pytest.fixture
def world(committed_engine: Engine) -> PublicWorld:
    """The console test city, its July rankings published, and the citizens' own keys."""
    auth_service._ip_attempts.clear()
    city = build_console_world(committed_engine)
    with Session(committed_engine) as session:
        office, handler = (
            auth_service.principal_of(session.scalars(select(User).filter_by(username=u)).one())
            for u in ("office", "handler")
        )
        with store.open_store(read_only=True) as con:
            index_access.publish(session, con, principal=office, run_id=city.run_id)
        wide = desk_service.receive(session, actor=desk_service.SYSTEM, intake=RequestIntake(
            source="form", adcode="410105",
            text=f"金水区丰产路路灯坏了一个星期，照片见 {LONG_LINK} 身份证410105199001011234"))  # fmt: skip
        owned = desk_service.receive(session, actor=desk_service.SYSTEM, intake=RequestIntake(
            source="form", adcode="410105", citizen_name="李小红", citizen_phone="13912345678",
            text="金水区花园路8号院电梯又停运了，我叫李小红"))  # fmt: skip
        assert owned.citizen_token is not None
        for action, data in (("accept", {}), ("resolve", {"reply_text": "电梯已修复，运行正常。"})):
            desk_service.perform(session, request=owned.request, action=action, actor=handler,
                                 data=ActionInput.model_validate(data))  # fmt: skip
        incident = rescue_service.get_incident(session, incident_id=city.incident_id)
        found = intake.submit(session, incident=incident, actor=rescue_service.SYSTEM,
                              data=HelpSubmission(
                                  text=f"联系人刘德华，身份证410105199001011234，一楼进水 {LONG_LINK}",
                                  name="刘德华", phone="13811112222", people=3,
                                  address="郑州市金水区农业路16号院2号楼"))  # fmt: skip
        issued = followup.issue(session, request=found, phone="13811112222")
        closed = rescue_service.create_incident(session, actor=rescue_service.SYSTEM,
                                                data=IncidentCreate(
                                                    name="郑州暴雨（已结束）", regions=["410100"],
                                                    starts_at=datetime.now(UTC) - timedelta(days=9)))  # fmt: skip
        rescue_service.update_incident(session, incident=closed, actor=rescue_service.SYSTEM,
                                       data=IncidentUpdate(status="closed"))  # fmt: skip
        session.commit()
        assert issued.code is not None
        return PublicWorld(
            incident_id=city.incident_id, closed_incident_id=closed.id,
            public_id=wide.request.public_id, owned_id=owned.request.public_id,
            owned_token=owned.citizen_token, followup_token=issued.token,
            followup_code=issued.code,
        )  # fmt: skip


@pytest.fixture
def device_context(
    request: pytest.FixtureRequest, browser: Browser, live_server: str, offline: Offline
) -> Iterator[BrowserContext]:
    """A fresh profile of the device the test names (``phone`` or ``desktop``), offline."""
    ctx = browser.new_context(base_url=live_server, locale="zh-CN", **DEVICES[request.param])
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    ctx.route("**/*", offline)
    yield ctx
    ctx.close()
    assert offline.attempts == [], f"requests left the machine: {offline.attempts}"


def _refused(page: Page, field: str, *, typed: str | None = None) -> None:
    """Assert that ``field``'s error stands right after it, in Chinese and English, and
    that the field still holds what was typed."""
    error = page.locator(f"#{field} + #{field}-error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text(re.compile(r"[\u4e00-\u9fff]"))
    expect(error.locator("[lang=en]")).to_contain_text(re.compile(r"[A-Za-z]{3}"))
    expect(page.locator(f"#{field}")).to_have_attribute("aria-describedby", f"{field}-error")
    if typed is not None:
        expect(page.locator(f"#{field}")).to_have_value(typed)


# -- how each page is reached (a form's journey asserts its errors on the way) -------------


def _board(page: Page, w: PublicWorld) -> None:
    page.goto("/board/requests")
    expect(page.locator("#to-report")).to_be_visible()


def _board_refused(page: Page, w: PublicWorld) -> None:
    page.goto("/board/requests")
    page.fill("#text", " ")
    page.fill("#address", "丰产路与文化路口")
    page.fill("#citizen_name", "王建国")
    page.fill("#citizen_phone", "12")
    page.get_by_role("button", name="提交", exact=True).click()
    _refused(page, "text")
    _refused(page, "citizen_phone", typed="12")
    expect(page.locator("#address")).to_have_value("丰产路与文化路口")
    expect(page.locator("#citizen_name")).to_have_value("王建国")


def _board_receipt(page: Page, w: PublicWorld) -> None:
    page.goto("/board/requests")
    page.fill("#text", "中原区建设路的井盖丢了，晚上很危险")
    page.fill("#citizen_phone", "136 5555 6666")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("#private-link")).to_be_visible()


def _request(page: Page, w: PublicWorld) -> None:
    page.goto(f"/board/requests/{w.public_id}")
    expect(page.locator("body")).to_contain_text("金水区丰产路路灯坏了")


def _private_request(page: Page, w: PublicWorld) -> None:
    page.goto(f"/board/requests/{w.owned_id}?token={w.owned_token}")
    expect(page.locator("#reopen")).to_be_visible()


def _private_request_refused(page: Page, w: PublicWorld) -> None:
    page.goto(f"/board/requests/{w.owned_id}?token={w.owned_token}")
    page.fill("#rate_reason", "修得很快")
    page.get_by_role("button", name="提交评价").click()  # no satisfaction chosen
    _refused(page, "satisfaction", typed="")
    expect(page.locator("#rate_reason")).to_have_value("修得很快")
    page.fill("#reason", "   ")
    page.get_by_role("button", name="申请重新办理").click()
    _refused(page, "reason", typed="   ")
    expect(page.locator("#satisfaction-error")).to_have_count(0)


def _rescue_board(page: Page, w: PublicWorld) -> None:
    page.goto(f"/board/rescue/{w.incident_id}")
    expect(page.locator("#help-link")).to_be_visible()


def _help_form(page: Page, w: PublicWorld) -> None:
    page.goto(f"/board/rescue/{w.incident_id}/help")


def _help_refused(page: Page, w: PublicWorld) -> None:
    page.goto(f"/board/rescue/{w.incident_id}/help")
    page.fill("#text", "救")
    page.fill("#address", "郑州市中原区桐柏路2号院")
    page.fill("#people", "-3")
    page.fill("#phone", "not-a-phone")
    page.get_by_role("button", name="提交求助").click()
    _refused(page, "text", typed="救")
    _refused(page, "people", typed="-3")
    _refused(page, "phone", typed="not-a-phone")
    expect(page.locator("#address")).to_have_value("郑州市中原区桐柏路2号院")


def _help_receipt(page: Page, w: PublicWorld) -> None:
    page.goto(f"/board/rescue/{w.incident_id}/help")
    page.fill("#text", "一楼进水，两位老人出不去")
    page.fill("#people", "2")
    page.fill("#phone", "137 0000 7777")
    page.get_by_role("button", name="提交求助").click()
    expect(page.locator("#followup-link")).to_be_visible()


def _followup(page: Page, w: PublicWorld) -> None:
    page.goto(f"/board/rescue/followup/{w.followup_token}")
    expect(page.locator("#followup-status")).to_be_visible()


def _followup_refused(page: Page, w: PublicWorld) -> None:
    page.goto(f"/board/rescue/followup/{w.followup_token}")
    page.fill("#text", "水涨到二楼了")
    page.fill("#people", "很多")
    page.fill("#new_phone", "12")
    page.get_by_role("button", name="提交补充").click()
    _refused(page, "people", typed="很多")
    _refused(page, "new_phone", typed="12")
    expect(page.locator("#text")).to_have_value("水涨到二楼了")
    expect(page.locator("#text-error")).to_have_count(0)
    page.fill("#note", "已经转移到亲戚家")
    page.get_by_role("button", name="撤回求助…").click()  # no reason chosen
    _refused(page, "reason")
    expect(page.locator("#note")).to_have_value("已经转移到亲戚家")


def _withdraw_confirm(page: Page, w: PublicWorld) -> None:
    page.goto(f"/board/rescue/followup/{w.followup_token}")
    page.get_by_label("已自行脱险 / 已获救").check()
    page.get_by_role("button", name="撤回求助…").click()
    expect(page.locator("#withdraw-confirm")).to_be_visible()


def _followup_lookup(page: Page, w: PublicWorld) -> None:
    page.goto("/board/rescue/followup")
    page.fill("#phone", "138 1111 2222")
    page.fill("#code", w.followup_code)
    page.get_by_role("button", name="查看").click()
    expect(page.locator("#followup-status")).to_be_visible()


def _closed_incident(page: Page, w: PublicWorld) -> None:
    page.goto(f"/board/rescue/{w.closed_incident_id}/help")
    expect(page.locator("#incident-closed")).to_be_visible()


def _rankings(page: Page, w: PublicWorld) -> None:
    page.goto("/rankings")
    expect(page.locator("#board li").first).to_be_visible()


def _report(page: Page, w: PublicWorld) -> None:
    page.goto(f"/reports/zhengwu-4d/{MONTH}.html")
    expect(page.locator("#summary")).to_be_visible()


def _login(page: Page, w: PublicWorld) -> None:
    page.goto("/login")


def _not_found(page: Page, w: PublicWorld) -> None:
    page.goto("/board/requests/SR000000NONE")
    expect(page.locator(".error-page")).to_be_visible()


PAGES: tuple[tuple[str, Callable[[Page, PublicWorld], None]], ...] = (
    ("board", _board), ("board-form-refused", _board_refused), ("board-receipt", _board_receipt),
    ("request", _request), ("request-private", _private_request),
    ("request-private-refused", _private_request_refused), ("rescue-board", _rescue_board),
    ("help-form", _help_form), ("help-form-refused", _help_refused),
    ("help-receipt", _help_receipt), ("followup", _followup),
    ("followup-refused", _followup_refused), ("followup-withdraw-confirm", _withdraw_confirm),
    ("followup-lookup", _followup_lookup), ("incident-closed", _closed_incident),
    ("rankings", _rankings), ("report", _report), ("login", _login), ("not-found", _not_found),
)  # fmt: skip

# What the page itself says of the properties above (one evaluation a page).
PROBE = r"""() => {
  const shown = (el) => { const s = getComputedStyle(el); const r = el.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0; };
  const scrolls = (el) => { for (let p = el; p && p !== document.body; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return true; }
    return false; };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.getAttribute('name') ? '[name=' + el.getAttribute('name') + ']' : '') +
    ' "' + (el.innerText || el.value || '').trim().slice(0, 16) + '"';
  const out = { lang: document.documentElement.getAttribute('lang'),
    viewport: (document.querySelector('meta[name=viewport]') || {}).content || null,
    innerWidth: innerWidth, scrollWidth: document.scrollingElement.scrollWidth,
    tables: [], small: [], unlabelled: [], phones: [], tiny: [], outside: [],
    text: document.body.innerText };
  for (const t of document.querySelectorAll('table')) if (!scrolls(t)) out.tables.push(name(t));
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walk.nextNode());) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || !shown(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 12) out.small.push(size + 'px ' + name(el));
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) ||
      el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!labelled) out.unlabelled.push(name(el));
    if (/phone/.test(el.name || el.id) && el.type !== 'tel') out.phones.push(name(el) + ' ' + el.type);
  }
  for (const el of document.querySelectorAll('a[href], button, input, select, textarea, summary')) {
    if (el.type === 'hidden' || !shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 24 || r.height < 24) out.tiny.push(name(el) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
  }
  const foreign = (u) => { try { return new URL(u, location.href).origin !== location.origin; }
    catch (e) { return true; } };
  for (const [sel, attr] of [['script[src]', 'src'], ['link[href]', 'href'], ['img[src]', 'src'],
      ['iframe[src]', 'src'], ['source[src]', 'src'], ['video[src]', 'src'], ['audio[src]', 'src']])
    for (const el of document.querySelectorAll(sel)) if (foreign(el[attr])) out.outside.push(sel + ' ' + el[attr]);
  for (const sheet of document.styleSheets) for (const rule of sheet.cssRules)
    for (const m of rule.cssText.matchAll(/url\(\s*["']?([^"')]+)/g))
      if (!m[1].startsWith('data:') && foreign(m[1])) out.outside.push('css ' + m[1]);
  for (const el of document.querySelectorAll('[style*="url("]'))
    for (const m of el.getAttribute('style').matchAll(/url\(\s*["']?([^"')]+)/g))
      if (!m[1].startsWith('data:') && foreign(m[1])) out.outside.push('style ' + m[1]);
  return out;
}"""


def _problems(page: Page, width: int) -> list[str]:
    """Return what is wrong with the page shown (empty when nothing is)."""
    seen: dict[str, Any] = page.evaluate(PROBE)
    problems = []
    if seen["lang"] != "zh-CN":
        problems.append(f"<html lang> is {seen['lang']!r}")
    if not seen["viewport"] or "width=device-width" not in seen["viewport"]:
        problems.append(f"meta viewport is {seen['viewport']!r}")
    if seen["innerWidth"] != width or seen["scrollWidth"] > seen["innerWidth"] + 1:
        problems.append(f"scrolls sideways: {seen['scrollWidth']} px in a {width} px viewport "
                        f"(layout viewport {seen['innerWidth']})")  # fmt: skip
    for key, what in (("tables", "table outside a scrolling box"), ("small", "text under 12 px"),
                      ("unlabelled", "field without a label"), ("phones", "phone field not tel"),
                      ("tiny", "tap target under 24 px"), ("outside", "asset not from the server")):  # fmt: skip
        problems += [f"{what}: {item}" for item in seen[key][:5]]
    text = seen["text"]
    problems += [f"shows {secret}" for secret in SECRETS if secret in text]
    problems += [f"shows a mobile {m}" for m in MOBILE.findall(text)]
    problems += [f"shows an ID number {m}" for m in ID_NUMBER.findall(text)]
    return problems


@pytest.mark.parametrize("device_context", list(DEVICES), indirect=True)
def test_every_public_page_fits_reads_and_stays_offline(
    device_context: BrowserContext, world: PublicWorld, request: pytest.FixtureRequest
) -> None:
    device = request.node.callspec.params["device_context"]
    width = DEVICES[device]["viewport"]["width"]
    page = device_context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    failures: dict[str, list[str]] = {}
    for name, reach in PAGES:
        script_errors.clear()
        reach(page, world)
        problems = _problems(page, width) + [f"script error: {e}" for e in script_errors]
        if problems:
            failures[name] = problems
            shot(page, f"mobile-{device}-{name}")
    assert failures == {}, "\n".join(f"{n}: {p}" for n, ps in failures.items() for p in ps)


@pytest.mark.parametrize("device_context", ["phone"], indirect=True)
def test_a_citizen_rates_and_reopens_from_the_private_link(
    device_context: BrowserContext, world: PublicWorld
) -> None:
    # The 评价 and 重新办理 forms of the private link post the token with the answer: the
    # rating and the reopening are taken, and the page comes back with its new state.
    page = device_context.new_page()
    page.goto(f"/board/requests/{world.owned_id}?token={world.owned_token}")
    page.select_option("#satisfaction", "4")
    page.fill("#rate_reason", "修得很快")
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("body")).to_contain_text("满意度：4 / 5")
    expect(page.locator("#rate")).to_have_count(0)  # rated once
    page.fill("#reason", "电梯今天又停了")
    page.get_by_role("button", name="申请重新办理").click()
    expect(page.locator(".state")).to_have_text("已重启")
    expect(page.locator("#reopen")).to_have_count(0)
    assert f"token={world.owned_token}" in page.url
    shot(page, "mobile-phone-request-reopened")
