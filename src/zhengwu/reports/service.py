"""Build a report of a stored run and render it as HTML or PDF (the callers' one entry)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal

import duckdb

from zhengwu import __version__
from zhengwu.errors import InvalidInputError, NotFoundError
from zhengwu.index import methodology, ranking, results
from zhengwu.index.periods import parse_period
from zhengwu.reports.awards import DEFAULT_FILE, Award
from zhengwu.reports.model import Report, build_report

Format = Literal["html", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "pdf")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
HTML_TEMPLATE = Path(__file__).parent / "templates" / "report.html"


def find_run(con: duckdb.DuckDBPyConnection, system: str, period: str) -> str:
    """Return the id of the stored run of ``system`` over ``period`` (404 naming the fix)."""
    label = parse_period(period).label
    run_id = results.find_run(con, system, label)
    if run_id is None:
        raise NotFoundError(
            f"没有 {system} 在 {label} 的计算结果；请先运行 "
            f"zhengwu index run --system {system} --period {label}",
            f"no stored run of {system} over {label}; run "
            f"`zhengwu index run --system {system} --period {label}` first",
        )
    return run_id


def format_of(path: Path) -> Format:
    """Return the format a file name asks for (``.html``/``.htm`` or ``.pdf``)."""
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".pdf":
        return "pdf"
    raise InvalidInputError(
        f"输出文件应以 .html 或 .pdf 结尾：{path}", f"the output must end in .html or .pdf: {path}"
    )


def render(report: Report, fmt: Format) -> bytes:
    """Return ``report`` rendered as ``fmt`` (HTML as UTF-8)."""
    if fmt == "html":
        from zhengwu.reports.html import render_html

        return render_html(report).encode("utf-8")
    from zhengwu.reports.pdf import render_pdf

    return render_pdf(report)


def build(
    con: duckdb.DuckDBPyConnection, run_id: str, fmt: Format, *, top: int = 10,
    awards: list[Award] | None = None,
) -> tuple[Report, bytes]:  # fmt: skip
    """Return the report of a stored run and its rendering as ``fmt``."""
    report = build_report(con, run_id, top=top, awards=awards)
    return report, render(report, fmt)


def file_name(run_id: str, fmt: Format) -> str:
    """Return a download file name for a run's report (no path separators)."""
    safe = run_id.replace("/", "_").replace("..", "_")
    return f"report_{safe}.{fmt}"


def cache_key(con: duckdb.DuckDBPyConnection, run_id: str, fmt: Format) -> str:
    """Return what a rendering with the default awards depends on, as a short digest.

    The run and the previous period's run (movement) by id and computation time — a run
    computed again is a new report — the awards file shipped, the zhengwu version, the
    methodology generator's version (a run's appendix then offers the current text) and,
    for HTML, the page's template (a change of its layout is served at once, not after the
    next release).
    """
    run = results.get_run(con, run_id)
    prev = ranking.previous_run(con, run_id)
    prev_at = results.get_run(con, prev)["created_at"] if prev else None
    awards = hashlib.sha256(DEFAULT_FILE.read_bytes()).hexdigest()
    layout = hashlib.sha256(HTML_TEMPLATE.read_bytes()).hexdigest() if fmt == "html" else ""
    parts = (run_id, str(run["created_at"]), prev, str(prev_at), fmt, awards, __version__, layout,
             methodology.GENERATOR_VERSION)  # fmt: skip
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def cached(con: duckdb.DuckDBPyConnection, run_id: str, fmt: Format, *, directory: Path) -> bytes:
    """Return the rendering of a run's report with the default awards, built once.

    A national report takes seconds to build (1.7 CPU-s HTML, 3.9 PDF measured), and
    downloads of a published period are public: the file is kept in ``directory`` under
    :func:`cache_key` and served from there until the run or its predecessor is computed
    again. Written to a temporary name and renamed, so a reader never sees half a file.
    """
    stem = file_name(run_id, fmt).removesuffix(f".{fmt}")
    path = directory / f"{stem}.{cache_key(con, run_id, fmt)}.{fmt}"
    kept = _read_kept(path)
    if kept is not None:
        return kept
    _, data = build(con, run_id, fmt)
    directory.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    # Earlier renderings of the same run and format are out of date now: drop them.
    for old in directory.glob(f"{stem}.*.{fmt}"):
        if old != path:
            old.unlink(missing_ok=True)
    return data


def _read_kept(path: Path) -> bytes | None:
    """Return a kept rendering, or None when there is none (never built, or just replaced)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
