"""A run's configuration, and the rule that a stored run is not replaced by another silently.

A run id is ``<system>/<period>`` (:mod:`zhengwu.index.results`), so running a system of
the same name over the same period again replaces the stored results — and, once the
period is published, the public ``/rankings`` page. Recomputing with the same
configuration (new data) is what a re-run is for; a different configuration under the
same name is not: the page would still say "指标体系 zhengwu-4d" over other numbers.

The configuration of a run is the system's digest (``system_digest``: SHA-256 of the
file's settings, not of its text, so comments and layout do not count;
:func:`zhengwu.index.system.content_digest`) and the compliance gate's options (window, own-reply check). :func:`check_rerun`
refuses a run whose configuration differs from the stored run of the same id unless the
caller says ``replace``; a replacement is then named in the run notes, and so is a
replaced publication.
"""

from __future__ import annotations

from typing import Any

import duckdb
from sqlalchemy.orm import Session

from zhengwu.errors import ConflictError
from zhengwu.index import results
from zhengwu.index.compliance import ComplianceRules
from zhengwu.index.models import PublishedRun
from zhengwu.index.periods import Period
from zhengwu.index.system import IndicatorSystem

SHORT = 8  # characters of a digest shown to people (as git shows a commit)


def short_digest(digest: str | None) -> str:
    """Return the first characters of a system digest ("—" when the run has none)."""
    return digest[:SHORT] if digest else "—"


def differences(
    stored: dict[str, Any], system: IndicatorSystem, rules: ComplianceRules
) -> list[tuple[str, str]]:
    """Return how ``system`` and ``rules`` differ from a stored run, as (zh, en) phrases."""
    found: list[tuple[str, str]] = []
    if (stored.get("system_digest") or "") != system.digest:
        was = (
            f"{short_digest(stored.get('system_digest'))} (version {stored.get('system_version')})"
        )
        now = f"{short_digest(system.digest)} (version {system.version})"
        found.append((f"体系配置 {was} → {now}", f"system configuration {was} → {now}"))
    if stored.get("compliance_window_days") != rules.window_days:
        days = f"{stored.get('compliance_window_days')} → {rules.window_days}"
        found.append((f"合规窗口 {days} 天", f"compliance window {days} days"))
    if stored.get("reply_check") is not None and bool(stored["reply_check"]) != rules.reply_check:
        was_en, now_en = ("on", "off") if stored["reply_check"] else ("off", "on")
        found.append((f"回复检查 {was_en} → {now_en}", f"own-reply check {was_en} → {now_en}"))
    return found


def check_rerun(
    session: Session,
    con: duckdb.DuckDBPyConnection,
    system: IndicatorSystem,
    period: Period,
    rules: ComplianceRules,
    *,
    replace: bool,
) -> list[str]:
    """Refuse to replace a stored run configured otherwise (unless ``replace``); return notes.

    Raises ConflictError (409; exit 2 in the CLI) naming the differences, and whether the
    run is published. With ``replace`` the returned note records what was replaced.
    """
    run_id = results.find_run(con, system.name, period.label)
    if run_id is None:
        return []
    changed = differences(results.get_run(con, run_id), system, rules)
    if not changed:
        return []
    published = session.get(PublishedRun, run_id) is not None
    zh = "；".join(z for z, _ in changed)
    en = "; ".join(e for _, e in changed)
    if not replace:
        raise ConflictError(
            f"{run_id} 已有{'已发布的' if published else ''}计算结果，配置不同：{zh}。"
            f"不会静默替换{'公开排行' if published else ''}：确需替换请加 --replace"
            '（API："replace": true），或给自己的体系另起名称',
            f"{run_id} is already stored{' and published' if published else ''} with another "
            f"configuration: {en}. It is not replaced silently: pass --replace (API: "
            '"replace": true) to replace it, or give your system a name of its own',
        )
    public = "（已发布：公开排行随之改变）" if published else ""
    public_en = " (published: the public rankings change with it)" if published else ""
    return [
        f"替换了配置不同的先前结果{public}：{zh} / replaces the earlier run of {run_id}, "
        f"configured otherwise{public_en}: {en}"
    ]
