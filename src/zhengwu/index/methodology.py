"""Methodology text (Markdown) generated from the indicator system itself, for reports.

Chinese by default (``lang="zh"``, the language of the reports, every sentence in Chinese;
formulas and configuration keys stay in code spans); ``lang="en"`` gives the English text.
Everything the text says comes from the loaded configuration — weights, normalisation,
peer groups, fallbacks, combination, compliance and tie-breaking — so the appendix of a
report cannot drift from what was computed.

A run stores the text of its run time (a published, reproducible record: a report shows
that text, never a rewording). The text names the version of the generator that wrote it
(:data:`GENERATOR_VERSION`); :func:`of_run` tells a report whether today's generator words
the run's configuration otherwise, and gives that text too.

A run's text (``rules`` and ``check_date`` given) states the compliance rules the run used:
its check date, its window in days and whether the own-reply check applied — a run with
``--no-reply-check`` or ``--compliance-days 7`` says so, whatever the system's own
``reply_check`` and the server's ``compliance_window_days``. Without them (a system's text,
``zhengwu index methodology``) the gate is described as the system configures it.

Both say that the own-reply check is skipped on a platform where the stored data shows
nobody's own reply in the window (:func:`zhengwu.index.compliance.gate_sql`: the data cannot
tell an account that never replies from one whose replies were not collected); a run's text
(``reply_skipped`` given) names the platforms the run skipped it on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from zhengwu.errors import ZhengwuError
from zhengwu.index.metrics import Metric, get_metric
from zhengwu.index.periods import Period
from zhengwu.index.system import (
    BUILTIN_DIR,
    USER_DIR_NAME,
    Dimension,
    Indicator,
    IndicatorSystem,
    load_system,
    user_dir,
)

if TYPE_CHECKING:
    from zhengwu.index.compliance import ComplianceRules
    from zhengwu.index.formulas import Preset

Lang = Literal["zh", "en"]
# The version of the text this module and methodology_zh write. Raise it with every change
# of the text they give for the same configuration (tests/index/test_methodology_version.py
# pins the text of each version by its digest). A text that names no version was stored
# before versions were written: version 1. Version 4: a run's text states the run's own
# compliance rules (check date, window days, own-reply check on or off), not the system's.
# Version 5: the own-reply check is skipped where nobody's own reply is stored, and a run's
# text names the platforms it was skipped on.
GENERATOR_VERSION = 5
_VERSION = re.compile(r"(?:方法说明生成器第 |methodology generator version )(\d+)")


def shown_source(system: IndicatorSystem, lang: Lang = "zh") -> str:
    """Return where the configuration came from without the server's own directories (a
    public report names no install path, and the text is the same on every server): a
    shipped file by its name, a user's file as ``index-systems/NAME.toml``, a file given
    once as it was given."""
    path = Path(system.source)
    if path.parent == BUILTIN_DIR:
        shipped = f"`{path.name}`"
        return f"随 zhengwu 提供的 {shipped}" if lang == "zh" else f"{shipped} shipped with zhengwu"
    if path.parent == user_dir():
        return f"`{USER_DIR_NAME}/{path.name}`"
    return f"`{system.source}`"


def generator_version(text: str) -> int:
    """Return the version of the generator that wrote the methodology ``text`` (1: none named)."""
    found = _VERSION.search(text)
    return int(found.group(1)) if found else 1


@dataclass(frozen=True, slots=True)
class RunText:
    """The methodology of a stored run: the text of its run time, and today's if it differs."""

    text: str  # as stored with the run
    version: int  # the generator version that wrote it
    current: str | None  # today's generator's text of the same configuration, when newer
    configuration_gone: bool  # a newer generator, but the run's configuration is not at hand

    def note(self) -> tuple[str, str]:
        """Return what a report says about the text (Chinese, English)."""
        zh = f"以下为本次运行时存储的方法说明（方法说明生成器第 {self.version} 版）。"
        en = (f"The text below is the one stored with the run (methodology generator version "
              f"{self.version}).")  # fmt: skip
        if self.version >= GENERATOR_VERSION:
            return zh, en
        now = GENERATOR_VERSION
        if self.current is not None:
            return (
                f"{zh}现行生成器第 {now} 版对同一配置的文字有所不同，现行文本见其后的附录。",
                f"{en} The current generator (version {now}) words the same configuration "
                "otherwise: its text follows in the next appendix.",
            )
        return (
            f"{zh}现行生成器为第 {now} 版；本次运行所用的配置已更改或已不可得，不能生成其现行文本。",
            f"{en} The current generator is version {now}; the configuration this run used has "
            "changed or is not at hand, so no current text can be made for it.",
        )


def of_run(run: Mapping[str, Any]) -> RunText:
    """Return the methodology of the stored ``run`` (a row of ``index_runs``), with today's
    text when the generator has changed since and the run's configuration is still the
    same (the system of that name has the run's digest)."""
    text = str(run["methodology"] or "")
    version = generator_version(text)
    if version >= GENERATOR_VERSION:
        return RunText(text, version, None, False)
    try:
        system: IndicatorSystem | None = load_system(str(run["system"]))
    except ZhengwuError:
        system = None
    if system is None or system.digest != run["system_digest"]:
        return RunText(text, version, None, True)
    period = Period(kind=run["period_kind"], label=run["period"], start=run["start_date"],
                    end=run["end_date"], week_start=run["week_start"] or "monday")  # fmt: skip
    current = render(system, period=period, notes=list(run["notes"] or []),
                     rules=run_rules(run, system), check_date=run.get("check_date"))  # fmt: skip
    return RunText(text, version, current, False)


def run_rules(run: Mapping[str, Any], system: IndicatorSystem) -> ComplianceRules | None:
    """Return the compliance rules the stored ``run`` used (its window and own-reply check;
    the reply platforms are the system's, as its digest is the run's), or None when the row
    does not say."""
    from zhengwu.index.compliance import ComplianceRules

    days, reply = run.get("compliance_window_days"), run.get("reply_check")
    if days is None or reply is None:
        return None
    return ComplianceRules(window_days=int(days), reply_check=bool(reply),
                           reply_platforms=system.reply_platforms)  # fmt: skip


_SCALE = {
    "minmax": "min–max 缩放到 0–100（同组最小值 0，最大值 100）/ min–max to 0–100",
    "percentile": "同类百分位排名 ×100 / percentile rank in the peer group × 100",
    "zscore": "z 分数，±3σ 映射到 0–100 / z-score, ±3σ mapped onto 0–100",
    "rate": "比率 ×100（0–1 → 0–100）/ a 0–1 rate × 100",
    "none": "原值 / the value as is",
}
_PEER = {"platform": "平台 platform", "sector": "系统 sector", "level": "层级 level",
         "province": "省份 province"}  # fmt: skip


def _processing(ind: Indicator) -> str:
    steps = []
    if ind.cap_percentile is not None:
        steps.append(f"cap at P{ind.cap_percentile:g} of the peer group")
    if ind.cap_value is not None:
        steps.append(f"cap at {ind.cap_value:g}")
    if ind.transform == "log1p":
        steps.append("log1p")
    steps.append(ind.scale)
    if ind.zero_is_missing:
        steps.append("0 = no data")
    if ind.platforms:
        steps.append(f"only on {', '.join(ind.platforms)}")
    return " → ".join(steps)


def table_rows(
    system: IndicatorSystem, fallback_label: str
) -> Iterator[tuple[Dimension, Indicator, Metric, str]]:
    """Yield each indicator of the table with its dimension, metric and fallback label."""
    for dim in system.dimensions:
        for group, label in ((dim.indicators, ""), (dim.fallback, fallback_label)):
            for ind in group:
                yield dim, ind, get_metric(ind.metric), label


def _composite(system: IndicatorSystem) -> list[str]:
    lines = [
        "## 维度与指标 / Dimensions and indicators",
        "",
        "| 维度 dimension | 权重 weight | 指标 indicator | 度量 metric | 组内权重 weight | 处理 processing |",
        "|---|---|---|---|---|---|",
    ]
    for dim, ind, metric, label in table_rows(system, "（备用 fallback）"):
        lines.append(
            f"| {dim.name} {dim.key} | {dim.weight:.2f} | {metric.title_zh}{label} | "
            f"`{ind.metric}`: {metric.meaning} | {ind.weight:.2f} | {_processing(ind)} |"
        )
    lines += ["", "Notes per dimension:", ""]
    for dim in system.dimensions:
        if dim.note:
            lines.append(f"- **{dim.name}** — {dim.note}")
        for ind in (*dim.indicators, *dim.fallback):
            if ind.note:
                lines.append(f"  - `{ind.metric}` — {ind.note}")
    used = sorted({i.scale for _, i, _ in system.indicators()})
    lines += [
        "",
        "## 标准化 / Normalisation",
        "",
        "Each indicator is normalised within its peer group: "
        + " × ".join(_PEER[k] for k in system.peer_group)
        + " × period. Order of steps: cap (values above the cap count as the cap) → transform "
        "(log1p is applied as sign(x)·ln(1+|x|)) → scale. An indicator whose value is the same "
        "for every account of a peer group tells nothing about them and counts as no data "
        "there (for example own replies where no account shows any); a peer group of a single "
        "account gets the neutral 50. Scales used:",
        "",
        *[f"- `{s}`: {_SCALE[s]}" for s in used],
        "",
        "## 缺失数据 / Missing data and re-normalised weights",
        "",
        "A metric without data for an account (NULL: for example reads per post without posts, "
        "or service rates of an organisation that handles no requests) is left out, and the "
        "weights of the indicators that have data are re-normalised to sum to 1. Fallback "
        "indicators of a dimension are used only when none of its primary indicators has data. "
        "A dimension without any data is left out of the score and the dimension weights are "
        "re-normalised the same way; the result lists the missing dimensions (`dims_missing`). "
        "An account without any raw value (every count it needs unreported) has no score "
        "(not 0): it is not ranked, is listed with the reason 无数据 no_data, and the run "
        "notes count such accounts. "
        "Contribution of an indicator = normalised value × effective indicator weight × "
        "effective dimension weight, so the contributions add up to the score (0–100).",
        "",
    ]
    return lines


def preset_of(system: IndicatorSystem) -> tuple[Preset, tuple[tuple[str, float], ...]]:
    """Return the preset a preset system runs, and its final weighted blocks."""
    from zhengwu.index.formulas import get_preset
    from zhengwu.index.presets_run import RUNNABLE

    assert system.preset is not None
    return get_preset(system.preset), tuple(RUNNABLE[system.preset].blocks)


def _preset(system: IndicatorSystem) -> list[str]:
    preset, weighted = preset_of(system)
    blocks = ", ".join(f"{b} × {w:g}" for b, w in weighted)
    lines = [
        "## 公式 / Formula",
        "",
        f"- 预设 preset: `{preset.name}` — {preset.title_zh} / {preset.title_en}",
        f"- 来源 source: {preset.source}; 可信度 certainty: **{preset.certainty}**",
        f"- {preset.notes}",
        "",
        "| 输入 input | 含义 meaning |",
        "|---|---|",
        *[f"| {i.name} | {i.meaning} |" for i in preset.inputs],
        "",
        *_bounds(preset),
        "## 数据口径 / Data conventions",
        "",
    ]
    if system.cap_reads is not None:
        lines.append(
            f"- Reads above {system.cap_reads - 1} (shown “10万+”) count as {system.cap_reads}."
        )
    if system.seventh_day_kinds:
        lines.append(
            "- For periods of kind " + ", ".join(system.seventh_day_kinds) + ", each article "
            "counts with its 7th-day numbers (the latest snapshot at or before publication + "
            "7 × 24 h; the latest stored counts when there is none)."
        )
    lines += [
        "- Counts the platform did not report count as 0 beside the counts it did report. An "
        "account that published in the window without any of the counts its formula needs "
        "(every one NULL, as in article lists without reads) has no score (not 0): it is not "
        "ranked, is listed with the reason 无数据 no_data, and the run notes count such accounts.",
        f"- Contributions split the value over the final weighted blocks ({blocks}) in "
        "proportion to each weighted block, so they add up to the value.",
        "- Scores are on the publisher's own scale, not 0–100; percentiles are within the platform.",
        "",
    ]
    return lines


def render(
    system: IndicatorSystem,
    *,
    period: Period | None = None,
    notes: list[str] | None = None,
    lang: Lang = "zh",
    rules: ComplianceRules | None = None,
    check_date: date | None = None,
    reply_skipped: tuple[str, ...] | None = None,
) -> str:
    """Return the methodology of ``system`` (and of a run over ``period``) as Markdown.

    ``lang="zh"`` (default) is the Chinese text of reports; ``lang="en"`` the English one.
    ``rules`` and ``check_date``: the compliance rules and check date a run used, which its
    text states instead of the system's own setting. ``reply_skipped``: the platforms on
    which the run skipped the own-reply check (None: not known, the rule alone is stated).
    """
    gate = gate_of(system, period, rules, check_date, reply_skipped)
    if lang == "zh":
        from zhengwu.index.methodology_zh import render_zh

        return render_zh(system, period=period, notes=notes, gate=gate)
    lines = [
        f"# {system.title_zh} / {system.title_en}",
        "",
        f"- 体系 system: `{system.name}` version {system.version} ({system.kind}); "
        f"file {shown_source(system, 'en')}{f' (sha256 {system.digest})' if system.digest else ''}",
        f"- 平台 platforms: {', '.join(system.platforms)}",
        f"- 生成 text: methodology generator version {GENERATOR_VERSION}",
    ]
    if period is not None:
        lines.append(
            f"- 统计周期 period: {period.label} ({period.kind}), {period.start} … {period.end} "
            f"China time, {period.days} days"
        )
    lines += ["", system.description, ""]
    lines += _composite(system) if system.kind == "composite" else _preset(system)
    combine = system.combine
    how = {
        "mean_top": f"the mean of its best {combine.top} platform scores (fewer if it has fewer)",
        "max": "its best platform score",
        "weighted": "the weighted mean of its platform scores with weights "
        + ", ".join(f"{p} {w:g}" for p, w in combine.platform_weights.items())
        + " (a platform without an account counts 0)",
    }[combine.method]
    m = system.matrix
    lines += [
        "## 跨平台与机构 / Across platforms and per organisation",
        "",
        "Every platform is scored within its own peer group; accounts are ranked per platform. "
        "An organisation's platform score is its best compliant account on that platform; its "
        f"cross-platform score (`platform = all`) is {how}.",
        "",
        "## 合规门槛 / Compliance gate (国办秘函〔2019〕19号)",
        "",
        _gate_en(gate)
        + "a manual flag active on the check date (security incident, bought followers, "
        "coerced likes, no interaction — recorded with who, when and why). Failing accounts "
        "are scored but left out of rankings; every ranking states how many were left out."
        + _skipped_en(gate),
        "",
        "## 排名与并列 / Ranking and ties",
        "",
        "Order: score rounded to 6 decimals, descending; then "
        f"`{system.tie_break}` ({get_metric(system.tie_break).meaning}), descending; then the "
        "uid, ascending. Percentile: share of the peer group scoring at or below the account. "
        "Movement compares with the same system's run over the previous period of the same kind.",
        "",
        "## 周期口径 / Periods",
        "",
        "Periods are whole days of China time: a week, a month, a (calendar) quarter, a year, "
        "a custom range, and 人民网's year (`people-YYYY`: 1 November of the year before to "
        "31 October). Weeks run "
        f"{'Sunday to Saturday (清博)' if system.week_start == 'sunday' else 'Monday to Sunday'}.",
        "",
        "## 矩阵指数 / Matrix index",
        "",
        f"score = {m.w_top:g} × mean of the best {m.top_k} compliant member "
        f"{'scores' if system.kind == 'composite' else 'percentiles'} + {m.w_coverage:g} × 100 × "
        f"开通率 coverage (share of the matrix's organisations with an account on the platform) "
        f"+ {m.w_activity:g} × 100 × 活跃率 activity (share of member accounts that posted in "
        "the period).",
        "",
    ]
    if notes:
        lines += ["## 说明 / Notes", "", *[f"- {n}" for n in notes], ""]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Gate:
    """What the compliance section says: a run's own rules, or the system's (none given)."""

    check_date: date | None  # None: the system's text (the period's last day, or as given)
    at_period_end: bool
    window_days: int | None  # None: the system's text (the setting, 14 by default)
    reply: Literal["on", "off", "off_by_run"]
    reply_platforms: tuple[str, ...]
    # The run's platforms where the own-reply check was skipped (no own reply stored for
    # anyone in the window) and where it was made; None: not known (a system's text).
    reply_skipped: tuple[str, ...] | None = None
    reply_checked: tuple[str, ...] = ()


def gate_of(
    system: IndicatorSystem,
    period: Period | None,
    rules: ComplianceRules | None,
    check_date: date | None,
    reply_skipped: tuple[str, ...] | None = None,
) -> Gate:
    """Return the compliance rules the text states: the run's ``rules`` and ``check_date``
    when given, else as the system configures them; ``reply_skipped``: the platforms where
    the run skipped the own-reply check."""
    on = system.reply_check if rules is None else rules.reply_check
    reply: Literal["on", "off", "off_by_run"] = (
        "on" if on else "off_by_run" if rules is not None and system.reply_check else "off"
    )
    platforms = system.reply_platforms if rules is None else rules.reply_platforms
    scored = tuple(p for p in platforms if p in system.platforms)
    skipped = None if reply_skipped is None else tuple(p for p in scored if p in reply_skipped)
    return Gate(
        check_date=check_date,
        at_period_end=period is not None and check_date == period.end,
        window_days=None if rules is None else rules.window_days,
        reply=reply,
        reply_platforms=platforms,
        reply_skipped=skipped,
        reply_checked=() if skipped is None else tuple(p for p in scored if p not in skipped),
    )


def _gate_en(gate: Gate) -> str:
    """Say when the gate checks, its window and the own-reply check, in English."""
    when = "Checked on the last day of the period (or a given check date)."
    if gate.check_date is not None:
        whose = (
            "the last day of the period"
            if gate.at_period_end
            else "the check date given for this run"
        )
        when = f"Checked on {gate.check_date}, {whose}."
    days = "" if gate.window_days is None else (
        f"this run: the {gate.window_days} days ending with the check date; "
    )  # fmt: skip
    reply = {
        "on": f"no own reply in the window on {', '.join(gate.reply_platforms)} (own reply: a "
        "post starting with 回复@, or a comment the account wrote — imported Weibo comments; a "
        "comment also posted as a 回复@ post counts once)",
        "off": "(the own-reply check is off)",
        "off_by_run": "(the own-reply check is off: this run turned it off)",
    }[gate.reply]
    return (
        f"{when} An account fails on: no post in the compliance window ({days}the setting "
        f"`compliance_window_days`, 14 by default, or the run's option); {reply}; "
    )


def skipped_sentence(
    gate: Gate, rule: str, forms: tuple[str, str, str], names: Callable[[tuple[str, ...]], str]
) -> str:
    """Return ``rule`` (where the own-reply check is skipped) and, for a run, where it was:
    ``forms`` are the run's sentence when it skipped the check (``{skipped}``, ``{also}``),
    the ``{also}`` naming the platforms still checked (``{checked}``), and the sentence when
    it skipped none (``{checked}``); ``names`` joins platform names. Nothing when the check
    is off."""
    if gate.reply != "on":
        return ""
    skipped, checked = gate.reply_skipped, names(gate.reply_checked)
    if skipped:
        also = forms[1].format(checked=checked) if checked else ""
        return rule + forms[0].format(skipped=names(skipped), also=also)
    if skipped is not None and checked:
        return rule + forms[2].format(checked=checked)
    return rule


def _skipped_en(gate: Gate) -> str:
    """Say where the own-reply check is skipped, and for a run where it was, in English."""
    rule = (
        " The own-reply check applies on a platform only when the stored data shows an own "
        "reply there in the window (a post starting with 回复@, or a comment written by one of "
        "the accounts checked): where nobody shows one, the data cannot tell an account that "
        "never replies from one whose replies were not collected, so the check is skipped on "
        "that platform and no account fails it there."
    )
    forms = (" This run skipped it on {skipped}{also}.", " (checked on {checked})",
             " This run checked own replies on {checked} and skipped it nowhere.")  # fmt: skip
    return skipped_sentence(gate, rule, forms, ", ".join)


def _bounds(preset: Preset) -> list[str]:
    """Say which inputs cannot hold together (the preset refuses them), if any."""
    if not preset.bounds:
        return []
    said = "; ".join(
        f"{b.part}{' / ' + b.per if b.per else ''} ≤ {b.whole} ({b.reason_zh})"
        for b in preset.bounds
    )
    return [f"- 输入约束 bounds（不满足即拒绝 / refused otherwise）: {said}", ""]
