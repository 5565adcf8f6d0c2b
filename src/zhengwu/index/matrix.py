"""The matrix index (矩阵指数): how strong, how complete and how alive a matrix is.

Per matrix and platform (and across the system's platforms, ``platform = 'all'``):

* ``top_mean`` — the mean of the best ``top_k`` compliant member scores (percentiles for
  preset systems, whose scales are not 0–100), so a matrix is judged by its leading
  accounts, not diluted by its size;
* ``coverage`` 开通率 — the share of the matrix's organisations (the bodies of its member
  accounts) that have a government account on the platform (for ``all``: the mean over the
  platforms; ``organizations_on_platform`` then counts bodies on at least one platform);
* ``activity`` 活跃率 — the share of member accounts on the platform that posted in the
  window;
* ``score`` = w_top · top_mean + w_coverage · 100 · coverage + w_activity · 100 · activity
  (weights from the system's ``[matrix]`` table).
"""

from __future__ import annotations

from typing import Any

import duckdb

from zhengwu.index.system import IndicatorSystem


def compute(con: duckdb.DuckDBPyConnection, system: IndicatorSystem, run_id: str) -> None:
    """Write ``index_matrix`` rows for run ``run_id`` (needs ``members_in``, ``acc`` registered)."""
    rule = system.matrix
    value = "t.score" if system.kind == "composite" else "t.percentile"
    platforms = ", ".join(f"'{p}'" for p in system.platforms)
    # Coverage counts each matrix's organisations once, and those on a platform by joining
    # them to their platforms on the integer id; the cross product of every (matrix,
    # organisation) with every platform was a third of the statement's time.
    top = f"list_avg(list_slice(list_reverse_sort(list({value}) FILTER (WHERE NOT t.excluded)), 1, {rule.top_k}))"
    con.execute(
        f"""INSERT INTO index_matrix
        WITH mem AS (SELECT m.matrix_id, a.account_id, a.platform, a.organization_id
                     FROM members_in m JOIN acc a USING (account_id)),
        names AS (SELECT DISTINCT matrix_id, matrix_name FROM members_in),
        mo AS (SELECT DISTINCT matrix_id, organization_id FROM mem WHERE organization_id IS NOT NULL),
        op AS (SELECT DISTINCT organization_id, platform FROM acc),
        plat AS (SELECT unnest([{platforms}]) AS platform),
        n_orgs AS (SELECT matrix_id, count(*) AS orgs FROM mo GROUP BY ALL),
        orgs_on AS (SELECT mo.matrix_id, op.platform, count(*) AS orgs_on
                    FROM mo JOIN op USING (organization_id) GROUP BY ALL),
        cov AS (SELECT n.matrix_id, p.platform, n.orgs, coalesce(o.orgs_on, 0) AS orgs_on
                FROM n_orgs n CROSS JOIN plat p
                LEFT JOIN orgs_on o ON o.matrix_id = n.matrix_id AND o.platform = p.platform),
        any_cov AS (SELECT matrix_id, count(DISTINCT mo.organization_id) AS orgs_on
                    FROM mo SEMI JOIN op ON op.organization_id = mo.organization_id
                    GROUP BY ALL),
        t AS (SELECT account_id, score, percentile, excluded, posts FROM index_totals
              WHERE run_id = $run AND entity = 'account'),
        per AS (SELECT mem.matrix_id, mem.platform, count(*) AS members, count(t.account_id) AS scored,
                       avg(CASE WHEN t.posts > 0 THEN 1.0 ELSE 0.0 END) AS activity, {top} AS top_mean
                FROM mem JOIN t USING (account_id)
                GROUP BY ALL),
        alls AS (SELECT mem.matrix_id, 'all' AS platform, count(*) AS members,
                        count(t.account_id) AS scored,
                        avg(CASE WHEN t.posts > 0 THEN 1.0 ELSE 0.0 END) AS activity, {top} AS top_mean
                 FROM mem JOIN t USING (account_id)
                 GROUP BY ALL),
        rows AS (
            SELECT c.matrix_id, c.platform, coalesce(p.members, 0) AS members,
                   coalesce(p.scored, 0) AS scored, c.orgs, c.orgs_on,
                   p.top_mean, c.orgs_on / c.orgs AS coverage, coalesce(p.activity, 0) AS activity
            FROM cov c LEFT JOIN per p ON p.matrix_id = c.matrix_id AND p.platform = c.platform
            UNION ALL
            SELECT c.matrix_id, 'all', coalesce(a.members, 0), coalesce(a.scored, 0),
                   max(c.orgs), max(y.orgs_on), a.top_mean, avg(c.orgs_on / c.orgs),
                   coalesce(a.activity, 0)
            FROM cov c LEFT JOIN alls a ON a.matrix_id = c.matrix_id
            LEFT JOIN any_cov y ON y.matrix_id = c.matrix_id
            GROUP BY c.matrix_id, a.members, a.scored, a.top_mean, a.activity
        )
        SELECT $run, r.matrix_id, n.matrix_name, r.platform, r.members, r.scored, r.orgs,
               r.orgs_on, r.top_mean, r.coverage, r.activity, s.score,
               row_number() OVER (PARTITION BY r.platform
                                  ORDER BY round(s.score, 6) DESC, r.members DESC, r.matrix_id)
        FROM rows r JOIN names n USING (matrix_id),
             LATERAL (SELECT {rule.w_top} * coalesce(r.top_mean, 0)
                             + {rule.w_coverage} * 100 * r.coverage
                             + {rule.w_activity} * 100 * r.activity AS score) s""",
        {"run": run_id},
    )


def matrix_index(
    con: duckdb.DuckDBPyConnection, run_id: str, *, platform: str | None = None
) -> list[dict[str, Any]]:
    """Return the stored matrix index of run ``run_id``, best first within each platform."""
    where = "run_id = ?" + (" AND platform = ?" if platform else "")
    params: list[object] = [run_id, platform] if platform else [run_id]
    cur = con.execute(
        f"""SELECT platform, rank, matrix_id, matrix_name, score, top_mean, coverage, activity,
                   members, scored, organizations, organizations_on_platform
            FROM index_matrix WHERE {where} ORDER BY platform, rank""",
        params,
    )
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
