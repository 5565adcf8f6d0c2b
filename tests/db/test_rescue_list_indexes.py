"""Migration 0022: the indexes of the paged rescue lists, as the model declares them."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from zhengwu.rescue.models import HelpRequest

WANTED = {
    "ix_help_requests_incident_reported": ["incident_id", "reported_at", "id"],
    "ix_help_requests_incident_adcode_state": ["incident_id", "adcode", "state"],
}


def test_list_indexes_exist_as_declared(db_engine: Engine) -> None:
    found = {i["name"]: i["column_names"] for i in inspect(db_engine).get_indexes("help_requests")}
    declared = {i.name: [c.name for c in i.columns] for i in HelpRequest.__table__.indexes}
    for name, columns in WANTED.items():
        assert found.get(name) == columns
        assert declared.get(name) == columns
