"""The national simulation's organisation list goes through the ``zhengwu-orgs`` importer."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Organization
from zhengwu.content import store
from zhengwu.ingest.pipeline import run_import
from zhengwu.regions.table import divisions
from zhengwu.simulate.config import SimulationConfig
from zhengwu.simulate.population import build_orgs
from zhengwu.simulate.scope import build_scope
from zhengwu.simulate.tables import ORG_COLUMNS, org_row


def test_a_slice_of_the_national_org_list_imports_without_quarantine(
    session: Session, tmp_path: Path
) -> None:
    # Only the organisations (a few seconds), not the accounts and posts of a national run.
    orgs = build_orgs(SimulationConfig(scale="national"), build_scope("national", 0, None))
    rows = [org_row(o) for o in orgs]
    assert len(rows) > 200_000
    by_id = {r[0]: r for r in rows}
    central = [r for r in rows if r[2] == "中央"]
    assert len(central) > 20 and {r[4] for r in central} == {""}
    # Every other body names a real division, and every parent is on the list: the whole
    # file passes the importer's own checks (the import of all of it is for benchmarks).
    table = divisions()
    assert all(r[4] in table for r in rows if r[2] != "中央")
    assert all(r[5] in by_id for r in rows if r[5])
    # A slice: one province's bodies and 300 others at random, with all their ancestors.
    pick = np.random.default_rng(7)
    chosen = {r[0] for r in rows if r[4].startswith("64")}
    chosen |= {rows[int(i)][0] for i in pick.choice(len(rows), 300, replace=False)}
    for org_id in list(chosen):
        parent = by_id[org_id][5]
        while parent and parent not in chosen:
            chosen.add(parent)
            parent = by_id[parent][5]
    assert chosen & {r[0] for r in central}
    path = tmp_path / "orgs.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(ORG_COLUMNS)
        writer.writerows(r for r in rows if r[0] in chosen)  # the simulator's order
    con = duckdb.connect(":memory:")
    for ddl in store._DDL:
        con.execute(ddl)
    s = run_import("zhengwu-orgs", [path], session=session, analytics=con)
    assert (s.read, s.imported, s.quarantined) == (len(chosen), len(chosen), 0)
    assert session.scalar(select(func.count()).select_from(Organization)) == len(chosen)
    state_council = session.scalars(
        select(Organization).where(Organization.external_id == central[0][0])
    ).one()
    assert (state_council.name, state_council.adcode, state_council.parent_id) == (
        "国务院",
        None,
        None,
    )
    linked = session.scalar(
        select(func.count()).select_from(Organization).where(Organization.parent_id.is_not(None))
    )
    assert linked == sum(1 for org_id in chosen if by_id[org_id][5])
