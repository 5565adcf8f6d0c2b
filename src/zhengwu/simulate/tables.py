"""The deployment's tables: ``orgs.csv``, ``accounts.csv`` and ``matrices.json``.

These are what an operator would load into zhengwu before any platform data: the
organisations (机构) with level, sector, region (empty for central bodies) and parent; the platform accounts that
belong to them (non-government accounts have an empty ``org_id``); the matrices.
``verified_type`` uses Weibo's codes on every platform (1 政府, 2 企业, 3 媒体, 4 校园,
7 团体/机构, -1 普通用户).
"""

from __future__ import annotations

import csv

import orjson

from zhengwu.simulate.population import Org
from zhengwu.simulate.streams import StreamContext

ORG_COLUMNS = ("org_id", "name", "level", "sector", "adcode", "parent_id")
ACCOUNT_COLUMNS = ("platform", "uid", "name", "org_id", "verified_type", "created_at")


def org_row(org: Org) -> tuple[str, str, str, str, str, str]:
    """Return the ``orgs.csv`` row of an organisation, in the order of ``ORG_COLUMNS``."""
    # A central body (中央) belongs to no division: the population keys it by "000000",
    # the list leaves its adcode empty, which is what the zhengwu-orgs importer expects.
    adcode = "" if org.level == "中央" else org.adcode
    return (org.org_id, org.name, org.level, org.sector, adcode, org.parent_id)


class TablesStream:
    """Writes the organisation, account and matrix tables."""

    name = "tables"

    def write(self, ctx: StreamContext) -> None:
        """Write ``orgs.csv``, ``accounts.csv`` and ``matrices.json``."""
        population = ctx.population
        with ctx.open("orgs.csv") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(ORG_COLUMNS)
            writer.writerows(org_row(org) for org in population.orgs)
        with ctx.open("accounts.csv") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(ACCOUNT_COLUMNS)
            for platform in ctx.config.platforms:
                for a in population.accounts[platform]:
                    org_id = population.orgs[a.org].org_id if a.org >= 0 else ""
                    writer.writerow((platform, a.uid, a.name, org_id, a.verified_type, a.created))
        wanted = set(ctx.config.platforms)
        accounts = population.accounts
        with ctx.open("matrices.json") as fh:
            fh.write("[")
            written = 0
            for m in population.matrices:
                lead_org = accounts[m.lead[0]][m.lead[1]].org
                # Without Weibo in --platforms the lead body's next account leads.
                lead_ref = next(
                    (
                        (p, k)
                        for p, k in [m.lead, *m.members]
                        if p in wanted and accounts[p][k].org == lead_org
                    ),
                    None,
                )
                if lead_ref is None:
                    continue
                lead_platform, lead = lead_ref
                members = [
                    {
                        "platform": p,
                        "uid": accounts[p][k].uid,
                        "role": "lead" if (p, k) == lead_ref else "member",
                    }
                    for p, k in m.members
                    if p in wanted
                ]
                record = {
                    "id": m.id,
                    "name": m.name,
                    "kind": m.kind,
                    "adcode": m.adcode,
                    "sector": m.sector,
                    "lead": {"platform": lead_platform, "uid": accounts[lead_platform][lead].uid},
                    "members": members,
                }
                fh.write(("\n" if written == 0 else ",\n") + orjson.dumps(record).decode())
                written += 1
            fh.write("\n]\n")
        ctx.truth.section("counts").update(
            orgs=len(population.orgs),
            matrices=written,
            accounts={p: len(accounts[p]) for p in ctx.config.platforms},
            government_accounts={
                p: sum(a.org >= 0 for a in accounts[p]) for p in ctx.config.platforms
            },
        )
