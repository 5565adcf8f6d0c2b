"""The compliance gate before ranking (国办秘函〔2019〕19号): vetoes, not scores.

An account fails on its check date D when any of these holds:

* ``no_post`` — no post in the ``window_days`` China-time days ending with D (D − w + 1 … D;
  the setting ``compliance_window_days``, 14 by default; 7 or 10 where a province is
  stricter);
* ``no_replies`` — no own reply (see :mod:`zhengwu.index.metrics`: ``回复@`` posts, and the
  comments the account wrote, imported with ``weibo-comments``) in the same days, on the
  platforms where own replies can be seen (Weibo); a check that can be switched off. It is
  applied on a platform only when the stored data shows at least one own reply there in
  the window — a ``回复@`` post, or a comment written by one of the accounts checked
  (comments by citizens are nobody's own reply): without any, the data cannot tell an
  account that never replies from one whose replies were not collected, and the report
  says the check was skipped;
* ``flag:<kind>`` — a manual flag active on D (security incident, bought followers,
  coerced likes …), recorded in the operational DB with who, when and why, and lifted the
  same way.

Failing accounts are still scored (the peer groups do not depend on the gate) but are left
out of rankings unless asked for, and every ranking says how many were left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account
from zhengwu.chinatime import from_stored as china_time
from zhengwu.config import get_settings
from zhengwu.errors import ConflictError, InvalidInputError, NotFoundError
from zhengwu.index.dialect import DUCKDB, Dialect
from zhengwu.index.metrics import REPLIES_TABLE, REPLY_PREFIX
from zhengwu.index.models import FLAG_KINDS, ComplianceFlag
from zhengwu.index.periods import CHINA_OFFSET

FLAGS_SCHEMA = pa.schema(
    [("account_id", pa.int64()), ("kind", pa.string()), ("reason", pa.string())]
)
# ``no_data`` is not a compliance check: the engine adds it to an account without usable
# counts (no score), which is excluded from the ranking the same way.
_CHECKS_ZH = {"no_post": "检查日前无更新", "no_replies": "无互动回复", "no_data": "无数据"}
# Every reason a row can carry as the console and reports show it in Chinese: a manual flag
# as 人工标记 and its title (the pages showed ``flag:coerced_likes`` as written).
REASONS_ZH = _CHECKS_ZH | {
    f"flag:{kind}": f"人工标记：{title}" for kind, title in FLAG_KINDS.items()
}
# The same in English (the console's index pages with ?lang=en), flags included.
REASONS_EN = {
    "no_post": "no post before the check date",
    "no_replies": "no interaction replies",
    "no_data": "no data",
    "flag:security_incident": "flag: security or leak incident",
    "flag:bought_followers": "flag: bought followers",
    "flag:coerced_likes": "flag: coerced likes / inflated counts",
    "flag:no_interaction": "flag: no working interaction, or poor responses",
}


def reason_titles() -> dict[str, str]:
    """Return every reason code a row can carry with its Chinese title (flags: flag:KIND)."""
    return _CHECKS_ZH | {f"flag:{kind}": title for kind, title in FLAG_KINDS.items()}


@dataclass(frozen=True, slots=True)
class ComplianceRules:
    """The checks of one compliance evaluation."""

    window_days: int = 14
    reply_check: bool = True
    reply_platforms: tuple[str, ...] = ("weibo",)

    @classmethod
    def from_settings(cls, **overrides: Any) -> ComplianceRules:
        """Return the rules with the configured window, overridden by non-None arguments."""
        values: dict[str, Any] = {"window_days": get_settings().compliance_window_days}
        values.update({k: v for k, v in overrides.items() if v is not None})
        if int(values["window_days"]) < 1:
            raise InvalidInputError("检查窗口至少 1 天", "the compliance window must be ≥ 1 day")
        return cls(**values)


def _china_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time()) - CHINA_OFFSET


def window_bounds(check_date: date, window_days: int) -> tuple[datetime, datetime]:
    """Return the naive-UTC [start, end) of the window ending with ``check_date``."""
    start = check_date - timedelta(days=window_days - 1)
    return _china_midnight_utc(start), _china_midnight_utc(check_date + timedelta(days=1))


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Tell whether the analytics store has a table or view called ``name``."""
    row = con.execute(
        """SELECT count(*) FROM (
               SELECT table_name AS name FROM duckdb_tables() WHERE NOT temporary
               UNION ALL
               SELECT view_name FROM duckdb_views() WHERE NOT temporary AND NOT internal)
           WHERE name = ?""",
        [name],
    ).fetchone()
    return bool(row and row[0])


def newest_post_day(
    con: duckdb.DuckDBPyConnection, platforms: tuple[str, ...], *, on_or_after: date | None = None
) -> date | None:
    """Return the China-time day of the newest stored post on ``platforms`` (None: no post).

    With ``on_or_after``, the posts of that day and later are asked first: the store is in
    time order, so DuckDB skips every older row group and a national year costs nothing
    when the data reaches the day; only when it does not is the whole column read.
    """
    if not platforms or not has_table(con, "posts"):
        return None
    marks = ", ".join("?" for _ in platforms)
    query = f"SELECT max(created_at) FROM posts WHERE platform IN ({marks})"
    newest = None
    if on_or_after is not None:
        since = datetime.combine(on_or_after, time()) - CHINA_OFFSET  # naive UTC, as stored
        row = con.execute(f"{query} AND created_at >= ?", [*platforms, since]).fetchone()
        newest = row[0] if row else None
    if newest is None:
        row = con.execute(query, list(platforms)).fetchone()
        newest = row[0] if row else None
    return (newest + CHINA_OFFSET).date() if newest is not None else None


def stale_check_note(check_date: date, newest: date | None) -> str | None:
    """Return the run note for a check date after the newest data, or None when it is not."""
    if newest is None or check_date <= newest:
        return None
    # Every account would fail ``no_post`` only because the data stops: say so, and how to
    # check on the last day with data instead (the default stays the period end).
    return (
        f"检查日 {check_date} 晚于最新数据 {newest}，合规检查的“无更新”可能只是因为数据截止；"
        f"请用 --check-date {newest} 指定检查日 / check date {check_date} is after the newest "
        f"data {newest}: accounts may fail “no post” only because the data stops; "
        f"use --check-date {newest}"
    )


# ---- manual flags (operational DB; the caller commits) --------------------------------


def find_account(session: Session, ref: str) -> Account:
    """Return the account given as ``platform:uid`` or by its exact name (unique)."""
    platform, sep, uid = ref.partition(":")
    if sep:
        found = session.scalars(
            select(Account).where(Account.platform == platform, Account.uid == uid)
        ).first()
        if found is not None:
            return found
    matches = session.scalars(select(Account).where(Account.name == ref)).all()
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        options = ", ".join(f"{a.platform}:{a.uid}" for a in matches)
        raise InvalidInputError(
            f"有多个账号名为 {ref!r}：{options}；请用 平台:uid",
            f"several accounts are called {ref!r}: {options}; use platform:uid",
        )
    raise NotFoundError(f"找不到账号 {ref!r}", f"no account {ref!r} (use platform:uid or the name)")


def flag_account(
    session: Session, *, account: Account, kind: str, reason: str, by: str,
    at: datetime | None = None,
) -> ComplianceFlag:  # fmt: skip
    """Record a manual veto on ``account`` with who, when and why."""
    if kind not in FLAG_KINDS:
        raise InvalidInputError(
            f"未知的标记类型 {kind!r}；可用：{', '.join(FLAG_KINDS)}",
            f"unknown flag kind {kind!r}; known: {', '.join(FLAG_KINDS)}",
        )
    if not reason.strip() or not by.strip():
        raise InvalidInputError("标记必须写明原因和操作人", "a flag needs a reason and who set it")
    flag = ComplianceFlag(
        account_id=account.id, kind=kind, reason=reason.strip(), flagged_by=by.strip(),
        flagged_at=at or datetime.now(UTC),
    )  # fmt: skip
    session.add(flag)
    session.flush()
    return flag


def lift_flag(
    session: Session, *, flag_id: int, reason: str, by: str, at: datetime | None = None
) -> ComplianceFlag:
    """Lift an active flag, recording who, when and why."""
    flag = session.get(ComplianceFlag, flag_id)
    if flag is None:
        raise NotFoundError(f"没有编号为 {flag_id} 的标记", f"no compliance flag {flag_id}")
    if flag.lifted_at is not None:
        raise ConflictError(f"标记 {flag_id} 已于 {flag.lifted_at:%Y-%m-%d} 解除",
                            f"flag {flag_id} was already lifted on {flag.lifted_at:%Y-%m-%d}")  # fmt: skip
    if not reason.strip() or not by.strip():
        raise InvalidInputError(
            "解除标记必须写明原因和操作人", "lifting needs a reason and who did it"
        )
    when = at or datetime.now(UTC)
    if when < flag.flagged_at:
        raise InvalidInputError("解除时间早于标记时间", "a flag cannot be lifted before it was set")
    flag.lifted_at, flag.lifted_by, flag.lift_reason = when, by.strip(), reason.strip()
    session.flush()
    return flag


def list_flags(
    session: Session, *, account_id: int | None = None, active_on: date | None = None
) -> list[ComplianceFlag]:
    """Return flags, optionally of one account and/or active at the end of China day ``active_on``."""
    query = select(ComplianceFlag).order_by(ComplianceFlag.flagged_at, ComplianceFlag.id)
    if account_id is not None:
        query = query.where(ComplianceFlag.account_id == account_id)
    if active_on is not None:
        moment = _china_midnight_utc(active_on + timedelta(days=1)).replace(tzinfo=UTC)
        query = query.where(
            ComplianceFlag.flagged_at < moment,
            or_(ComplianceFlag.lifted_at.is_(None), ComplianceFlag.lifted_at >= moment),
        )
    return list(session.scalars(query).all())


def active_flags(session: Session, on: date) -> pa.Table:
    """Return the flags active at the end of China day ``on`` as an Arrow table."""
    rows = [
        {"account_id": f.account_id, "kind": f.kind, "reason": f.reason}
        for f in list_flags(session, active_on=on)
    ]
    return pa.Table.from_pylist(rows, schema=FLAGS_SCHEMA)


# ---- evaluation (DuckDB) ----------------------------------------------------------------


def evaluate(
    con: duckdb.DuckDBPyConnection,
    accounts: str,
    flags: pa.Table,
    check_date: date,
    rules: ComplianceRules,
    *,
    last_post: bool = False,
) -> str:
    """Build the temp table ``compliance`` for the accounts in relation ``accounts``; return its name.

    Columns: platform, uid, account_id, posts_in_window, replies_in_window, last_post_at
    (China time, only with ``last_post``), flags, reply_checked, reasons, status
    ('pass' | 'fail').
    """
    start, end = window_bounds(check_date, rules.window_days)
    con.complete()  # DuckDB 2 refuses register() while a result is half-fetched
    con.register("compliance_flags_in", flags)
    sql = gate_sql(accounts, rules, has_replies=has_table(con, REPLIES_TABLE), last_post=last_post)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE compliance AS {sql}",
            {"start": start, "end": end, "reply": rules.reply_check},
        )
    finally:
        con.unregister("compliance_flags_in")
    return "compliance"


def reply_skipped(
    con: duckdb.DuckDBPyConnection, platforms: tuple[str, ...], rules: ComplianceRules
) -> tuple[str, ...]:
    """Return the ``platforms`` among the rules' reply platforms where the gate last built by
    :func:`evaluate` skipped the own-reply check (nobody's own reply stored in the window);
    () when the check is off."""
    if not rules.reply_check:
        return ()
    checked = {
        row[0]
        for row in con.execute(
            "SELECT DISTINCT platform FROM compliance WHERE reply_checked"
        ).fetchall()
    }
    return tuple(p for p in rules.reply_platforms if p in platforms and p not in checked)


def gate_sql(
    accounts: str,
    rules: ComplianceRules,
    *,
    has_replies: bool,
    last_post: bool = False,
    dialect: Dialect = DUCKDB,
    params: tuple[str, str, str] = ("$start", "$end", "$reply"),
) -> str:
    """Return the SELECT of the gate's rows (see :func:`evaluate`) for relation ``accounts``.

    It reads ``posts``, ``compliance_flags_in`` (the active flags) and, with
    ``has_replies``, the own-reply relation; ``params`` are the SQL of the window's start,
    its end and whether the reply check is on (parameters, or literals).
    """
    start, end, reply = params
    d = dialect
    extra = ""
    if has_replies:
        # Only the replies of the accounts checked: a citizen's comment is nobody's reply
        # and must not make replies "observable" on its platform.
        extra = f"""UNION ALL SELECT r.platform, r.account_uid, 0, count(*) FROM {REPLIES_TABLE} r
                    {d.semi_join()} {accounts} a ON a.platform = r.platform AND a.uid = r.account_uid
                    WHERE r.created_at >= {start} AND r.created_at < {end} GROUP BY ALL"""
    last_sql = (
        f"(SELECT platform, account_uid AS uid, max(created_at) AS last_post FROM posts "
        f"WHERE created_at < {end} GROUP BY ALL)"
        if last_post
        else f"(SELECT CAST(NULL AS {d.text}) AS platform, CAST(NULL AS {d.text}) AS uid, "
        "CAST(NULL AS TIMESTAMP) AS last_post)"
    )
    platforms = ", ".join(f"'{p}'" for p in rules.reply_platforms) or "NULL"
    empty = d.string_list([])
    replies_checked = f"{reply} AND a.platform IN ({platforms}) AND coalesce(o.observable, false)"
    own_reply = d.starts_with("text", f"'{REPLY_PREFIX}'")
    flags = f"coalesce(f.kinds, {empty})"
    no_post = d.string_list(["'no_post'"])
    no_replies = d.string_list(["'no_replies'"])
    reasons = d.concat_lists(
        f"CASE WHEN coalesce(w.n_posts, 0) = 0 THEN {no_post} ELSE {empty} END",
        f"CASE WHEN {replies_checked} AND coalesce(w.n_replies, 0) = 0 "
        f"THEN {no_replies} ELSE {empty} END",
        d.transform(flags, "k", "'flag:' || k"),
    ) + ("" if d.spark else "::VARCHAR[]")
    return f"""WITH w AS (
                SELECT platform, uid, sum(n_posts) AS n_posts, sum(n_replies) AS n_replies
                FROM (SELECT platform, account_uid AS uid, count(*) AS n_posts,
                             count(*) FILTER (WHERE {own_reply}) AS n_replies
                      FROM posts WHERE created_at >= {start} AND created_at < {end} GROUP BY ALL
                      {extra}) wp
                GROUP BY ALL
            ), obs AS (
                -- Own replies are observable on a platform only if someone shows one.
                SELECT platform, sum(n_replies) > 0 AS observable FROM w GROUP BY ALL
            ), f AS (
                SELECT account_id, {d.sorted_set('kind')} AS kinds
                FROM compliance_flags_in GROUP BY account_id
            )
            SELECT *, CASE WHEN {d.list_len('reasons')} = 0 THEN 'pass' ELSE 'fail' END AS status FROM (
            SELECT a.platform, a.uid, a.account_id,
                   coalesce(w.n_posts, 0) AS posts_in_window,
                   coalesce(w.n_replies, 0) AS replies_in_window,
                   l.last_post AS last_post_at,
                   {flags} AS flags,
                   {replies_checked} AS reply_checked,
                   {reasons} AS reasons
            FROM {accounts} a
            LEFT JOIN w ON w.platform = a.platform AND w.uid = a.uid
            LEFT JOIN obs o ON o.platform = a.platform
            LEFT JOIN {last_sql} l ON l.platform = a.platform AND l.uid = a.uid
            LEFT JOIN f ON f.account_id = a.account_id) g"""  # fmt: skip


def named_report(
    session: Session,
    con: duckdb.DuckDBPyConnection,
    accounts: Select[Any] | Iterable[int] | pa.Table | None,
    check_date: date,
    rules: ComplianceRules,
    **page: Any,
) -> dict[str, Any]:
    """Return :func:`report` on ``check_date`` for ``accounts``, its rows named.

    ``accounts``: None for every account the gate checks; ids, or a SELECT of ids (a
    matrix's members, what a user may read) that filters in SQL; or keys already read
    (:func:`zhengwu.index.dimensions.member_keys`, a table of ``CHECKED_SCHEMA``), checked
    as they are. Only the accounts' keys are read from the DB, in batches straight into
    Arrow, and then the names (theirs, their organisations') of the rows returned: a
    national check read 180,000 accounts' names and organisations for a page of 100.
    ``page`` is passed to :func:`report` (``failing_only``, ``limit``, ``offset``).

    The console's pages, ``GET /api/index/compliance`` and ``zhengwu index compliance``
    all read the report this way.
    """
    from zhengwu.index.dimensions import checked_accounts, checked_names

    if isinstance(accounts, pa.Table):
        table = accounts
    else:
        among = accounts if accounts is None or isinstance(accounts, Select) else (
            select(Account.id).where(Account.id.in_(list(accounts)))
        )  # fmt: skip
        table = checked_accounts(session, among=among, names=False)
    found = report(con, table, active_flags(session, check_date), check_date, rules, **page)
    named = checked_names(session, (r["account_id"] for r in found["rows"]))
    for row in found["rows"]:
        row["name"], row["org_name"], row["sector"], row["level"] = named[row["account_id"]]
    return found


def report(
    con: duckdb.DuckDBPyConnection,
    accounts: pa.Table,
    flags: pa.Table,
    check_date: date,
    rules: ComplianceRules,
    *,
    failing_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> dict[str, Any]:
    """Return the compliance report on ``check_date``: the summary and one page of rows.

    The summary (``accounts``, ``failing``, ``active`` — a post in the window —,
    ``by_reason``, ``reply_check_applied``) always covers every account. ``rows`` are failing accounts first, then by platform and uid;
    ``failing_only`` keeps the failing ones, ``total`` counts the rows that match, and
    ``limit`` / ``offset`` cut the page in DuckDB (None: every row) — a national check has
    ~150k failing accounts, which as Python rows cost gigabytes.
    """
    if (limit is not None and limit < 0) or offset < 0:
        raise InvalidInputError("limit 和 offset 不能为负", "limit and offset must not be negative")
    con.complete()
    con.register("compliance_accounts_in", accounts)
    try:
        evaluate(con, "compliance_accounts_in", flags, check_date, rules, last_post=True)
        n_accounts, n_failing, n_active, applied = con.execute(
            """SELECT count(*), count(*) FILTER (WHERE status = 'fail'),
                      count(*) FILTER (WHERE posts_in_window > 0),
                      list(DISTINCT platform ORDER BY platform) FILTER (WHERE reply_checked)
               FROM compliance"""
        ).fetchone() or (0, 0, 0, None)
        by_reason = dict(
            con.execute(
                """SELECT reason, count(*) FROM (SELECT unnest(reasons) AS reason FROM compliance
                   WHERE status = 'fail') GROUP BY reason ORDER BY reason"""
            ).fetchall()
        )
        where = "WHERE c.status = 'fail'" if failing_only else ""
        page = "" if limit is None else f"LIMIT {int(limit)}"
        cur = con.execute(
            f"""SELECT c.platform, c.uid, c.account_id, a.name, a.org_name, a.sector, a.level,
                      c.posts_in_window, c.replies_in_window, c.last_post_at, c.flags,
                      c.reply_checked, c.reasons, c.status
               FROM compliance c JOIN compliance_accounts_in a
                 ON a.platform = c.platform AND a.uid = c.uid
               {where}
               ORDER BY c.status, c.platform, c.uid {page} OFFSET {int(offset)}"""
        )
        names = [d[0] for d in cur.description or []]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.unregister("compliance_accounts_in")
    for r in rows:  # naive UTC in the store; aware China time (+08:00) for every reader
        if r["last_post_at"] is not None:
            r["last_post_at"] = china_time(r["last_post_at"])
    return {
        "check_date": check_date.isoformat(),
        "window_days": rules.window_days,
        "reply_check": rules.reply_check,
        "reply_platforms": list(rules.reply_platforms),
        "reply_check_applied": list(applied or []),
        "accounts": int(n_accounts),
        "failing": int(n_failing),
        "active": int(n_active or 0),
        "by_reason": {str(k): int(v) for k, v in by_reason.items()},
        "total": int(n_failing if failing_only else n_accounts),
        "limit": limit,
        "offset": offset,
        "rows": rows,
    }
