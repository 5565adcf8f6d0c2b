"""The report rendered: one self-contained HTML file, and a PDF whose Chinese text is readable."""

from __future__ import annotations

import html
import io
import re

import pypdf
import pytest
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

from zhengwu.reports import pdf
from zhengwu.reports.html import render_html
from zhengwu.reports.markdown import to_blocks
from zhengwu.reports.model import build_report
from zhengwu.reports.pdf import render_pdf

from .conftest import World

JULY = "zhengwu-4d/2025-07"
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def test_html_is_self_contained_with_lists_and_methodology(scenario: World) -> None:
    report = build_report(scenario.con, JULY, top=3)
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    for row in report.top_lists[0]["rows"]:
        assert row["name"] in page
    assert "平安郑州" in page
    assert "合规门槛（国办秘函〔2019〕19号）" in page  # the methodology appendix, as HTML
    assert "<table>" in page and "<th>维度</th>" in page  # its tables rendered
    assert "最佳政务公安微博" in page  # the default awards
    assert "停更的账号" in page and "检查日前无更新" in page  # failing, with the reason
    assert "@page" in page and "size: A4" in page
    assert page.count("<svg") >= 3  # Top-N, dimension means, distribution
    assert EXTERNAL.search(page) is None, EXTERNAL.search(page)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "http" not in re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", page)


# Four or more ASCII words in a row: an English-only sentence (code spans are taken out).
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,;:()]+[A-Za-z][A-Za-z'’-]*){3,}")


def test_methodology_appendix_is_in_chinese(scenario: World) -> None:
    report = build_report(scenario.con, JULY, top=3)
    page = render_html(report)
    section = page[page.index('<section id="methodology"') :]
    section = section[: section.index("</section>")]
    body = section[section.index("</h2>") :]  # the heading is 附录：方法说明 with its English
    note = body[body.index('<p class="meta" id="methodology-note">') :]
    body = body.replace(note[: note.index("</p>")], "")  # so is the note on the text's version
    prose = re.sub(r"<code>.*?</code>", " ", body, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", prose))
    assert ENGLISH_RUN.findall(text) == []
    assert "每周为周一至周日" in text and "缺失数据与权重重新归一" in text
    assert "合规门槛（国办秘函〔2019〕19号）" in text and "默认 14 天" in text
    for dim in ("传播力", "互动力", "服务力", "认同度"):
        assert f"<td>{dim}</td>" in body


def test_html_escapes_names(scenario: World) -> None:
    scenario.account("weibo", "x1", name="<script>alert(1)</script>")
    scenario.daily("weibo", "x1", "2025-07-01", 31, likes=500, reposts=50, comments=100)
    scenario.run("2025-07")
    page = render_html(build_report(scenario.con, JULY))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_pdf_is_valid_and_its_text_is_extractable(scenario: World) -> None:
    report = build_report(scenario.con, JULY)
    data = render_pdf(report)
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 5  # summary, Top lists, awards, groups, compliance, appendix
    assert reader.metadata is not None
    assert reader.metadata.title == "政务新媒体影响力指数（四维） · 2025-07 影响力报告"
    text = "\n".join(page.extract_text() for page in reader.pages)
    # STSong-Light is a CID font with a Unicode CMap (UniGB-UCS2-H): pypdf maps it back.
    assert report.top_lists[0]["rows"][0]["name"] in text
    assert "平安郑州" in text
    assert "附录：方法说明" in text
    assert "最佳政务公安微博" in text
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[union-attr]
    }
    assert "/STSong-Light" in {f.split("-UniGB")[0] for f in fonts}


def test_methodology_blocks() -> None:
    blocks = to_blocks("# T\n\n- a `x`\n  - b\n\n| h1 | h2 |\n|---|---|\n| 1 | <2> |\n\ntext **b**")
    kinds = [(b.kind, b.level) for b in blocks]
    assert kinds == [("heading", 1), ("bullet", 1), ("bullet", 2), ("table", 0), ("paragraph", 0)]
    assert blocks[1].text == 'a <font face="Courier">x</font>'
    assert blocks[3].rows == [["h1", "h2"], ["1", "&lt;2&gt;"]]


def _table_pdf(cell: type[Paragraph]) -> bytes:
    """Return a long table of wrapping Chinese cells of class ``cell``, laid out over pages."""
    pdf._register_font()
    style = pdf._styles()["cell"]
    rows = [
        [cell(str(i), style), cell(f"郑州市第{i}区政务新媒体账号" * (1 + i % 4), style),
         cell("；".join(f"{k}. 平安郑州{i}号 ({99.5 - k:.1f}) ↑{k}" for k in range(1, 4)), style)]
        for i in range(400)
    ]  # fmt: skip
    table = Table(rows, colWidths=[14 * mm, 50 * mm, 100 * mm], repeatRows=1)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build([table])
    return buffer.getvalue()


def test_cells_laid_out_once_give_the_same_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    # The cells keep their line breaks per width; the PDF must be the one plain
    # paragraphs give, byte for byte (no dates or ids in an invariant PDF).
    monkeypatch.setattr(rl_config, "invariant", 1)
    fast, plain = _table_pdf(pdf._Cell), _table_pdf(Paragraph)
    assert len(pypdf.PdfReader(io.BytesIO(plain)).pages) > 5  # the table splits over pages
    assert fast == plain
    cell = pdf._Cell("政务新媒体" * 20, pdf._styles()["cell"])
    narrow, wide = cell.wrap(60, 1000), cell.wrap(300, 1000)
    assert narrow[1] > wide[1] and cell.wrap(60, 1000) == narrow  # a new width, a new layout
