"""清博 (gsdata) presets: WCI V14.2, V2.0 and the 2016 API era; BVCI V2.0; QSCI V1.0.

Window rule shared by every WCI preset: 清博 gives 0 when the window holds no article. So
n = 0 with every article count 0 is that case and returns 0; n = 0 with any positive count
is inconsistent (reads of articles that do not exist) and is an error naming ``n``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from math import floor, log1p

from zhengwu.index.formulas.model import Bound, FormulaError, FormulaFlag, FormulaInput, Preset

N_ARTICLES = FormulaInput("n", "统计窗口内的发文篇数", whole=True)


def _no_articles(v: Mapping[str, float], counts: tuple[str, ...]) -> bool:
    """Return True when the window holds no article; raise when n = 0 contradicts the counts."""
    if v["n"] > 0:
        return False
    positive = [name for name in counts if v[name] > 0]
    if positive:
        raise FormulaError(
            f"输入 n 为 0（窗口内无文章），但 {', '.join(positive)} 大于 0：输入自相矛盾",
            f"input n is 0 (no article in the window) but {', '.join(positive)} > 0: "
            "inconsistent inputs",
            input_name="n",
        )
    return True


# What a count's letters mean in the bounds' messages (R reads, Z 在看 or likes …).
_COUNT_WORDS = {
    "R": ("阅读数", "reads"), "Z": ("在看数", "在看 counts"), "L": ("点赞数", "likes"),
    "RE": ("转发数", "shares"),
}  # fmt: skip


def _article_bounds(total: str, words: tuple[str, str]) -> tuple[Bound, ...]:
    """Return the bounds of a count over n articles: total/n ≤ max ≤ total.

    The single-article maximum can neither exceed the total of the window's articles nor
    fall below their average (Rmax < R/n would need an article above its maximum).
    """
    zh, en = words
    peak = f"{total}max"
    return (
        Bound(peak, total, f"单篇最高{zh}不可能超过全部文章的{zh}总和",
              f"one article's {en} cannot exceed the total {en} of the window's articles"),
        Bound(total, peak, f"篇均{zh}不可能超过单篇最高{zh}",
              f"the average {en} per article cannot exceed the single-article maximum",
              per="n"),
    )  # fmt: skip


def _headline_bound(letter: str) -> Bound:
    """Return the bound of a 头条 total: the lead articles are some of the window's articles."""
    zh, en = _COUNT_WORDS[letter]
    return Bound(f"{letter}t", letter, f"头条文章的{zh}不可能超过全部文章的{zh}总和",
                 f"the {en} of the lead articles cannot exceed the {en} of all articles")  # fmt: skip


# ---- WCI V14.2 -------------------------------------------------------------------------

_V14_COUNTS = ("R", "Z", "L", "RE", "Rt", "Zt", "Lt", "REt", "Rmax", "Zmax", "Lmax", "REmax")


def _v14_block(reads: float, zaikan: float, likes: float, shares: float, per: float) -> float:
    """Return one 传播力 block: reads, 在看, likes and shares, each divided by ``per``."""
    return (
        0.70 * log1p(reads / per)
        + 0.09 * log1p(10 * zaikan / per)
        + 0.06 * log1p(10 * likes / per)
        + 0.15 * log1p(10 * shares / per)
    )


def _wci_v14_2(v: Mapping[str, float], _: Mapping[str, bool]) -> tuple[float, dict[str, float]]:
    if _no_articles(v, _V14_COUNTS):
        return 0.0, dict.fromkeys(("O", "A", "H", "P", "base"), 0.0)
    d, n = v["d"], v["n"]
    blocks = {
        "O": _v14_block(v["R"], v["Z"], v["L"], v["RE"], d),
        "A": _v14_block(v["R"], v["Z"], v["L"], v["RE"], n),
        "H": _v14_block(v["Rt"], v["Zt"], v["Lt"], v["REt"], d),
        "P": _v14_block(v["Rmax"], v["Zmax"], v["Lmax"], v["REmax"], 1),
    }
    base = 0.6 * blocks["O"] + 0.2 * blocks["A"] + 0.1 * blocks["H"] + 0.1 * blocks["P"]
    return base**2 * 1.2 * 10, {**blocks, "base": base}


QINGBO_WCI_V14_2 = Preset(
    name="qingbo_wci_v14_2",
    title_zh="清博微信传播指数 WCI V14.2",
    title_en="Qingbo WeChat Communication Index WCI V14.2",
    platform="wechat",
    source="a copy of gsdata.cn /site/usage-1",
    certainty="published",
    inputs=(
        FormulaInput("R", "窗口内全部文章的阅读数总和"),
        FormulaInput("Z", "窗口内全部文章的在看数总和"),
        FormulaInput("L", "窗口内全部文章的点赞数总和"),
        FormulaInput("RE", "窗口内全部文章的转发（分享）数总和"),
        FormulaInput("Rt", "头条文章的阅读数总和"),
        FormulaInput("Zt", "头条文章的在看数总和"),
        FormulaInput("Lt", "头条文章的点赞数总和"),
        FormulaInput("REt", "头条文章的转发数总和"),
        FormulaInput("Rmax", "单篇文章最高阅读数"),
        FormulaInput("Zmax", "单篇文章最高在看数"),
        FormulaInput("Lmax", "单篇文章最高点赞数"),
        FormulaInput("REmax", "单篇文章最高转发数"),
        N_ARTICLES,
        FormulaInput("d", "窗口天数（周 7、月 30、年 365、自定义为实际天数）", positive=True),
    ),
    calculation=_wci_v14_2,
    bounds=tuple(
        bound
        for letter, words in _COUNT_WORDS.items()
        for bound in (_headline_bound(letter), *_article_bounds(letter, words))
    ),
    notes=(
        "WCI = (0.6·O + 0.2·A + 0.1·H + 0.1·P)² × 1.2 × 10. d = 0 is an error; n = 0 with "
        "all counts 0 gives 0 (清博: no article → 0), n = 0 with a positive count is an error."
    ),
    source_zh="gsdata.cn /site/usage-1 页面的副本",
    notes_zh="WCI = (0.6·O + 0.2·A + 0.1·H + 0.1·P)² × 1.2 × 10。d = 0 报错；n = 0 且各项计数为 0 时得 0（清博：无文章 → 0），n = 0 而有正计数时报错。",
)

# ---- WCI V2.0 and its 2016 API-era variant ---------------------------------------------

_V2_COUNTS = ("R", "Z", "Rmax", "Zmax")
_V2_INPUTS = (
    FormulaInput("R", "窗口内全部文章的阅读数总和"),
    FormulaInput("Z", "窗口内全部文章的点赞数总和"),
    N_ARTICLES,
    FormulaInput("Rmax", "单篇文章最高阅读数"),
    FormulaInput("Zmax", "单篇文章最高点赞数"),
)


# V2.0's Z is likes, not 在看.
_V2_BOUNDS = (*_article_bounds("R", _COUNT_WORDS["R"]), *_article_bounds("Z", _COUNT_WORDS["L"]))


def _v2_block(total: float, average: float, peak: float) -> float:
    """Return one V2.0 block: 0.40·ln(total+1) + 0.45·ln(average+1) + 0.15·ln(peak+1)."""
    return 0.40 * log1p(total) + 0.45 * log1p(average) + 0.15 * log1p(peak)


def _v2_value(read_block: float, like_block: float) -> tuple[float, dict[str, float]]:
    combined = 0.8 * read_block + 0.2 * like_block
    return combined**2 * 10, {"read_block": read_block, "like_block": like_block, "sum": combined}


def _wci_v2(v: Mapping[str, float], _: Mapping[str, bool]) -> tuple[float, dict[str, float]]:
    if _no_articles(v, _V2_COUNTS):
        return _v2_value(0.0, 0.0)
    n = v["n"]
    return _v2_value(
        _v2_block(v["R"], v["R"] / n, v["Rmax"]), _v2_block(v["Z"], v["Z"] / n, v["Zmax"])
    )


def _round_half_up_1(total: float, count: float) -> float:
    """Return total / count rounded half up to one decimal, computed exactly."""
    # Exact rational arithmetic: a float quotient such as 0.25 → 0.2499999… would round down.
    return float(Fraction(floor(Fraction(total) / Fraction(count) * 10 + Fraction(1, 2)), 10))


def _wci_2016(v: Mapping[str, float], flags: Mapping[str, bool]) -> tuple[float, dict[str, float]]:
    if _no_articles(v, _V2_COUNTS):
        value, breakdown = _v2_value(0.0, 0.0)
        return value, {**breakdown, "read_avg": 0.0}
    n = v["n"]
    read_avg = _round_half_up_1(v["R"], n) if flags["round_read_avg"] else v["R"] / n
    read_block = _v2_block(v["R"], read_avg, v["Rmax"])
    # The 2016 variant scales every like term by 10 before the logarithm.
    like_block = _v2_block(10 * v["Z"], 10 * v["Z"] / n, 10 * v["Zmax"])
    value, breakdown = _v2_value(read_block, like_block)
    return value, {**breakdown, "read_avg": read_avg}


QINGBO_WCI_V2 = Preset(
    name="qingbo_wci_v2",
    title_zh="清博微信传播指数 WCI V2.0",
    title_en="Qingbo WeChat Communication Index WCI V2.0",
    platform="wechat",
    source="gulangu.com/a/344.html",
    certainty="published worked example",
    inputs=_V2_INPUTS,
    calculation=_wci_v2,
    bounds=_V2_BOUNDS,
    notes=(
        "WCI = {0.8·[0.40·ln(R+1)+0.45·ln(R/n+1)+0.15·ln(Rmax+1)] + 0.2·[same for Z]}² × 10; "
        "Z is likes here. n = 0 with all counts 0 gives 0, with a positive count an error."
    ),
    source_zh="gulangu.com/a/344.html",
    notes_zh="WCI = {0.8·[0.40·ln(R+1)+0.45·ln(R/n+1)+0.15·ln(Rmax+1)] + 0.2·[Z 同式]}² × 10；此处 Z 为点赞数。n = 0 且各项计数为 0 时得 0，有正计数时报错。",
)

QINGBO_WCI_2016 = Preset(
    name="qingbo_wci_2016",
    title_zh="清博微信传播指数 WCI（2016 年 API 口径，推断）",
    title_en="Qingbo WCI, 2016 API era (inferred)",
    platform="wechat",
    source="inferred from 清博 2016 API values (FORMULAS.md)",
    certainty="inferred",
    inputs=_V2_INPUTS,
    calculation=_wci_2016,
    bounds=_V2_BOUNDS,
    flags=(
        FormulaFlag(
            "round_read_avg",
            True,
            "篇均阅读数 R/n 先四舍五入到一位小数再代入（当年 API 的口径；关闭则用精确值）",
        ),
    ),
    notes=(
        "V2.0 with ln(10·x+1) in every like term. With round_read_avg (default on) R/n is "
        "rounded half up to one decimal, which is what reproduces the API's published values."
    ),
    source_zh="由清博 2016 年 API 数值反推（FORMULAS.md）",
    notes_zh="即 V2.0，但每个点赞项用 ln(10·x+1)。开启 round_read_avg（默认开启）时 R/n 四舍五入到一位小数，这样才能复现该 API 公布的数值。",
)

# ---- BVCI V2.0 (Bilibili) and QSCI V1.0 (QQ) --------------------------------------------


def _bvci_v2(v: Mapping[str, float], _: Mapping[str, bool]) -> tuple[float, dict[str, float]]:
    inner = (
        0.15 * log1p(v["X1"])
        + 0.25 * log1p(v["X2"])
        + 0.30 * log1p(v["X3"])
        + 0.18 * log1p(v["X4"])
        + 0.12 * log1p(v["X5"])
    )
    return inner * 100, {"inner": inner}


QINGBO_BVCI_V2 = Preset(
    name="qingbo_bvci_v2",
    title_zh="清博 B 站传播指数 BVCI V2.0",
    title_en="Qingbo Bilibili Video Communication Index BVCI V2.0",
    platform="bilibili",
    source="gsdata.cn/site/usage-8",
    certainty="published",
    inputs=(
        FormulaInput("X1", "窗口内上传视频数"),
        FormulaInput("X2", "日均播放数"),
        FormulaInput("X3", "日均评论数"),
        FormulaInput("X4", "粉丝总数"),
        # ln(X5+1) is undefined below −1 and 清博 does not say how a net loss counts.
        FormulaInput("X5", "粉丝增量（净减少不受支持）"),
    ),
    calculation=_bvci_v2,
    bounds=(
        Bound(
            "X5",
            "X4",
            "窗口内的粉丝增量不可能超过粉丝总数",
            "the follower gain in the window cannot exceed the total followers",
        ),
    ),
    notes="BVCI = [0.15·ln(X1+1)+0.25·ln(X2+1)+0.30·ln(X3+1)+0.18·ln(X4+1)+0.12·ln(X5+1)] × 100.",
    source_zh="gsdata.cn/site/usage-8",
    notes_zh="BVCI = [0.15·ln(X1+1)+0.25·ln(X2+1)+0.30·ln(X3+1)+0.18·ln(X4+1)+0.12·ln(X5+1)] × 100。",
)


def _qsci_v1(v: Mapping[str, float], _: Mapping[str, bool]) -> tuple[float, dict[str, float]]:
    publishing = (
        0.40 * log1p(10 * v["X1"]) + 0.45 * log1p(10 * v["X2"]) + 0.15 * log1p(10 * v["X3"])
    )
    engagement = 0.45 * log1p(v["X4"]) + 0.40 * log1p(v["X5"]) + 0.15 * log1p(v["X6"])
    return 0.25 * publishing + 0.75 * engagement, {
        "publishing_block": publishing,
        "engagement_block": engagement,
    }


QINGBO_QSCI_V1 = Preset(
    name="qingbo_qsci_v1",
    title_zh="清博 QQ 公众号传播指数 QSCI V1.0",
    title_en="Qingbo QQ Official Account Communication Index QSCI V1.0",
    platform="qq",
    source="gsdata.cn/site/usage-6",
    certainty="provisional",
    inputs=(
        FormulaInput("X1", "发文篇数"),
        FormulaInput("X2", "日均发文篇数"),
        FormulaInput("X3", "发文次数"),
        FormulaInput("X4", "阅读数"),
        FormulaInput("X5", "评论数"),
        FormulaInput("X6", "点赞数"),
    ),
    calculation=_qsci_v1,
    bounds=(
        Bound(
            "X2",
            "X1",
            "日均发文篇数不可能超过发文篇数",
            "the articles per day cannot exceed the articles in the window",
        ),
        Bound(
            "X3",
            "X1",
            "发文次数不可能超过发文篇数（每次至少发一篇）",
            "the publishing occasions cannot exceed the articles (each has one at least)",
        ),
    ),
    notes=(
        "Weights are provisional (清博). The page's formula line repeats ln(X4+1); its "
        "variable table's X4, X5, X6 are used, as FORMULAS.md says."
    ),
    source_zh="gsdata.cn/site/usage-6",
    notes_zh="权重为暂定（清博）。页面公式行重复了 ln(X4+1)；按 FORMULAS.md，采用其变量表中的 X4、X5、X6。",
)
