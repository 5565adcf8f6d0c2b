"""Award categories (奖项) of the report: data in a TOML file, validated, then looked up.

An award is a title (Chinese, with an English subtitle), a platform (``all`` = the
organisations' cross-platform ranking), an optional filter — sector, level, region (a
province or city code) — and how many win. Its winners are the first ``top`` compliant
entities of the platform's stored ranking that match the filter
(:func:`zhengwu.index.ranking.ranking_page`), so an award list never disagrees with the
ranking it comes from. The package ships a default file (``awards.toml``); an office passes
its own with ``--awards``.

Every field is checked when the file is read, except the sector: the sectors (系统) are
those of the deployment's organisations, which the file cannot know, so the CLI checks an
office's file with :func:`check_sectors` against the organisations in the database (and
the sectors of the run a report is built from) — a typo would otherwise give an empty list.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from zhengwu import regions
from zhengwu.accounts.models import LEVELS
from zhengwu.errors import InvalidInputError
from zhengwu.index import ranking
from zhengwu.index.system import PLATFORMS
from zhengwu.storable import refuse_nul_document

DEFAULT_FILE = Path(__file__).with_name("awards.toml")
FIELDS = ("title", "title_en", "platform", "sector", "level", "region", "top", "note")
AWARD_PLATFORMS = (*PLATFORMS, "all")
MAX_TOP = 100


@dataclass(frozen=True, slots=True)
class Award:
    """One award category: who competes (platform and filter) and how many win."""

    title: str
    platform: str
    top: int = 10
    title_en: str = ""
    sector: str | None = None
    level: str | None = None
    region: str | None = None
    note: str = ""

    @property
    def filters(self) -> dict[str, str]:
        """Return the ranking filters of the award (sector, level, region) that are set."""
        found = {"sector": self.sector, "level": self.level, "region": self.region}
        return {k: v for k, v in found.items() if v}

    def to_dict(self) -> dict[str, Any]:
        """Return the award as a JSON-ready mapping."""
        return {
            "title": self.title, "title_en": self.title_en, "platform": self.platform,
            "sector": self.sector, "level": self.level, "region": self.region, "top": self.top,
            "note": self.note,
        }  # fmt: skip


def _bad(where: str, zh: str, en: str) -> InvalidInputError:
    return InvalidInputError(f"奖项文件 {where}：{zh}", f"awards file {where}: {en}")


def _text(entry: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise _bad(where, f"缺少字段 {key}", f"the field {key!r} is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(where, f"字段 {key} 应为非空文本", f"{key!r} must be non-empty text")
    return value.strip()


def _award(entry: object, where: str) -> Award:
    """Return one validated award from its TOML table."""
    if not isinstance(entry, dict):
        raise _bad(where, "每个 [[award]] 应为一个表", "each [[award]] must be a table")
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise _bad(
            where,
            f"未知字段 {', '.join(unknown)}；可用字段：{', '.join(FIELDS)}",
            f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(FIELDS)}",
        )
    title = _text(entry, "title", where, required=True)
    platform = _text(entry, "platform", where, required=True)
    assert title is not None and platform is not None
    if platform not in AWARD_PLATFORMS:
        raise _bad(
            where,
            f"未知平台 {platform}；可用：{', '.join(AWARD_PLATFORMS)}",
            f"unknown platform {platform!r}; choose one of {', '.join(AWARD_PLATFORMS)}",
        )
    top = entry.get("top", 10)
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= MAX_TOP:
        raise _bad(
            where, f"top 应为 1–{MAX_TOP} 的整数", f"top must be an integer from 1 to {MAX_TOP}"
        )
    level = _text(entry, "level", where)
    if level is not None and level not in LEVELS:
        raise _bad(
            where,
            f"未知层级 {level}；可用：{'、'.join(LEVELS)}",
            f"unknown level {level!r}; choose one of {', '.join(LEVELS)}",
        )
    region = _text(entry, "region", where)
    if region is not None:
        division = regions.get(region)
        if division is None or division.level not in ("province", "city"):
            raise _bad(
                where,
                f"region 应为省或市的 6 位区划代码：{region}",
                f"region must be the 6-digit code of a province or city: {region!r}",
            )
    return Award(
        title=title, platform=platform, top=top, title_en=_text(entry, "title_en", where) or "",
        sector=_text(entry, "sector", where), level=level, region=region,
        note=_text(entry, "note", where) or "",
    )  # fmt: skip


def parse_awards(text: str, *, source: str = "awards.toml") -> list[Award]:
    """Return the awards of a TOML text, or raise InvalidInputError naming what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(source, f"不是合法的 TOML：{exc}", f"not valid TOML: {exc}") from exc
    refuse_nul_document(data, source)
    unknown = sorted(set(data) - {"award"})
    if unknown:
        raise _bad(
            source,
            f"未知的顶层字段 {', '.join(unknown)}；奖项写作 [[award]]",
            f"unknown top-level field(s) {', '.join(unknown)}; write awards as [[award]] tables",
        )
    entries = data.get("award", [])
    if not isinstance(entries, list) or not entries:
        raise _bad(source, "没有任何 [[award]]", "it defines no [[award]]")
    awards = [_award(entry, f"{source} [[award]] #{i}") for i, entry in enumerate(entries, 1)]
    titles = [a.title for a in awards]
    repeated = sorted({t for t in titles if titles.count(t) > 1})
    if repeated:
        raise _bad(
            source,
            f"奖项名称重复：{', '.join(repeated)}",
            f"repeated titles: {', '.join(repeated)}",
        )
    return awards


def load_awards(path: Path | None = None) -> list[Award]:
    """Return the awards of ``path`` (default: the file shipped with zhengwu)."""
    chosen = path or DEFAULT_FILE
    try:
        text = chosen.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(
            f"无法读取奖项文件 {chosen}：{exc.strerror}",
            f"cannot read the awards file {chosen}: {exc.strerror}",
        ) from exc
    return parse_awards(text, source=str(chosen) if path else "awards.toml (default)")


def check_sectors(awards: list[Award], known: Iterable[str], *, source: str) -> str | None:
    """Refuse an award whose sector is not among ``known``; warn when none is known.

    Raises InvalidInputError naming the unknown sector(s) and listing the known ones.
    Returns a bilingual warning when ``known`` is empty (no organisations registered, so
    the sectors cannot be checked), else None.
    """
    wanted = sorted({a.sector for a in awards if a.sector})
    choices = sorted({k for k in known if k})
    if not wanted:
        return None
    if not choices:
        return (
            f"奖项文件 {source}：尚无登记的机构，无法检查系统（sector）{'、'.join(wanted)}"
            f" / awards file {source}: no organisations are registered, so the sector(s) "
            f"{', '.join(wanted)} cannot be checked"
        )
    unknown = [s for s in wanted if s not in choices]
    if unknown:
        titles = ", ".join(a.title for a in awards if a.sector in unknown)
        raise _bad(
            source,
            f"未知系统（sector）{'、'.join(unknown)}（奖项 {titles}）；已知系统：{'、'.join(choices)}",
            f"unknown sector(s) {', '.join(unknown)} (award {titles}); known sectors: "
            f"{', '.join(choices)}",
        )
    return None


def winners(
    con: duckdb.DuckDBPyConnection, run_id: str, award: Award, *, platforms: list[str]
) -> list[dict[str, Any]]:
    """Return the winners of ``award`` in run ``run_id`` (none when the platform is not ranked)."""
    if award.platform not in platforms:
        return []
    page = ranking.ranking_page(
        con, run_id, platform=award.platform, filters=award.filters, limit=award.top, head=0,
        excluded_limit=0,
    )  # fmt: skip
    return [{"place": i, **row} for i, row in enumerate(page["rows"], 1)]
