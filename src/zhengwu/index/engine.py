"""Run an indicator system over a period: score, gate, rank, store — all inside DuckDB.

``run_index`` works on Arrow dimension tables (so tests and benchmarks can hand them in);
``run_for_db`` reads them, the service-desk rates and the compliance flags from the
operational DB first. Results replace any earlier run of the same system and period;
``run_for_db`` refuses to replace one configured otherwise unless told to
(:mod:`zhengwu.index.configuration`).

Ranking order (deterministic, documented in every methodology): score rounded to 6
decimals, descending (rounding makes runs independent of the order DuckDB's parallel
sums happen to add floating-point numbers in); then the system's tie-break metric,
descending (``posts`` for zhengwu-4d and the presets: the account that published more
ranks first among equals); then the uid, ascending.

An account without usable data (for zhengwu-4d no raw value at all, so every dimension
missing; for a preset every count it needs unreported) is not scored as 0: its score is
NULL, it is excluded from the ranking with the reason ``no_data`` (the path failing
accounts take), it has no percentile, and the run notes say how many there were — and
which peer groups had no usable data at all.

Posts whose author is not a registered account (an article list names only the 公众号's
biz, and nothing registers it) are never scored; ``run_for_db`` asks the operational DB
which of the window's unscored authors have no account row, and the run notes count them.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy.orm import Session

from zhengwu.index import compliance, composite, matrix, results
from zhengwu.index.compliance import ComplianceRules
from zhengwu.index.dialect import DUCKDB, Dialect
from zhengwu.index.dimensions import Dimensions, load_dimensions
from zhengwu.index.metrics import get_metric
from zhengwu.index.periods import Period
from zhengwu.index.service_source import empty_rates, load_service_rates
from zhengwu.index.system import IndicatorSystem

ORDER = "round(score, 6) DESC NULLS LAST, tie_value DESC NULLS LAST, {uid}"


@dataclass(slots=True)
class RunSummary:
    """What one run did."""

    run_id: str
    system: str
    period: Period
    accounts: int
    failing: int
    organizations: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as a JSON-serialisable mapping."""
        return {
            "run_id": self.run_id, "system": self.system, "period": self.period.to_dict(),
            "accounts": self.accounts, "failing": self.failing,
            "organizations": self.organizations, "seconds": round(self.seconds, 3),
            "notes": self.notes,
        }  # fmt: skip


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _register(
    con: duckdb.DuckDBPyConnection, dims: Dimensions, rates: pa.Table, flags: pa.Table
) -> None:
    con.complete()  # DuckDB 2 refuses register() while a result is half-fetched
    con.register("acc_in", dims.accounts)
    con.register("orgs_in", dims.organizations)
    con.register("members_in", dims.members)
    con.register("regions_in", dims.regions)
    con.register("svc_in", rates)
    con.register("flags_in", flags)


def _unregister(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("acc_in", "orgs_in", "members_in", "regions_in", "svc_in", "flags_in"):
        con.unregister(name)
    for table in ("acc", "agg_posts", "agg_followers", "vals", "compliance", "ranked"):
        con.execute(f"DROP TABLE IF EXISTS {table}")


_RANKS = """
    SELECT key,
           CASE WHEN NOT excluded THEN sum(CASE WHEN excluded THEN 0 ELSE 1 END) OVER w END AS rank,
           row_number() OVER w AS rank_with_failing,
           CASE WHEN score IS NOT NULL THEN 100 * cume_dist() OVER (
               PARTITION BY {peer}, score IS NULL ORDER BY round(score, 6)) END AS percentile,
           count(score) OVER (PARTITION BY {peer}) AS peer_size
    FROM base
    WINDOW w AS (PARTITION BY platform ORDER BY {order}
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"""


def _ranks(peer: str) -> str:
    # One ordered window gives both ranks: the running count of compliant accounts is the
    # rank of a compliant account, the row number the rank with failing ones included. The
    # windows see only narrow rows (a window operator sorts every column it carries).
    # Percentile and peer size count the scored entities only: no data is not a low score.
    return _RANKS.format(peer=peer, order=ORDER.format(uid="uid"))


def _store_account_totals(
    con: duckdb.DuckDBPyConnection, system: IndicatorSystem, run_id: str
) -> None:
    # The windows run over a narrow temporary table (a window operator sorts every column
    # it carries); the wide row is assembled afterwards by joins on the integer account id.
    con.execute(f"CREATE OR REPLACE TEMP TABLE ranked AS {ranked_sql(system, run_id)}")
    con.execute(f"INSERT INTO index_totals {account_totals_sql(system, run_id)}")


def ranked_sql(system: IndicatorSystem, run_id: str) -> str:
    """Return the SELECT of every account's ranks over ``acc``, ``index_scores``, ``compliance``."""
    keys = ", ".join(f"a.{k}" for k in system.peer_group)
    return f"""WITH base AS (
            SELECT a.account_id AS key, a.platform, a.uid, {keys}, s.score, s.tie_value,
                   c.status = 'fail' OR s.score IS NULL AS excluded
            FROM acc a JOIN index_scores s ON s.account_id = a.account_id AND s.run_id = {_q(run_id)}
            JOIN compliance c ON c.account_id = a.account_id)
        {_ranks(", ".join(system.peer_group))}"""


def account_totals_sql(system: IndicatorSystem, run_id: str, dialect: Dialect = DUCKDB) -> str:
    """Return the SELECT of the rows of index_totals of the run's accounts (``ranked`` made)."""
    keys = ", ".join(f"a.{k}" for k in system.peer_group)
    empty, no_data = dialect.string_list([]), dialect.string_list(["'no_data'"])
    reasons = dialect.concat_lists(
        "c.reasons", f"CASE WHEN s.score IS NULL THEN {no_data} ELSE {empty} END"
    ) + ("" if dialect.spark else "::VARCHAR[]")
    return f"""SELECT {_q(run_id)} AS run_id, a.platform, 'account' AS entity, a.uid AS account_uid,
               a.account_id, a.organization_id, a.name, a.org_name, a.sector, a.level,
               a.province, a.city, s.score, r.rank, r.rank_with_failing,
               concat_ws('|', {keys}) AS peer_key, r.peer_size, r.percentile, s.dims_missing,
               c.status AS compliance, {reasons} AS compliance_reasons,
               c.status = 'fail' OR s.score IS NULL AS excluded, s.tie_value, s.posts
        FROM acc a JOIN index_scores s ON s.account_id = a.account_id AND s.run_id = {_q(run_id)}
        JOIN compliance c ON c.account_id = a.account_id
        JOIN ranked r ON r.key = a.account_id"""  # fmt: skip


_BLANK_GROUPS_NAMED = 5


def no_data_notes(con: duckdb.DuckDBPyConnection, run_id: str, period: Period) -> list[str]:
    """Return the notes on accounts without usable data, and on peer groups with none at all."""
    notes: list[str] = []
    rows = con.execute(
        """SELECT peer_key, count(*) AS n, count(*) FILTER (WHERE score IS NULL),
                  count(*) FILTER (WHERE score IS NULL OR score = 0)
           FROM index_totals WHERE run_id = ? AND entity = 'account'
           GROUP BY ALL ORDER BY peer_key""",
        [run_id],
    ).fetchall()
    no_data = sum(int(r[2]) for r in rows)
    if no_data:
        noun = "account" if no_data == 1 else "accounts"
        notes.append(
            f"{no_data} 个账号在 {period.label} 没有可用的计数（未报告，非 0），不计分、不排名（无数据 no_data）"
            f" / {no_data} {noun} had no usable counts in {period.label} (not reported, "
            "which is not 0): no score, not ranked (reason no_data)"
        )
    # The peer key always starts with the platform.
    blank_groups = [(peer, int(n), int(missing)) for peer, n, missing, blank in rows if blank == n]
    for key, n, missing in blank_groups[:_BLANK_GROUPS_NAMED]:
        if n == 1:  # "all 1 accounts …, the rest score 0" said of one account
            why_zh, why_en = ("无数据", "no counts") if missing else ("得分为 0", "it scores 0")
            zh = f"同组 {key} 唯一的账号在 {period.label} 没有可用数据（{why_zh}）"
            en = (
                f"peer group {key}: its one account has no usable data in {period.label} ({why_en})"
            )
        else:
            zh = (f"同组 {key} 的 {n} 个账号在 {period.label} 都没有可用数据"
                  f"（{missing} 个无数据，其余得分为 0）")  # fmt: skip
            en = (f"peer group {key}: none of its {n} accounts has usable data in "
                  f"{period.label} ({missing} without counts, the rest score 0)")  # fmt: skip
        notes.append(f"{zh}：该组排名没有意义 / {en}: its ranking says nothing")
    if len(blank_groups) > _BLANK_GROUPS_NAMED:
        rest = len(blank_groups) - _BLANK_GROUPS_NAMED
        notes.append(
            f"另有 {rest} 个同组也没有可用数据 / {rest} more peer "
            + ("group has" if rest == 1 else "groups have")
            + " no usable data"
        )
    return notes


Unregistered = Callable[[Iterable[tuple[str, str]]], list[tuple[str, str]]]


def unscored_authors(
    con: duckdb.DuckDBPyConnection, system: IndicatorSystem, period: Period
) -> list[tuple[str, str]]:
    """Return the ``(platform, uid)`` authors of the window's posts that the run did not score.

    Composite systems read the one aggregation of the posts (``agg_posts``) made while
    scoring; presets read the window's distinct authors.
    """
    if system.kind == "composite":
        source = "SELECT platform, uid FROM agg_posts WHERE uid IS NOT NULL"
    else:
        platforms = ", ".join(_q(p) for p in system.platforms)
        source = f"""SELECT DISTINCT platform, account_uid AS uid FROM posts
                     WHERE created_at >= $start AND created_at < $end
                       AND platform IN ({platforms}) AND account_uid IS NOT NULL"""
    rows = con.execute(
        f"SELECT platform, uid FROM ({source}) p ANTI JOIN acc USING (platform, uid)",
        {"start": period.start_utc, "end": period.end_utc} if system.kind != "composite" else {},
    ).fetchall()
    return [(str(p), str(u)) for p, u in rows]


def unregistered_note(missing: list[tuple[str, str]], period: Period) -> str | None:
    """Return the run note on posts whose authors are not registered accounts, if any."""
    if not missing:
        return None
    n = len(missing)
    shown = ", ".join(f"{p}:{u}" for p, u in missing[:3]) + (" …" if n > 3 else "")
    noun = "account" if n == 1 else "accounts"
    return (
        f"{n} 个账号（{shown}）在 {period.label} 有发文，但没有对应的已登记账号，未计分："
        "请先导入账号名录（zhengwu import zhengwu-accounts）"
        f" / posts of {n} {noun} in the store ({shown}) in {period.label} are not linked to "
        "any registered account, so they are not scored (import zhengwu-accounts / your "
        "account lists first)"
    )


def _combine_sql(system: IndicatorSystem) -> str:
    rule = system.combine
    if rule.method == "max":
        return "max(s)"
    if rule.method == "weighted":
        weights = rule.platform_weights
        case = " ".join(f"WHEN {_q(p)} THEN {w}" for p, w in weights.items())
        return f"sum(s * CASE platform {case} ELSE 0 END) / {sum(weights.values())}"
    return f"list_avg(list_slice(list_reverse_sort(list(s) FILTER (WHERE s IS NOT NULL)), 1, {rule.top}))"


def _store_org_totals(con: duckdb.DuckDBPyConnection, system: IndicatorSystem, run_id: str) -> None:
    # An organisation is ranked on its compliant accounts (the best one per platform); one
    # with no compliant account is scored on all of them and excluded like a failing account;
    # one whose accounts all lack data has no score and is excluded with ``no_data``.
    con.execute(
        f"""INSERT INTO index_totals
        WITH acct AS (SELECT * FROM index_totals
                      WHERE run_id = $run AND entity = 'account' AND organization_id IS NOT NULL),
        ok AS (SELECT organization_id, bool_or(NOT excluded) AS any_ok,
                      bool_and(score IS NULL) AS no_data FROM acct GROUP BY ALL),
        plat AS (SELECT a.organization_id, a.platform, max(a.score) AS s, sum(a.posts) AS posts
                 FROM acct a JOIN ok USING (organization_id)
                 WHERE NOT a.excluded OR NOT ok.any_ok GROUP BY ALL),
        base AS (SELECT organization_id AS key, organization_id, 'all' AS platform,
                        'org:' || organization_id AS uid,
                        {_combine_sql(system)} AS score, CAST(count(*) AS DOUBLE) AS tie_value,
                        sum(posts) AS posts, NOT any_value(ok.any_ok) AS excluded,
                        any_value(ok.no_data) AS no_data
                 FROM plat JOIN ok USING (organization_id) GROUP BY organization_id),
        r AS ({_ranks("platform")})
        SELECT $run, 'all', 'organization', b.uid, NULL, b.organization_id, o.name, o.name,
               o.sector, o.level, o.province, o.city, b.score, r.rank, r.rank_with_failing,
               'all', r.peer_size, r.percentile, []::VARCHAR[],
               CASE WHEN b.excluded THEN 'fail' ELSE 'pass' END,
               CASE WHEN b.no_data THEN ['no_data'] WHEN b.excluded THEN ['no_compliant_account']
                    ELSE [] END::VARCHAR[],
               b.excluded, b.tie_value, b.posts
        FROM base b JOIN orgs_in o USING (organization_id)
        JOIN r ON r.key = b.key""",
        {"run": run_id},
    )


def run_index(
    con: duckdb.DuckDBPyConnection,
    system: IndicatorSystem,
    period: Period,
    dims: Dimensions,
    *,
    service_rates: pa.Table | None = None,
    flags: pa.Table | None = None,
    rules: ComplianceRules | None = None,
    check_date: date | None = None,
    notes: list[str] | None = None,
    unregistered: Unregistered | None = None,
) -> RunSummary:
    """Score every account of ``dims`` over ``period``, gate, rank and store the results.

    ``unregistered`` (given by :func:`run_for_db`) returns which ``(platform, uid)`` pairs
    have no account row; the authors of the window's posts it names are counted in a note.
    """
    from zhengwu.index import methodology, presets_run

    started = clock.perf_counter()
    rules = rules or ComplianceRules.from_settings(
        reply_check=system.reply_check, reply_platforms=system.reply_platforms
    )
    check_date = check_date or period.end
    rates = service_rates if service_rates is not None else empty_rates()
    flags = flags if flags is not None else compliance.FLAGS_SCHEMA.empty_table()
    run_notes = [*system.notes, *(notes or [])]
    run_id = results.run_id_for(system.name, period.label)
    results.ensure_tables(con)
    _register(con, dims, rates, flags)
    # Every stored table is read back by keys or in ORDER BY, never in insertion order, so
    # DuckDB may write the results in parallel.
    order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute("BEGIN")
        results.delete_run(con, run_id)
        platforms = ", ".join(_q(p) for p in system.platforms)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE acc AS SELECT * FROM acc_in WHERE platform IN ({platforms})"
        )
        if system.kind == "composite":
            composite.build_values(con, system, period, has_service=rates.num_rows > 0)
            composite.score(con, system, run_id)
        else:
            run_notes.extend(presets_run.score(con, system, period, run_id))
        if unregistered is not None:
            note = unregistered_note(unregistered(unscored_authors(con, system, period)), period)
            run_notes.extend([note] if note else [])
        stale = compliance.stale_check_note(
            check_date,
            compliance.newest_post_day(con, system.platforms, on_or_after=check_date),
        )
        run_notes.extend([stale] if stale else [])
        compliance.evaluate(con, "acc", flags, check_date, rules)
        skipped = compliance.reply_skipped(con, system.platforms, rules)
        _store_account_totals(con, system, run_id)
        run_notes.extend(no_data_notes(con, run_id, period))
        _store_org_totals(con, system, run_id)
        con.execute(
            f"INSERT INTO index_matrix_members SELECT {_q(run_id)}, matrix_id, account_id FROM members_in"
        )
        con.execute("INSERT OR REPLACE INTO index_regions SELECT adcode, name FROM regions_in")
        matrix.compute(con, system, run_id)
        counts = con.execute(
            "SELECT count(*) FILTER (WHERE entity = 'account'), "
            "count(*) FILTER (WHERE entity = 'account' AND compliance = 'fail'), "
            "count(*) FILTER (WHERE entity = 'organization') FROM index_totals WHERE run_id = ?",
            [run_id],
        ).fetchone()
        n_accounts, n_failing, n_orgs = (int(v) for v in counts) if counts else (0, 0, 0)
        seconds = clock.perf_counter() - started
        items = (
            composite.items_of(system)
            if system.kind == "composite"
            else presets_run.items_of(system)
        )
        con.execute(
            "INSERT INTO index_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, system.name, system.kind, system.version, system.digest, period.label,
             period.kind, period.week_start, period.start, period.end, period.days, check_date,
             rules.window_days, rules.reply_check, datetime.now(UTC).replace(tzinfo=None),
             seconds, n_accounts, n_failing, [i[0] for i in items], [i[1] for i in items],
             [i[2] for i in items], run_notes,
             methodology.render(system, period=period, notes=run_notes, rules=rules,
                                check_date=check_date, reply_skipped=skipped)],
        )  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        _unregister(con)
        con.execute(f"SET preserve_insertion_order = {bool(order)}")
    return RunSummary(
        run_id, system.name, period, n_accounts, n_failing, n_orgs, seconds, run_notes
    )


def uses_service_rates(system: IndicatorSystem) -> bool:
    """Tell whether a run of ``system`` reads the service desk's rates (服务力)."""
    return system.kind == "composite" and any(
        get_metric(i.metric).source == "service" for _, i, _ in system.indicators()
    )


def run_for_db(
    session: Session,
    con: duckdb.DuckDBPyConnection,
    system: IndicatorSystem,
    period: Period,
    *,
    window_days: int | None = None,
    reply_check: bool | None = None,
    check_date: date | None = None,
    replace: bool = False,
) -> RunSummary:
    """Read dimensions, service rates and flags from the operational DB, then run the index.

    A stored run of the same system and period configured otherwise (system file, gate
    options) is replaced only with ``replace``; ConflictError otherwise.
    """
    from zhengwu.accounts import service as account_service
    from zhengwu.index.configuration import check_rerun

    rules = ComplianceRules.from_settings(
        window_days=window_days,
        reply_check=system.reply_check if reply_check is None else reply_check,
        reply_platforms=system.reply_platforms,
    )
    notes = check_rerun(session, con, system, period, rules, replace=replace)
    dims = load_dimensions(session)
    rates = empty_rates()
    if uses_service_rates(system):
        rates, note = load_service_rates(session, period.start, period.end)
        notes.append(note)
    flags = compliance.active_flags(session, check_date or period.end)
    return run_index(
        con, system, period, dims, service_rates=rates, flags=flags, rules=rules,
        check_date=check_date, notes=notes,
        unregistered=lambda keys: account_service.unregistered(session, keys),
    )  # fmt: skip
