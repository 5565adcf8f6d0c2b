"""A report's methodology appendix is the text stored with the run — a published record —
and says so, with the generator version that wrote it; when today's generator words the
same configuration otherwise, today's text follows in an appendix of its own."""

from __future__ import annotations

import io

import pypdf
import pytest

from zhengwu.index import methodology
from zhengwu.reports.html import render_html
from zhengwu.reports.model import build_report
from zhengwu.reports.pdf import render_pdf
from zhengwu.reports.service import cache_key

from .conftest import World

JULY = "zhengwu-4d/2025-07"


def _version() -> int:
    return methodology.GENERATOR_VERSION


def _mark() -> str:
    """Return the line of the Chinese text that names its generator's version."""
    return f"- 文本：方法说明生成器第 {_version()} 版\n"


def _section(page: str, section: str) -> str:
    part = page[page.index(f'<section id="{section}"') :]
    return part[: part.index("</section>")]


def _stored_by_an_older_generator(world: World, **columns: str) -> None:
    """Make the stored July text one an older generator wrote: no version named (version 1)
    and one sentence worded otherwise."""
    assignments = "".join(f", {name} = ?" for name in columns)
    world.con.execute(
        "UPDATE index_runs SET methodology = replace(replace(methodology, ?, ''), "
        f"'每周为周一至周日。', '每周从周一算起（旧措辞）。'){assignments} WHERE run_id = ?",
        [_mark(), *columns.values(), JULY],
    )


def test_a_fresh_run_shows_its_text_with_the_generator_version(scenario: World) -> None:
    report = build_report(scenario.con, JULY)
    assert _mark() in report.methodology
    assert report.methodology_current is None
    page = render_html(report)
    note = page[page.index('id="methodology-note"') :]
    note = note[: note.index("</p>")]
    assert f"以下为本次运行时存储的方法说明（方法说明生成器第 {_version()} 版）" in note
    assert f"methodology generator version {_version()}" in note
    assert '<section id="methodology-current"' not in page


def test_an_older_text_stays_and_todays_text_follows(scenario: World) -> None:
    _stored_by_an_older_generator(scenario)
    report = build_report(scenario.con, JULY)
    page = render_html(report)
    stored = _section(page, "methodology")
    assert "每周从周一算起（旧措辞）" in stored  # the run's own text, not rewritten
    assert "方法说明生成器第 1 版" in stored
    assert f"现行生成器第 {_version()} 版对同一配置的文字有所不同" in stored
    current = _section(page, "methodology-current")
    assert "附录：方法说明（现行文本）" in current
    assert "每周为周一至周日" in current and "旧措辞" not in current
    assert f"方法说明生成器第 {_version()} 版" in current
    # Today's text is the one the generator gives now for the run's configuration and period.
    assert report.methodology_current is not None
    assert "统计周期：2025-07（月），2025-07-01 至 2025-07-31" in report.methodology_current
    text = "\n".join(
        p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render_pdf(report))).pages
    )
    assert "旧措辞" in text
    assert "附录：方法说明（现行文本）" in text


def test_no_current_text_for_a_configuration_changed_since(scenario: World) -> None:
    _stored_by_an_older_generator(scenario, system_digest="0000000000000000")
    report = build_report(scenario.con, JULY)
    assert report.methodology_current is None
    page = render_html(report)
    assert "本次运行所用的配置已更改或已不可得，不能生成其现行文本" in _section(page, "methodology")
    assert "the configuration this run used has changed" in _section(page, "methodology")
    assert '<section id="methodology-current"' not in page


def test_the_text_names_its_generator_version() -> None:
    from zhengwu.index.system import load_system

    system = load_system("zhengwu-4d")
    assert methodology.generator_version(methodology.render(system)) == _version()
    assert methodology.generator_version(methodology.render(system, lang="en")) == _version()
    assert (
        methodology.generator_version("# 旧文本\n\n- 体系：`zhengwu-4d`") == 1
    )  # written before versions


def test_a_kept_report_is_built_again_for_a_new_generator(
    scenario: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = cache_key(scenario.con, JULY, "html")
    monkeypatch.setattr(methodology, "GENERATOR_VERSION", _version() + 1)
    assert cache_key(scenario.con, JULY, "html") != before
