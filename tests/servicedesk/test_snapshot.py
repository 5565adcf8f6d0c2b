"""The desk snapshot follows every change of what it is built from, whoever makes it, and
its stamp reads one row (migration 0017's triggers), not the tables it watches."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select, text
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, MatrixMember, Organization
from zhengwu.db.engine import make_engine
from zhengwu.servicedesk import snapshot
from zhengwu.servicedesk.category.models import Category
from zhengwu.servicedesk.csvimport import import_csv
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRuleCreate
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World, build_world

Change = Callable[[Session, World], None]


def _orm_add_member(s: Session, w: World) -> None:  # city_housing has no matrix yet
    account = Account(platform="weibo", uid="9001", name="郑州住建", is_government=True,
                      organization_id=w.orgs["city_housing"], adcode="410100")  # fmt: skip
    s.add(account)
    s.flush()
    s.add(MatrixMember(matrix_id=w.matrices["zz"], account_id=account.id))


def _orm_remove_member(s: Session, w: World) -> None:
    s.delete(s.get_one(MatrixMember, (w.matrices["zz"], w.accounts["police"])))


def _raw_insert_member(s: Session, w: World) -> None:  # as an importer writes: Core inserts
    account_id = s.execute(insert(Account.__table__).values(
        platform="weibo", uid="9002", name="郑州住建", organization_id=w.orgs["city_housing"],
        is_government=True).returning(Account.__table__.c.id)).scalar_one()  # fmt: skip
    s.execute(text("INSERT INTO matrix_members (matrix_id, account_id, role, added_at)"
                   " VALUES (:m, :a, 'member', '2020-01-01 00:00:00')"),
              {"m": w.matrices["ly"], "a": account_id})  # fmt: skip


def _raw_delete_member(s: Session, w: World) -> None:
    s.execute(text("DELETE FROM matrix_members WHERE account_id = :a"), {"a": w.accounts["police"]})


def _add_rule(s: Session, w: World) -> None:
    routing_service.add_rules(s, actor=SYSTEM, note="新规则", rules=[RoutingRuleCreate(
        category_code="02", adcode="410100", organization_id=w.orgs["police"])])  # fmt: skip


def _raw_retire_rule(s: Session, w: World) -> None:
    s.execute(text("UPDATE routing_rules SET valid_to = valid_from WHERE organization_id = :o"),
              {"o": w.orgs["js_eco"]})  # fmt: skip


def _orm_rename_category(s: Session, w: World) -> None:
    s.scalars(select(Category).where(Category.code == "01")).one().name = "住房城乡建设"


def _raw_category_keywords(s: Session, w: World) -> None:
    s.execute(text("UPDATE request_categories SET keywords = '[\"井盖\"]' WHERE code = '02'"))


def _raw_move_account(s: Session, w: World) -> None:
    s.execute(text("UPDATE accounts SET organization_id = :o WHERE id = :a"),
              {"o": w.orgs["city_housing"], "a": w.accounts["police"]})  # fmt: skip


def _raw_matrix_adcode(s: Session, w: World) -> None:
    s.execute(text("UPDATE matrices SET adcode = '410105' WHERE id = :m"), {"m": w.matrices["ly"]})


def _orm_rename_org(s: Session, w: World) -> None:
    s.get_one(Organization, w.orgs["police"]).name = "郑州市公安局（新）"


CHANGES: dict[str, tuple[Change, str | None]] = {
    # name: (the change, the part of the snapshot it changes; None: only the stamp moves)
    "orm-add-member": (_orm_add_member, "organization_matrix"),
    "orm-remove-member": (_orm_remove_member, "organization_matrix"),
    "raw-insert-member": (_raw_insert_member, "organization_matrix"),
    "raw-delete-member": (_raw_delete_member, "organization_matrix"),
    "add-rule": (_add_rule, "rules"),
    "raw-retire-rule": (_raw_retire_rule, "rules"),
    "orm-rename-category": (_orm_rename_category, "tree"),
    "raw-category-keywords": (_raw_category_keywords, "tree"),
    "raw-move-account": (_raw_move_account, "organization_matrix"),
    "raw-matrix-adcode": (_raw_matrix_adcode, "regional_matrices"),
    "orm-rename-org": (_orm_rename_org, None),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_each_change_in_the_session_refreshes_the_snapshot(
    session: Session, world: World, name: str
) -> None:
    change, part = CHANGES[name]
    before, stamp = snapshot.current(session), snapshot._stamp(session)
    assert snapshot.current(session) is before  # unchanged: the cached snapshot
    change(session, world)
    session.flush()
    session.expire_all()  # a raw write leaves the session's loaded rows as they were
    after = snapshot.current(session)
    assert snapshot._stamp(session) != stamp
    assert after is not before
    if part is not None:
        assert getattr(after, part) != getattr(before, part)


def test_a_token_is_not_reused_after_a_rollback(session: Session, world: World) -> None:
    before = snapshot.current(session)
    with session.begin_nested() as nested:
        _raw_delete_member(session, world)
        inside = snapshot.current(session)  # cached with the token of a change rolled back
        nested.rollback()
    assert world.orgs["police"] not in inside.organization_matrix
    assert snapshot.current(session).organization_matrix == before.organization_matrix
    _raw_matrix_adcode(session, world)  # another change: must not match the rolled-back one
    after = snapshot.current(session)
    assert world.orgs["police"] in after.organization_matrix
    assert after.regional_matrices != before.regional_matrices


def test_a_deleted_stamp_row_comes_back_with_the_next_change(
    session: Session, world: World
) -> None:
    before = snapshot.current(session)
    session.execute(text("DELETE FROM desk_config_stamp"))
    assert snapshot._stamp(session) is None
    _raw_retire_rule(session, world)
    assert snapshot._stamp(session) is not None
    assert snapshot.current(session).rules != before.rules


_OTHER_PROCESS = """
import sys
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1])
with engine.begin() as conn:
    conn.execute(text(sys.argv[2]))
"""


@pytest.fixture
def committed(committed_engine: Engine) -> tuple[Engine, World]:
    with Session(committed_engine) as session:
        world = build_world(session)
        session.commit()
    return committed_engine, world


@pytest.mark.parametrize("how", ["other-connection", "other-process"])
def test_a_change_committed_elsewhere_refreshes_the_snapshot(
    committed: tuple[Engine, World], how: str
) -> None:
    engine, world = committed
    url = engine.url.render_as_string(hide_password=False)
    with Session(engine) as session:
        before = snapshot.current(session)
        assert world.orgs["js_eco"] in before.organization_matrix
    sql = f"DELETE FROM matrix_members WHERE account_id = {world.accounts['js_eco']}"
    if how == "other-connection":
        other = make_engine(url)
        with other.begin() as conn:
            conn.execute(text(sql))
        other.dispose()
    else:  # a CLI import or the worker, while the server runs
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        subprocess.run([sys.executable, "-c", _OTHER_PROCESS, url, sql], check=True, env=env,
                       timeout=60)  # fmt: skip
    with Session(engine) as session:
        after = snapshot.current(session)
    assert world.orgs["js_eco"] not in after.organization_matrix


def _plan(session: Session, sql: str) -> str:
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
        return "\n".join(str(r[-1]) for r in rows)
    return "\n".join(r[0] for r in session.execute(text(f"EXPLAIN {sql}")).all())


def test_the_stamp_reads_one_row_by_its_key_not_the_watched_tables(
    session: Session, world: World
) -> None:
    plan = _plan(session, str(snapshot._STAMP))
    for table in ("matrix_members", "matrices", "accounts", "routing_rules", "request_categories"):
        assert table not in plan
    assert "desk_config_stamp" in plan
    if session.get_bind().dialect.name == "sqlite":  # a key lookup, not a scan
        assert "SEARCH desk_config_stamp USING INTEGER PRIMARY KEY" in plan, plan


def _count_stamp_reads(engine: Engine) -> tuple[list[int], Callable[..., None]]:
    seen = [0]

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "desk_config_stamp WHERE id" in statement:
            seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    return seen, count


def test_the_csv_import_reads_the_stamp_once_per_batch_not_per_row(
    session: Session, world: World, db_engine: Engine, tmp_path: Path
) -> None:
    # Social rows with replies leave the batch one by one (per-row path, a new batch after
    # each): before, every one of them read the stamp twice.
    path = tmp_path / "w.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["工单编号", "受理时间", "诉求内容", "答复意见", "答复时间"])
        for i in range(12):
            writer.writerow([f"W{i}", "2025-07-01 09:00", f"金水区第{i}号井盖丢失", "已修复",
                             "2025-07-02 09:00"])  # fmt: skip
    seen, count = _count_stamp_reads(db_engine)
    try:
        summary = import_csv(session, path, actor=SYSTEM, source="weibo", batch_rows=5)
    finally:
        event.remove(db_engine, "before_cursor_execute", count)
    assert (summary.created, summary.replies) == (12, 12)
    assert seen[0] == 3  # 12 rows in batches of 5: three drains, one read each
