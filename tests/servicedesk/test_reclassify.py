"""Bulk re-classification after the category tree changed: open requests only (closed with
--include-closed), a person's choice kept, each change audited, a dry run writes nothing."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.servicedesk import service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.models import CategoryCreate
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.reclassify import reclassify
from zhengwu.servicedesk.schemas import ActionInput, RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

TEXT = "金水区花园路小区物业乱收费，停车费一年涨了三倍"


def _new(session: Session, text: str) -> ServiceRequest:
    return service.create_request(
        session, intake=RequestIntake(source="api", text=text), actor=SYSTEM
    )


def _reclassified(session: Session, request: ServiceRequest) -> list[dict[str, object]]:
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "request",
                                 AuditEntry.entity_id == request.id,
                                 AuditEntry.action == "reclassify")
    )  # fmt: skip
    return [e.data or {} for e in entries]


def test_reclassify_after_a_new_category(session: Session, world: World) -> None:
    auto, chosen, closed, blank = (
        _new(session, t) for t in (TEXT, TEXT + "。", TEXT + "！", "你好")
    )
    old = auto.category_code
    assert old is not None and blank.category_code is None
    service.perform(session, request=chosen, action="reclassify", actor=world.principals["admin"],
                    data=ActionInput(category_code=old))  # fmt: skip
    closed.state = "resolved"
    session.flush()
    # The tree changes: a category whose keyword says exactly this.
    tree = category_service.get_tree(session)
    parent = next(c for c in tree if c.code == old).parent_code
    category_service.create(
        session, actor=SYSTEM,
        data=CategoryCreate(code="X01", name="物业收费", parent_code=parent,
                            keywords=["物业乱收费", "停车费"]),
    )  # fmt: skip
    dry = reclassify(session, actor=SYSTEM, dry_run=True)
    assert (dry.examined, dry.changed, dry.kept_person_choice, dry.not_placed) == (3, 1, 1, 1)
    assert dict(dry.moves) == {(old, "X01"): 1}
    session.refresh(auto)
    assert auto.category_code == old and _reclassified(session, auto) == []  # nothing written
    done = reclassify(session, actor=SYSTEM)
    assert done.to_dict()["moves"] == [{"from": old, "to": "X01", "count": 1}]
    session.refresh(auto)
    assert (auto.category_code, auto.classified_by) == ("X01", "rules")
    assert _reclassified(session, auto)[0]["from"] == old
    assert _reclassified(session, auto)[0]["bulk"] is True
    session.refresh(chosen)
    assert chosen.category_code == old  # staff chose it, and it is still in the tree
    session.refresh(closed)
    assert closed.category_code == old  # closed: untouched
    again = reclassify(session, actor=SYSTEM)
    assert (again.changed, again.unchanged) == (0, 1)
    # Closed ones on request, and a filter by the old category.
    assert reclassify(session, actor=SYSTEM, category="X01").examined == 1
    with_closed = reclassify(session, actor=SYSTEM, include_closed=True, category=old)
    assert (with_closed.examined, with_closed.changed) == (2, 1)
    session.refresh(closed)
    assert closed.category_code == "X01" and closed.state == "resolved"


def test_the_reclassify_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from zhengwu.cli.desk_requests import app
    from zhengwu.db import migrate
    from zhengwu.db.engine import get_engine, unit_of_work

    migrate.upgrade(get_engine())
    with unit_of_work() as session:
        category_service.ensure_default_tree(session)
        _new(session, TEXT)
    runner = CliRunner()
    result = runner.invoke(app, ["reclassify", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["examined"] == 1
    table = runner.invoke(app, ["reclassify", "--since", "2020-01-01"])
    assert table.exit_code == 0 and "examined 1" in table.stdout
    bad = runner.invoke(app, ["reclassify", "--since", "yesterday"])
    assert bad.exit_code != 0 and "--since" in bad.output
