"""The report as a PDF (reportlab): tables for the lists, bar charts, a methodology appendix.

Chinese is set in reportlab's built-in CID font ``STSong-Light`` (Adobe's Song typeface
that every PDF reader provides for the Adobe-GB1 character collection), so no font file is
shipped, downloaded or looked for: the PDF is produced offline on a fresh machine. The
reader draws the glyphs with its own copy of the font.
"""

from __future__ import annotations

import io
from html import escape
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    CondPageBreak,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from zhengwu.reports import markdown
from zhengwu.reports.model import Report, platform_label

FONT = "STSong-Light"
RED, INK, MUTE, LINE, HEAD = (
    colors.HexColor("#9b1c1c"), colors.HexColor("#1f2933"), colors.HexColor("#66788a"),
    colors.HexColor("#e4e7eb"), colors.HexColor("#f5f0ef"),
)  # fmt: skip
WIDTH = A4[0] - 28 * mm


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14, textColor=INK,
                          wordWrap="CJK")  # fmt: skip
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontSize=20, leading=26, textColor=RED),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, textColor=MUTE),
        "h2": ParagraphStyle("h2", parent=base, fontSize=14, leading=20, textColor=RED,
                             spaceBefore=8, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=base, fontSize=11, leading=16, spaceBefore=6,
                             spaceAfter=2),
        "meta": ParagraphStyle("meta", parent=base, fontSize=8, leading=11, textColor=MUTE),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "bullet": ParagraphStyle("bullet", parent=base, fontSize=8.5, leading=12, leftIndent=10,
                                 bulletIndent=2),
    }  # fmt: skip


S: dict[str, ParagraphStyle] = {}


class _Cell(Paragraph):  # type: ignore[misc]  # reportlab has no types
    """A table cell's paragraph that breaks its lines once per width.

    reportlab lays out every cell of a table up to three times with the same width (the
    row heights, again for each piece a page break splits the table into, and to draw it),
    and breaks Chinese text character by character, measuring each: a national report has
    ~12,000 cells. The lines depend on the width alone (text and style never change), so
    the first result for a width is kept: the PDF is byte for byte the same, in ~2/3 of
    the time.
    """

    _laid_out: tuple[float, tuple[float, float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        """Return (width, height) at ``availWidth``, breaking the lines only when it changed."""
        if self._laid_out is None or self._laid_out[0] != availWidth:
            self._laid_out = (availWidth, super().wrap(availWidth, availHeight))
        return self._laid_out[1]


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(escape(text, quote=False), S[style])


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return str(value) if isinstance(value, int) else f"{value:.{digits}f}"


def _movement(value: Any) -> str:
    if value is None:
        return "—"
    if value == "new":
        return "新上榜"
    return f"↑{value}" if value > 0 else (f"↓{-value}" if value < 0 else "＝")


def _heading(zh: str, en: str, style: str = "h2") -> Paragraph:
    size = 8 if style == "h2" else 7.5
    return Paragraph(
        f'{escape(zh)} <font size="{size}" color="#66788a">{escape(en)}</font>', S[style]
    )


def _table(header: list[str], rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    """Return a list as a table: header on every page, wrapping cells, zebra-free lines."""
    data = [[_Cell(escape(str(h)), S["cell"]) for h in header]]
    data += [[c if isinstance(c, Flowable) else _Cell(escape(str(c)), S["cell"]) for c in r]
             for r in rows]  # fmt: skip
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))  # fmt: skip
    return table


def _bars(items: list[tuple[str, float]], title: str, color: str = "#2d6cdf") -> Drawing:
    """Return horizontal bars (best first, top to bottom) with their labels and a title."""
    bar_h = 12
    height = max(len(items), 1) * (bar_h + 4) + 34
    drawing = Drawing(WIDTH, height)
    drawing.add(String(0, height - 12, title, fontName=FONT, fontSize=9, fillColor=INK))
    if not items:
        drawing.add(String(0, height - 28, "暂无数据 no data", fontName=FONT, fontSize=8))
        return drawing
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 12
    chart.width, chart.height = WIDTH - 200, height - 34
    chart.data = [[v for _, v in reversed(items)]]
    chart.categoryAxis.categoryNames = [label[:16] for label, _ in reversed(items)]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor(color)
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%.1f"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing


def _summary(r: Report) -> list[Flowable]:
    h = r.headline
    out: list[Flowable] = [_heading("一、总体情况", "1. Summary")]
    out.append(_table(
        ["参评账号 scored", "纳入排行 ranked", "未通过合规 failing", "机构 organisations",
         "平台 platforms", "矩阵 matrices"],
        [[h["accounts"], h["ranked"], h["failing"], h["organizations"], h["platforms"],
          h["matrices"]]],
    ))  # fmt: skip
    out.append(_table(
        ["平台 platform", "参评 scored", "纳入排行 ranked", "未通过 failing", "平均分 mean",
         "中位数 median", "最高分 best"],
        [[p["label"], p["scored"], p["ranked"], p["failing"], _num(p["mean_score"]),
          _num(p["median_score"]), _num(p["best_score"])] for p in r.platform_summary],
    ))  # fmt: skip
    if r.dimensions:
        out.append(_heading("各维度均值", "Mean by dimension (ranked accounts)", "h3"))
        out.append(_table(
            ["维度 dimension", *[platform_label(p) for p in r.platforms]],
            [[f"{d['name']} {d['key']}", *[_num(d["shown"].get(p), 1) for p in r.platforms]]
             for d in r.dimensions],
        ))  # fmt: skip
        for p in r.platforms:
            if any(d["shown"].get(p) is not None for d in r.dimensions):
                items = [(d["name"], d["shown"].get(p) or 0.0) for d in r.dimensions]
                out.append(_bars(items, f"{platform_label(p)} 各维度均值 dimension means"))
    out.append(_heading("得分分布", "Distribution of scores", "h3"))
    for d in r.distribution:
        items = [(f"{b['low']:.0f}–{b['high']:.0f}", float(b["count"])) for b in d["bins"]]
        out.append(_bars(items, f"{d['label']} 得分分布（账号数）", color="#1e7e34"))
    return out


def _top(r: Report) -> list[Flowable]:
    out: list[Flowable] = [
        PageBreak(),
        _heading(f"二、各平台 Top {r.top}", f"2. Top {r.top} per platform"),
    ]
    out.append(_p("最强维度：该账号在同组中标准化得分最高的维度。Strongest dimension: where the "
                  "account stands highest among its peers (normalised 0–100).", "meta"))  # fmt: skip
    for t in r.top_lists:
        out += [CondPageBreak(60 * mm), _heading(t["label"], t["platform"], "h3")]
        if not t["rows"]:
            out.append(_p(_no_list(t), "meta"))
            continue
        out.append(_bars([(row["name"], row["score"] or 0.0) for row in t["rows"]],
                         f"{t['label']} Top {r.top} 得分 scores"))  # fmt: skip
        out.append(_table(
            ["名次", "变化", "账号 account", "机构 body", "系统", "层级", "得分", "最强维度"],
            [[row["rank"], _movement(row["movement"]), row["name"], row["org_name"] or "—",
              row["sector"] or "—", row["level"] or "—", _num(row["score"]),
              f"{row['strongest']['name']} {_num(row['strongest']['value'], 1)}"
              if row.get("strongest") else "—"] for row in t["rows"]],
            [12 * mm, 14 * mm, 38 * mm, 42 * mm, 16 * mm, 12 * mm, 16 * mm, 30 * mm],
        ))  # fmt: skip
    return out


def _awards(r: Report) -> list[Flowable]:
    out: list[Flowable] = [PageBreak(), _heading("三、奖项", "3. Awards")]
    for a in r.awards:
        scope = " · ".join(
            x for x in (a["platform_label"], a["sector"], a["level"], a["region"]) if x
        )
        out += [CondPageBreak(40 * mm), _heading(a["title"], f"{a['title_en']} · {scope}", "h3")]
        if not a["winners"]:
            out.append(_p("本期无符合条件的账号。No eligible account this period.", "meta"))
            continue
        out.append(_table(
            ["名次 place", "账号 account", "机构 body", "平台名次 rank", "得分 score"],
            [[w["place"], w["name"], w["org_name"] or "—", w["rank"], _num(w["score"])]
             for w in a["winners"]],
            [18 * mm, 52 * mm, 60 * mm, 24 * mm, 24 * mm],
        ))  # fmt: skip
    return out


def _groups(r: Report) -> list[Flowable]:
    out: list[Flowable] = [PageBreak()]
    if r.organizations:
        out.append(_heading("四、机构综合排行", "4. Organisations across platforms"))
        out.append(_table(
            ["名次", "变化", "机构 body", "系统", "层级", "综合得分"],
            [[o["rank"], _movement(o["movement"]), o["name"], o["sector"] or "—",
              o["level"] or "—", _num(o["score"])] for o in r.organizations],
        ))  # fmt: skip
    out.append(_heading("五、分类榜单", "5. Top lists by sector, level, region and matrix"))
    for g in r.group_lists:
        out.append(_heading(f"{g['title_zh']} · {g['label']}", g["title_en"], "h3"))
        out.append(_table(
            ["分组 group", "纳入", "前列 leaders"],
            [[grp["group_name"], grp["size"],
              "；".join(f"{row['rank']}. {row['name']} ({_num(row['score'], 1)}) "
                       f"{_movement(row['movement'])}" for row in grp["rows"])]
             for grp in g["groups"]],
            [36 * mm, 14 * mm, WIDTH - 50 * mm],
        ))  # fmt: skip
    if r.matrices:
        out.append(_heading("矩阵指数", "Matrix index", "h3"))
        out.append(_table(
            ["平台", "名次", "矩阵 matrix", "指数", "头部均值", "开通率", "活跃率", "成员"],
            [[platform_label(m["platform"]), m["rank"], m["matrix_name"], _num(m["score"]),
              _num(m["top_mean"]), f"{m['coverage'] * 100:.1f}%", f"{m['activity'] * 100:.1f}%",
              m["members"]] for m in r.matrices],
        ))  # fmt: skip
    return out


def _no_list(t: dict[str, Any]) -> str:
    """Say why a platform has no Top list: the gate, or accounts without usable counts."""
    if not t["no_data"]:
        return "本平台没有通过合规检查的账号，无排行。No account passed the gate."
    return (f"本平台没有纳入排行的账号：未通过合规检查 {t['failing']} 个，没有可用数据"
            f"（计数未报告）{t['no_data']} 个。No account is ranked: {t['failing']} failed the "
            f"gate, {t['no_data']} had no usable data (counts not reported).")  # fmt: skip


def _compliance(r: Report) -> list[Flowable]:
    c = r.compliance
    out: list[Flowable] = [
        PageBreak(), _heading("六、合规检查", "6. Compliance gate (国办秘函〔2019〕19号)"),
        _p(f"未通过合规检查的账号 {c['failing']} 个，已计分但未纳入排行。"
           f"{c['failing']} accounts failed the gate: scored, but left out of every ranking."),
    ]  # fmt: skip
    if c["left_out"] > c["failing"]:
        more = c["left_out"] - c["failing"]
        out.append(_p(f"另有 {more} 个账号没有可用数据（计数未报告，不是 0），不计分、不排名。"
                      f"{more} more had no usable data (counts not reported, which is not 0): "
                      "no score, not ranked."))  # fmt: skip
    if c["by_reason"]:
        out.append(_table(["平台 platform", "原因 reason", "账号数 accounts"],
                          [[platform_label(x["platform"]), f"{x['label']} ({x['reason']})",
                            x["accounts"]] for x in c["by_reason"]]))  # fmt: skip
    if c["accounts"]:
        out.append(_heading("未纳入排行的账号", f"Accounts left out (first {c['shown']})", "h3"))
        out.append(_table(
            ["平台", "账号 account", "机构 body", "得分", "原因 reasons"],
            [[platform_label(x["platform"]), x["name"], x["org_name"] or "—", _num(x["score"]),
              "、".join(x["reasons"])] for x in c["accounts"]],
        ))  # fmt: skip
    return out


def _methodology(r: Report) -> list[Flowable]:
    out: list[Flowable] = [
        PageBreak(),
        _heading("附录：方法说明", "Appendix: methodology (from the configuration this run used)"),
        _p(" ".join(r.methodology_note), "meta"),
        *_markdown(r.methodology),
    ]
    if r.system_digest:
        out.append(_p(f"配置文件摘要 configuration sha256 {r.system_digest}", "meta"))
    if r.methodology_current is not None:
        out += [
            PageBreak(),
            _heading("附录：方法说明（现行文本）",
                     "Appendix: methodology as the current generator words the same configuration"),
            _p("本次运行的结果不变；以下仅为现行生成器对同一配置的说明。 The run's results do not "
               "change; this is only how the current generator describes the same configuration.",
               "meta"),
            *_markdown(r.methodology_current),
        ]  # fmt: skip
    return out


def _markdown(text: str) -> list[Flowable]:
    """Return the methodology's Markdown as flowables."""
    out: list[Flowable] = []
    for block in markdown.to_blocks(text):
        if block.kind == "heading":
            out.append(Paragraph(block.text, S["h3"]))
        elif block.kind == "bullet":
            style = ParagraphStyle("b", parent=S["bullet"], leftIndent=10 * block.level)
            out.append(Paragraph(block.text, style, bulletText="•"))
        elif block.kind == "table" and block.rows:
            data = [[_Cell(c, S["cell"]) for c in row] for row in block.rows]
            table = Table(data, repeatRows=1, hAlign="LEFT")
            table.setStyle(TableStyle([
                ("BACKGROUND", (0, 0), (-1, 0), HEAD), ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]))  # fmt: skip
            out.append(table)
        else:
            out.append(Paragraph(block.text, S["body"]))
    return out


def render_pdf(report: Report) -> bytes:
    """Return the report as PDF bytes (A4, Chinese in the built-in STSong-Light)."""
    _register_font()
    S.update(_styles())
    buffer = io.BytesIO()
    title = f"{report.title_zh} · {report.period} 影响力报告"

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTE)
        canvas.drawString(14 * mm, 10 * mm, f"zhengwu · {report.run_id}")
        canvas.drawRightString(A4[0] - 14 * mm, 10 * mm, f"第 {doc.page} 页 page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=16 * mm,
        bottomMargin=18 * mm, title=title, author="zhengwu 政务新媒体开放平台",
        subject=f"{report.system} {report.period} influence report", creator="zhengwu",
    )  # fmt: skip
    story: list[Flowable] = [
        Paragraph(escape(title), S["title"]),
        _p(f"{report.title_en} — influence report {report.period}", "subtitle"),
        Spacer(1, 3 * mm),
        _p(f"统计周期 period {report.start_date} … {report.end_date}（{report.days} 天）· 合规检查日 "
           f"check date {report.check_date} · 体系 system {report.system} "
           f"{report.system_version or ''} · 计算于 computed {report.computed_at}", "meta"),
        _p(f"名次变化对比 movement against {report.previous_run}" if report.previous_run
           else "没有上一周期的结果，不显示名次变化 no previous period stored", "meta"),
        Spacer(1, 4 * mm),
    ]  # fmt: skip
    story += _summary(report) + _top(report) + _awards(report) + _groups(report)
    story += _compliance(report) + _methodology(report)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
