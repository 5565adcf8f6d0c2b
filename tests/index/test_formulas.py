"""Published-formula presets: worked examples, regression values, edge cases, CLI."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from zhengwu.cli.index import app
from zhengwu.errors import InvalidInputError, NotFoundError
from zhengwu.index.formulas import (
    PRESETS,
    FormulaError,
    Preset,
    compute,
    get_preset,
    qingbo_read_count,
    qingbo_week,
    seventh_day_reads,
)

REL = 1e-6
WORKED_V2: dict[str, float] = {"R": 10000, "n": 100, "Rmax": 300, "Z": 4000, "Zmax": 60}
REGRESSION_V14_2: dict[str, float] = {
    "R": 70000, "Z": 700, "L": 1400, "RE": 2100, "n": 20, "d": 7,
    "Rt": 35000, "Zt": 350, "Lt": 700, "REt": 1000,
    "Rmax": 12000, "Zmax": 150, "Lmax": 300, "REmax": 400,
}  # fmt: skip
REGRESSION_BCI: dict[str, float] = {"posts": 300, "reposts": 5000, "comments": 8000, "likes": 20000}
REGRESSION_NRI: dict[str, float] = {
    "read_sum": 70000, "read_max": 12000, "read_avg": 3500,
    "headline_read_sum": 35000, "like_sum": 1400, "n": 7,
}  # fmt: skip
BVCI_SAMPLE: dict[str, float] = {"X1": 12, "X2": 5400, "X3": 130, "X4": 88000, "X5": 900}
QSCI_SAMPLE: dict[str, float] = {"X1": 40, "X2": 1.3, "X3": 25, "X4": 52000, "X5": 310, "X6": 1200}
# One valid input mapping per preset, so that every error case can be tried on every preset.
VALID: dict[str, dict[str, float]] = {
    "qingbo_wci_v14_2": REGRESSION_V14_2,
    "qingbo_wci_v2": WORKED_V2,
    "qingbo_wci_2016": WORKED_V2,
    "qingbo_bvci_v2": BVCI_SAMPLE,
    "qingbo_qsci_v1": QSCI_SAMPLE,
    "weibo_bci_simple": REGRESSION_BCI,
    "newrank_nri": REGRESSION_NRI,
    "people_city_competitiveness": {"传播力": 80, "服务力": 70, "互动力": 60},
    "chengdu_2015": {"活跃度": 50, "传播力": 40, "引导力": 30},
}
# Three articles (R/n = 3333.33…, for the 2016 rounding): the maxima at or above the averages.
THIRDS: dict[str, float] = WORKED_V2 | {"n": 3, "Rmax": 5000, "Zmax": 2000}
WCI = ("qingbo_wci_v14_2", "qingbo_wci_v2", "qingbo_wci_2016")
ln = math.log


def error_of(name: str, inputs: Mapping[str, object]) -> FormulaError:
    """Return the FormulaError that computing ``name`` on ``inputs`` raises."""
    with pytest.raises(FormulaError) as caught:
        compute(name, inputs)
    return caught.value


# ---- published worked example and regression values -----------------------------------


def test_wci_v2_reproduces_the_published_worked_example() -> None:
    result = compute("qingbo_wci_v2", WORKED_V2)
    assert result.preset == "qingbo_wci_v2"
    assert result.value == pytest.approx(411.4875079, rel=REL)
    assert result.breakdown["read_block"] == pytest.approx(6.617046919, rel=REL)
    assert result.breakdown["like_block"] == pytest.approx(5.605458353, rel=REL)
    assert result.breakdown["sum"] == pytest.approx(6.414729206, rel=REL)


def test_wci_v14_2_regression_value_and_blocks() -> None:
    result = compute("qingbo_wci_v14_2", REGRESSION_V14_2)
    assert result.value == pytest.approx(860.7772298, rel=REL)
    v = REGRESSION_V14_2

    def block(r: float, z: float, lk: float, re: float, per: float) -> float:
        return (
            0.70 * ln(r / per + 1)
            + 0.09 * ln(10 * z / per + 1)
            + 0.06 * ln(10 * lk / per + 1)
            + 0.15 * ln(10 * re / per + 1)
        )

    expected = {
        "O": block(v["R"], v["Z"], v["L"], v["RE"], 7),
        "A": block(v["R"], v["Z"], v["L"], v["RE"], 20),
        "H": block(v["Rt"], v["Zt"], v["Lt"], v["REt"], 7),
        "P": block(v["Rmax"], v["Zmax"], v["Lmax"], v["REmax"], 1),
    }
    for key, value in expected.items():
        assert result.breakdown[key] == pytest.approx(value, rel=1e-12)
    assert result.breakdown["base"] ** 2 * 12 == pytest.approx(result.value, rel=1e-12)


def test_wci_v14_2_all_counts_zero_is_zero() -> None:
    zeros = dict.fromkeys(REGRESSION_V14_2, 0) | {"n": 1, "d": 7}
    assert compute("qingbo_wci_v14_2", zeros).value == 0


def test_bci_simple_regression_value() -> None:
    result = compute("weibo_bci_simple", REGRESSION_BCI)
    assert result.value == pytest.approx(1332.3994970, rel=REL)
    assert result.breakdown["W1"] == pytest.approx(ln(301), rel=1e-12)


def test_nri_regression_value() -> None:
    result = compute("newrank_nri", REGRESSION_NRI)
    assert result.value == pytest.approx(716.4051962, rel=REL)
    assert result.breakdown["score_read_max"] == pytest.approx(
        ln(12001) / ln(100001) * 1000, rel=1e-12
    )


def test_nri_without_articles_is_zero() -> None:
    empty = dict.fromkeys(REGRESSION_NRI, 0) | {"n": 7}
    assert compute("newrank_nri", empty).value == 0


def test_bvci_matches_the_published_formula() -> None:
    x = BVCI_SAMPLE
    inner = (
        0.15 * ln(x["X1"] + 1)
        + 0.25 * ln(x["X2"] + 1)
        + 0.30 * ln(x["X3"] + 1)
        + 0.18 * ln(x["X4"] + 1)
        + 0.12 * ln(x["X5"] + 1)
    )
    result = compute("qingbo_bvci_v2", x)
    assert result.value == pytest.approx(inner * 100, rel=1e-12)
    assert result.breakdown["inner"] == pytest.approx(inner, rel=1e-12)


def test_qsci_uses_x4_x5_x6_in_the_engagement_block() -> None:
    x = QSCI_SAMPLE
    publishing = (
        0.40 * ln(10 * x["X1"] + 1) + 0.45 * ln(10 * x["X2"] + 1) + 0.15 * ln(10 * x["X3"] + 1)
    )
    engagement = 0.45 * ln(x["X4"] + 1) + 0.40 * ln(x["X5"] + 1) + 0.15 * ln(x["X6"] + 1)
    result = compute("qingbo_qsci_v1", x)
    assert result.value == pytest.approx(0.25 * publishing + 0.75 * engagement, rel=1e-12)
    assert result.breakdown["engagement_block"] == pytest.approx(engagement, rel=1e-12)
    # A page typo repeats ln(X4+1); using X5 and X6 means they move the value.
    assert compute("qingbo_qsci_v1", x | {"X6": 0}).value < result.value


def test_city_competitiveness_weights_and_ascii_aliases() -> None:
    chinese = compute("people_city_competitiveness", {"传播力": 80, "服务力": 70, "互动力": 60})
    ascii_ = compute("people_city_competitiveness", {"reach": 80, "service": 70, "engagement": 60})
    assert chinese.value == pytest.approx(0.30 * 80 + 0.35 * 70 + 0.35 * 60, rel=1e-12)
    assert ascii_ == chinese


def test_chengdu_2015_weights() -> None:
    result = compute("chengdu_2015", {"activity": 50, "reach": 40, "guidance": 30})
    assert result.value == pytest.approx(0.6 * 50 + 0.2 * 40 + 0.2 * 30, rel=1e-12)
    assert result.breakdown["activity_part"] == pytest.approx(30)


# ---- the 2016 API-era variant ----------------------------------------------------------


def test_wci_2016_rounds_the_average_read_half_up_by_default() -> None:
    # 1/4 = 0.25: half-up gives 0.3 where Python's round() would give 0.2.
    result = compute("qingbo_wci_2016", {"R": 1, "n": 4, "Rmax": 1, "Z": 0, "Zmax": 0})
    assert result.breakdown["read_avg"] == 0.3
    assert compute("qingbo_wci_2016", THIRDS).breakdown["read_avg"] == 3333.3


def test_wci_2016_flag_switches_rounding_off() -> None:
    inputs = THIRDS
    rounded = compute("qingbo_wci_2016", inputs)
    exact = compute("qingbo_wci_2016", inputs, flags={"round_read_avg": False})
    assert exact.breakdown["read_avg"] == pytest.approx(10000 / 3, rel=1e-15)
    assert exact.value > rounded.value
    assert get_preset("qingbo_wci_2016").flags[0].default is True


def test_wci_2016_is_v2_with_likes_scaled_by_ten() -> None:
    # R/n = 100 exactly, so rounding changes nothing and only the like terms differ.
    v2016 = compute("qingbo_wci_2016", WORKED_V2)
    scaled = compute("qingbo_wci_v2", WORKED_V2 | {"Z": 40000, "Zmax": 600})
    assert v2016.breakdown["read_block"] == pytest.approx(6.617046919, rel=REL)
    assert v2016.breakdown["like_block"] == pytest.approx(scaled.breakdown["like_block"], rel=1e-12)


# ---- edge cases and errors --------------------------------------------------------------


@pytest.mark.parametrize("name", WCI)
def test_wci_without_articles_is_zero(name: str) -> None:
    zeros = dict.fromkeys(VALID[name], 0) | ({"d": 7} if "d" in VALID[name] else {})
    result = compute(name, zeros)
    assert result.value == 0
    assert all(value == 0 for value in result.breakdown.values())


@pytest.mark.parametrize("name", WCI)
def test_wci_zero_articles_with_reads_is_an_error_naming_n(name: str) -> None:
    error = error_of(name, VALID[name] | {"n": 0})
    assert error.input_name == "n"
    assert "input n is 0" in error.message_en
    assert "输入 n 为 0" in error.message_zh


def test_zero_day_window_is_an_error_naming_d() -> None:
    error = error_of("qingbo_wci_v14_2", REGRESSION_V14_2 | {"d": 0})
    assert error.input_name == "d"
    assert "input d must be greater than 0" in error.message_en


def test_nri_zero_day_window_is_an_error_naming_n() -> None:
    assert error_of("newrank_nri", REGRESSION_NRI | {"n": 0}).input_name == "n"


def test_fractional_article_count_is_an_error() -> None:
    assert error_of("qingbo_wci_v2", WORKED_V2 | {"n": 2.5}).input_name == "n"


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_missing_input_is_named(name: str) -> None:
    for missing in VALID[name]:
        inputs = {key: value for key, value in VALID[name].items() if key != missing}
        error = error_of(name, inputs)
        assert error.input_name == missing
        assert missing in error.message_zh
        assert missing in error.message_en


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_negative_input_is_named(name: str) -> None:
    for key in VALID[name]:
        error = error_of(name, VALID[name] | {key: -1})
        assert error.input_name == key
        assert f"input {key} must not be negative" in error.message_en


@pytest.mark.parametrize("bad", ["10万+", "100", None, True, [1], math.nan, math.inf, 10**400])
def test_non_numeric_input_is_an_error(bad: object) -> None:
    error = error_of("qingbo_wci_v2", WORKED_V2 | {"Rmax": bad})
    assert error.input_name == "Rmax"
    assert "number" in error.message_en
    assert isinstance(error, InvalidInputError)
    assert error.status_code == 422
    assert "qingbo_read_count" not in error.message_en + error.message_zh
    if not isinstance(bad, float | int) or isinstance(bad, bool):
        # Not a number at all: say what a CLI or API user types, not a Python function.
        assert "'10万+' is written 100001" in error.message_en
        assert "写作 100001" in error.message_zh


def test_unknown_input_is_rejected_with_the_known_names() -> None:
    # L (likes) belongs to V14.2; in V2 the likes are Z, so L is a caller mix-up.
    error = error_of("qingbo_wci_v2", WORKED_V2 | {"L": 5})
    assert error.input_name == "L"
    assert "Rmax" in error.message_en


@pytest.mark.parametrize(
    ("name", "change", "named"),
    [
        ("newrank_nri", {"read_avg": 12001}, ("read_avg (12001) exceeds read_max (12000)",)),
        ("newrank_nri", {"read_max": 70001}, ("read_max (70001) exceeds read_sum (70000)",)),
        ("newrank_nri", {"headline_read_sum": 70001}, ("headline_read_sum", "read_sum (70000)")),
        ("qingbo_wci_v2", {"Rmax": 99}, ("R / n (10000 / 100 = 100) exceeds Rmax (99)",)),
        ("qingbo_wci_v2", {"Zmax": 39.5}, ("Z / n (4000 / 100 = 40) exceeds Zmax (39.5)",)),
        ("qingbo_wci_2016", {"Rmax": 10001}, ("Rmax (10001) exceeds R (10000)",)),
        ("qingbo_wci_v14_2", {"REt": 2101}, ("REt (2101) exceeds RE (2100)",)),
        ("qingbo_wci_v14_2", {"Lmax": 69}, ("L / n (1400 / 20 = 70) exceeds Lmax (69)",)),
        ("qingbo_wci_v14_2", {"Zmax": 701}, ("Zmax (701) exceeds Z (700)",)),
        ("qingbo_bvci_v2", {"X5": 88001}, ("X5 (88001) exceeds X4 (88000)",)),
        ("qingbo_qsci_v1", {"X3": 41}, ("X3 (41) exceeds X1 (40)",)),
        ("qingbo_qsci_v1", {"X2": 40.5}, ("X2 (40.5) exceeds X1 (40)",)),
    ],
)
def test_impossible_combinations_are_refused_naming_both_inputs(
    name: str, change: dict[str, float], named: tuple[str, ...]
) -> None:
    error = error_of(name, VALID[name] | change)
    assert error.input_name in change or error.input_name in {"R", "Z", "L", "RE"}
    assert all(text in error.message_en for text in named)
    # The Chinese line names the same two inputs and says why, in Chinese.
    first = named[0].split(" (")[0]
    assert first in error.message_zh and "不可能" in error.message_zh
    assert "exceeds" not in error.message_zh


@pytest.mark.parametrize("name", ["newrank_nri", "qingbo_wci_v2", "qingbo_wci_v14_2"])
def test_inputs_at_their_bounds_are_accepted(name: str) -> None:
    edge = {
        "newrank_nri": {"read_avg": 12000, "read_max": 12000, "headline_read_sum": 70000},
        "qingbo_wci_v2": {"Rmax": 100, "Zmax": 4000},  # R/n = Rmax, Zmax = Z
        "qingbo_wci_v14_2": {"Rt": 70000, "Rmax": 3500, "REmax": 2100},
    }[name]
    assert compute(name, VALID[name] | edge).value > 0


def test_dimension_scores_above_100_are_rejected() -> None:
    error = error_of("people_city_competitiveness", {"reach": 101, "服务力": 70, "互动力": 60})
    assert error.input_name == "传播力"


def test_alias_and_name_with_different_values_are_rejected() -> None:
    inputs = {"reach": 80, "传播力": 81, "服务力": 70, "互动力": 60}
    assert error_of("people_city_competitiveness", inputs).input_name == "传播力"


def test_unknown_flag_is_rejected() -> None:
    with pytest.raises(FormulaError, match="round_read_avg"):
        compute("qingbo_wci_2016", WORKED_V2, flags={"round": True})


def test_overflowing_result_is_an_error() -> None:
    with pytest.raises(FormulaError, match="overflowed"):
        # A window of 5e-324 days makes R/d infinite although every input is finite.
        compute("qingbo_wci_v14_2", REGRESSION_V14_2 | {"d": 5e-324})


def test_unknown_preset_lists_the_names() -> None:
    with pytest.raises(NotFoundError) as caught:
        get_preset("qingbo_wci_v99")
    assert all(name in caught.value.message_en for name in PRESETS)


# ---- metadata ---------------------------------------------------------------------------


def test_presets_and_their_certainty() -> None:
    assert {name: preset.certainty for name, preset in PRESETS.items()} == {
        "qingbo_wci_v14_2": "published",
        "qingbo_wci_v2": "published worked example",
        "qingbo_wci_2016": "inferred",
        "qingbo_bvci_v2": "published",
        "qingbo_qsci_v1": "provisional",
        "weibo_bci_simple": "published",
        "newrank_nri": "unofficial reconstruction",
        "people_city_competitiveness": "inferred",
        "chengdu_2015": "dimension weights only",
    }
    assert get_preset("qingbo_wci_v2").source == "gulangu.com/a/344.html"
    assert get_preset("qingbo_bvci_v2").source == "gsdata.cn/site/usage-8"


@pytest.mark.parametrize("preset", PRESETS.values(), ids=list(PRESETS))
def test_every_preset_is_described(preset: Preset) -> None:
    assert preset.title_en
    assert preset.platform
    assert preset.source
    assert any("\u4e00" <= ch <= "\u9fff" for ch in preset.title_zh)
    for spec in preset.inputs:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.meaning), spec.name
    assert set(VALID[preset.name]) == {spec.name for spec in preset.inputs}
    assert preset.compute(VALID[preset.name]) == compute(preset.name, VALID[preset.name]).value


def test_presets_cannot_be_replaced_at_run_time() -> None:
    with pytest.raises(TypeError):
        PRESETS["qingbo_wci_v2"] = PRESETS["newrank_nri"]  # type: ignore[index]


# ---- properties -------------------------------------------------------------------------


def consistent(preset: Preset, inputs: dict[str, float]) -> dict[str, float]:
    """Return ``inputs`` with every bound's larger side raised until all bounds hold.

    Only raises values, so a formula that never falls when a count rises gives the
    repaired inputs at least the value of the inputs before a count was raised.
    """
    fixed = dict(inputs)
    for _ in range(len(preset.bounds) + 1):
        for bound in preset.bounds:
            part = fixed[bound.part] / (fixed[bound.per] if bound.per else 1)
            fixed[bound.whole] = max(fixed[bound.whole], part)
    return fixed


def inputs_for(preset: Preset) -> st.SearchStrategy[dict[str, float]]:
    """Return a strategy of valid inputs for ``preset`` at realistic magnitudes."""
    fields: dict[str, st.SearchStrategy[float]] = {}
    for spec in preset.inputs:
        if spec.whole:
            fields[spec.name] = st.integers(min_value=1, max_value=10**5).map(float)
        elif spec.positive:
            fields[spec.name] = st.floats(min_value=0.01, max_value=3650)
        else:
            fields[spec.name] = st.floats(min_value=0, max_value=spec.maximum or 1e12)
    return st.fixed_dictionaries(fields).map(lambda inputs: consistent(preset, inputs))


@given(data=st.data())
def test_every_preset_is_finite_and_non_negative(data: st.DataObject) -> None:
    preset = data.draw(st.sampled_from(list(PRESETS.values())))
    result = preset.evaluate(data.draw(inputs_for(preset)))
    assert math.isfinite(result.value)
    assert result.value >= 0
    assert all(math.isfinite(value) for value in result.breakdown.values())


READ_INPUTS = [
    ("qingbo_wci_v14_2", "R"),
    ("qingbo_wci_v14_2", "Rt"),
    ("qingbo_wci_v14_2", "Rmax"),
    ("qingbo_wci_v2", "R"),
    ("qingbo_wci_v2", "Rmax"),
    ("qingbo_wci_2016", "R"),
    ("qingbo_wci_2016", "Rmax"),
]


@pytest.mark.parametrize(("name", "read_input"), READ_INPUTS)
@given(data=st.data(), extra=st.floats(min_value=0, max_value=1e9))
def test_wci_never_falls_when_reads_rise(
    name: str, read_input: str, data: st.DataObject, extra: float
) -> None:
    preset = get_preset(name)
    inputs = data.draw(inputs_for(preset))
    lower = compute(name, inputs).value
    # Raising one count may raise others that bound it (Rmax ≤ R): never lowers any.
    raised = consistent(preset, inputs | {read_input: inputs[read_input] + extra})
    higher = compute(name, raised).value
    # Exact, no tolerance: each float step (÷, log1p, ×, +, half-up rounding) is monotone.
    assert higher >= lower


# ---- 清博 conventions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "stored"),
    [("10万+", 100001), (" 10万+ ", 100001), ("12345", 12345), (0, 0), (987, 987)],
)
def test_qingbo_read_count(shown: str | int, stored: int) -> None:
    assert qingbo_read_count(shown) == stored


@pytest.mark.parametrize("shown", ["1.2万", "10万", "", "-5", "１２", -1, True, 3.5])
def test_qingbo_read_count_rejects_other_text(shown: object) -> None:
    with pytest.raises(InvalidInputError):
        qingbo_read_count(shown)  # type: ignore[arg-type]


def test_qingbo_week_runs_sunday_to_saturday() -> None:
    # 2024-06-02 was a Sunday, 2024-06-08 a Saturday.
    week = (date(2024, 6, 2), date(2024, 6, 8))
    for offset in range(7):
        assert qingbo_week(date(2024, 6, 2) + timedelta(days=offset)) == week
    assert qingbo_week(date(2024, 6, 9))[0] == date(2024, 6, 9)


def test_qingbo_week_uses_beijing_time() -> None:
    # Saturday 20:00 UTC is already Sunday 04:00 in 北京时间: the next 清博 week.
    late_saturday_utc = datetime(2024, 6, 8, 20, 0, tzinfo=UTC)
    assert qingbo_week(late_saturday_utc) == (date(2024, 6, 9), date(2024, 6, 15))
    assert qingbo_week(datetime(2024, 6, 8, 20, 0)) == (date(2024, 6, 2), date(2024, 6, 8))


PUBLISHED = datetime(2024, 6, 1, 9, 30)


def at(hours: float) -> datetime:
    """Return the moment ``hours`` after PUBLISHED."""
    return PUBLISHED + timedelta(hours=hours)


def test_seventh_day_reads_takes_the_snapshot_closest_before_168_hours() -> None:
    snapshots = [(at(24), 500), (at(160), 900), (at(167.9), 950), (at(170), 999)]
    assert seventh_day_reads(snapshots, PUBLISHED) == 950


def test_seventh_day_reads_includes_the_exact_target_and_keeps_the_larger_tie() -> None:
    snapshots: list[tuple[datetime, int | str]] = [
        (at(168), 700),
        (at(168), "10万+"),
        (at(169), 200_000),
    ]
    assert seventh_day_reads(snapshots, PUBLISHED) == 100_001


def test_seventh_day_reads_falls_back_to_the_latest_earlier_snapshot() -> None:
    assert seventh_day_reads([(at(72), 300), (at(2), 10), (at(200), 900)], PUBLISHED) == 300


def test_seventh_day_reads_is_none_without_a_usable_snapshot() -> None:
    assert seventh_day_reads([], PUBLISHED) is None
    assert seventh_day_reads([(at(168.01), 5)], PUBLISHED) is None


def test_seventh_day_reads_compares_aware_times_in_beijing_time() -> None:
    published_utc = datetime(2024, 6, 1, 1, 30, tzinfo=UTC)  # = PUBLISHED in 北京时间
    assert seventh_day_reads([(at(167), 42)], published_utc) == 42


def test_seventh_day_reads_rejects_a_snapshot_before_publication() -> None:
    with pytest.raises(InvalidInputError, match="precedes publication"):
        seventh_day_reads([(at(-1), 0), (at(100), 5)], PUBLISHED)


# ---- CLI --------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_formula_prints_the_value_as_json() -> None:
    result = runner.invoke(app, ["formula", "qingbo_wci_v2", "--input", json.dumps(WORKED_V2)])
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["value"] == pytest.approx(411.4875079, rel=REL)
    assert payload["breakdown"]["sum"] == pytest.approx(6.414729206, rel=REL)


def test_cli_formula_reads_an_input_file(tmp_path: Path) -> None:
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps({"reach": 80, "service": 70, "engagement": 60}), encoding="utf-8")
    result = runner.invoke(app, ["formula", "people_city_competitiveness", "--input", f"@{path}"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["value"] == pytest.approx(69.5)


def test_cli_formula_passes_flags() -> None:
    args = ["formula", "qingbo_wci_2016", "--input", json.dumps(THIRDS)]
    rounded = runner.invoke(app, args)
    exact = runner.invoke(app, [*args, "--flag", "round_read_avg=false"])
    assert json.loads(rounded.stdout)["breakdown"]["read_avg"] == 3333.3
    assert json.loads(exact.stdout)["value"] > json.loads(rounded.stdout)["value"]


@pytest.mark.parametrize(
    ("args", "english"),
    [
        (["formula", "qingbo_wci_v2", "--input", json.dumps(WORKED_V2 | {"n": 0})], "input n"),
        (
            ["formula", "qingbo_wci_v14_2", "--input", json.dumps(REGRESSION_V14_2 | {"d": 0})],
            "input d",
        ),
        (["formula", "qingbo_wci_v2", "--input", '{"R": 1'], "not valid JSON"),
        (["formula", "qingbo_wci_v2", "--input", "[1, 2]"], "JSON object"),
        (["formula", "nope", "--input", "{}"], "known presets: qingbo_wci_v14_2"),
        (
            ["formula", "qingbo_wci_v2", "--input", "@/nonexistent/in.json"],
            "cannot read the --input file /nonexistent/in.json: No such file",
        ),
        (["formula", "qingbo_wci_2016", "--input", json.dumps(WORKED_V2), "--flag", "x"], "--flag"),
    ],
)
def test_cli_formula_errors_exit_2_with_both_languages(args: list[str], english: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    # One language a line: Chinese first, then English, and no English words in the Chinese.
    zh, en = result.stderr.strip().splitlines()
    assert zh.startswith("错误：") and en.startswith("Error: ")
    assert english in en
    assert not any(word in zh for word in ("Expecting", "No such", "input file", "must"))


def test_cli_formula_json_and_file_errors_name_the_input(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text('{"R": 1,}', encoding="utf-8")
    zh, en = runner.invoke(app, ["formula", "qingbo_wci_v2", "--input", f"@{path}"]).stderr.split(
        "\n"
    )[:2]
    assert zh == f"错误：--input 文件 {path} 不是合法的 JSON：名称应写在双引号中（第 1 行第 9 列）"
    assert en.startswith(f"Error: --input file {path} is not valid JSON: Expecting property")
    path.write_bytes(b"\xff\xfe")
    result = runner.invoke(app, ["formula", "qingbo_wci_v2", "--input", f"@{path}"])
    assert result.exit_code == 2 and f"--input 文件 {path} 不是 UTF-8 文本" in result.stderr


def test_cli_formulas_json_lists_source_and_certainty() -> None:
    result = runner.invoke(app, ["formulas", "--json"])
    assert result.exit_code == 0
    listing = {item["name"]: item for item in json.loads(result.stdout)}
    assert list(listing) == list(PRESETS)
    assert listing["newrank_nri"]["certainty"] == "unofficial reconstruction"
    assert listing["qingbo_wci_v2"]["source"] == "gulangu.com/a/344.html"
    assert listing["qingbo_wci_2016"]["flags"][0]["name"] == "round_read_avg"


def test_cli_formulas_table_names_every_preset() -> None:
    result = runner.invoke(app, ["formulas"])
    assert result.exit_code == 0
    assert all(name in result.stdout for name in PRESETS)
    assert "certainty" in result.stdout
    assert "published" in result.stdout


@pytest.mark.parametrize("command", ["formula", "formulas"])
def test_cli_help_has_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert f"Example: zhengwu index {command}" in result.stdout


def test_methodology_of_a_preset_lists_its_bounds() -> None:
    from zhengwu.index.methodology import render
    from zhengwu.index.system import load_system

    text = render(load_system("qingbo_wci_v2"))
    assert "- 输入约束（不满足即拒绝计算）" in text
    assert "`Rmax ≤ R`（单篇最高阅读数不可能超过全部文章的阅读数总和）" in text
    assert "`R / n ≤ Rmax`（篇均阅读数不可能超过单篇最高阅读数）" in text
    assert "R / n ≤ Rmax (篇均阅读数" in render(load_system("qingbo_wci_v2"), lang="en")
    assert "输入约束" not in render(load_system("weibo_bci_simple"))


def test_a_mistyped_preset_or_system_name_is_answered_with_the_closest_ones() -> None:
    # The index's names are refused as an unknown import format is (one helper): the
    # closest known names first, then the full list.
    preset = runner.invoke(app, ["formula", "qingbo_wci_v3", "--input", "{}"])
    assert preset.exit_code == 2
    flat = "".join(preset.stderr.split())
    assert "没有名为'qingbo_wci_v3'的公式预设（是否指qingbo_wci_v2、qingbo_wci_v14_2？）；" in flat
    assert "(didyoumeanqingbo_wci_v2orqingbo_wci_v14_2?)" in flat
    system = runner.invoke(app, ["methodology", "zhengwu4d", "--period", "2025-Q3"])
    assert system.exit_code != 0
    assert "没有名为'zhengwu4d'的指标体系（是否指zhengwu-4d？）" in "".join(system.stderr.split())
    from zhengwu.index.metrics import get_metric

    with pytest.raises(NotFoundError, match=r"unknown metric 'reads_per_dya' \(did you mean "):
        get_metric("reads_per_dya")
