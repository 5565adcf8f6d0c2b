"""The report step of ``zhengwu demo``: the demo run's influence report, as HTML and PDF."""

from __future__ import annotations

from typing import Any

import duckdb
from sqlalchemy.orm import Session

from zhengwu.config import get_settings
from zhengwu.index import results
from zhengwu.reports import service
from zhengwu.reports.model import build_report


def run(
    session: Session, analytics: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> dict[str, Any]:
    """Write the report of the demo's zhengwu-4d run into ``<data_dir>/reports``."""
    runs = [r for r in results.list_runs(analytics) if r["system"] == "zhengwu-4d"]
    if not runs:
        return {"report": "no zhengwu-4d run"}
    run_id, period = runs[0]["run_id"], runs[0]["period"]
    report = build_report(analytics, run_id)
    out = get_settings().data_dir / "reports"
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for fmt in service.FORMATS:
        path = out / service.file_name(run_id, fmt)
        path.write_bytes(service.render(report, fmt))
        written[fmt] = path
    return {
        "html": str(written["html"]),
        "pdf": str(written["pdf"]),
        "url": f"/reports/zhengwu-4d/{period}.pdf",
    }
