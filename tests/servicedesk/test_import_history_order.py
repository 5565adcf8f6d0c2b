"""A request's history (its page's 办理记录, ``history`` of the API) reads in time order:
what the export carries at its own times, this desk's taking it in (接收, 自动派单) at the
import's time, where it happened — after the hotline's or the old desk's handling — and
entries of the same moment in the order the workflow takes them (受理 before the 协办
it allows), on the batched path and row by row alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.servicedesk import export, presenters
from zhengwu.servicedesk.csvimport import BATCH_ROWS, import_csv
from zhengwu.servicedesk.filters import RequestFilters
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World
from .test_export_migration import _act, _form


@pytest.mark.parametrize("batch_rows", [BATCH_ROWS, 0], ids=["batched", "one-by-one"])
def test_an_imported_request_s_history_reads_in_time_order(
    session: Session, world: World, tmp_path: Path, batch_rows: int
) -> None:
    old_desk = session.begin_nested()
    helped = _form(session, "金水区小区违章搭建")
    _act(session, world, helped, "accept")
    _act(session, world, helped, "cohandle", helper_organization_ids=[world.orgs["police"]])
    _act(session, world, helped, "supervise", who="office", reason="群众多次反映")
    session.flush()
    out = tmp_path / "export.csv"
    records = export.iter_records(session, principal=SYSTEM, filters=RequestFilters())
    out.write_bytes(b"".join(export.chunks("csv", records)))
    old_desk.rollback()

    assert import_csv(session, out, actor=SYSTEM, batch_rows=batch_rows).created == 1
    [request] = session.scalars(select(ServiceRequest)).all()
    history = presenters.detail(session, request, world.principals["admin"]).history
    # 受理 and the 协办 it allows share the 签收 time: the workflow's order, not the
    # order the import happened to write them in.
    assert [h.action for h in history] == ["accept", "cohandle", "supervise", "receive", "route"]
    assert [h.at for h in history] == sorted(h.at for h in history)
    assert history[0].at == history[1].at == request.accepted_at
    assert history[-1].at > request.supervised_at  # the import, where it happened


def test_a_return_dated_at_the_签收_time_follows_the_协办_it_ends(
    session: Session, world: World, tmp_path: Path
) -> None:
    """Without 退回时间 the return is dated at the 签收 time, the 协办's: it ends the
    handling, so it reads after it."""
    old_desk = session.begin_nested()
    helped = _form(session, "金水区小区违章搭建")
    _act(session, world, helped, "accept")
    _act(session, world, helped, "cohandle", helper_organization_ids=[world.orgs["police"]])
    _act(session, world, helped, "return", reason="不属于本单位职责")
    session.flush()
    [record] = export.iter_records(session, principal=SYSTEM, filters=RequestFilters())
    old_desk.rollback()
    del record["退回时间"]
    out = tmp_path / "export.csv"
    out.write_bytes(b"".join(export.chunks("csv", [record], columns=list(record))))
    assert import_csv(session, out, actor=SYSTEM).created == 1
    [request] = session.scalars(select(ServiceRequest)).all()
    history = presenters.detail(session, request, world.principals["admin"]).history
    assert [h.action for h in history] == ["cohandle", "return", "receive", "route"]
    assert history[0].at == history[1].at
