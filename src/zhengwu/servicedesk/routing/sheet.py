"""The routing table as a sheet people read and edit (派单表): ``zhengwu desk routing export``.

One row per rule in force, by division and category (the fallbacks, with no division or
no category, first), in columns a 12345 centre reads without a code book:

==============  ==================================================================
column          what it holds
==============  ==================================================================
区划代码        the rule's division (6 digits); empty: any division (兜底)
区划名称        its name (金水区), or 任意区划
分类代码        the rule's category code; empty: any category (兜底)
分类名称        its path in the city's tree (城乡建设/供水), or 任意分类
承办单位        the handling body's name
承办单位编号    its id in zhengwu
承办单位代码    its code (``org_id`` of the organisations list), if it has one
兜底            是 for a fallback rule (no division or no category), else 否
说明            the rule's note
规则编号        the rule's id
版本            the table version it came in
生效时间        when it took force (China time)
==============  ==================================================================

The file imports again as it is (:mod:`zhengwu.servicedesk.routing.importer`, which reads
the first seven columns and 说明; the others are for people). CSV is UTF-8 with a BOM,
and CSV and Excel cells that start like a formula get a ``'`` (the request export's
writers: :func:`zhengwu.servicedesk.export.chunks`, :mod:`zhengwu.sheetcells`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts.models import Organization
from zhengwu.chinatime import from_stored
from zhengwu.servicedesk import export
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.service import TreeNode
from zhengwu.servicedesk.routing import fallback
from zhengwu.servicedesk.routing import service as routing_service

COLUMNS = (
    "区划代码", "区划名称", "分类代码", "分类名称", "承办单位", "承办单位编号", "承办单位代码",
    "兜底", "说明", "规则编号", "版本", "生效时间",
)  # fmt: skip
ANY_DIVISION = "任意区划"
ANY_CATEGORY = "任意分类"
TITLE = "派单路由"  # the worksheet's name


def category_paths(tree: Sequence[TreeNode]) -> dict[str, str]:
    """Return each category's path of names in the tree, by code (城乡建设/供水)."""
    by_code = {c.code: c for c in tree}
    return {
        c.code: "/".join(by_code[a].name for a in reversed(
            category_service.lineage(tree, c.code, by_code=by_code)))
        for c in tree
    }  # fmt: skip


def iter_records(session: Session) -> Iterator[dict[str, str]]:
    """Yield the rules in force as the sheet's rows (column → text), fallbacks first."""
    rules = sorted(routing_service.active_rules(session),
                   key=lambda r: (r.adcode or "", r.category_code or "", r.id))  # fmt: skip
    ids = {r.organization_id for r in rules}
    orgs = {
        int(i): (str(name), code or "")
        for i, name, code in session.execute(
            select(Organization.id, Organization.name, Organization.external_id)
            .where(Organization.id.in_(ids))
        )
    } if ids else {}  # fmt: skip
    paths = category_paths(category_service.get_tree(session, include_inactive=True))
    for rule in rules:
        division = regions.get(rule.adcode) if rule.adcode else None
        name, code = orgs.get(rule.organization_id, ("", ""))
        yield {
            "区划代码": rule.adcode or "",
            "区划名称": (division.name if division else "") if rule.adcode else ANY_DIVISION,
            "分类代码": rule.category_code or "",
            "分类名称": paths.get(rule.category_code, "") if rule.category_code else ANY_CATEGORY,
            "承办单位": name,
            "承办单位编号": str(rule.organization_id),
            "承办单位代码": code,
            "兜底": "是" if fallback.is_fallback(rule) else "否",
            "说明": rule.note,
            "规则编号": str(rule.id),
            "版本": str(rule.table_version),
            "生效时间": from_stored(rule.valid_from).strftime("%Y-%m-%d %H:%M:%S"),
        }


def chunks(fmt: export.Format, records: Iterator[dict[str, str]]) -> Iterator[bytes]:
    """Yield the table as ``fmt`` (csv, xlsx or json), with the request export's writers."""
    return export.chunks(fmt, records, columns=COLUMNS, title=TITLE)


def check_format(fmt: str) -> export.Format:
    """Return ``fmt`` if it is csv, xlsx or json; refuse anything else (bilingual 422)."""
    from zhengwu.errors import InvalidInputError

    for known in export.FORMATS:
        if fmt == known:
            return known
    raise InvalidInputError(
        f"未知格式：{fmt}（csv、xlsx、json）", f"unknown format: {fmt} (csv, xlsx or json)"
    )
