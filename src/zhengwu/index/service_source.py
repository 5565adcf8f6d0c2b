"""The service desk's rates as the index's 服务力 input — a small interface, looked up lazily.

The service desk (``zhengwu.servicedesk``) is expected to provide::

    zhengwu.servicedesk.rates.rates_for_index(session, start: date, end: date) -> pyarrow.Table

with one row per organisation that handled requests in the window ``[start, end)`` (China
days, ``end`` exclusive: the day after the period) and the columns of
:data:`SERVICE_RATES_SCHEMA` (rates are fractions 0–1, NULL when undefined; ``n`` is the
number of requests; other columns such as ``period`` are ignored). The index
imports it only when a run needs it. When the module is missing, raises ImportError or
returns no rows, the index uses the fallback indicators of the service dimension (posts
with service hashtags) and the run says so in its notes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import cast

import pyarrow as pa
from sqlalchemy.orm import Session

SERVICE_RATES_SCHEMA = pa.schema(
    [
        ("organization_id", pa.int64()),
        ("response_rate", pa.float64()),
        ("resolution_rate", pa.float64()),
        ("ontime_rate", pa.float64()),
        ("satisfaction_rate", pa.float64()),
        ("n", pa.int64()),
    ]
)
PROVIDER = "zhengwu.servicedesk.rates:rates_for_index"
RatesProvider = Callable[[Session, date, date], pa.Table]


def empty_rates() -> pa.Table:
    """Return a rates table with no rows."""
    return SERVICE_RATES_SCHEMA.empty_table()


def conform(table: pa.Table) -> pa.Table:
    """Return ``table`` with exactly the interface columns, cast to their types."""
    missing = [f.name for f in SERVICE_RATES_SCHEMA if f.name not in table.column_names]
    if missing:
        raise ValueError(f"service rates table lacks columns {missing}")
    return table.select(SERVICE_RATES_SCHEMA.names).cast(SERVICE_RATES_SCHEMA)


def _provider() -> RatesProvider | None:
    module_name, _, attr = PROVIDER.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    found = getattr(module, attr, None)
    return cast(RatesProvider, found) if callable(found) else None


def load_service_rates(session: Session, first: date, last: date) -> tuple[pa.Table, str]:
    """Return the service desk's rates for the days ``first``…``last`` and where they came from."""
    provider = _provider()
    if provider is None:
        return empty_rates(), (
            f"服务台不可用（找不到 {PROVIDER}）：服务力改用服务话题发文计算 / service desk rates "
            f"unavailable ({PROVIDER} not found): the service dimension uses posts with "
            "service hashtags"
        )
    table = conform(provider(session, first, last + timedelta(days=1)))
    if table.num_rows == 0:
        return table, (
            "服务台在此期间没有办理诉求的比率：服务力改用服务话题发文计算 / the service desk has no "
            "rates for the window: the service dimension uses posts with service hashtags"
        )
    n = table.num_rows
    return (
        table,
        f"服务力采用服务台 {n} 个机构的办理比率 / service desk rates for {n} organisations",
    )
