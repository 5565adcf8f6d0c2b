"""Presets from publishers other than 清博: Weibo BCI (simplified), 新榜 NRI, 人民网, 成都 2015."""

from __future__ import annotations

from collections.abc import Mapping
from math import log1p

from zhengwu.index.formulas.model import Bound, FormulaInput, Preset

# ---- Weibo BCI, simplified --------------------------------------------------------------


def _bci_simple(v: Mapping[str, float], _: Mapping[str, bool]) -> tuple[float, dict[str, float]]:
    w1 = log1p(v["posts"])
    w2 = 0.4 * log1p(v["reposts"]) + 0.4 * log1p(v["comments"]) + 0.2 * log1p(v["likes"])
    return (0.2 * w1 + 0.8 * w2) * 160, {"W1": w1, "W2": w2}


WEIBO_BCI_SIMPLE = Preset(
    name="weibo_bci_simple",
    title_zh="微博传播指数 BCI（简化版）",
    title_en="Weibo Communication Index BCI, simplified",
    platform="weibo",
    source="provincial 微博影响力指数 data registrations (浙江 data-IP platform and about ten provinces)",
    certainty="published",
    inputs=(
        FormulaInput("posts", "窗口内发博数"),
        FormulaInput("reposts", "转发数总和"),
        FormulaInput("comments", "评论数总和"),
        FormulaInput("likes", "点赞数总和"),
    ),
    calculation=_bci_simple,
    notes=(
        "BCI = (0.2·W1 + 0.8·W2) × 160. Not 清博's official multi-indicator BCI, which was "
        "not found and is not claimed."
    ),
    source_zh="各省微博影响力指数数据登记（浙江数据知识产权平台等约十个省份）",
    notes_zh="BCI = (0.2·W1 + 0.8·W2) × 160。并非清博官方的多指标 BCI（未找到，不声称复现）。",
)

# ---- 新榜 NRI (unofficial reconstruction) -----------------------------------------------


def _nri_score(x: float, ceiling: float) -> float:
    """Return ln(x+1) / ln(M+1) × 1000 (not capped: x above M scores above 1000)."""
    return log1p(x) / log1p(ceiling) * 1000


def _newrank_nri(v: Mapping[str, float], _: Mapping[str, bool]) -> tuple[float, dict[str, float]]:
    days = v["n"]
    scores = {
        "score_read_sum": _nri_score(v["read_sum"], 800_000 * days),
        "score_read_max": _nri_score(v["read_max"], 100_000),
        "score_read_avg": _nri_score(v["read_avg"], 100_000),
        "score_headline_read_sum": _nri_score(v["headline_read_sum"], 100_000 * days),
        "score_like_sum": _nri_score(v["like_sum"], 80_000 * days),
    }
    value = (
        0.75 * scores["score_read_sum"]
        + 0.05 * scores["score_read_max"]
        + 0.10 * scores["score_read_avg"]
        + 0.05 * scores["score_headline_read_sum"]
        + 0.05 * scores["score_like_sum"]
    )
    return value, scores


NEWRANK_NRI = Preset(
    name="newrank_nri",
    title_zh="新榜指数 NRI（非官方复原）",
    title_en="Newrank Index NRI (unofficial reconstruction)",
    platform="wechat",
    source="unofficial reconstruction (FORMULAS.md); 新榜 has not published it",
    certainty="unofficial reconstruction",
    inputs=(
        FormulaInput("read_sum", "窗口内阅读数总和"),
        FormulaInput("read_max", "单篇最高阅读数"),
        FormulaInput("read_avg", "篇均阅读数"),
        FormulaInput("headline_read_sum", "头条阅读数总和"),
        FormulaInput("like_sum", "点赞数总和"),
        FormulaInput("n", "窗口天数", positive=True),
    ),
    calculation=_newrank_nri,
    bounds=(
        Bound(
            "read_avg",
            "read_max",
            "篇均阅读数不可能超过单篇最高阅读数",
            "the average reads per article cannot exceed the single-article maximum",
        ),
        Bound(
            "read_max",
            "read_sum",
            "单篇最高阅读数不可能超过阅读数总和",
            "one article's reads cannot exceed the total reads",
        ),
        Bound(
            "headline_read_sum",
            "read_sum",
            "头条阅读数不可能超过全部文章的阅读数总和",
            "the lead articles' reads cannot exceed the reads of all articles",
        ),
    ),
    notes=(
        "score(x, M) = ln(x+1)/ln(M+1)×1000; n is days, so n = 0 is an error; no article "
        "(all sums 0) gives 0."
    ),
    source_zh="非官方复原（FORMULAS.md）；新榜未公布该公式",
    notes_zh="score(x, M) = ln(x+1)/ln(M+1)×1000；n 为天数，n = 0 报错；无文章（各项总和为 0）得 0。",
)

# ---- dimension-score schemes ------------------------------------------------------------


def _city_competitiveness(
    v: Mapping[str, float], _: Mapping[str, bool]
) -> tuple[float, dict[str, float]]:
    parts = {
        "reach_part": 0.30 * v["传播力"],
        "service_part": 0.35 * v["服务力"],
        "engagement_part": 0.35 * v["互动力"],
    }
    return sum(parts.values()), parts


PEOPLE_CITY_COMPETITIVENESS = Preset(
    name="people_city_competitiveness",
    title_zh="人民网政务微博城市竞争力指数（2023 年第三季度，推断）",
    title_en="People's Daily Online city government-Weibo competitiveness index (2023 Q3, inferred)",
    platform="weibo",
    source="人民网 / 微博 city 竞争力指数 2023 Q3, inferred from the published 30-row table",
    certainty="inferred",
    inputs=(
        FormulaInput("传播力", "传播力维度得分（0–100）", aliases=("reach",), maximum=100),
        FormulaInput("服务力", "服务力维度得分（0–100）", aliases=("service",), maximum=100),
        FormulaInput("互动力", "互动力维度得分（0–100）", aliases=("engagement",), maximum=100),
    ),
    calculation=_city_competitiveness,
    notes="竞争力 = 0.30·传播力 + 0.35·服务力 + 0.35·互动力 on 0–100 dimension scores.",
    source_zh="人民网 / 微博 2023 年第三季度城市竞争力指数，由公布的 30 行榜单反推",
    notes_zh="竞争力 = 0.30·传播力 + 0.35·服务力 + 0.35·互动力，维度得分为 0–100。",
)


def _chengdu_2015(v: Mapping[str, float], _: Mapping[str, bool]) -> tuple[float, dict[str, float]]:
    parts = {
        "activity_part": 0.60 * v["活跃度"],
        "reach_part": 0.20 * v["传播力"],
        "guidance_part": 0.20 * v["引导力"],
    }
    return sum(parts.values()), parts


CHENGDU_2015 = Preset(
    name="chengdu_2015",
    title_zh="成都 2015 年政务新媒体周榜综合指数",
    title_en="Chengdu 2015 weekly list, composite",
    platform="unspecified",
    source="成都 2015 weekly list (FORMULAS.md, other schemes seen)",
    certainty="dimension weights only",
    inputs=(
        FormulaInput("活跃度", "活跃度维度得分（量纲未公布）", aliases=("activity",)),
        FormulaInput("传播力", "传播力维度得分（量纲未公布）", aliases=("reach",)),
        FormulaInput("引导力", "引导力维度得分（量纲未公布）", aliases=("guidance",)),
    ),
    calculation=_chengdu_2015,
    notes=(
        "综合 = 活跃度 60 % + 传播力 20 % + 引导力 20 %. Only the weights are known: the "
        "inputs are dimension scores the caller computes; their scale was not published."
    ),
    source_zh="成都 2015 年周榜（FORMULAS.md，其他已见方案）",
    notes_zh="综合 = 活跃度 60 % + 传播力 20 % + 引导力 20 %。仅知权重：输入为调用方自行计算的维度得分，其量纲未公布。",
)
