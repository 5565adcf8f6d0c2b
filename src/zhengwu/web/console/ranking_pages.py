"""排行榜: rankings of stored index runs with filters, and the explanation of one score.

The ranking is the index's own (:func:`zhengwu.index.ranking.ranking`): one grouping
(matrix, else province/city, else sector, else level, else the platform) gives the ranks;
the other filters narrow the rows shown, and the page says so. Nothing is recomputed here,
and only the page shown is read (:func:`zhengwu.index.ranking.ranking_page`: ``top`` rows
at ``page``, the Top-20 for the chart, the count, the first failing accounts), so a
national run of 180,000 accounts costs what a city's does.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import duckdb
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from zhengwu import regions
from zhengwu.accounts.models import Account
from zhengwu.errors import InvalidInputError
from zhengwu.index import explain, export, ranking, results
from zhengwu.index.compliance import REASONS_EN, REASONS_ZH
from zhengwu.index.system import DEFAULT_SYSTEM, dimension_names, system_titles
from zhengwu.web import charts
from zhengwu.web.console import analytics
from zhengwu.web.console.account_pages import visible_accounts
from zhengwu.web.console.base import (
    ConsoleDB,
    ConsoleRoute,
    Viewer,
    file_download,
    lang_switch,
    render,
    require,
)
from zhengwu.web.console.matrix_pages import PLATFORM_LABELS

router = APIRouter(prefix="/console/rankings", route_class=ConsoleRoute, include_in_schema=False)
# The accounts failing the compliance gate listed under a ranking (their count is always shown).
EXCLUDED_SHOWN = 100
# The index pages read Chinese; ``?lang=en`` (kept in their links and forms) reads English.
PLATFORM_LABELS_EN = {"weibo": "Weibo", "wechat": "WeChat", "douyin": "Douyin",
                      "bilibili": "Bilibili", "qq": "QQ", "all": "Cross-platform (organisations)"}  # fmt: skip


def _lang(lang: str) -> Literal["zh", "en"]:
    """Return the page's language: English only when asked for (``lang=en``)."""
    return "en" if lang == "en" else "zh"


def _distinct(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[Any]:
    return [r[0] for r in con.execute(sql, params).fetchall() if r[0] not in (None, "")]


# Filter values per stored run: (run id, when it was computed) → options. A run's results
# only change when it is computed again, which changes its creation time.
_OPTIONS: dict[tuple[str, Any], dict[str, Any]] = {}


def _cached_options(con: duckdb.DuckDBPyConnection, run: dict[str, Any]) -> dict[str, Any]:
    """Return :func:`_options` of a stored run, read once per computation of the run."""
    key = (run["run_id"], run["created_at"])
    if key not in _OPTIONS:
        if len(_OPTIONS) > 64:
            _OPTIONS.clear()
        _OPTIONS[key] = _options(con, run["run_id"])
    return _OPTIONS[key]


def _options(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """Return the values each filter can take in a run."""
    totals = "FROM index_totals WHERE run_id = ?"
    return {
        "platforms": _distinct(con, f"SELECT DISTINCT platform {totals} ORDER BY 1", [run_id]),
        "sectors": _distinct(con, f"SELECT DISTINCT sector {totals} ORDER BY 1", [run_id]),
        "levels": _distinct(con, f"SELECT DISTINCT level {totals} ORDER BY 1", [run_id]),
        "regions": con.execute(
            f"""SELECT DISTINCT code, coalesce(r.name, code) FROM (
                    SELECT province AS code {totals} UNION SELECT city {totals}) c
                LEFT JOIN index_regions r ON r.adcode = c.code
                WHERE code IS NOT NULL AND code <> '' ORDER BY 1""",
            [run_id, run_id],
        ).fetchall(),
        "matrices": con.execute(
            "SELECT DISTINCT matrix_id, matrix_name FROM index_matrix WHERE run_id = ? ORDER BY 2",
            [run_id],
        ).fetchall(),
    }


def _grouping(
    sector: str, level: str, region: str, matrix: str
) -> tuple[str, str | None, list[str]]:
    """Return (by, group, the filters left to apply to the rows)."""
    rest = [name for name, value in (("sector", sector), ("level", level)) if value]
    if matrix:
        return "matrix", matrix, [*rest, "region"] if region else rest
    if region:
        division = regions.get(region)
        if division is None or division.level not in ("province", "city"):
            raise InvalidInputError(
                f"地区应为省或市：{region}", f"region must be a province or city: {region}"
            )
        return division.level, region, rest
    if sector:
        return "sector", sector, [r for r in rest if r != "sector"]
    if level:
        return "level", level, []
    return "platform", None, []


def _chosen_run(
    con: duckdb.DuckDBPyConnection, runs: list[dict[str, Any]], system: str, period: str,
    titles: dict[str, str], notices: list[str],
) -> dict[str, Any]:  # fmt: skip
    """Return the run asked for, else the default one, with a notice naming what was asked.

    Without a system and period the default system's latest run is shown (any latest run
    when the default system has none).
    """
    systems = {r["system"] for r in runs}
    if system and system not in systems:
        notices.append(
            f"没有指标体系「{system}」的计算结果，改为显示默认体系。"
            f" No stored runs of system {system!r}; showing the default system."
        )
        system = ""
    if not system:
        fallback = results.preferred_run(con, prefer=DEFAULT_SYSTEM)
        default = DEFAULT_SYSTEM if DEFAULT_SYSTEM in systems else None
        system = default or (str(fallback["system"]) if fallback else str(runs[0]["system"]))
    mine = [r for r in runs if r["system"] == system]
    found = next((r for r in mine if r["period"] == period), None)
    if period and found is None:
        notices.append(
            f"{titles.get(system, system)} 没有周期「{period}」的计算结果，改为显示最新周期"
            f" {mine[0]['period']}。 No stored run of {system} over {period!r}; showing the"
            f" latest period {mine[0]['period']}."
        )
    return found or mine[0]


def _chosen_platform(platform: str, ranked: list[str], notices: list[str]) -> str:
    """Return ``platform`` if the run ranks it, else the default one (with a notice if asked).

    Accounts come first: Weibo when ranked, organisations ("all") last.
    """
    if platform in ranked:
        return platform
    if platform:
        labels = "、".join(f"{PLATFORM_LABELS.get(p, p)}（{p}）" for p in ranked)
        notices.append(
            f"此次运行没有平台「{platform}」的排行；可选：{labels}。"
            f" This run ranks no platform {platform!r}; valid: {', '.join(ranked)}."
        )
    if "weibo" in ranked or not ranked:
        return "weibo"
    return sorted(ranked, key=lambda p: p == "all")[0]


def _filter_labels(
    options: dict[str, Any], by: str, sector: str, level: str, region: str, matrix: str
) -> list[str]:
    """Return the heading's labels of every filter in use, the grouping's first."""
    regions_named = dict(options["regions"])
    matrices_named = {str(mid): name for mid, name in options["matrices"]}
    labels = {
        "matrix": matrices_named.get(matrix, matrix) if matrix else "",
        "region": regions_named.get(region, region) if region else "",
        "sector": sector,
        "level": f"{level}级" if level and not level.endswith("级") else level,
    }
    first = "region" if by in ("province", "city") else by
    order = [first, *[k for k in ("matrix", "region", "sector", "level") if k != first]]
    return [labels[k] for k in order if labels.get(k)]


def _rows_of(
    con: duckdb.DuckDBPyConnection, run_id: str, platform: str, sector: str, level: str,
    region: str, matrix: str, include_failing: bool, offset: int, limit: int,
    excluded_limit: int = EXCLUDED_SHOWN,
) -> dict[str, Any]:  # fmt: skip
    """Return rows ``offset`` … ``offset + limit`` of the ranking the page's filters select."""
    by, group, rest = _grouping(sector, level, region, matrix)
    values = {"sector": sector, "level": level, "region": region}
    return ranking.ranking_page(
        con, run_id, platform=platform, by=by, group=group, include_failing=include_failing,
        filters={k: values[k] for k in rest}, offset=offset, limit=limit,
        excluded_limit=excluded_limit,
    )  # fmt: skip


@router.get("", response_class=HTMLResponse)
def rankings(
    request: Request, principal: Viewer, system: str = "", period: str = "",
    platform: str = "", sector: str = "", level: str = "", region: str = "", matrix: str = "",
    include_failing: bool = False, top: Annotated[int, Query(ge=1, le=500)] = 50,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1, lang: str = "",
) -> HTMLResponse:  # fmt: skip
    """Show a page of a ranking of a stored run, filtered by platform, sector, level, region,
    matrix; ``top`` rows a page, page ``page`` (only the rows shown are read).

    By default the default system's latest run; a system, period or platform the stored
    runs do not have, or a page past the last, is replaced by the default (the last page)
    with a notice naming what was asked and what is shown."""
    require(principal, "rankings")
    lang = _lang(lang)
    english: dict[str, Any] = {"lang": lang, "lang_switch": lang_switch(request, lang)}
    notices: list[str] = []
    titles = system_titles(lang)
    with analytics.analytics() as con:
        runs = results.list_runs(con)
        if not runs:
            return render(request, "rankings.html", area="rankings", runs=[], result=None,
                          **english)  # fmt: skip
        run = _chosen_run(con, runs, system, period, titles, notices)
        system, period, run_id = str(run["system"]), str(run["period"]), str(run["run_id"])
        systems = sorted({r["system"] for r in runs}, key=lambda s: (s != DEFAULT_SYSTEM, s))
        periods = [r["period"] for r in runs if r["system"] == system]
        options = _cached_options(con, run)
        platform = _chosen_platform(platform, options["platforms"], notices)
        by, group, rest = _grouping(sector, level, region, matrix)

        def read(at: int) -> dict[str, Any]:
            return _rows_of(con, run_id, platform, sector, level, region, matrix,
                            include_failing, (at - 1) * top, top)  # fmt: skip

        result = read(page)
        pages = max((result["total"] + top - 1) // top, 1)
        if page > pages:
            notices.append(
                f"没有第 {page} 页（共 {pages} 页），已显示末页。"
                f" There is no page {page} (of {pages}); showing the last page."
            )
            page = pages
            result = read(page)
    rows = result["rows"]
    group_name = result["group_name"] if group else None
    title = titles.get(system, system)
    chart = charts.ranking_bars(
        [charts.RankBar(r["rank"], r["name"] or r["account_uid"], r["score"] or 0.0,
                        excluded=bool(r["excluded"])) for r in result["top"]],
        title=f"{title} {period} " + ("Top 20" if lang == "en" else "前 20 名"),
    )  # fmt: skip
    total = result["total"]
    query = {k: v for k, v in (("system", system), ("period", period), ("platform", platform),
             ("sector", sector), ("level", level), ("region", region), ("matrix", matrix),
             ("include_failing", "true" if include_failing else ""),
             ("top", str(top) if top != 50 else ""), ("lang", "en" if lang == "en" else "")) if v}  # fmt: skip
    return render(
        request, "rankings.html", area="rankings", runs=runs, systems=systems, periods=periods,
        system=system, period=period, run_id=run_id, options=options, platform=platform,
        sector=sector, level=level, region=region, matrix=matrix, by=by, group_name=group_name,
        include_failing=include_failing, rows=rows, total=total, result=result,
        chart=chart, rest=rest, page=page, **english,
        platform_labels=PLATFORM_LABELS_EN if lang == "en" else PLATFORM_LABELS,
        reasons=REASONS_EN if lang == "en" else REASONS_ZH, pages=pages, first=(page - 1) * top + 1, query=urlencode(query),
        excluded_shown=EXCLUDED_SHOWN, titles=titles, notices=notices,
        filter_labels=_filter_labels(options, by, sector, level, region, matrix),
    )  # fmt: skip


@router.get("/export")
def export_ranking(
    principal: Viewer, system: str = "", period: str = "", platform: str = "",
    sector: str = "", level: str = "", region: str = "", matrix: str = "",
    include_failing: bool = False, format: Literal["csv", "xlsx"] = "xlsx",
) -> Response:  # fmt: skip
    """Download the whole ranking the page shows (same filters, every page) as Excel or CSV:
    the 排行 rows, and in Excel the 未纳入排行 accounts and a 说明 sheet naming the run.

    A system, period or platform the stored runs do not have is refused (422) with the
    valid ones, rather than exported as another ranking than the one asked for."""
    require(principal, "rankings")
    notices: list[str] = []
    with analytics.analytics() as con:
        runs = results.list_runs(con)
        if not runs:
            raise InvalidInputError(
                "还没有指数计算结果，无排行可导出：请先运行 zhengwu index run。",
                "no stored index run to export: run `zhengwu index run` first",
            )
        run = _chosen_run(con, runs, system, period, system_titles(), notices)
        platform = _chosen_platform(platform, _cached_options(con, run)["platforms"], notices)
        if notices:  # the page shows another ranking with a notice; a file must not
            raise InvalidInputError(
                "没有所要导出的排行，请从排行榜页面的导出链接下载：" + " ".join(notices),
                "no such ranking to export; use the export links of the rankings page",
            )
        run_id = str(run["run_id"])
        everything = _rows_of(con, run_id, platform, sector, level, region, matrix,
                              include_failing, 0, 10_000_000, excluded_limit=10_000_000)  # fmt: skip
    key = matrix or region or sector or level or platform
    table = {
        **{k: everything[k] for k in ("run_id", "system", "period", "platform", "by",
                                      "previous_run", "excluded_count")},
        "groups": [{"group_key": key, "group_name": everything["group_name"] or key,
                    "rows": everything["rows"]}],
        "excluded": [{"group_key": key, **e} for e in everything["excluded"]],
    }  # fmt: skip
    name = f"排行_{run['system']}_{run['period']}_{platform}.{format}"
    write = export.to_xlsx if format == "xlsx" else export.to_csv
    return file_download(lambda path: write(table, path), format, stem="ranking", name=name)


@router.get("/explain", response_class=HTMLResponse)
def explanation(
    request: Request, db: ConsoleDB, principal: Viewer, run: str, ref: str, lang: str = ""
) -> HTMLResponse:
    """Explain one score: indicator and dimension parts, peer group, gap to the rank above."""
    require(principal, "rankings")
    lang = _lang(lang)
    en = lang == "en"
    with analytics.analytics() as con:
        out = explain.explain(con, run, ref)
    names = dimension_names(out["system"], lang)
    dimension_chart = charts.bar_chart(
        [
            (names.get(d["dimension"], d["dimension"]), d["contribution"] or 0.0)
            for d in out["dimensions"]
        ],
        title="Contribution of each dimension (points)" if en else "各维度得分贡献（分）",
        unit=" pt" if en else " 分",
    )
    gaps = out["above"]["largest_gaps"] if out["above"] else []
    gap_chart = charts.bar_chart(
        [((g["indicator"] if en else g["title_zh"]) or g["indicator"] or g["dimension"],
          g["gap_points"]) for g in gaps],
        title="Largest gaps to the rank above (points)" if en else "与上一名差距最大的指标（分）",
        unit=" pt" if en else " 分", color=charts.PALETTE[0],
    )  # fmt: skip
    account = None
    if out["entity"] == "account":
        account = db.scalar(
            visible_accounts(db, principal).where(
                Account.platform == out["platform"], Account.uid == out["uid"]
            )
        )
    return render(
        request, "explain.html", area="rankings", out=out, run=run, ref=ref, account=account,
        dimension_chart=dimension_chart, gap_chart=gap_chart, names=names,
        reasons=REASONS_EN if en else REASONS_ZH, lang=lang,
        lang_switch=lang_switch(request, lang),
        platform_labels=PLATFORM_LABELS_EN if en else PLATFORM_LABELS,
        combination=explain.combination_text(out["combine"])[1 if en else 0]
        if out["entity"] == "organization" else None,
    )  # fmt: skip
