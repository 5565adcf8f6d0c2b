"""`zhengwu report …`: the influence report (影响力报告) of a stored run, as HTML or PDF.

``build`` reads one stored index run (and the previous period's, for movement) and writes
one self-contained HTML file or a PDF; ``awards`` lists the award categories a build uses.
Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zhengwu.cli.common import check_output, console, err_console, handle_errors, print_json

if TYPE_CHECKING:
    import duckdb

    from zhengwu.reports.awards import Award

app = typer.Typer(
    name="report",
    help="影响力报告 / influence report: HTML and PDF of a stored index run, award lists.\n\n"
    "Example: zhengwu report build --system zhengwu-4d --period 2025-Q3 --out report.pdf",
    no_args_is_help=True,
)

AwardsOpt = Annotated[
    Path | None,
    typer.Option("--awards", help="a TOML file of award categories (default: the shipped one)"),
]


def _check_sectors(awards: list[Award], path: Path | None, extra: list[str] | None = None) -> None:
    """Check an office's award sectors against the organisations' (and ``extra``); warn if none."""
    from sqlalchemy import inspect, select

    from zhengwu.accounts.models import Organization
    from zhengwu.accounts.service import organization_sectors
    from zhengwu.db.engine import get_engine, unit_of_work
    from zhengwu.reports.awards import check_sectors

    if path is None:  # the shipped file: its sectors are the project's own vocabulary
        return
    known = list(extra or [])
    if inspect(get_engine()).has_table(Organization.__tablename__):
        with unit_of_work() as session:
            known += organization_sectors(session, query=select(Organization))
    warning = check_sectors(awards, known, source=str(path))
    if warning:
        err_console.print(f"警告 / warning: {warning}", style="yellow", markup=False)


def _run_sectors(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """Return the sectors of the accounts and organisations a stored run ranks."""
    rows = con.execute(
        "SELECT DISTINCT sector FROM index_totals WHERE run_id = ? AND sector IS NOT NULL",
        [run_id],
    ).fetchall()
    return [str(r[0]) for r in rows]


@app.command(
    "build",
    short_help="生成一次计算的影响力报告（HTML 或 PDF） / write a run's report as HTML or PDF",
)
@handle_errors
def build(
    period: Annotated[str, typer.Option("--period", "-p", help="2025-Q3, 2025-07, 2025, A..B")],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="report.html or report.pdf (its directory must exist)"),
    ],
    system: Annotated[str, typer.Option("--system", "-s", help="indicator system")] = "zhengwu-4d",
    awards: AwardsOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="Top-N per platform")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary")] = False,
) -> None:
    """Write the influence report of a stored run as HTML or PDF (format from --out).

    Example: zhengwu report build --system zhengwu-4d --period 2025-Q3 --out report.html --top 20
    """
    from zhengwu.content.store import open_store
    from zhengwu.reports import service
    from zhengwu.reports.awards import load_awards

    fmt = service.format_of(out)
    check_output(out, "--out")
    chosen = load_awards(awards)  # a bad awards file fails before any work
    started = time.perf_counter()
    status = (
        contextlib.nullcontext()
        if as_json
        else console.status(f"生成报告 building the report ({fmt})", spinner="dots")
    )
    with status:
        with open_store(read_only=True) as con:
            run_id = service.find_run(con, system, period)
            _check_sectors(chosen, awards, _run_sectors(con, run_id))
            report, data = service.build(con, run_id, fmt, top=top, awards=chosen)
        out.write_bytes(data)
    summary = {
        "run_id": run_id, "out": str(out), "format": fmt, "bytes": len(data),
        "previous_run": report.previous_run, "platforms": report.platforms,
        "accounts": report.headline["accounts"], "ranked": report.headline["ranked"],
        "failing": report.headline["failing"], "no_data": report.headline["no_data"], "top": top,
        "leaders": {t["platform"]: t["rows"][0]["name"] for t in report.top_lists if t["rows"]},
        "awards": [{"title": a["title"], "winners": [w["name"] for w in a["winners"]]}
                   for a in report.awards],
        "seconds": round(time.perf_counter() - started, 3),
    }  # fmt: skip
    if as_json:
        print_json(summary)
        return
    console.print(
        f"已生成报告 report written: [bold]{out}[/] ({fmt}, {len(data):,} bytes) · {run_id} · "
        f"{summary['ranked']} ranked · {summary['failing']} failing · "
        + (f"{summary['no_data']} no data · " if summary["no_data"] else "")
        + f"{len(report.awards)} awards"
    )


@app.command("awards", short_help="列出报告使用的奖项 / list the award categories")
@handle_errors
def awards_command(
    awards: AwardsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List the award categories (奖项) a report build uses, validated.

    Example: zhengwu report awards --awards my-awards.toml
    """
    from rich.table import Table

    from zhengwu.reports.awards import load_awards

    found = load_awards(awards)
    _check_sectors(found, awards)
    if as_json:
        print_json([a.to_dict() for a in found])
        return
    table = Table(title=f"奖项 awards ({awards or 'default'})")
    for header in ("奖项 title", "English", "平台 platform", "筛选 filter", "top"):
        table.add_column(header, overflow="fold")
    for a in found:
        scope = " · ".join(f"{k}={v}" for k, v in a.filters.items()) or "—"
        table.add_row(a.title, a.title_en, a.platform, scope, str(a.top))
    console.print(table)
