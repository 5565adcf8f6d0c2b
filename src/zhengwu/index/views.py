"""JSON API of the influence index under ``/api/index``: systems, runs, rankings, explanations.

Every route is thin over the index's own functions (:mod:`zhengwu.index.ranking`,
:mod:`~zhengwu.index.explain`, :mod:`~zhengwu.index.compliance`, the formula presets) and
asks :mod:`zhengwu.index.access` first. Results are read from the analytics store, opened
read-only per request; only ``POST /runs`` opens it for writing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts.models import Account
from zhengwu.audit import service as audit_service
from zhengwu.content.store import open_store
from zhengwu.errors import InvalidInputError, NotFoundError
from zhengwu.index import access, compliance, explain, methodology, ranking, results
from zhengwu.index.models import FLAG_KINDS, ComplianceFlagRead
from zhengwu.index.periods import parse_period
from zhengwu.index.system import DEFAULT_SYSTEM, available_systems, load_system
from zhengwu.storable import MAX_STORED_INT
from zhengwu.web.deps import DB, CurrentPrincipal, WritingPrincipal

router = APIRouter(prefix="/api/index", tags=["index 影响力指数"])


class FlagCreate(BaseModel):
    """A manual compliance flag: the account (``platform:uid``, name or id), kind and why."""

    account: str | None = Field(None, description="platform:uid or the account's exact name")
    account_id: int | None = None
    kind: str = Field(description=", ".join(FLAG_KINDS))
    reason: str = Field(min_length=1, max_length=2000)


class FormulaInput(BaseModel):
    """Raw inputs of a formula preset, and its optional switches."""

    inputs: dict[str, Any]
    flags: dict[str, bool] = Field(default_factory=dict)


class RunCreate(BaseModel):
    """What to compute: a system over a period, with the compliance options of the CLI."""

    period: str = Field(examples=["2025-07", "2025-Q3", "2025-W27"])
    system: str = "zhengwu-4d"
    compliance_days: int | None = Field(None, ge=1, le=366)
    reply_check: bool | None = None
    check_date: date | None = None
    replace: bool = Field(
        False,
        description="replace a stored or published run of the same system and period "
        "computed with another configuration (else 409)",
    )


class PublishCreate(BaseModel):
    """Which stored run to publish: a system and a period label."""

    period: str
    system: str = "zhengwu-4d"


@contextmanager
def _store(*, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    with open_store(read_only=not write) as con:
        yield con


def _run_id(con: duckdb.DuckDBPyConnection, system: str | None, period: str | None) -> str:
    """Return the stored run of ``system`` over ``period``.

    Without a system, the default system (``zhengwu-4d``, as the CLI, the console and the
    report take it) when it has runs, else the system of the latest run; without a
    period, that system's latest run. (The latest run's system alone was whichever system
    sorted first among that period's runs — a WeChat-only preset, so ``?platform=weibo``
    was refused once a preset had run over the same period.)
    """
    runs = results.list_runs(con)
    if not runs:
        raise NotFoundError(
            "还没有计算结果；请先运行 zhengwu index run", "no stored runs; run `zhengwu index run`"
        )
    if not system:
        default = any(r["system"] == DEFAULT_SYSTEM for r in runs)
        system = DEFAULT_SYSTEM if default else str(runs[0]["system"])
    if period is None:
        mine = [r for r in runs if r["system"] == system]
        if not mine:
            raise NotFoundError(f"体系 {system} 没有计算结果", f"no stored runs of {system}")
        return str(mine[0]["run_id"])
    run_id = results.run_id_for(system, parse_period(period).label)
    results.get_run(con, run_id)  # 404 naming the run
    return run_id


def _account(session: Session, account_id: int) -> Account:
    found = session.get(Account, account_id)
    if found is None:
        raise NotFoundError(f"没有编号为 {account_id} 的账号", f"no account {account_id}")
    return found


def _region_grouping(group: str | None) -> str:
    """Return ``province`` or ``city`` for ``by=region``, from the level of the group's code."""
    division = regions.get(group) if group else None
    if division is None or division.level not in ("province", "city"):
        raise InvalidInputError(
            f"by=region 需要省或市的区划代码 group：{group}",
            f"by=region needs group = a province or city division code: {group}",
        )
    return division.level


# ---- systems and runs ----------------------------------------------------------------------


@router.get("/systems")
def list_systems(principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """List the indicator systems (shipped and the user's own) with their dimensions."""
    access.require_read(principal)
    out = []
    for name in available_systems():
        system = load_system(name)
        out.append({
            "name": system.name, "title_zh": system.title_zh, "title_en": system.title_en,
            "kind": system.kind, "version": system.version, "platforms": list(system.platforms),
            "dimensions": [{"key": d.key, "name": d.name, "name_zh": d.name_in("zh"), "weight": d.weight}
                           for d in system.dimensions],
        })  # fmt: skip
    return out


@router.get("/systems/{name}")
def get_system(name: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """Show one system with its methodology text (Markdown, generated from the system file)."""
    access.require_read(principal)
    system = load_system(name)
    return {
        "name": system.name, "title_zh": system.title_zh, "title_en": system.title_en,
        "kind": system.kind, "version": system.version, "digest": system.digest,
        "description": system.description, "preset": system.preset,
        "platforms": list(system.platforms), "notes": list(system.notes),
        "warnings": list(system.warnings),
        "dimensions": [{"key": d.key, "name": d.name, "name_zh": d.name_in("zh"), "weight": d.weight}
                       for d in system.dimensions],
        "methodology": methodology.render(system),
    }  # fmt: skip


@router.get("/periods")
def list_periods(db: DB, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """List the stored runs, newest period first, each with whether it is published."""
    access.require_read(principal)
    published = access.publications(db)
    with _store() as con:
        runs = results.list_runs(con)
    for run in runs:
        found = published.get(run["run_id"])
        run["published"] = found is not None
        run["published_at"] = found.published_at if found else None
        run["published_by"] = found.published_by if found else None
    return runs


@router.post("/runs", status_code=201)
def create_run(data: RunCreate, db: DB, principal: WritingPrincipal) -> dict[str, Any]:
    """Compute a system over a period and store the results (admin); replaces an earlier run.

    An earlier run configured otherwise (system file, compliance options) is replaced only
    with ``"replace": true``: 409 otherwise.
    """
    from zhengwu.index.engine import run_for_db

    access.require_run(principal)
    system = load_system(data.system)
    period = parse_period(data.period, week_start=system.week_start)
    with _store(write=True) as con:
        summary = run_for_db(
            db, con, system, period, window_days=data.compliance_days,
            reply_check=data.reply_check, check_date=data.check_date, replace=data.replace,
        )  # fmt: skip
    return summary.to_dict()


@router.post("/publications", status_code=201)
def publish(data: PublishCreate, db: DB, principal: WritingPrincipal) -> dict[str, Any]:
    """Publish a stored run (admin, matrix office): its rankings become public."""
    access.require_publish(principal)
    with _store() as con:
        run_id = _run_id(con, data.system, data.period)
        found = access.publish(db, con, principal=principal, run_id=run_id)
    return {
        "run_id": found.run_id, "system": found.system, "period": found.period,
        "period_end": found.period_end, "published_by": found.published_by,
        "published_at": found.published_at,
    }  # fmt: skip


@router.delete("/publications/{system}/{period}", status_code=204)
def withdraw(system: str, period: str, db: DB, principal: WritingPrincipal) -> None:
    """Withdraw a publication (admin, matrix office): the period stops being public."""
    access.withdraw(
        db, principal=principal, run_id=results.run_id_for(system, parse_period(period).label)
    )


# ---- results -------------------------------------------------------------------------------


@router.get("/rankings")
def get_ranking(
    db: DB, principal: CurrentPrincipal, system: str | None = None, period: str | None = None,
    platform: str | None = None,
    by: Annotated[str, Query(description=", ".join((*ranking.GROUPINGS, "region")))] = "platform",
    group: str | None = None, top: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    include_failing: bool = False,
    excluded: Annotated[Literal["count", "list"], Query(
        description="count: only excluded_count (default); list: also the excluded accounts "
        "(a page of them: excluded_offset, excluded_limit)")] = "count",
    excluded_offset: Annotated[int, Query(ge=0, le=MAX_STORED_INT,
                                          description="with excluded=list")] = 0,
    excluded_limit: Annotated[int, Query(ge=1, le=10_000,
                                         description="with excluded=list")] = 1000,
) -> dict[str, Any]:  # fmt: skip
    """Return a ranking with movement: by platform, sector, level, province, city or matrix.

    The accounts left out by the compliance gate (or for lack of data) are counted in
    ``excluded_count``; a national run has ~150 000 of them, so they are listed only with
    ``excluded=list``, as ``excluded`` (group, then rank; each group_key, account_uid,
    name, score, compliance_reasons), a page at a time: ``excluded_offset`` (default 0)
    and ``excluded_limit`` (default 1000, at most 10 000).
    """
    access.require_read(principal)
    by = _region_grouping(group) if by == "region" else by
    with _store() as con:
        run_id = _run_id(con, system, period)
        if platform is not None:
            ranking.check_platform(con, run_id, platform)  # 422 listing the platforms
        out = ranking.ranking(
            con, run_id, platform=platform or results.main_platform(con, run_id), by=by, group=group,
            top=top, include_failing=include_failing, list_excluded=excluded == "list",
            excluded_offset=excluded_offset, excluded_limit=excluded_limit,
        )  # fmt: skip
    if excluded == "list":
        out["excluded_offset"], out["excluded_limit"] = excluded_offset, excluded_limit
    out["published"] = run_id in access.publications(db)
    return out


@router.get("/accounts/{account_id}/explain")
def explain_account(
    account_id: int, db: DB, principal: CurrentPrincipal, period: str | None = None,
    system: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Explain an account's score: indicator and dimension parts, peers, the gap above."""
    access.require_read(principal)
    account = _account(db, account_id)
    with _store() as con:
        run_id = _run_id(con, system, period)
        return explain.explain(con, run_id, f"{account.platform}:{account.uid}")


@router.get("/compliance")
def compliance_report(
    db: DB, principal: CurrentPrincipal, period: str | None = None, system: str | None = None,
    failing_only: bool = False,
    check_on: Annotated[date | None, Query(alias="date", description="check date")] = None,
    matrix: Annotated[int | None, Query(
        description="only this matrix's accounts and those of the matrices below it")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="rows per page")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_STORED_INT, description="rows to skip")] = 0,
) -> dict[str, Any]:  # fmt: skip
    """Return the compliance gate's report with a run's rules, paged (default run: as
    ``/rankings``, the default system's latest).

    ``date`` (YYYY-MM-DD): check on that day instead of the run's check date — e.g. the
    last day with data — with the run's window and reply check; as ``zhengwu index
    compliance --date`` does. The summary (``accounts``, ``failing``, ``by_reason``) covers
    every account; ``rows`` is one page (failing first, ``limit`` ≤ 1000 from ``offset``)
    of the ``total`` rows that match (``failing_only``: the failing ones).

    Admin and operator read every account; a matrix office the accounts of its matrix and
    of the matrices below it. ``matrix`` (an id) narrows the report to that matrix and the
    matrices below it — for an office one of its own subtree (403 otherwise, 404 unknown).
    Each row names the matrices of that subtree its account is a member of (``matrices``:
    ``[{"id", "name"}]``, by name, as the matrix page's 所属矩阵); without ``matrix``, those
    of the office's own subtree, or for admin and operator every matrix it is in.
    """
    among = access.compliance_accounts(db, principal, matrix)
    with _store() as con:
        run = results.get_run(con, _run_id(con, system, period))
        rules = compliance.ComplianceRules.from_settings(
            window_days=run["compliance_window_days"], reply_check=run["reply_check"]
        )
        day: date = check_on or run["check_date"]
        report = compliance.named_report(
            db, con, among, day, rules, failing_only=failing_only, limit=limit, offset=offset
        )
    access.name_matrices(db, report, access.scope_root(principal, matrix))
    report["run_id"] = run["run_id"]
    return report


@router.post("/compliance/flags", status_code=201, response_model=ComplianceFlagRead)
def create_flag(data: FlagCreate, db: DB, principal: WritingPrincipal) -> ComplianceFlagRead:
    """Record a manual veto on an account with why (admin; a matrix office on its accounts)."""
    access.require_flagging(principal)  # the role's refusal comes before any lookup
    if data.account_id is not None:
        account = _account(db, data.account_id)
    elif data.account:
        account = compliance.find_account(db, data.account.strip())
    else:
        raise InvalidInputError(
            "请给出账号：account（平台:uid 或名称）或 account_id",
            "give the account: account (platform:uid or name) or account_id",
        )
    access.require_flag(db, principal, account)
    flag = compliance.flag_account(
        db, account=account, kind=data.kind, reason=data.reason, by=principal.username
    )
    audit_service.record(
        db, entity_type="index_compliance_flag", entity_id=flag.id, action="flag",
        actor=principal, reason=flag.reason,
        data={"account": f"{account.platform}:{account.uid}", "kind": flag.kind},
    )  # fmt: skip
    return ComplianceFlagRead.model_validate(flag)


@router.post("/formula/{name}")
def compute_formula(name: str, data: FormulaInput, principal: CurrentPrincipal) -> dict[str, Any]:
    """Compute a published-formula preset (清博 WCI, BCI, 新榜 NRI …) from raw inputs."""
    from zhengwu.index.formulas import compute

    access.require_read(principal)
    result = compute(name, data.inputs, flags=data.flags)
    return {"preset": result.preset, "value": result.value, "breakdown": result.breakdown}
