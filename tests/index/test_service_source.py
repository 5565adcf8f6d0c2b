"""The service desk's rates reach the index through a small interface, looked up lazily."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from zhengwu.index import service_source
from zhengwu.index.service_source import SERVICE_RATES_SCHEMA, conform, load_service_rates


def test_the_service_desk_provider_is_found_and_conforms(session: Session) -> None:
    table, note = load_service_rates(session, date(2025, 7, 1), date(2025, 7, 31))
    assert table.schema == SERVICE_RATES_SCHEMA
    assert table.num_rows == 0  # no requests in this database
    assert note == (
        "服务台在此期间没有办理诉求的比率：服务力改用服务话题发文计算 / the service desk has no "
        "rates for the window: the service dimension uses posts with service hashtags"
    )


def test_a_missing_service_desk_means_the_fallback(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_source, "PROVIDER", "zhengwu.no_such_desk:rates_for_index")
    table, note = load_service_rates(session, date(2025, 7, 1), date(2025, 7, 31))
    assert table.num_rows == 0
    assert "服务台不可用" in note and "unavailable" in note


def test_conform_keeps_the_interface_columns_and_refuses_missing_ones() -> None:
    wide = pa.table({"organization_id": [1], "response_rate": [0.5], "resolution_rate": [None],
                     "ontime_rate": [0.2], "satisfaction_rate": [0.9], "n": [3],
                     "period": ["2025-07"]})  # fmt: skip
    assert conform(wide).column_names == SERVICE_RATES_SCHEMA.names
    with pytest.raises(ValueError, match="lacks columns"):
        conform(pa.table({"organization_id": [1]}))
