"""The methodology text in Chinese — the language of the influence reports.

Same content as the English text of :mod:`zhengwu.index.methodology`, every sentence in
Chinese and every number from the loaded configuration (weights, normalisation, peer
groups, fallbacks, combination, compliance window, tie-breaking). Formulas, metric and
configuration keys stay in code spans. A system's own texts use ``description_zh`` /
``note_zh`` where the file gives them, else the text as written.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from zhengwu.index.methodology import (
    GENERATOR_VERSION,
    Gate,
    preset_of,
    shown_source,
    skipped_sentence,
    table_rows,
)
from zhengwu.index.metrics import get_metric
from zhengwu.index.periods import Period
from zhengwu.index.system import Indicator, IndicatorSystem

if TYPE_CHECKING:
    from zhengwu.index.formulas import Preset

PLATFORM_ZH = {"weibo": "微博", "wechat": "微信", "douyin": "抖音", "bilibili": "B 站",
               "qq": "QQ 公众号", "toutiao": "今日头条", "kuaishou": "快手"}  # fmt: skip
_SCALE_ZH = {
    "minmax": "min–max 缩放到 0–100：同组最小值记 0，最大值记 100",
    "percentile": "同组百分位排名 ×100",
    "zscore": "z 分数（标准分），±3σ 映射到 0–100",
    "rate": "比率 ×100（0–1 映射到 0–100）",
    "none": "取原值",
}
PEER_ZH = {"platform": "平台", "sector": "系统（行业）", "level": "层级", "province": "省份"}
_KIND_ZH = {"week": "周", "month": "月", "quarter": "季度", "year": "年",
            "custom": "自定义区间", "people": "人民网年度"}  # fmt: skip
_CJK = re.compile(r"[\u3400-\u9fff]")


def _platforms(names: tuple[str, ...] | list[str]) -> str:
    return "、".join(PLATFORM_ZH.get(p, p) for p in names)


def processing_zh(ind: Indicator) -> str:
    """Return what is done to an indicator, in Chinese: cap → transform → scale …"""
    steps = []
    if ind.cap_percentile is not None:
        steps.append(f"截尾于同组 P{ind.cap_percentile:g}")
    if ind.cap_value is not None:
        steps.append(f"封顶 {ind.cap_value:g}")
    if ind.transform == "log1p":
        steps.append("对数 ln(x+1)")
    steps.append({"minmax": "min–max 0–100", "percentile": "百分位", "zscore": "z 分数",
                  "rate": "比率 ×100", "none": "原值"}[ind.scale])  # fmt: skip
    if ind.zero_is_missing:
        steps.append("0 视为无数据")
    if ind.platforms:
        steps.append(f"仅限{_platforms(ind.platforms)}")
    return " → ".join(steps)


def _composite(system: IndicatorSystem) -> list[str]:
    lines = [
        "## 维度与指标",
        "",
        "| 维度 | 维度权重 | 指标 | 度量 | 组内权重 | 处理 |",
        "|---|---|---|---|---|---|",
    ]
    for dim, ind, metric, label in table_rows(system, "（备用）"):
        lines.append(
            f"| {dim.name_in('zh')} | {dim.weight:.2f} | {metric.title_zh}{label} | "
            f"`{ind.metric}`：{metric.meaning_in('zh')} | {ind.weight:.2f} | {processing_zh(ind)} |"
        )
    weights = "，".join(f"{d.name_in('zh')} {d.weight:.2f}" for d in system.dimensions)
    lines += ["", f"维度权重：{weights}。", "", "各维度说明：", ""]
    for dim in system.dimensions:
        if dim.note_zh or dim.note:
            lines.append(f"- **{dim.name_in('zh')}**：{dim.note_zh or dim.note}")
        for ind in (*dim.indicators, *dim.fallback):
            if ind.note_zh or ind.note:
                title = get_metric(ind.metric).title_zh
                lines.append(f"  - {title}（`{ind.metric}`）：{ind.note_zh or ind.note}")
    used = sorted({i.scale for _, i, _ in system.indicators()})
    peers = "×".join(PEER_ZH[k] for k in system.peer_group)
    lines += [
        "",
        "## 标准化",
        "",
        f"每个指标在同组内标准化，同组为{peers}×统计周期。处理顺序：截尾（高于上限的值按上限计）"
        "→ 变换（对数变换按 sign(x)·ln(1+|x|) 计算，即 ln(x+1)）→ 缩放。某指标在一个同组内"
        "所有账号取值相同，说明不了账号之间的差别，在该组按无数据处理（例如组内没有任何账号"
        "有自身回复）；同组只有一个账号时记中性值 50。所用的缩放方式：",
        "",
        *[f"- `{s}`：{_SCALE_ZH[s]}" for s in used],
        "",
        "## 缺失数据与权重重新归一",
        "",
        "账号某项度量没有数据（NULL，例如无发文时的篇均阅读，或不受理诉求的机构的服务比率）"
        "时不计入，有数据的指标权重按比例重新归一，合计为 1。维度的备用指标只在其主指标全部"
        "无数据时使用。某维度完全无数据时不计入得分，各维度权重同样重新归一；结果中列出缺失的"
        "维度（`dims_missing`）。账号没有任何原始数值（所需计数均未报告）时没有得分（不是 0）："
        "不参与排名，以“无数据”（`no_data`）列出，运行说明中注明此类账号的数量。"
        "指标贡献 = 标准化值 × 指标有效权重 × 维度有效权重，各项贡献之和即得分（0–100）。",
        "",
    ]
    return lines


def _preset(system: IndicatorSystem) -> list[str]:
    from zhengwu.index.formulas.model import CERTAINTY_ZH

    preset, weighted = preset_of(system)
    blocks = "，".join(f"`{b}` × {w:g}" for b, w in weighted)
    lines = [
        "## 公式",
        "",
        f"- 预设：`{preset.name}`（{preset.title_zh}）",
        f"- 来源：{preset.source_zh or preset.source}；可信度：**{CERTAINTY_ZH[preset.certainty]}**",
        f"- {preset.notes_zh or preset.notes}",
        "",
        "| 输入 | 含义 |",
        "|---|---|",
        *[f"| `{i.name}` | {i.meaning} |" for i in preset.inputs],
        "",
        *_bounds(preset),
        "## 数据口径",
        "",
    ]
    if system.cap_reads is not None:
        lines.append(
            f"- 阅读数超过 {system.cap_reads - 1}（显示为“10万+”）的按 {system.cap_reads} 计。"
        )
    if system.seventh_day_kinds:
        kinds = "、".join(_KIND_ZH.get(k, k) for k in system.seventh_day_kinds)
        lines.append(
            f"- 统计周期为{kinds}时，每篇文章按第 7 天的数据计（发布时间 + 7×24 小时当时或之前"
            "的最近一次快照；没有快照时取最新存储的计数）。"
        )
    lines += [
        "- 平台未报告的计数，在同一账号已报告其他计数时按 0 计。账号在窗口内有发文，但公式所需"
        "的计数全部未报告（均为 NULL，如不含阅读数的文章列表）时没有得分（不是 0）：不参与排名，"
        "以“无数据”（`no_data`）列出，运行说明中注明此类账号的数量。",
        f"- 贡献按最终各加权分块（{blocks}）的比例分摊得分，各项贡献之和等于得分。",
        "- 得分采用发布方自身的量纲，不是 0–100；百分位在平台内计算。",
        "",
    ]
    return lines


def _bounds(preset: Preset) -> list[str]:
    if not preset.bounds:
        return []
    said = "；".join(
        f"`{b.part}{' / ' + b.per if b.per else ''} ≤ {b.whole}`（{b.reason_zh}）"
        for b in preset.bounds
    )
    return [f"- 输入约束（不满足即拒绝计算）：{said}", ""]


def _note_zh(note: str) -> str:
    """Keep the Chinese half of a bilingual ``中文 / English`` run note: up to the first
    `` / `` the English half starts after (an ASCII character), so a Chinese half with a
    slash of its own (来源 人民网 / 微博 …) stays whole."""
    at = note.find(" / ")
    while at != -1:
        head, tail = note[:at], note[at + 3 :]
        if tail[:1].isascii() and _CJK.search(head):
            return head
        at = note.find(" / ", at + 3)
    return note


def _gate_zh(gate: Gate) -> str:
    """Say when the gate checks, its window and the own-reply check, in Chinese."""
    when = "在统计周期最后一天（或指定的检查日）检查。"
    if gate.check_date is not None:
        whose = "统计周期最后一天" if gate.at_period_end else "本次运行指定的检查日"
        when = f"在 {gate.check_date}（{whose}）检查。"
    days = "" if gate.window_days is None else f"本次运行为截至检查日的 {gate.window_days} 天；"
    reply = {
        "on": f"在{_platforms(gate.reply_platforms)}上窗口内没有自身回复（自身回复：以“回复@”开头"
        "的发文，或账号自己写的评论——导入的微博评论；同时以“回复@”发文的评论只计一次）",
        "off": "（自身回复检查已关闭）",
        "off_by_run": "（本次运行关闭了自身回复检查）",
    }[gate.reply]
    return (
        f"{when}账号有下列情形之一即不合规：合规窗口内没有发文（{days}设置项 "
        f"`compliance_window_days`，默认 14 天，或运行时指定）；{reply}；"
    )


def _skipped_zh(gate: Gate) -> str:
    """Say where the own-reply check is skipped, and for a run where it was, in Chinese."""
    rule = (
        "自身回复检查只在窗口内能看到自身回复的平台上进行：某平台存储的数据在窗口内没有任何自身"
        "回复（既没有以“回复@”开头的发文，受检账号也没有写过评论）时，数据无法区分从不回复的"
        "账号和回复未被采集的账号，该平台跳过此项检查，不会有账号因此不合规。"
    )
    forms = ("本次运行在{skipped}上跳过了此项检查{also}。", "（在{checked}上照常检查）",
             "本次运行在{checked}上进行了此项检查，没有跳过的平台。")  # fmt: skip
    return skipped_sentence(gate, rule, forms, _platforms)


def render_zh(
    system: IndicatorSystem,
    *,
    period: Period | None = None,
    notes: list[str] | None = None,
    gate: Gate,
) -> str:
    """Return the methodology of ``system`` (and of a run over ``period``) in Chinese, with
    the compliance rules ``gate`` (a run's own, or the system's)."""
    digest = f"（sha256 `{system.digest}`）" if system.digest else ""
    kind = "综合指标体系" if system.kind == "composite" else "预设公式"
    lines = [
        f"# {system.title_zh}",
        "",
        f"- 体系：`{system.name}`，版本 {system.version}（{kind}）；配置文件 {shown_source(system)}{digest}",
        f"- 平台：{_platforms(system.platforms)}",
        f"- 文本：方法说明生成器第 {GENERATOR_VERSION} 版",
    ]
    if period is not None:
        lines.append(
            f"- 统计周期：{period.label}（{_KIND_ZH.get(period.kind, period.kind)}），"
            f"{period.start} 至 {period.end}（北京时间），共 {period.days} 天"
        )
    lines += ["", system.description_zh or system.description, ""]
    lines += _composite(system) if system.kind == "composite" else _preset(system)
    combine = system.combine
    how = {
        "mean_top": f"其最好的 {combine.top} 个平台得分的平均值（平台不足时按实有平台）",
        "max": "其最好的平台得分",
        "weighted": "各平台得分的加权平均，权重为"
        + "，".join(f"{PLATFORM_ZH.get(p, p)} {w:g}" for p, w in combine.platform_weights.items())
        + "（没有账号的平台按 0 计）",
    }[combine.method]
    m = system.matrix
    members = "得分" if system.kind == "composite" else "百分位"
    lines += [
        "## 跨平台与机构",
        "",
        "每个平台在本平台的同组内计分，账号按平台排名。机构在某平台的得分取其在该平台合规账号"
        f"中的最高分；机构跨平台得分（`platform = all`）为{how}。",
        "",
        "## 合规门槛（国办秘函〔2019〕19号）",
        "",
        _gate_zh(gate)
        + "检查日有生效的人工标记（安全事故、买粉、强制点赞、无互动功能——记录标记人、时间和"
        "理由）。不合规账号照常计分，但不进入排名；每个榜单注明被排除的账号数。"
        + _skipped_zh(gate),
        "",
        "## 排名与并列",
        "",
        "排序：得分四舍五入到 6 位小数后从高到低；并列时按"
        f"{get_metric(system.tie_break).title_zh}（`{system.tie_break}`：{get_metric(system.tie_break).meaning_in('zh')}）从高到低；再按账号 "
        "uid 升序。百分位：同组中得分不高于该账号的账号所占比例。名次变化与同一体系上一个"
        "同类统计周期的结果比较。",
        "",
        "## 周期口径",
        "",
        "统计周期按北京时间的整日计算：周、月、季度（自然季度）、年、自定义区间，以及人民网"
        "年度窗口（`people-YYYY`：上一年 11 月 1 日至当年 10 月 31 日）。"
        + (
            "每周为周日至周六（清博口径）。"
            if system.week_start == "sunday"
            else "每周为周一至周日。"
        ),
        "",
        "## 矩阵指数",
        "",
        f"得分 = {m.w_top:g} × 最好的 {m.top_k} 个合规成员账号{members}的平均值 + "
        f"{m.w_coverage:g} × 100 × 开通率（矩阵内在该平台开通账号的机构所占比例）+ "
        f"{m.w_activity:g} × 100 × 活跃率（周期内有发文的成员账号所占比例）。",
        "",
    ]
    if notes:
        lines += ["## 说明", "", *[f"- {_note_zh(n)}" for n in notes], ""]
    return "\n".join(lines)
