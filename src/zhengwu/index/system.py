"""Indicator systems as data: TOML files of dimensions → indicators → weights, checked on load.

Two kinds exist. A *composite* system (the default ``zhengwu-4d``) scores every indicator
within its peer group and combines weighted dimensions. A *preset* system runs one exact
published formula (``zhengwu.index.formulas``) over stored data with its publisher's data
conventions. Systems ship in ``zhengwu/index/systems/*.toml``; users add their own in
``<data_dir>/index-systems/`` or pass ``--system-file``. A user file may not take the name
of a shipped system (unless it is the shipped text itself): runs are stored and published
under the system's name, so a ranking saying "zhengwu-4d" must be computed by zhengwu-4d.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError, NotFoundError, ZhengwuError, did_you_mean
from zhengwu.index.metrics import DEFAULT_SERVICE_TOPICS, METRICS
from zhengwu.index.periods import WeekStart
from zhengwu.storable import refuse_nul_document

Transform = Literal["none", "log1p"]
Scale = Literal["minmax", "percentile", "zscore", "rate", "none"]
CombineMethod = Literal["mean_top", "max", "weighted"]
BUILTIN_DIR = Path(__file__).parent / "systems"
USER_DIR_NAME = "index-systems"
PEER_KEYS = ("platform", "sector", "level", "province")
# The system the console, the API and the CLI use unless told otherwise.
DEFAULT_SYSTEM = "zhengwu-4d"
PLATFORMS = ("weibo", "wechat", "douyin", "bilibili", "qq")
TRANSFORMS: tuple[Transform, ...] = ("none", "log1p")
SCALES: tuple[Scale, ...] = ("minmax", "percentile", "zscore", "rate", "none")
COMBINE_METHODS: tuple[CombineMethod, ...] = ("mean_top", "max", "weighted")
_CJK = re.compile(r"[\u3400-\u9fff]")  # a Chinese character: a label with a Chinese form


class SystemConfigError(InvalidInputError):
    """An indicator-system file is unusable; the message names the place and the fix."""


@dataclass(frozen=True, slots=True)
class Indicator:
    """A metric scored within the peer group: cap → transform → scale to 0–100."""

    metric: str
    weight: float
    transform: Transform = "none"
    scale: Scale = "minmax"
    cap_percentile: float | None = None  # e.g. 99: values above the peer group's P99 count as P99
    cap_value: float | None = None
    zero_is_missing: bool = False  # 0 means "does not do this" → no data, not a zero score
    platforms: tuple[str, ...] = ()  # only observable there; elsewhere no data (empty = all)
    note: str = ""
    note_zh: str = ""  # the note in Chinese, for the methodology of reports (else ``note``)


@dataclass(frozen=True, slots=True)
class Dimension:
    """A weighted group of indicators, with optional fallback indicators."""

    key: str
    name: str
    weight: float
    indicators: tuple[Indicator, ...]
    fallback: tuple[Indicator, ...] = ()  # used for an account with no primary data
    note: str = ""
    note_zh: str = ""  # the note in Chinese, for the methodology of reports (else ``note``)
    name_zh: str = ""  # the name in Chinese when ``name`` is not (else see ``name_in``)

    def name_in(self, lang: str = "zh") -> str:
        """Return the dimension's name for a text in ``lang`` (``zh`` or ``en``).

        English: ``name`` as written, followed by the key when the name is Chinese
        (传播力 reach). Chinese: ``name_zh`` when given; else, when ``name`` (or the key it
        defaults to) is a metric's name, that metric's Chinese title from the registry; else
        ``name`` as written — a user's own label is never translated.
        """
        if lang == "en":
            return f"{self.name} {self.key}" if _CJK.search(self.name) else self.name
        if self.name_zh:
            return self.name_zh
        metric = METRICS.get(self.name)
        return metric.title_zh if metric is not None else self.name


@dataclass(frozen=True, slots=True)
class Combine:
    """How an organisation's platform scores make one cross-platform score."""

    method: CombineMethod = "mean_top"
    top: int = 2
    platform_weights: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MatrixRule:
    """How a matrix's index is built from its members."""

    top_k: int = 5
    w_top: float = 0.6
    w_coverage: float = 0.2
    w_activity: float = 0.2


@dataclass(frozen=True, slots=True)
class IndicatorSystem:
    """A complete, validated indicator system."""

    name: str
    title_zh: str
    title_en: str
    version: str
    kind: Literal["composite", "preset"]
    description: str
    platforms: tuple[str, ...]
    description_zh: str = ""  # the description in Chinese (else ``description``)
    week_start: WeekStart = "monday"
    peer_group: tuple[str, ...] = ("platform",)
    tie_break: str = "posts"
    dimensions: tuple[Dimension, ...] = ()
    preset: str | None = None
    cap_reads: int | None = None
    seventh_day_kinds: tuple[str, ...] = ()
    service_topics: tuple[str, ...] = DEFAULT_SERVICE_TOPICS
    reply_check: bool = True
    reply_platforms: tuple[str, ...] = ("weibo",)
    combine: Combine = field(default_factory=Combine)
    matrix: MatrixRule = field(default_factory=MatrixRule)
    notes: tuple[str, ...] = ()  # what loading changed (e.g. weights normalised)
    # Bilingual hints that do not stop loading: labels with no Chinese form, which the
    # Chinese reports, methodology and console show as written (see ``chinese_gaps``).
    warnings: tuple[str, ...] = ()
    source: str = "builtin"
    digest: str = ""

    def indicators(self) -> list[tuple[Dimension, Indicator, bool]]:
        """Return every (dimension, indicator, is_fallback) in configuration order."""
        return [
            (d, i, fb)
            for d in self.dimensions
            for fb, group in ((False, d.indicators), (True, d.fallback))
            for i in group
        ]

    def metrics_used(self) -> list[str]:
        """Return the metrics the system reads, tie-break included, without repeats."""
        names = [i.metric for _, i, _ in self.indicators()]
        return list(dict.fromkeys([*names, self.tie_break, "posts"]))


# ---- loading --------------------------------------------------------------------------


def _err(where: str, zh: str, en: str) -> SystemConfigError:
    return SystemConfigError(
        f"指标体系配置错误（{where}）：{zh}", f"indicator system {where}: {en}"
    )


def _take(table: Mapping[str, Any], where: str, allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _err(
            where,
            f"未知的键 {', '.join(unknown)}；允许：{', '.join(sorted(allowed))}",
            f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}",
        )


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _err(where, f"应为数字，收到 {value!r}", f"must be a number, got {value!r}")
    return float(value)


def _choice(value: Any, options: tuple[str, ...], where: str) -> str:
    if value not in options:
        raise _err(
            where, f"应为 {' / '.join(options)} 之一，收到 {value!r}",
            f"must be one of {', '.join(options)}, got {value!r}",
        )  # fmt: skip
    return cast(str, value)


def _indicator(raw: Any, where: str) -> Indicator:
    if not isinstance(raw, dict):
        raise _err(where, "应为表", "must be a table")
    _take(raw, where, {"metric", "weight", "transform", "scale", "cap_percentile",
                       "cap_value", "zero_is_missing", "platforms", "note", "note_zh"})  # fmt: skip
    metric = raw.get("metric")
    if metric not in METRICS:
        close_zh, close_en = did_you_mean(metric, METRICS)
        raise _err(
            f"{where}.metric",
            f"未知指标度量 {metric!r}{close_zh}（`zhengwu index systems --metrics` 列出全部）",
            f"unknown metric {metric!r}{close_en} (`zhengwu index systems --metrics` lists them)",
        )  # fmt: skip
    weight = _number(raw.get("weight"), f"{where}.weight")
    if weight <= 0:
        raise _err(f"{where}.weight", f"权重必须为正数，收到 {weight:g}",
                   f"weights must be positive, got {weight:g}")  # fmt: skip
    cap_p = raw.get("cap_percentile")
    if cap_p is not None and not 0 < _number(cap_p, f"{where}.cap_percentile") < 100:
        raise _err(f"{where}.cap_percentile", "应在 0 到 100 之间（不含）", "must be in (0, 100)")
    cap_v = raw.get("cap_value")
    if raw.get("scale") == "percentile" and (cap_p is not None or cap_v is not None):
        # Percentile ranks ignore scale; a cap would only turn the top values into ties.
        raise _err(where, "百分位标准化不能与截断同用", "a percentile scale takes no cap")
    if cap_p is not None and cap_v is not None:
        raise _err(
            where,
            "cap_percentile 与 cap_value 只能选一个",
            "set cap_percentile or cap_value, not both",
        )
    return Indicator(
        metric=cast(str, metric),
        weight=weight,
        transform=cast(Transform, _choice(raw.get("transform", "none"), TRANSFORMS, f"{where}.transform")),
        scale=cast(Scale, _choice(raw.get("scale", "minmax"), SCALES, f"{where}.scale")),
        cap_percentile=None if cap_p is None else float(cap_p),
        cap_value=None if cap_v is None else _number(cap_v, f"{where}.cap_value"),
        zero_is_missing=bool(raw.get("zero_is_missing", False)),
        platforms=tuple(_choice(p, PLATFORMS, f"{where}.platforms") for p in raw.get("platforms", [])),
        note=str(raw.get("note", "")), note_zh=str(raw.get("note_zh", "")),
    )  # fmt: skip


def _weights_sum_to_one(
    weights: list[float], where: str, normalise: bool, tol: float, notes: list[str]
) -> list[float]:
    total = sum(weights)
    if abs(total - 1) <= tol:
        return weights
    if not normalise:
        raise _err(
            where, f"权重之和为 {total:g}，应为 1（或设 normalise_weights = true 自动归一）",
            f"weights sum to {total:g}, not 1 (or set normalise_weights = true to rescale them)",
        )  # fmt: skip
    notes.append(
        f"{where}：权重之和为 {total:g}，已按比例归一为 1 / {where}: weights summed to {total:g} "
        "and were rescaled to sum to 1"
    )
    return [w / total for w in weights]


def _dimension(raw: Any, where: str, normalise: bool, tol: float, notes: list[str]) -> Dimension:
    if not isinstance(raw, dict):
        raise _err(where, "应为表", "must be a table")
    _take(raw, where, {"key", "name", "name_zh", "weight", "indicators", "fallback", "note",
                       "note_zh"})  # fmt: skip
    key = raw.get("key")
    if not isinstance(key, str) or not key.isidentifier():
        raise _err(
            f"{where}.key", "应为英文标识符，如 reach", "must be an identifier such as reach"
        )
    weight = _number(raw.get("weight"), f"{where}.weight")
    if weight <= 0:
        raise _err(f"{where}.weight", f"权重必须为正数，收到 {weight:g}",
                   f"weights must be positive, got {weight:g}")  # fmt: skip
    groups: dict[str, tuple[Indicator, ...]] = {}
    for part in ("indicators", "fallback"):
        items = raw.get(part, [])
        if not isinstance(items, list):
            raise _err(f"{where}.{part}", "应为表的数组", "must be an array of tables")
        if part == "indicators" and not items:
            raise _err(f"{where}.indicators", f"维度 {key} 没有指标", f"dimension {key} is empty")
        built = [_indicator(item, f"{where}.{part}[{i}]") for i, item in enumerate(items)]
        metrics = [i.metric for i in built]
        if len(set(metrics)) != len(metrics):
            raise _err(f"{where}.{part}", "同一维度内指标重复", "an indicator is repeated")
        if built:
            scaled = _weights_sum_to_one(
                [i.weight for i in built], f"{where}.{part}", normalise, tol, notes
            )
            built = [_replace_weight(i, w) for i, w in zip(built, scaled, strict=True)]
        groups[part] = tuple(built)
    return Dimension(
        key=key, name=str(raw.get("name", key)), weight=weight, indicators=groups["indicators"],
        fallback=groups["fallback"], note=str(raw.get("note", "")),
        note_zh=str(raw.get("note_zh", "")), name_zh=str(raw.get("name_zh", "")),
    )  # fmt: skip


def _replace_weight(ind: Indicator, weight: float) -> Indicator:
    return replace(ind, weight=weight)


_TOP_KEYS = {
    "name", "title_zh", "title_en", "version", "kind", "description", "description_zh", "platforms",
    "week_start", "peer_group", "tie_break", "normalise_weights", "weight_tolerance",
    "dimensions", "preset", "cap_reads", "seventh_day_reads", "service", "compliance",
    "combine", "matrix",
}  # fmt: skip


def parse_system(
    data: Mapping[str, Any], *, source: str = "builtin", digest: str = ""
) -> IndicatorSystem:
    """Validate a parsed TOML mapping and return the indicator system it describes."""
    refuse_nul_document(data, source, SystemConfigError)  # a "\u0000" in a string
    _take(data, "top level", _TOP_KEYS)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise _err("name", "缺少体系名称", "the system needs a name")
    kind = _choice(data.get("kind", "composite"), ("composite", "preset"), "kind")
    platforms = tuple(data.get("platforms", ()))
    for p in platforms:
        _choice(p, PLATFORMS, "platforms")
    if not platforms:
        raise _err("platforms", "至少要一个平台", "list at least one platform")
    peer = tuple(data.get("peer_group", ["platform"]))
    for key in peer:
        _choice(key, PEER_KEYS, "peer_group")
    if "platform" not in peer:
        # Each platform has its own scale of reads and likes: never normalise across them.
        peer = ("platform", *peer)
    tie_break = data.get("tie_break", "posts")
    if kind == "preset" and tie_break != "posts":
        # A preset's inputs are its formula's; the number of posts is what every one has.
        raise _err(
            "tie_break",
            "预设体系按发文数打破并列，应为 posts",
            "preset systems break ties by posts",
        )
    if tie_break not in METRICS:
        raise _err("tie_break", f"未知指标度量 {tie_break!r}", f"unknown metric {tie_break!r}")
    notes: list[str] = []
    normalise = bool(data.get("normalise_weights", False))
    tol = _number(data.get("weight_tolerance", 1e-6), "weight_tolerance")
    dims: list[Dimension] = []
    preset = data.get("preset")
    if kind == "composite":
        raw_dims = data.get("dimensions", [])
        if not isinstance(raw_dims, list) or not raw_dims:
            raise _err(
                "dimensions", "综合体系至少要一个维度", "a composite system needs dimensions"
            )
        dims = [
            _dimension(d, f"dimensions[{i}]", normalise, tol, notes) for i, d in enumerate(raw_dims)
        ]
        keys = [d.key for d in dims]
        if len(set(keys)) != len(keys):
            raise _err("dimensions", "维度 key 重复", "dimension keys repeat")
        scaled = _weights_sum_to_one([d.weight for d in dims], "dimensions", normalise, tol, notes)
        dims = [_dim_weight(d, w) for d, w in zip(dims, scaled, strict=True)]
    else:
        from zhengwu.index.presets_run import RUNNABLE

        if preset not in RUNNABLE:
            raise _err(
                "preset", f"无法在存储数据上运行的预设 {preset!r}；可用：{', '.join(RUNNABLE)}",
                f"preset {preset!r} cannot run over stored data; runnable: {', '.join(RUNNABLE)}",
            )  # fmt: skip
    service = data.get("service", {})
    compliance = data.get("compliance", {})
    _take(service, "service", {"topics"})
    _take(compliance, "compliance", {"reply_check", "reply_platforms"})
    system = IndicatorSystem(
        name=name,
        title_zh=str(data.get("title_zh", data.get("title_en", name))),  # the title, not its key
        title_en=str(data.get("title_en", name)),
        version=str(data.get("version", "1")),
        kind=cast(Literal["composite", "preset"], kind),
        description=str(data.get("description", "")).strip(),
        description_zh=str(data.get("description_zh", "")).strip(),
        platforms=platforms,
        week_start=cast(WeekStart, _choice(data.get("week_start", "monday"), ("monday", "sunday"), "week_start")),
        peer_group=peer,
        tie_break=tie_break,
        dimensions=tuple(dims),
        preset=cast(str | None, preset),
        cap_reads=data.get("cap_reads"),
        seventh_day_kinds=tuple(data.get("seventh_day_reads", ())),
        service_topics=tuple(service.get("topics", DEFAULT_SERVICE_TOPICS)),
        reply_check=bool(compliance.get("reply_check", True)),
        reply_platforms=tuple(compliance.get("reply_platforms", ("weibo",))),
        combine=_combine(data.get("combine", {}), platforms),
        matrix=_matrix(data.get("matrix", {})),
        notes=tuple(notes),
        source=source,
        digest=digest,
    )  # fmt: skip
    return replace(system, warnings=tuple(chinese_gaps(system, has_title_zh="title_zh" in data)))


def chinese_gaps(system: IndicatorSystem, *, has_title_zh: bool = True) -> list[str]:
    """Return a bilingual hint for each label of ``system`` that has no Chinese form.

    The Chinese texts (reports, methodology, console) show such a label as written: a
    user's own words are not translated. Metric names, normalisation and combination words
    have Chinese forms of their own and are never listed.
    """
    gaps: list[str] = []

    def gap(where: str, key: str, text: str) -> None:
        gaps.append(
            f"{where} 没有中文（可加 {key}），中文报告中按原文显示：{text!r} / {where} has no "
            f"Chinese form (add {key}); Chinese reports show it as written: {text!r}"
        )

    if not has_title_zh and not _CJK.search(system.title_zh):
        gap("title_zh", "title_zh", system.title_zh)
    if system.description and not system.description_zh and not _CJK.search(system.description):
        gap("description", "description_zh", system.description[:60])
    for i, dim in enumerate(system.dimensions):
        where = f"dimensions[{i}]"
        name = dim.name_in("zh")
        if not _CJK.search(name) and name == dim.name:
            gap(f"{where}.name", "name_zh", dim.name)
        if dim.note and not dim.note_zh and not _CJK.search(dim.note):
            gap(f"{where}.note", "note_zh", dim.note[:60])
        for part, group in (("indicators", dim.indicators), ("fallback", dim.fallback)):
            for j, ind in enumerate(group):
                if ind.note and not ind.note_zh and not _CJK.search(ind.note):
                    gap(f"{where}.{part}[{j}].note", "note_zh", ind.note[:60])
    return gaps


def _dim_weight(dim: Dimension, weight: float) -> Dimension:
    return replace(dim, weight=weight)


def _combine(raw: Mapping[str, Any], platforms: tuple[str, ...]) -> Combine:
    _take(raw, "combine", {"method", "top", "platform_weights"})
    method = cast(
        CombineMethod, _choice(raw.get("method", "mean_top"), COMBINE_METHODS, "combine.method")
    )
    top = int(_number(raw.get("top", 2), "combine.top"))
    if top < 1:
        raise _err("combine.top", "应至少为 1", "must be at least 1")
    weights = {
        str(k): _number(v, f"combine.platform_weights.{k}")
        for k, v in raw.get("platform_weights", {}).items()
    }
    if method == "weighted" and set(weights) != set(platforms):
        raise _err("combine.platform_weights", "weighted 需要为每个平台给出权重",
                   "method 'weighted' needs a weight for every platform")  # fmt: skip
    return Combine(method=method, top=top, platform_weights=weights)


def _matrix(raw: Mapping[str, Any]) -> MatrixRule:
    _take(raw, "matrix", {"top_k", "weights"})
    weights = raw.get("weights", {"top": 0.6, "coverage": 0.2, "activity": 0.2})
    _take(weights, "matrix.weights", {"top", "coverage", "activity"})
    values = [
        _number(weights.get(k, 0), f"matrix.weights.{k}") for k in ("top", "coverage", "activity")
    ]
    if any(v < 0 for v in values) or abs(sum(values) - 1) > 1e-6:
        raise _err(
            "matrix.weights", "权重应非负且和为 1", "weights must be non-negative and sum to 1"
        )
    top_k = int(_number(raw.get("top_k", 5), "matrix.top_k"))
    if top_k < 1:
        raise _err("matrix.top_k", "应至少为 1", "must be at least 1")
    return MatrixRule(top_k, *values)


def load_system_file(path: Path) -> IndicatorSystem:
    """Read and validate one TOML system file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SystemConfigError(
            f"无法读取指标体系文件 {path}：{exc.strerror}",
            f"cannot read system file {path}: {exc.strerror}",
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SystemConfigError(
            f"{path} 不是合法的 TOML：{exc}", f"{path} is not valid TOML: {exc}"
        ) from exc
    return parse_system(data, source=str(path), digest=content_digest(data))


def content_digest(data: dict[str, Any]) -> str:
    """Return the digest of a system's settings (SHA-256 of them as sorted JSON, 16 hex).

    Of what the file says, not of its text: a comment or a blank line changed (as in an
    upgrade of a shipped file) leaves a run's configuration the same, so a stored period can
    still be re-run without ``--replace``; any changed value, weight or text changes it.
    """
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def refuse_shipped_name(system: IndicatorSystem, path: Path | None = None) -> None:
    """Raise SystemConfigError when a user's system takes the name of a shipped one.

    The shipped file itself (same text, same digest) is allowed wherever it is read from.
    """
    shipped = BUILTIN_DIR / f"{system.name}.toml"
    if not shipped.is_file() or (path is not None and path.resolve() == shipped.resolve()):
        return
    if system.digest and system.digest == load_system_file(shipped).digest:
        return
    where = f"{path}: " if path is not None else ""
    raise SystemConfigError(
        f"{where}体系名称 {system.name!r} 与随 zhengwu 提供的指标体系重名；请给自己的体系另起"
        f"名称（name = 与文件名），以免其结果被当作 {system.name} 的排行",
        f"{where}the name {system.name!r} is taken by a shipped indicator system; give your "
        f"system a name of its own (name = and the file name), so that its results are not "
        f"taken for {system.name}'s rankings",
    )


def user_dir() -> Path:
    """Return the directory of the user's own system files (``<data_dir>/index-systems``)."""
    return get_settings().data_dir / USER_DIR_NAME


def system_titles(lang: str = "zh") -> dict[str, str]:
    """Return every known system name with its title in ``lang`` (``title_zh``, or with
    ``en`` ``title_en``; the name when the file has none or cannot be read)."""
    key = "title_en" if lang == "en" else "title_zh"
    titles: dict[str, str] = {}
    for name, path in available_systems().items():
        try:
            with path.open("rb") as fh:
                titles[name] = str(tomllib.load(fh).get(key) or name)
        except (OSError, tomllib.TOMLDecodeError):  # a broken user file shows its name
            titles[name] = name
    return titles


def available_systems() -> dict[str, Path]:
    """Return every known system name with its file: shipped, then the user's.

    A user file named like a shipped system is listed in its place, so that loading it
    (:func:`load_system`) says the name is taken rather than quietly using either one.
    """
    found: dict[str, Path] = {}
    for directory in (BUILTIN_DIR, user_dir()):
        if directory.is_dir():
            for path in sorted(directory.glob("*.toml")):
                found[path.stem] = path
    return found


def dimension_names(name: str, lang: str = "zh") -> dict[str, str]:
    """Return dimension key → name in ``lang`` of the system called ``name`` (see
    :meth:`Dimension.name_in`); empty when it cannot be loaded (a run of a system file
    removed since: its keys are still readable)."""
    try:
        return {d.key: d.name_in(lang) for d in load_system(name).dimensions}
    except ZhengwuError:
        return {}


def load_system(name: str | None = None, *, path: Path | None = None) -> IndicatorSystem:
    """Return the system called ``name`` (default ``zhengwu-4d``) or the one in ``path``."""
    if path is not None:
        found = load_system_file(path)
        refuse_shipped_name(found, path)
        return found
    name = name or DEFAULT_SYSTEM
    known = available_systems()
    if name not in known:
        close_zh, close_en = did_you_mean(name, known)
        raise NotFoundError(
            f"没有名为 {name!r} 的指标体系{close_zh}；可用：{', '.join(known)}",
            f"no indicator system named {name!r}{close_en}; known: {', '.join(known)}",
        )
    system = load_system_file(known[name])
    if system.name != name:
        raise SystemConfigError(
            f"{known[name]} 的 name 为 {system.name!r}，应与文件名 {name!r} 一致",
            f"{known[name]} declares name {system.name!r}; it must match the file name {name!r}",
        )
    refuse_shipped_name(system, known[name])
    return system
