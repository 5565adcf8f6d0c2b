"""The report as one self-contained HTML file: inline CSS (A4, print-friendly), inline SVG.

No script, no font download, no external asset: the file opens the same offline, from a
mail attachment or a USB stick, and prints on A4. Chinese first, English subtitles.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from zhengwu.reports import markdown
from zhengwu.reports.model import Report, platform_label, reason_label
from zhengwu.web import charts


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def _movement(value: Any) -> Markup:
    """Return the movement of a row as a small marked-up label."""
    if value is None:
        return Markup("—")
    if value == "new":
        return Markup('<span class="new">新上榜 new</span>')
    if value > 0:
        return Markup(f'<span class="up">↑{int(value)}</span>')
    if value < 0:
        return Markup(f'<span class="down">↓{-int(value)}</span>')
    return Markup("＝")


_ENV = Environment(
    loader=PackageLoader("zhengwu.reports", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(num=_num, movement=_movement, reason=reason_label)
_ENV.globals.update(platform_label=platform_label)


def _charts(report: Report) -> dict[str, Any]:
    """Return the report's SVG charts (as markup) by name."""
    top = {
        t["platform"]: charts.ranking_bars(
            [charts.RankBar(r["rank"], r["name"] or r["account_uid"], r["score"] or 0.0)
             for r in t["rows"]],
            title=f"{t['label']} 前 {report.top} 名得分 Top-{report.top} scores",
            max_score=100.0 if all((r["score"] or 0) <= 100 for r in t["rows"]) else 0.0,
        )
        for t in report.top_lists
    }  # fmt: skip
    dimensions = {
        platform: charts.bar_chart(
            [(d["name"], d["shown"].get(platform) or 0.0) for d in report.dimensions],
            title=f"{platform_label(platform)} 各维度均值 dimension means",
        )
        for platform in report.platforms
        if any(d["shown"].get(platform) is not None for d in report.dimensions)
    }
    distribution = {
        d["platform"]: charts.bar_chart(
            [(f"{b['low']:.0f}–{b['high']:.0f}", float(b["count"])) for b in d["bins"]],
            title=f"{d['label']} 得分分布 score distribution", color=charts.PALETTE[2],
            unit=" 个",
        )
        for d in report.distribution
    }  # fmt: skip
    return {
        "top": {k: Markup(v) for k, v in top.items()},
        "dimensions": {k: Markup(v) for k, v in dimensions.items()},
        "distribution": {k: Markup(v) for k, v in distribution.items()},
    }


def render_html(report: Report) -> str:
    """Return the report as one self-contained HTML document."""
    current = report.methodology_current
    return _ENV.get_template("report.html").render(
        r=report, charts=_charts(report), methodology=Markup(markdown.to_html(report.methodology)),
        current_methodology=Markup(markdown.to_html(current)) if current is not None else None,
    )  # fmt: skip
