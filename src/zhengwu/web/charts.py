"""Server-rendered SVG charts of the console: lines, bars, ranking bars and a county grid map.

Every chart is a self-contained ``<svg>`` string (no script, no external asset, no font
download), so a page works offline and a screenshot looks the same everywhere. Texts are
XML-escaped here; templates insert the result as markup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from zhengwu.web import tilemap

PALETTE = ("#c0392b", "#2d6cdf", "#1e7e34", "#b7791f", "#6b46c1", "#0f766e")
INK, MUTE, GRID = "#1f2933", "#66788a", "#e4e7eb"
FONT = 'font-family="PingFang SC, Microsoft YaHei, WenQuanYi Micro Hei, sans-serif"'


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a line chart: a name and one value per x label (None = no data)."""

    name: str
    values: Sequence[float | None]
    color: str | None = None


@dataclass(frozen=True, slots=True)
class RankBar:
    """One row of a ranking chart."""

    rank: int | None
    label: str
    score: float
    highlight: bool = False
    excluded: bool = False


@dataclass(frozen=True, slots=True)
class CountyCell:
    """One county (区县) of the grid map with its counts.

    ``approximate``: the division table has no centroid for it, so ``lon``/``lat`` are an
    ancestor's (:func:`zhengwu.web.console.places.centroid`) and its tile says so.
    """

    adcode: str
    name: str
    lon: float | None
    lat: float | None
    requests: int = 0
    help_requests: int = 0
    approximate: bool = False


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def fmt_number(value: float | None) -> str:
    """Return a compact label for ``value`` (integers without decimals, 万 for large ones)."""
    if value is None:
        return "–"
    if abs(value) >= 100_000:
        return f"{value / 10_000:.1f}万"
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def _open(width: int, height: int, title: str, kind: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{_e(title)}" {FONT} font-size="12">',
        f"<title>{_e(title)}</title>",
    ]


def _empty(width: int, height: int, title: str, kind: str) -> str:
    parts = _open(width, height, title, kind)
    parts.append(
        f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" '
        f'fill="{MUTE}">暂无数据 no data</text></svg>'
    )
    return "".join(parts)


def _nice_max(value: float) -> float:
    """Return a round upper bound ≥ ``value`` for an axis (1, 2, 5 × 10^k)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
) -> str:
    """Return a line chart of ``series`` over the x ``labels`` (e.g. posts per day)."""
    values = [v for s in series for v in s.values if v is not None]
    if not labels or not values:
        return _empty(width, height, title, "line")
    left, right, top, bottom = 48, 12, 24, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max(values))
    step = plot_w / max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return left + i * step if len(labels) > 1 else left + plot_w / 2

    def y(v: float) -> float:
        return top + plot_h - (v / top_value) * plot_h

    parts = _open(width, height, title, "line")
    for frac in (0.0, 0.5, 1.0):
        gy = top + plot_h - frac * plot_h
        parts.append(
            f'<line x1="{left}" y1="{gy:.1f}" x2="{width - right}" y2="{gy:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{gy + 4:.1f}" text-anchor="end" fill="{MUTE}">'
            f"{_e(fmt_number(top_value * frac))}</text>"
        )
    ticks = sorted({0, len(labels) // 2, len(labels) - 1})
    for i in ticks:
        # The end labels hang inwards so that they are not cut at the chart's edges.
        anchor = "middle"
        if len(labels) > 1 and i == 0:
            anchor = "start"
        elif len(labels) > 1 and i == len(labels) - 1:
            anchor = "end"
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="{anchor}" '
            f'fill="{MUTE}">{_e(labels[i])}</text>'
        )
    for n, s in enumerate(series):
        color = s.color or PALETTE[n % len(PALETTE)]
        points = [(x(i), y(v), labels[i], v) for i, v in enumerate(s.values) if v is not None]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
        parts.append(
            f'<polyline class="series" data-series="{_e(s.name)}" points="{path}" fill="none" '
            f'stroke="{color}" stroke-width="2"/>'
        )
        for px, py, label, v in points:
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{color}">'
                f"<title>{_e(label)} {_e(s.name)}：{_e(fmt_number(v))}</title></circle>"
            )
        lx = left + n * 140
        parts.append(
            f'<rect x="{lx}" y="6" width="10" height="10" fill="{color}"/>'
            f'<text x="{lx + 14}" y="15" fill="{INK}">{_e(s.name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 480,
    bar_height: int = 22,
    color: str = PALETTE[1],
    unit: str = "",
) -> str:
    """Return horizontal bars of a distribution (e.g. accounts by platform)."""
    if not items:
        return _empty(width, 80, title, "bars")
    label_w, value_w, gap = 120, 56, 6
    height = len(items) * (bar_height + gap) + 8
    top_value = max(max(v for _, v in items), 1e-9)
    plot_w = width - label_w - value_w
    parts = _open(width, height, title, "bars")
    for i, (label, value) in enumerate(items):
        by = 4 + i * (bar_height + gap)
        w = max(plot_w * value / top_value, 0.0)
        parts.append(
            f'<g class="bar"><text x="{label_w - 6}" y="{by + bar_height * 0.7:.1f}" '
            f'text-anchor="end" fill="{INK}">{_e(label)}</text>'
            f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_height}" rx="3" '
            f'fill="{color}"><title>{_e(label)}：{_e(fmt_number(value))}{_e(unit)}</title></rect>'
            f'<text x="{label_w + w + 4:.1f}" y="{by + bar_height * 0.7:.1f}" fill="{MUTE}">'
            f"{_e(fmt_number(value))}{_e(unit)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def ranking_bars(
    rows: Sequence[RankBar], *, title: str, width: int = 640, max_score: float = 100.0
) -> str:
    """Return a ranking as bars (rank, name, score); excluded rows are grey."""
    if not rows:
        return _empty(width, 80, title, "ranking")
    bar_h, gap, label_w, value_w = 20, 6, 200, 56
    height = len(rows) * (bar_h + gap) + 8
    top_value = max(max_score, max(r.score for r in rows), 1e-9)
    plot_w = width - label_w - value_w
    parts = _open(width, height, title, "ranking")
    for i, row in enumerate(rows):
        by = 4 + i * (bar_h + gap)
        w = max(plot_w * row.score / top_value, 0.0)
        fill = "#b8c2cc" if row.excluded else (PALETTE[0] if row.highlight else PALETTE[1])
        rank = "—" if row.rank is None else str(row.rank)
        parts.append(
            f'<g class="rank-row"><text x="4" y="{by + 14}" fill="{MUTE}">{_e(rank)}</text>'
            f'<text x="{label_w - 6}" y="{by + 14}" text-anchor="end" fill="{INK}">'
            f"{_e(row.label)}</text>"
            f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_h}" rx="3" fill="{fill}">'
            f"<title>{_e(row.label)}：{row.score:.2f}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{by + 14}" fill="{MUTE}">{row.score:.2f}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _grid_positions(cells: Sequence[CountyCell]) -> dict[str, tuple[int, int]]:
    """Place counties on a gap-free tile grid by their centroids (:mod:`zhengwu.web.tilemap`).

    Counties without a centroid go to a row of their own below the map.
    """
    located = {c.adcode: (c.lon, c.lat) for c in cells if c.lon is not None and c.lat is not None}
    positions = tilemap.layout(located)
    cols = max((col for col, _ in positions.values()), default=-1) + 1
    side = max(cols, math.ceil(math.sqrt(len(cells))), 1)
    last_row = max((r for _, r in positions.values()), default=-1) + 1
    for i, c in enumerate(c for c in cells if c.adcode not in positions):
        positions[c.adcode] = (i % side, last_row + i // side)
    return positions


GRID_KINDS = {"requests": ("诉求", "requests", 1), "help": ("求助", "help requests", 0)}


def county_grid(
    cells: Sequence[CountyCell],
    *,
    title: str,
    tile: int = 92,
    links: Mapping[str, str] | None = None,
    kinds: Sequence[str] = ("requests", "help"),
    count_links: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """Return a map-like grid of counties with their requests (诉求) and help requests (求助).

    ``kinds`` are the counts a tile shows (``requests``, ``help``; a map of one kind shows
    one: a "求助 0" on the request map would say there is none). ``links`` (adcode → URL)
    makes those whole tiles links: the map page opens a province or a city that way as a
    map of its own. ``count_links`` (kind → adcode → URL) makes each count a link of its
    own instead — the 诉求 count to the request map, the 求助 count to the help map — so a
    tile showing both never sends one count to the other's map. A tile placed by an
    ancestor's centroid (``approximate``) is drawn dashed, its name marked ``≈``.
    """
    if not cells:
        return _empty(480, 120, title, "grid")
    positions = _grid_positions(cells)
    cols = max(c for c, _ in positions.values()) + 1
    rows = max(r for _, r in positions.values()) + 1
    legend = 22
    # At least as wide as the legend: a county's own map is one tile.
    width, height = max(cols * tile + 8, 280), rows * tile + 8 + legend
    shown = [k for k in GRID_KINDS if k in kinds]

    def count(c: CountyCell, kind: str) -> int:
        return c.requests if kind == "requests" else c.help_requests

    peak = max(max(sum(count(c, k) for k in shown) for c in cells), 1)
    parts = _open(width, height, title, "grid")
    x = 4
    for kind in shown:
        label, english, color = GRID_KINDS[kind]
        parts.append(
            f'<rect x="{x}" y="5" width="10" height="10" fill="{PALETTE[color]}"/>'
            f'<text x="{x + 14}" y="14" fill="{INK}">{label} {english}</text>'
        )
        x += 126
    for c in cells:
        col, row = positions[c.adcode]
        tx, ty = 4 + col * tile, legend + 4 + row * tile
        share = sum(count(c, k) for k in shown) / peak
        href = None if count_links else (links or {}).get(c.adcode)
        where = "（位置近似：所在上级区划的中心）" if c.approximate else ""
        counts = "，".join(f"{GRID_KINDS[k][0]} {count(c, k)}" for k in shown)
        dashed = ' stroke-dasharray="4 3"' if c.approximate else ""
        parts.append(
            f'<g class="county{" approx" if c.approximate else ""}" data-adcode="{_e(c.adcode)}">'
            + (f'<a href="{_e(href)}">' if href else "")
            + f'<rect x="{tx + 2}" y="{ty + 2}" width="{tile - 4}" height="{tile - 4}" rx="6" '
            f'fill="{PALETTE[1]}" fill-opacity="{0.08 + 0.32 * share:.2f}" stroke="{GRID}"{dashed}>'
            f"<title>{_e(c.name)}：{counts}{where}</title></rect>"
            f'<text x="{tx + tile / 2:.0f}" y="{ty + 24}" text-anchor="middle" fill="{INK}" '
            f'font-weight="bold">{"≈" if c.approximate else ""}{_e(c.name)}</text>'
        )
        for i, kind in enumerate(shown):
            label, _, color = GRID_KINDS[kind]
            text = (
                f'<text class="count-{kind}" x="{tx + tile / 2:.0f}" y="{ty + 50 + 20 * i}" '
                f'text-anchor="middle" fill="{PALETTE[color]}">{label} {count(c, kind)}</text>'
            )
            own = (count_links or {}).get(kind, {}).get(c.adcode)
            if own:  # underlined: a count that opens its map looks like the link it is
                text = text.replace(' text-anchor="middle"', ' text-anchor="middle" '
                                    'text-decoration="underline"', 1)  # fmt: skip
                text = f'<a class="count-link" href="{_e(own)}">{text}</a>'
            parts.append(text)
        parts.append(("</a>" if href else "") + "</g>")
    parts.append("</svg>")
    return "".join(parts)


def rank_trend(
    labels: Sequence[str],
    ranks: Sequence[int | None],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
    color: str = PALETTE[0],
) -> str:
    """Return a line of a rank over days (1 at the top; None = not on the list that day)."""
    known = [r for r in ranks if r is not None]
    if not labels or not known:
        return _empty(width, height, title, "rank")
    left, right, top, bottom = 48, 12, 24, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    worst = max(_nice_max(float(max(known))), 2.0)
    step = plot_w / max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return left + i * step if len(labels) > 1 else left + plot_w / 2

    def y(rank: float) -> float:  # rank 1 at the top, ``worst`` at the bottom
        return top + (rank - 1) / (worst - 1) * plot_h

    parts = _open(width, height, title, "rank")
    for value in (1.0, round((1 + worst) / 2), worst):
        gy = y(value)
        parts.append(
            f'<line x1="{left}" y1="{gy:.1f}" x2="{width - right}" y2="{gy:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{gy + 4:.1f}" text-anchor="end" fill="{MUTE}">'
            f"第{int(value)}</text>"
        )
    for i in sorted({0, len(labels) // 2, len(labels) - 1}):
        anchor = "middle"
        if len(labels) > 1 and i == 0:
            anchor = "start"
        elif len(labels) > 1 and i == len(labels) - 1:
            anchor = "end"
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="{anchor}" '
            f'fill="{MUTE}">{_e(labels[i])}</text>'
        )
    # A day off the list breaks the line: consecutive days on the list are joined.
    runs: list[list[tuple[float, float]]] = [[]]
    for i, rank in enumerate(ranks):
        if rank is None:
            runs.append([])
        else:
            runs[-1].append((x(i), y(rank)))
    for points in runs:
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(
                f'<polyline class="series" points="{path}" fill="none" stroke="{color}" '
                f'stroke-width="2"/>'
            )
    for i, rank in enumerate(ranks):
        if rank is not None:
            parts.append(
                f'<circle class="point" cx="{x(i):.1f}" cy="{y(rank):.1f}" r="3" fill="{color}">'
                f"<title>{_e(labels[i])}：第 {rank} 名</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)
