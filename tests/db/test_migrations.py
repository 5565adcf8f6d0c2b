"""The schema comes from the migrations, identically on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Organization
from zhengwu.db import migrate
from zhengwu.db.engine import make_engine
from zhengwu.db.models import Base
from zhengwu.errors import ServerError
from zhengwu.regions.models import Region


def test_migrations_create_every_model_table(db_engine: Engine) -> None:
    tables = set(inspect(db_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert migrate.current(db_engine) is not None


def test_constraint_names_follow_the_convention(db_engine: Engine) -> None:
    pk = inspect(db_engine).get_pk_constraint("accounts")
    assert pk["name"] == "pk_accounts"
    uniques = {u["name"] for u in inspect(db_engine).get_unique_constraints("accounts")}
    assert "uq_accounts_platform_uid" in uniques


def test_timestamps_round_trip_as_aware_utc(session: Session) -> None:
    beijing = timezone(timedelta(hours=8))
    org = Organization(name="郑州市公安局", level="市", sector="公安", adcode="410100",
                       created_at=datetime(2025, 7, 1, 8, 0, tzinfo=beijing))  # fmt: skip
    session.add(org)
    session.flush()
    session.expire_all()
    loaded = session.scalars(select(Organization).where(Organization.id == org.id)).one()
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at == datetime(2025, 7, 1, 0, 0, tzinfo=UTC)


def test_naive_timestamps_are_refused(session: Session) -> None:
    session.add(Organization(name="x", level="市", sector="公安", created_at=datetime(2025, 1, 1)))
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_regions_are_loaded_with_hierarchy(session: Session) -> None:
    guangzhou = session.get(Region, "440100")
    assert guangzhou is not None
    assert guangzhou.level == "city"
    assert guangzhou.parent_adcode == "440000"
    assert session.scalar(select(Region).where(Region.adcode == "440106")) is not None


def _columns(engine: Engine, table: str) -> dict[str, Any]:
    return {c["name"]: c for c in inspect(engine).get_columns(table)}


def test_incident_description_migration_keeps_existing_incidents(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0007")  # the rescue branch as it was before 0013
    assert "description" not in _columns(empty_engine, "rescue_incidents")
    with empty_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO rescue_incidents (name, type, status, regions, hashtags, keywords,"
            " starts_at, reverify_hours, created_at) VALUES ('旧灾情', 'flood', 'active', '[]',"
            " '[]', '[]', '2021-07-20 00:00:00', 6.0, '2021-07-20 00:00:00')"
        ))  # fmt: skip
    migrate.upgrade(empty_engine, "0013")
    column = _columns(empty_engine, "rescue_incidents")["description"]
    assert column["nullable"] is True
    assert isinstance(column["type"], sa.Text)
    with empty_engine.connect() as conn:
        rows = conn.execute(text("SELECT name, description FROM rescue_incidents")).all()
    assert [tuple(r) for r in rows] == [("旧灾情", None)]
    _downgrade(empty_engine, "0007")
    assert "description" not in _columns(empty_engine, "rescue_incidents")
    migrate.upgrade(empty_engine)  # every head, as `zhengwu db upgrade` does
    assert "description" in _columns(empty_engine, "rescue_incidents")
    assert migrate.ensure_current(empty_engine) is False  # at every head: nothing left to do


def test_public_phones_migration_keeps_organisations_and_their_accounts(
    empty_engine: Engine,
) -> None:
    migrate.upgrade(empty_engine, "0012")  # the accounts branch as it was before 0014
    assert "public_phones" not in _columns(empty_engine, "organizations")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organizations (id, name, level, sector, adcode, created_at)"
                " VALUES (7, '金水区住建局', '县', '住建', '410105', '2025-07-01 00:00:00')"
            )
        )
        conn.execute(text(
            "INSERT INTO accounts (platform, uid, name, organization_id, is_government, status,"
            " first_seen, updated_at) VALUES ('weibo', '1002', '金水住建', 7, true, 'active',"
            " '2025-07-01 00:00:00', '2025-07-01 00:00:00')"
        ))  # fmt: skip
    migrate.upgrade(empty_engine, "0014")
    column = _columns(empty_engine, "organizations")["public_phones"]
    assert column["nullable"] is True
    assert isinstance(column["type"], sa.JSON)
    indexes = {i["name"] for i in inspect(empty_engine).get_indexes("organizations")}
    assert "ix_organizations_with_public_phones" in indexes
    with Session(empty_engine) as session:
        org = session.get(Organization, 7)
        assert org is not None and org.public_phones is None  # existing rows: none yet
        org.public_phones = ["0371-66661234"]
        session.commit()
    with Session(empty_engine) as session:
        assert session.scalars(
            select(Organization.public_phones).where(Organization.public_phones.is_not(None))
        ).all() == [["0371-66661234"]]
    # Down in place: the organisation and the account that refers to it stay.
    _downgrade(empty_engine, "0012")
    assert "public_phones" not in _columns(empty_engine, "organizations")
    with empty_engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT o.name, a.uid FROM organizations o JOIN accounts a ON a.organization_id = o.id"
        )).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [("金水区住建局", "1002")]
    migrate.upgrade(empty_engine)  # every head, as `zhengwu db upgrade` does
    assert "public_phones" in _columns(empty_engine, "organizations")
    assert migrate.ensure_current(empty_engine) is False


def _downgrade(engine: Engine, revision: str) -> None:
    migrate.downgrade(engine, revision)


def test_masking_state_migration_adds_and_drops_its_table(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0011")  # the service desk branch as it was before 0015
    assert "masking_state" not in inspect(empty_engine).get_table_names()
    migrate.upgrade(empty_engine, "0015")
    columns = _columns(empty_engine, "masking_state")
    assert set(columns) == {"id", "numbers", "pending", "cursor", "updated_at"}
    assert all(not c["nullable"] for name, c in columns.items() if name != "id")
    _downgrade(empty_engine, "0011")
    assert "masking_state" not in inspect(empty_engine).get_table_names()
    assert "service_requests" in inspect(empty_engine).get_table_names()


def test_api_token_prefix_migration_keeps_existing_tokens(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0003")  # the auth branch as it was before 0016
    assert "prefix" not in _columns(empty_engine, "api_tokens")
    with empty_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO users (id, username, display_name, password_hash, role, is_active,"
            " failed_logins, created_at) VALUES (3, 'wang', '王', 'x', 'admin', true, 0,"
            " '2025-07-01 00:00:00')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at)"
            " VALUES (3, 'old', 'h-old', '2025-07-01 00:00:00')"
        ))  # fmt: skip
    migrate.upgrade(empty_engine, "0016")
    column = _columns(empty_engine, "api_tokens")["prefix"]
    assert column["nullable"] is True and isinstance(column["type"], sa.String)
    with empty_engine.connect() as conn:
        rows = conn.execute(text("SELECT name, prefix FROM api_tokens")).all()
    assert [tuple(r) for r in rows] == [("old", None)]  # an old token has no prefix
    _downgrade(empty_engine, "0003")
    assert "prefix" not in _columns(empty_engine, "api_tokens")
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM api_tokens")).scalars().all() == ["old"]
    migrate.upgrade(empty_engine)  # every head, as `zhengwu db upgrade` does
    assert "prefix" in _columns(empty_engine, "api_tokens")
    assert migrate.ensure_current(empty_engine) is False


_STAMP_WATCHED = {"request_categories", "routing_rules", "routing_table_versions", "matrices",
                  "matrix_members", "accounts", "organizations"}  # fmt: skip


def _stamp_triggers(engine: Engine, prefix: str = "desk_config_") -> dict[str, int]:
    """Return {table: number of triggers named ``prefix…`` on it} in the engine's schema."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'"
                " AND name LIKE :pattern"
            ), {"pattern": prefix + "%"}).scalars().all()  # fmt: skip
        else:
            rows = conn.execute(text(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal AND t.tgname LIKE :pattern"
                " AND c.relnamespace = current_schema()::regnamespace"
            ), {"pattern": prefix + "%"}).scalars().all()  # fmt: skip
    counts: dict[str, int] = {}
    for table in rows:
        counts[table] = counts.get(table, 0) + 1
    return counts


def test_every_head_keeps_the_desk_stamp_triggers(db_engine: Engine) -> None:
    # A later migration that rebuilds a watched table (batch_alter_table on SQLite) drops
    # its triggers: the desk snapshot would then miss that table's changes.
    counts = _stamp_triggers(db_engine)
    assert set(counts) == _STAMP_WATCHED
    if db_engine.dialect.name == "sqlite":  # one per event: accounts has no insert trigger
        assert counts == {t: 2 if t == "accounts" else 3 for t in _STAMP_WATCHED}
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM desk_config_stamp")).scalar() == 1


def test_desk_stamp_migration_adds_and_drops_its_table_and_triggers(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0015")  # the service desk branch as it was before 0017
    assert "desk_config_stamp" not in inspect(empty_engine).get_table_names()
    migrate.upgrade(empty_engine, "0017")
    assert set(_columns(empty_engine, "desk_config_stamp")) == {"id", "token"}
    assert set(_stamp_triggers(empty_engine)) == _STAMP_WATCHED
    with empty_engine.begin() as conn:
        before = conn.execute(text("SELECT token FROM desk_config_stamp")).scalar_one()
        conn.execute(text(
            "INSERT INTO organizations (name, level, sector, created_at)"
            " VALUES ('郑州市公安局', '市', '公安', '2025-07-01 00:00:00')"
        ))  # fmt: skip
        assert conn.execute(text("SELECT token FROM desk_config_stamp")).scalar_one() != before
    _downgrade(empty_engine, "0015")
    assert "desk_config_stamp" not in inspect(empty_engine).get_table_names()
    assert _stamp_triggers(empty_engine) == {}
    with empty_engine.begin() as conn:  # the watched tables are written as before
        conn.execute(text("UPDATE organizations SET name = '郑州市公安局（新）'"))
    migrate.upgrade(empty_engine)
    assert set(_stamp_triggers(empty_engine)) == _STAMP_WATCHED


_SEARCH_TRIGGERS = {"accounts": 3, "service_requests": 3, "organizations": 1}


def test_every_head_keeps_the_search_queue_triggers(db_engine: Engine) -> None:
    # A later migration that rebuilds accounts, service_requests or organizations
    # (batch_alter_table on SQLite) drops their triggers: search would miss changes.
    assert _stamp_triggers(db_engine, "search_pending_") == _SEARCH_TRIGGERS


def test_search_queue_migration_queues_what_the_watermark_had_not_reached(
    empty_engine: Engine,
) -> None:
    migrate.upgrade(empty_engine, "0017")
    migrate.upgrade(empty_engine, "0014")
    migrate.upgrade(empty_engine, "0009")  # every table the queue watches, before 0018
    with empty_engine.begin() as conn:
        for uid, at in (
            ("1", "2025-06-01 00:00:00"),
            ("2", "2025-08-01 00:00:00"),
            ("3", "2025-09-01 00:00:00"),
        ):
            conn.execute(text(
                "INSERT INTO accounts (platform, uid, name, is_government, status, first_seen,"
                " updated_at) VALUES ('weibo', :uid, '账号', true, 'active', :at, :at)"
            ), {"uid": uid, "at": at})  # fmt: skip
        # The accounts were indexed up to account 2; requests never were.
        conn.execute(text(
            "INSERT INTO search_kinds (kind, doc_count, total_length, watermark_at, watermark_id)"
            " VALUES ('accounts', 2, 10, '2025-08-01 00:00:00', 2)"
        ))  # fmt: skip
    migrate.upgrade(empty_engine, "0018")
    assert "watermark_at" not in _columns(empty_engine, "search_kinds")
    assert _stamp_triggers(empty_engine, "search_pending_") == _SEARCH_TRIGGERS
    with empty_engine.begin() as conn:
        queued = conn.execute(text("SELECT kind, row_id FROM search_pending ORDER BY id")).all()
        ids = dict(conn.execute(text("SELECT uid, id FROM accounts")).all())
        # At or after the watermark (its own row again: harmless, never lost).
        assert [tuple(r) for r in queued] == [("accounts", ids["2"]), ("accounts", ids["3"])]
        conn.execute(text("UPDATE accounts SET followers = 5"))  # no document changes
        conn.execute(text("UPDATE accounts SET name = '新名' WHERE uid = '1'"))
        assert conn.execute(text("SELECT count(*) FROM search_pending")).scalar() == 3
    _downgrade(empty_engine, "0009")
    assert "search_pending" not in inspect(empty_engine).get_table_names()
    assert _stamp_triggers(empty_engine, "search_pending_") == {}
    assert "watermark_at" in _columns(empty_engine, "search_kinds")
    migrate.upgrade(empty_engine)
    assert _stamp_triggers(empty_engine, "search_pending_") == _SEARCH_TRIGGERS


def _filled(table: sa.Table, when: datetime, **values: Any) -> dict[str, Any]:
    """Return ``values`` with every other NOT NULL column of ``table`` given a plain value."""
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        kind = column.type
        if isinstance(kind, sa.Boolean):
            row[column.name] = False
        elif isinstance(kind, sa.Integer):
            row[column.name] = 0
        elif isinstance(kind, sa.DateTime):
            row[column.name] = when
        elif isinstance(kind, sa.JSON):
            row[column.name] = {}
        else:
            row[column.name] = "x"
    return row


def test_request_ratings_migration_brings_back_the_ratings_reopening_erased(
    empty_engine: Engine,
) -> None:
    migrate.upgrade(empty_engine, "0017")  # the service desk branch as it was before 0020
    assert "request_ratings" not in inspect(empty_engine).get_table_names()
    at = datetime(2025, 7, 1, tzinfo=UTC)
    meta = sa.MetaData()
    requests = sa.Table("service_requests", meta, autoload_with=empty_engine)
    audit = sa.Table("audit_log", meta, autoload_with=empty_engine)
    with empty_engine.begin() as conn:
        # 1: rated 2 (不满意), reopened (the row's rating cleared), rated 5 again.
        # 2: rated 4 on its row with no audited rating (older data). 3: never rated.
        for rid, satisfaction in ((1, 5), (2, 4), (3, None)):
            conn.execute(requests.insert(), _filled(
                requests, at, id=rid, public_id=f"SR{rid}", state="followed_up",
                source_ref=f"form:{rid}", satisfaction=satisfaction, received_at=at,
                followed_up_at=at + timedelta(days=9) if satisfaction else None,
            ))  # fmt: skip
        for action, data, days in (
            ("follow_up", {"satisfaction": 2}, 3),
            ("reopen", {"satisfaction": 2}, 4),
            ("follow_up", {"satisfaction": 5}, 9),
            ("note", {"satisfaction": 1}, 10),
        ):
            conn.execute(audit.insert(), _filled(
                audit, at, entity_type="request", entity_id=1, action=action, actor_name="市民",
                data=data, at=at + timedelta(days=days),
            ))  # fmt: skip
    migrate.upgrade(empty_engine, "0020")
    with empty_engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT request_id, satisfaction, rated_at FROM request_ratings"
            " ORDER BY request_id, rated_at"
        )).all()  # fmt: skip
    got = [(r[0], r[1], r[2] if isinstance(r[2], datetime) else datetime.fromisoformat(r[2]))
           for r in rows]  # fmt: skip
    assert [(g[0], g[1]) for g in got] == [(1, 2), (1, 5), (2, 4)]
    assert got[0][2].replace(tzinfo=UTC) == at + timedelta(days=3)
    _downgrade(empty_engine, "0017")
    assert "request_ratings" not in inspect(empty_engine).get_table_names()
    migrate.upgrade(empty_engine)  # every head, as `zhengwu db upgrade` does
    assert "request_ratings" in inspect(empty_engine).get_table_names()
    assert migrate.ensure_current(empty_engine) is False


def test_set_aside_origin_migration_keeps_old_rows_which_still_promote(
    empty_engine: Engine,
) -> None:
    from zhengwu.auth.principal import Principal
    from zhengwu.rescue import intake
    from zhengwu.rescue.models import SetAside

    migrate.upgrade(empty_engine, "0024")  # the rescue branch as it was before 0027
    assert "url" not in _columns(empty_engine, "help_set_aside")
    with empty_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO rescue_incidents (id, name, type, status, regions, hashtags, keywords,"
            " starts_at, reverify_hours, created_at) VALUES (5, '旧灾情', 'flood', 'active',"
            " '[\"410100\"]', '[]', '[]', '2021-07-20 00:00:00', 6.0, '2021-07-20 00:00:00')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO help_set_aside (incident_id, kind, channel, platform, post_id, reason,"
            " text, created_at) VALUES (5, 'ignored', 'post', 'weibo', '10', '不是求助信息',"
            " '#郑州暴雨互助# 经三路12号院那边还有人吗，好几天没消息了', '2021-07-20 03:00:00')"
        ))  # fmt: skip
    migrate.upgrade(empty_engine, "0027")
    columns = _columns(empty_engine, "help_set_aside")
    assert all(columns[name]["nullable"] for name in ("url", "author", "posted_at"))
    assert isinstance(columns["url"]["type"], sa.String)
    assert (columns["url"]["type"].length, columns["author"]["type"].length) == (256, 128)
    assert isinstance(columns["posted_at"]["type"], sa.DateTime)
    with empty_engine.connect() as conn:
        rows = conn.execute(text("SELECT post_id, url, author, posted_at FROM help_set_aside"))
        assert [tuple(r) for r in rows] == [("10", None, None, None)]
    _downgrade(empty_engine, "0024")
    assert "url" not in _columns(empty_engine, "help_set_aside")
    with empty_engine.connect() as conn:  # the row stays
        assert conn.execute(text("SELECT post_id FROM help_set_aside")).scalars().all() == ["10"]
    migrate.upgrade(empty_engine)  # every head, as `zhengwu db upgrade` does
    assert migrate.ensure_current(empty_engine) is False
    # The old row, with no link, author or post time, still promotes: from when it was set aside.
    dispatcher = Principal(role="dispatcher", username="d", display_name="调度员")
    with Session(empty_engine) as session:
        old = session.scalars(select(SetAside)).one()
        request = intake.promote(session, set_aside=old, actor=dispatcher, reason="家属来电")
        source = request.sources[0]
        assert (source.url, source.author) == (None, None)
        assert source.posted_at == request.reported_at == datetime(2021, 7, 20, 3, 0, tzinfo=UTC)
        session.commit()


def test_citizen_phone_index_migration_adds_and_drops_it(empty_engine: Engine) -> None:
    def indexes() -> set[str]:
        return {str(i["name"]) for i in inspect(empty_engine).get_indexes("service_requests")}

    migrate.upgrade(empty_engine, "0020")  # the service desk branch as it was before 0029
    assert "ix_service_requests_citizen_phone" not in indexes()
    migrate.upgrade(empty_engine, "0029")
    assert "ix_service_requests_citizen_phone" in indexes()
    _downgrade(empty_engine, "0020")
    assert "ix_service_requests_citizen_phone" not in indexes()
    assert "ix_service_requests_citizen_fp" in indexes()


def test_matrix_page_indexes_migration_adds_and_drops_them(empty_engine: Engine) -> None:
    def indexes(table: str) -> dict[str, list[str | None]]:
        return {str(i["name"]): i["column_names"] for i in inspect(empty_engine).get_indexes(table)}

    migrate.upgrade(empty_engine, "0014")  # the accounts branch as it was before 0030
    assert indexes("matrices")["ix_matrices_parent_id"] == ["parent_id"]
    assert "ix_matrix_members_matrix_id_role_account_id" not in indexes("matrix_members")
    migrate.upgrade(empty_engine, "0030")
    assert indexes("matrices")["ix_matrices_parent_id_name_id"] == ["parent_id", "name", "id"]
    assert "ix_matrices_parent_id" not in indexes("matrices")
    assert indexes("matrix_members")["ix_matrix_members_matrix_id_role_account_id"] == [
        "matrix_id", "role", "account_id"
    ]  # fmt: skip
    _downgrade(empty_engine, "0014")
    assert indexes("matrices")["ix_matrices_parent_id"] == ["parent_id"]
    assert "ix_matrices_parent_id_name_id" not in indexes("matrices")
    assert "ix_matrix_members_matrix_id_role_account_id" not in indexes("matrix_members")


def test_team_queue_index_migration_adds_and_drops_it(empty_engine: Engine) -> None:
    def indexes() -> dict[str, list[str | None]]:
        found = inspect(empty_engine).get_indexes("help_requests")
        return {str(i["name"]): i["column_names"] for i in found}

    migrate.upgrade(empty_engine, "0025")  # the rescue branch as it was before 0032
    assert "ix_help_requests_team_queue" not in indexes()
    migrate.upgrade(empty_engine, "0032")
    assert indexes()["ix_help_requests_team_queue"] == ["team_id", "incident_id", "state", "adcode"]
    _downgrade(empty_engine, "0025")
    assert "ix_help_requests_team_queue" not in indexes()
    assert indexes()["ix_help_requests_team_id"] == ["team_id"]


def test_account_trigram_migration_adds_and_drops_them_on_postgresql(
    empty_engine: Engine,
) -> None:
    def indexes() -> dict[str, list[str | None]]:
        return {
            str(i["name"]): i["column_names"] for i in inspect(empty_engine).get_indexes("accounts")
        }

    migrate.upgrade(empty_engine, "0030")  # the accounts branch as it was before 0031
    assert not {"ix_accounts_name_trgm", "ix_accounts_uid_trgm"} & set(indexes())
    migrate.upgrade(empty_engine, "0031")
    if empty_engine.dialect.name == "sqlite":  # nothing to do there
        assert not {"ix_accounts_name_trgm", "ix_accounts_uid_trgm"} & set(indexes())
    else:
        assert indexes()["ix_accounts_name_trgm"] == ["name"]
        assert indexes()["ix_accounts_uid_trgm"] == ["uid"]
        with empty_engine.connect() as conn:
            kind = conn.execute(text(
                "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam"
                " WHERE c.oid = 'ix_accounts_name_trgm'::regclass"
            )).scalar_one()  # fmt: skip
            home = conn.execute(text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
                " ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
            )).scalar_one()  # fmt: skip
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        assert kind == "gin"
        # Not in the tables' schema: dropping that one must not drop the extension under others.
        assert home != schema
    _downgrade(empty_engine, "0030")
    assert not {"ix_accounts_name_trgm", "ix_accounts_uid_trgm"} & set(indexes())
    migrate.upgrade(empty_engine)  # every head, as `zhengwu db upgrade` does
    assert ("ix_accounts_name_trgm" in indexes()) == (empty_engine.dialect.name == "postgresql")


def test_team_id_index_drop_migration_drops_and_restores_it(empty_engine: Engine) -> None:
    def indexes() -> dict[str, list[str | None]]:
        found = inspect(empty_engine).get_indexes("help_requests")
        return {str(i["name"]): i["column_names"] for i in found}

    migrate.upgrade(empty_engine, "0032")  # the rescue branch as it was before 0033
    assert indexes()["ix_help_requests_team_id"] == ["team_id"]
    migrate.upgrade(empty_engine, "0033")
    assert "ix_help_requests_team_id" not in indexes()
    assert indexes()["ix_help_requests_team_queue"] == ["team_id", "incident_id", "state", "adcode"]
    _downgrade(empty_engine, "0032")
    assert indexes()["ix_help_requests_team_id"] == ["team_id"]
    migrate.upgrade(empty_engine)  # every head, as `zhengwu db upgrade` does
    assert "ix_help_requests_team_id" not in indexes()
    assert migrate.ensure_current(empty_engine) is False


def test_short_gram_migration_adds_and_drops_the_function_and_index_on_postgresql(
    empty_engine: Engine,
) -> None:
    def state() -> tuple[bool, bool]:
        indexes = {str(i["name"]) for i in inspect(empty_engine).get_indexes("accounts")}
        if empty_engine.dialect.name != "postgresql":
            return "ix_accounts_short_grams" in indexes, False
        with empty_engine.connect() as conn:
            function = conn.execute(text(
                "SELECT count(*) FROM pg_proc WHERE proname = 'account_short_grams'"
                " AND pronamespace = current_schema()::regnamespace"
            )).scalar_one()  # fmt: skip
        return "ix_accounts_short_grams" in indexes, function == 1

    migrate.upgrade(empty_engine, "0031")  # the accounts branch as it was before 0034
    assert state() == (False, False)
    migrate.upgrade(empty_engine, "0034")
    postgres = empty_engine.dialect.name == "postgresql"
    assert state() == (postgres, postgres)  # SQLite: nothing to do there
    if postgres:
        with empty_engine.begin() as conn:
            kind, definition = conn.execute(text(
                "SELECT am.amname, pg_get_indexdef(c.oid) FROM pg_class c"
                " JOIN pg_am am ON am.oid = c.relam WHERE c.oid = 'ix_accounts_short_grams'::regclass"
            )).one()  # fmt: skip
            grams = conn.execute(text("SELECT account_short_grams('Ab公安', 'WB_1')")).scalar_one()
        assert kind == "gin" and "account_short_grams((name)::text, (uid)::text)" in definition
        # Lower-cased characters and pairs of the name and the UID, none across the two.
        assert {"a", "b", "公", "ab", "b公", "公安", "wb", "b_", "_1"} <= set(grams)
        assert not {"A", "WB", "安w", "安\x01w"} & set(grams)
    _downgrade(empty_engine, "0031")
    assert state() == (False, False)
    migrate.upgrade(empty_engine)  # every head, as `zhengwu db upgrade` does
    assert state() == (postgres, postgres)


def test_rescue_data_of_0019_upgrades_through_the_table_rebuilds(empty_engine: Engine) -> None:
    """0023 rebuilds ``help_requests`` on SQLite (batch mode) while ``help_sources`` rows
    point at it: with foreign keys enforced the rebuild's DROP TABLE failed, so a
    deployment with help requests could not upgrade. Upgrades run with the keys off, are
    checked before they commit, and leave the pooled connection enforcing them again."""
    migrate.upgrade(empty_engine, "0019")  # the rescue branch before 0023
    at = "'2021-07-20 00:00:00'"
    with empty_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO rescue_incidents (id, name, type, status, regions, hashtags, keywords,"
            f" starts_at, reverify_hours, created_at) VALUES (1, '旧灾情', 'flood', 'active',"
            f" '[]', '[]', '[]', {at}, 6.0, {at})"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO help_requests (id, incident_id, state, version, phones, people_helped,"
            " vulnerabilities, needs, urgency, urgency_reasons, completeness, missing, text,"
            " reported_at, created_at, verification) VALUES (1, 1, 'new', 1, '[]', 0, '[]',"
            f" '[]', 'normal', '[]', 1.0, '[]', '求助', {at}, {at}, 'unverified')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO help_sources (id, incident_id, request_id, channel, platform, post_id,"
            " text, posted_at, kind, score, fields, created_at) VALUES (1, 1, 1, 'post',"
            f" 'weibo', 'p1', '求助', {at}, 'original', 1.0, '{{}}', {at})"
        ))  # fmt: skip
    migrate.upgrade(empty_engine)  # every head, as `zhengwu db upgrade` does
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT id, merged_into_id FROM help_requests")).all() == [
            (1, None)
        ]
        assert conn.execute(text("SELECT id, request_id FROM help_sources")).all() == [(1, 1)]
        if empty_engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    if empty_engine.dialect.name == "sqlite":  # still enforced on the pooled connection
        with pytest.raises(sa.exc.IntegrityError), empty_engine.begin() as conn:
            conn.execute(text("UPDATE help_sources SET request_id = 99"))
    assert migrate.ensure_current(empty_engine) is False


def test_a_sqlite_upgrade_that_breaks_a_key_is_rolled_back_but_old_breaks_do_not_stop_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row written with the keys off (the ``sqlite3`` shell's default) does not stop an
    upgrade; a row the upgrade itself leaves pointing nowhere rolls it all back. (SQLite
    only: foreign keys are switched off for upgrades there alone.)"""
    empty_engine = make_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    migrate.upgrade(empty_engine, "0019")
    at = "'2021-07-20 00:00:00'"
    orphan = (
        "INSERT INTO help_sources (incident_id, request_id, channel, platform, post_id, text,"
        f" posted_at, kind, score, fields, created_at) VALUES (7, 7, 'post', 'weibo', 'p{{n}}',"
        f" '求助', {at}, 'original', 1.0, '{{{{}}}}', {at})"
    )
    with empty_engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.execute(text(orphan.format(n=1)))
        conn.commit()
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()
    real_upgrade = migrate.command.upgrade

    def breaking_upgrade(cfg: Any, revision: str) -> None:
        real_upgrade(cfg, "0023")
        cfg.attributes["connection"].execute(text(orphan.format(n=2)))

    monkeypatch.setattr(migrate.command, "upgrade", breaking_upgrade)
    with pytest.raises(ServerError, match="help_sources 1"):
        migrate.upgrade(empty_engine)
    assert migrate.current(empty_engine) == "0019"  # rolled back, 0023 included
    monkeypatch.setattr(migrate.command, "upgrade", real_upgrade)
    migrate.upgrade(empty_engine)  # the old orphan alone does not stop it
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT post_id FROM help_sources")).scalars().all() == ["p1"]
    empty_engine.dispose()


def test_a_sqlite_downgrade_of_0038_keeps_the_rows_that_point_at_outbox(tmp_path: Path) -> None:
    """0038's downgrade drops ``outbox``'s error columns by rebuilding ``outbox`` on SQLite:
    with the keys enforced, dropping the old table failed on a distribution pointing at a
    message (FOREIGN KEY constraint failed). It runs as the upgrade does — keys off, one
    transaction, every key checked — and leaves the rows and their keys as they were.
    (SQLite only: PostgreSQL drops the columns in place.)"""
    engine = make_engine(f"sqlite:///{tmp_path / 'down.db'}")
    migrate.upgrade(engine)
    at = "'2025-07-01 00:00:00'"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO accounts (id, platform, uid, name, is_government, status, first_seen,"
            f" updated_at) VALUES (1, 'weibo', '1001', '郑州发布', 1, 'active', {at}, {at})"))  # fmt: skip
        conn.execute(text(
            "INSERT INTO outbox (id, kind, platform, body, state, attempts, last_error,"
            f" last_error_at, created_at) VALUES (5, 'publish', 'weibo', '通报', 'failed', 1,"
            f" '超时', {at}, {at})"))  # fmt: skip
        conn.execute(text(
            "INSERT INTO library_items (id, title, body, kind, visibility, label_rank, version,"
            " created_by_name, updated_by_name, created_at, updated_at) VALUES (3, '通报', '',"
            f" 'draft', 'matrix', 0, 1, '王', '王', {at}, {at})"))  # fmt: skip
        conn.execute(text(
            "INSERT INTO library_distributions (item_id, account_id, state, outbox_id,"
            f" planned_by_name, planned_at) VALUES (3, 1, 'queued', 5, '王', {at})"))  # fmt: skip
    migrate.downgrade(engine, "0038@-1")  # 0038 alone: the other branches stay
    assert "last_error" not in _columns(engine, "outbox")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, body FROM outbox")).all() == [(5, "通报")]
        assert conn.execute(text("SELECT outbox_id FROM library_distributions")).all() == [(5,)]
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # on again
    migrate.upgrade(engine)  # and up again
    assert "last_error" in _columns(engine, "outbox")
    engine.dispose()


def test_import_run_refused_migration_adds_and_drops_it(empty_engine: Engine) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in inspect(empty_engine).get_columns("import_runs")}

    migrate.upgrade(empty_engine, "0034")  # the foundation branch as it was before 0040
    with empty_engine.begin() as conn:
        conn.execute(
            text("INSERT INTO import_runs (format, paths, started_at, read, imported, updated, "
                 "duplicates, quarantined) VALUES ('weibo-api', 'a.jsonl', :t, 1, 1, 0, 0, 0)"),
            {"t": datetime(2025, 7, 1, tzinfo=UTC)},
        )  # fmt: skip
    migrate.upgrade(empty_engine, "0040")
    assert "refused" in columns()
    with empty_engine.connect() as conn:  # a run from before: it refused none
        assert conn.execute(text("SELECT refused FROM import_runs")).scalar_one() is None
    _downgrade(empty_engine, "0034")
    assert "refused" not in columns()
