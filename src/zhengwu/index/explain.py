"""Explanations of stored scores: every indicator's part, the peer group, and the gap above.

For an account: per indicator the raw value, the normalised 0–100 value, the effective
weight and the contribution in score points (they add up to the score), per dimension the
same, the percentile in its peer group, and what separates it from the next rank above —
the indicators where the account above earns the most points more. For an organisation:
the platform scores its cross-platform score combines.

``rank`` is the place among the ``ranked_count`` compliant entities of the platform's
ranking (``excluded_count`` more fail the compliance gate and are not ranked);
``rank_with_failing`` counts them too. ``peer_size`` is the size of the peer group the
percentile is computed in (``peer_group``, failing entities included), not of the ranking.
"""

from __future__ import annotations

from typing import Any

import duckdb

from zhengwu.errors import InvalidInputError, NotFoundError
from zhengwu.index import results
from zhengwu.index.metrics import METRICS


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def find_entity(
    con: duckdb.DuckDBPyConnection, run_id: str, ref: str, *, platform: str | None = None
) -> dict[str, Any]:
    """Return the totals row of ``ref`` (``platform:uid``, ``org:<id>`` or a name) in a run."""
    where, params = "run_id = $run AND account_uid = $uid", {"run": run_id, "uid": ref}
    head, sep, tail = ref.partition(":")
    if sep and head != "org":
        where += " AND platform = $platform"
        params |= {"uid": tail, "platform": head}
    found = _rows(con.execute(f"SELECT * FROM index_totals WHERE {where}", params))
    if not found:
        by_name = (
            "run_id = $run AND (name = $name OR (entity = 'organization' AND org_name = $name))"
        )
        name_params: dict[str, Any] = {"run": run_id, "name": ref}
        if platform:
            by_name += " AND platform = $platform"
            name_params["platform"] = platform
        found = _rows(con.execute(f"SELECT * FROM index_totals WHERE {by_name}", name_params))
    if not found:
        raise NotFoundError(
            f"运行 {run_id} 中找不到 {ref!r}（用 平台:uid、org:编号 或名称）",
            f"{ref!r} is not in run {run_id} (use platform:uid, org:<id> or the name)",
        )
    if len(found) > 1:
        options = ", ".join(f"{r['platform']}:{r['account_uid']}" for r in found)
        raise InvalidInputError(
            f"{ref!r} 不唯一：{options}；请指定 平台:uid 或 --platform",
            f"{ref!r} is ambiguous: {options}; give platform:uid or --platform",
        )
    return found[0]


def _items(
    con: duckdb.DuckDBPyConnection, run: dict[str, Any], row: dict[str, Any]
) -> list[dict[str, Any]]:
    scores = con.execute(
        "SELECT raw, normalised, weight, contribution FROM index_scores "
        "WHERE run_id = ? AND platform = ? AND account_uid = ?",
        [run["run_id"], row["platform"], row["account_uid"]],
    ).fetchone()
    if scores is None:
        return []
    raw, normalised, weight, contribution = scores
    items = []
    for i, (dimension, indicator, fallback) in enumerate(
        zip(run["item_dimensions"], run["item_indicators"], run["item_fallback"], strict=True)
    ):
        metric = METRICS.get(indicator)
        items.append({
            "dimension": dimension, "indicator": indicator or None, "is_fallback": fallback,
            "title_zh": metric.title_zh if metric else None,
            "meaning_zh": metric.meaning_in("zh") if metric else None,
            "meaning": metric.meaning if metric else None, "raw": raw[i],
            "normalised": normalised[i], "weight": weight[i], "contribution": contribution[i],
        })  # fmt: skip
    return items


def _above(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> dict[str, Any] | None:
    # A compliant account is compared with the compliant account ranked just above it; a
    # failing one with the entity just above it in the order that includes failing ones.
    if row["rank"] is not None:
        column, value = "rank", row["rank"] - 1
    else:
        column, value = "rank_with_failing", row["rank_with_failing"] - 1
    if value < 1:
        return None
    found = _rows(con.execute(
        f"SELECT * FROM index_totals WHERE run_id = ? AND platform = ? AND {column} = ?",
        [row["run_id"], row["platform"], value],
    ))  # fmt: skip
    return found[0] if found else None


def _ranked_counts(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> tuple[int, int]:
    """Return how many entities of the row's ranking are ranked and how many the gate excludes.

    The rank is counted over the platform's ranking (``rank``: compliant entities only),
    which is not the peer group the percentile is computed in.
    """
    found = con.execute(
        """SELECT count(*) FILTER (WHERE NOT excluded), count(*) FILTER (WHERE excluded)
           FROM index_totals WHERE run_id = ? AND platform = ? AND entity = ?""",
        [row["run_id"], row["platform"], row["entity"]],
    ).fetchone()
    return (int(found[0]), int(found[1])) if found else (0, 0)


def combination(run: dict[str, Any], accounts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Return how an organisation's accounts make its cross-platform score in ``run``.

    Per platform its best compliant account stands for it (the best of all of them when
    none is compliant, as the engine scores it); the system's ``[combine]`` rule then takes
    the best ``top`` platform scores' mean, the best one, or a weighted sum. Each platform's
    ``contribution`` is its part of the score: they add up to it. None when the run's
    system is not at hand as it ran (a file since changed, or given once).
    """
    from zhengwu.errors import ZhengwuError
    from zhengwu.index.system import load_system

    try:
        system = load_system(str(run["system"]))
    except ZhengwuError:
        return None
    if system.digest != run.get("system_digest"):
        return None
    rule = system.combine
    pool = [a for a in accounts if not a["excluded"]] or accounts
    best: dict[str, dict[str, Any]] = {}
    for acct in pool:
        if acct["score"] is not None and (
            acct["platform"] not in best or acct["score"] > best[acct["platform"]]["score"]
        ):
            best[acct["platform"]] = acct
    order = sorted(best.values(), key=lambda a: -a["score"])
    if rule.method == "weighted":
        total = sum(rule.platform_weights.values())
        share = {p: rule.platform_weights.get(p, 0.0) / total for p in best}
    else:
        taken = order[: 1 if rule.method == "max" else rule.top]
        share = {a["platform"]: 1 / len(taken) for a in taken}
    platforms = [
        {"platform": a["platform"], "account_uid": a["account_uid"], "name": a["name"],
         "score": a["score"], "counted": a["platform"] in share,
         "weight": share.get(a["platform"], 0.0),
         "contribution": a["score"] * share.get(a["platform"], 0.0)}
        for a in order
    ]  # fmt: skip
    return {"method": rule.method, "top": rule.top,
            "platform_weights": dict(rule.platform_weights), "platforms": platforms}  # fmt: skip


def combination_text(combine: dict[str, Any] | None) -> tuple[str, str]:
    """Say (Chinese, English) how an organisation's platform scores were combined."""
    if combine is None:
        return ("本次计算所用的指标体系已改动或不在手边，无法拆分各平台贡献",
                "the run's indicator system has changed since (or was a file given once): "
                "its parts are not shown")  # fmt: skip
    if combine["method"] == "max":
        return "跨平台得分 = 最高的平台得分", "cross-platform score = the best platform score"
    if combine["method"] == "weighted":
        weights = "、".join(f"{p} {w:g}" for p, w in combine["platform_weights"].items())
        return (f"跨平台得分 = 各平台得分按权重（{weights}）加权，无账号的平台计 0",
                f"cross-platform score = platform scores weighted ({weights}), 0 for a "
                "platform without an account")  # fmt: skip
    top = combine["top"]
    return (f"跨平台得分 = 最高的 {top} 个平台得分的平均（每平台取最佳合规账号）",
            f"cross-platform score = the mean of the best {top} platform scores (each "
            "platform's best compliant account)")  # fmt: skip


def _org_above(above: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """Return the organisation ranked above: its name and score, and the gap in points."""
    return {
        "uid": above["account_uid"], "name": above["name"], "score": above["score"],
        "rank": above["rank"], "rank_with_failing": above["rank_with_failing"],
        "gap_points": None if None in (above["score"], row["score"]) else above["score"] - row["score"],
        "largest_gaps": [], "dimension_gaps": [],
    }  # fmt: skip


def explain(
    con: duckdb.DuckDBPyConnection, run_id: str, ref: str, *, platform: str | None = None,
    top_gaps: int = 3,
) -> dict[str, Any]:  # fmt: skip
    """Return the explanation of one account's (or organisation's) score in run ``run_id``."""
    run = results.get_run(con, run_id)
    row = find_entity(con, run_id, ref, platform=platform)
    above = _above(con, row)
    ranked_count, excluded_count = _ranked_counts(con, row)
    out: dict[str, Any] = {
        "run_id": run_id, "system": run["system"], "period": run["period"],
        "entity": row["entity"], "platform": row["platform"], "uid": row["account_uid"],
        "name": row["name"], "organization": row["org_name"], "sector": row["sector"],
        "level": row["level"], "score": row["score"], "rank": row["rank"],
        "rank_with_failing": row["rank_with_failing"], "ranked_count": ranked_count,
        "excluded_count": excluded_count, "peer_group": row["peer_key"],
        "peer_size": row["peer_size"], "percentile": row["percentile"],
        "dims_missing": row["dims_missing"], "compliance": row["compliance"],
        "compliance_reasons": row["compliance_reasons"], "excluded": row["excluded"],
    }  # fmt: skip
    if row["entity"] == "organization":
        out["platforms"] = _rows(con.execute(
            """SELECT platform, account_uid, name, score, rank, excluded FROM index_totals
               WHERE run_id = ? AND entity = 'account' AND organization_id = ?
               ORDER BY platform, score DESC""",
            [run_id, row["organization_id"]],
        ))  # fmt: skip
        out["combine"] = combination(run, out["platforms"])
        out["indicators"], out["dimensions"] = [], []
        # An organisation has no dimensions of its own: its score is its platform scores
        # combined, and those parts add up to it (unknown when the system changed since).
        parts = out["combine"] and [p["contribution"] for p in out["combine"]["platforms"]]
        out["contributions_total"] = sum(p or 0.0 for p in parts) if parts else None
        out["above"] = None if above is None else _org_above(above, row)
        return out
    items = _items(con, run, row)
    out["indicators"] = [i for i in items if i["indicator"] is not None]
    out["dimensions"] = [i for i in items if i["indicator"] is None]
    # Dimension (or, for presets, block) contributions add up to the score.
    out["contributions_total"] = sum(d["contribution"] or 0.0 for d in out["dimensions"])
    if above is None:
        out["above"] = None
        return out
    gaps = []
    for mine, theirs in zip(items, _items(con, run, above), strict=True):
        if mine["contribution"] is None and theirs["contribution"] is None:
            continue
        gap = (theirs["contribution"] or 0) - (mine["contribution"] or 0)
        gaps.append({"dimension": mine["dimension"], "indicator": mine["indicator"],
                     "title_zh": mine["title_zh"], "gap_points": gap,
                     "raw": mine["raw"], "raw_above": theirs["raw"]})  # fmt: skip
    indicator_gaps = [g for g in gaps if g["indicator"] is not None] or gaps
    indicator_gaps.sort(key=lambda g: -g["gap_points"])
    out["above"] = {
        "uid": above["account_uid"], "name": above["name"], "score": above["score"],
        "rank": above["rank"], "rank_with_failing": above["rank_with_failing"],
        # No gap can be measured to or from an entity without data (score NULL).
        "gap_points": None if None in (above["score"], row["score"]) else above["score"] - row["score"],
        "largest_gaps": [g for g in indicator_gaps if g["gap_points"] > 0][:top_gaps],
        "dimension_gaps": [g for g in gaps if g["indicator"] is None],
    }  # fmt: skip
    return out
