"""What an index run reads from the operational DB, written as Parquet for a Spark cluster.

The DuckDB engine reads the accounts (with organisation, sector, level, region), the
compliance flags active on the check date and the service desk's rates from the
operational DB (:func:`zhengwu.index.engine.run_for_db`). A Spark cluster reads files
only: ``export_inputs`` writes the same tables, for one period, next to the analytics
store's Parquet export (``zhengwu store export-parquet``), in ``<dir>/index-inputs/``:

* ``accounts.parquet``, ``organizations.parquet``, ``members.parquet``, ``regions.parquet``
  — :func:`zhengwu.index.dimensions.load_dimensions`;
* ``flags.parquet`` — the flags active at the end of the check date;
* ``service_rates.parquet`` — the service desk's rates for the period
  (:mod:`zhengwu.index.service_source`; no rows when the desk has none);
* ``manifest.json`` — the period, the check date and the notes the run repeats.

A run reads them (and the store's Parquet) from a local directory or, on a cluster, from
any URL Spark's Hadoop file systems know (``hdfs://``, ``s3a://``, ``file://`` …): the
reads go through a :class:`Files` — :class:`LocalFiles` here, Hadoop's ``FileSystem`` in
:mod:`zhengwu.index.spark_run`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from zhengwu.errors import InvalidInputError, NotFoundError
from zhengwu.index import compliance
from zhengwu.index.dimensions import Dimensions, load_dimensions
from zhengwu.index.periods import Period
from zhengwu.index.service_source import load_service_rates

INPUTS_DIR = "index-inputs"
MANIFEST = "manifest.json"
TABLES = ("accounts", "organizations", "members", "regions", "flags", "service_rates")


class Files(Protocol):
    """Read-only access to a directory of exported files, local or behind a URL.

    Names are relative to the directory (``manifest.json``, ``posts``); ``location`` is
    what Spark's readers are given for one.
    """

    @property
    def root(self) -> str:
        """The directory's path or URL."""
        ...

    def is_file(self, name: str) -> bool:
        """Whether ``name`` is a file."""
        ...

    def has_parquet(self, name: str) -> bool:
        """Whether ``name`` is a directory holding at least one ``.parquet`` file."""
        ...

    def read_text(self, name: str) -> str:
        """Return the UTF-8 text of the file ``name``."""
        ...

    def location(self, name: str) -> str:
        """Return the path or URL of ``name``."""
        ...


@dataclass(frozen=True, slots=True)
class LocalFiles:
    """:class:`Files` in a local directory."""

    path: Path

    @property
    def root(self) -> str:
        """The directory, as a path string."""
        return str(self.path)

    def is_file(self, name: str) -> bool:
        """Whether ``name`` is a file."""
        return (self.path / name).is_file()

    def has_parquet(self, name: str) -> bool:
        """Whether ``name`` is a directory holding at least one ``.parquet`` file."""
        folder = self.path / name
        return folder.is_dir() and any(folder.rglob("*.parquet"))

    def read_text(self, name: str) -> str:
        """Return the UTF-8 text of the file ``name``."""
        return (self.path / name).read_text(encoding="utf-8")

    def location(self, name: str) -> str:
        """Return the path of ``name``."""
        return str(self.path / name)


def is_url(text: str | Path) -> bool:
    """Whether ``text`` is a URL (``scheme://…``) rather than a local path."""
    scheme, sep, _ = str(text).partition("://")
    return bool(sep) and scheme.replace("+", "").replace("-", "").replace(".", "").isalnum()


def joined(base: str, name: str) -> str:
    """Return ``base/name`` for a path or URL ``base`` (one slash between them)."""
    return f"{base.rstrip('/')}/{name}"


@dataclass(frozen=True, slots=True)
class Inputs:
    """The exported inputs of one period: where they are and what the manifest says."""

    path: str  # a local directory or a URL
    period: dict[str, Any]
    check_date: date
    notes: list[str]

    def table(self, name: str) -> str:
        """Return the Parquet file (path or URL) of one input table."""
        return joined(self.path, f"{name}.parquet")


def export_inputs(
    session: Session, out: Path, period: Period, *, check_date: date | None = None
) -> Inputs:
    """Write the run's inputs from the operational DB under ``out/index-inputs``."""
    check = check_date or period.end
    rates, note = load_service_rates(session, period.start, period.end)
    return write_inputs(
        out, period, load_dimensions(session), flags=compliance.active_flags(session, check),
        rates=rates, notes=[note], check_date=check,
    )  # fmt: skip


def write_inputs(
    out: Path, period: Period, dims: Dimensions, *, flags: pa.Table, rates: pa.Table,
    notes: list[str], check_date: date,
) -> Inputs:  # fmt: skip
    """Write given dimension, flag and rate tables as the inputs of ``period``.

    :func:`export_inputs` reads them from the operational DB; a benchmark hands in the
    tables it synthesised (as :func:`zhengwu.index.engine.run_index` takes them).
    """
    target = out / INPUTS_DIR
    target.mkdir(parents=True, exist_ok=True)
    tables: dict[str, pa.Table] = {
        "accounts": dims.accounts, "organizations": dims.organizations,
        "members": dims.members, "regions": dims.regions, "flags": flags,
        "service_rates": rates,
    }  # fmt: skip
    for name, table in tables.items():
        pq.write_table(table, target / f"{name}.parquet")
    manifest: dict[str, Any] = {
        "period": period.to_dict(),
        "check_date": check_date.isoformat(),
        "notes": notes,
        "rows": {name: table.num_rows for name, table in tables.items()},
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (target / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return Inputs(str(target), manifest["period"], check_date, list(notes))


def read_inputs(path: Path | Files, period: Period) -> Inputs:
    """Return the exported inputs at ``path``; refuse ones exported for another period.

    ``path`` is a local directory, or the :class:`Files` of one behind a URL.
    """
    files = LocalFiles(path) if isinstance(path, Path) else path
    where = files.root
    if not files.is_file(MANIFEST):
        raise NotFoundError(
            f"{where} 中没有指数输入（{MANIFEST}）：请先运行 zhengwu index export-inputs",
            f"no index inputs in {where} ({MANIFEST} missing): run zhengwu index export-inputs "
            "first",
        )
    manifest = json.loads(files.read_text(MANIFEST))
    exported = manifest["period"]
    if (exported["start"], exported["end"]) != (period.start.isoformat(), period.end.isoformat()):
        raise InvalidInputError(
            f"{where} 中的输入是为 {exported['label']}（{exported['start']}…{exported['end']}）导出的，"
            f"不是 {period.label}；请为该周期重新运行 zhengwu index export-inputs",
            f"the inputs in {where} were exported for {exported['label']} ({exported['start']}…"
            f"{exported['end']}), not {period.label}: run zhengwu index export-inputs for it",
        )
    missing = [name for name in TABLES if not files.is_file(f"{name}.parquet")]
    if missing:
        raise NotFoundError(
            f"{where} 缺少输入表 {', '.join(missing)}",
            f"{where} lacks the input tables {', '.join(missing)}",
        )
    return Inputs(
        where, exported, date.fromisoformat(manifest["check_date"]), list(manifest["notes"])
    )
