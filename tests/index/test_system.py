"""Indicator systems load from TOML, are validated, and generate their methodology."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from zhengwu.errors import NotFoundError
from zhengwu.index.methodology import render
from zhengwu.index.metrics import METRICS, get_metric
from zhengwu.index.periods import parse_period
from zhengwu.index.system import (
    BUILTIN_DIR,
    SystemConfigError,
    available_systems,
    load_system,
    load_system_file,
    parse_system,
)


def _default() -> dict[str, Any]:
    return tomllib.loads((BUILTIN_DIR / "zhengwu-4d.toml").read_text(encoding="utf-8"))


def test_every_shipped_system_loads_and_weights_sum_to_one() -> None:
    names = set(available_systems())
    assert {"zhengwu-4d", "qingbo_wci_v14_2", "weibo_bci_simple", "newrank_nri"} <= names
    for name in names:
        system = load_system(name)
        assert system.name == name
        assert not system.notes
        if system.kind == "composite":
            assert sum(d.weight for d in system.dimensions) == pytest.approx(1)
            for dim in system.dimensions:
                assert sum(i.weight for i in dim.indicators) == pytest.approx(1)


def test_default_system_has_the_four_published_dimensions() -> None:
    system = load_system()
    assert [d.name for d in system.dimensions] == ["传播力", "互动力", "服务力", "认同度"]
    engagement = next(d for d in system.dimensions if d.key == "engagement")
    own = next(i for i in engagement.indicators if i.metric == "own_replies_per_day")
    assert own.weight == max(i.weight for i in engagement.indicators)  # own replies weigh most
    service = next(d for d in system.dimensions if d.key == "service")
    assert [i.metric for i in service.fallback] == ["service_posts_per_day"]


def _broken(mutate: Any) -> dict[str, Any]:
    data = _default()
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["dimensions"][0]["indicators"][0].update(metric="reads_per_fortnight"),
         "unknown metric 'reads_per_fortnight'"),
        (lambda d: d["dimensions"][1].update(weight=-0.3), "weights must be positive"),
        (lambda d: d["dimensions"][1].update(weight=0.5), "weights sum to 1.2"),
        (lambda d: d["dimensions"][0]["indicators"][0].update(weight=0.9),
         r"dimensions\[0\].indicators: weights sum to 1.55"),
        (lambda d: d["dimensions"][2].update(indicators=[]), "dimension service is empty"),
        (lambda d: d.update(colour="red"), "unknown key"),
        (lambda d: d["dimensions"][3]["indicators"][0].update(cap_percentile=99),
         "percentile scale takes no cap"),
        (lambda d: d["dimensions"][0]["indicators"][0].update(scale="sigmoid"), "must be one of"),
        (lambda d: d.update(peer_group=["sector", "mood"]), "must be one of"),
        (lambda d: d["combine"].update(method="weighted"), "needs a weight for every platform"),
    ],
)  # fmt: skip
def test_invalid_systems_are_refused_with_the_place_named(mutate: Any, message: str) -> None:
    with pytest.raises(SystemConfigError, match=message):
        parse_system(_broken(mutate))


def test_weights_can_be_rescaled_and_the_system_says_so() -> None:
    data = _broken(lambda d: d["dimensions"][1].update(weight=0.5))
    data["normalise_weights"] = True
    system = parse_system(data)
    assert sum(d.weight for d in system.dimensions) == pytest.approx(1)
    assert system.dimensions[1].weight == pytest.approx(0.5 / 1.2)
    assert any("已按比例归一" in note and "rescaled" in note for note in system.notes)
    assert "已按比例归一为 1" in render(system, notes=list(system.notes))
    assert "rescaled" in render(system, notes=list(system.notes), lang="en")


def test_peer_group_always_includes_the_platform() -> None:
    system = parse_system(_broken(lambda d: d.update(peer_group=["sector"])))
    assert system.peer_group == ("platform", "sector")


def test_user_files_extend_the_shipped_systems(tmp_path: Path) -> None:
    from zhengwu.index.system import user_dir

    text = (BUILTIN_DIR / "zhengwu-4d.toml").read_text(encoding="utf-8")
    user_dir().mkdir(parents=True)
    (user_dir() / "city-weekly.toml").write_text(
        text.replace('name = "zhengwu-4d"', 'name = "city-weekly"'), encoding="utf-8"
    )
    assert load_system("city-weekly").source.endswith("city-weekly.toml")
    loose = tmp_path / "elsewhere.toml"
    loose.write_text(text.replace('version = "2025.1"', 'version = "local"'), encoding="utf-8")
    assert load_system_file(loose).version == "local"
    with pytest.raises(NotFoundError, match="city-weekly"):
        load_system("no-such-system")


def test_bad_toml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("name = [", encoding="utf-8")
    with pytest.raises(SystemConfigError, match="not valid TOML"):
        load_system_file(path)


def test_methodology_is_generated_from_the_configuration() -> None:
    system = load_system()
    text = render(system, period=parse_period("2025-Q3"), lang="en")
    assert text.startswith("# 政务新媒体影响力指数（四维）")
    for dim in system.dimensions:
        assert f"| {dim.name} {dim.key} | {dim.weight:.2f} |" in text
    assert "cap at P99 of the peer group → log1p → minmax" in text
    assert "2025-07-01 … 2025-09-30" in text
    assert "国办秘函〔2019〕19号" in text
    assert "mean of its best 2 platform scores" in text
    preset = render(load_system("qingbo_wci_v14_2"), lang="en")
    assert "certainty: **published**" in preset
    assert "Sunday to Saturday" in preset


# Four or more ASCII words in a row outside code spans: an English sentence in the text.
_ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,;:()]+[A-Za-z][A-Za-z'’-]*){3,}")


def english_runs(markdown: str) -> list[str]:
    """Return the runs of ≥ 4 ASCII words in ``markdown`` outside `code` spans and formulas."""
    prose = re.sub(r"`[^`]*`", " ", markdown)
    return _ENGLISH_RUN.findall(prose)


@pytest.mark.parametrize("name", sorted(available_systems()))
def test_methodology_is_chinese_and_follows_the_configuration(name: str) -> None:
    system = load_system(name)
    text = render(system, period=parse_period("people-2025"))
    assert english_runs(text) == []
    assert "合规门槛（国办秘函〔2019〕19号）" in text and "默认 14 天" in text
    assert "上一年 11 月 1 日至当年 10 月 31 日" in text
    if system.kind == "composite":
        for dim in system.dimensions:  # every dimension with its configured weight
            assert f"| {dim.name} | {dim.weight:.2f} |" in text
            for ind in (*dim.indicators, *dim.fallback):
                meaning = METRICS[ind.metric].meaning_zh
                assert f"| `{ind.metric}`：{meaning} | {ind.weight:.2f} |" in text
        weights = "，".join(f"{d.name} {d.weight:.2f}" for d in system.dimensions)
        assert f"维度权重：{weights}。" in text
        assert "缺失数据与权重重新归一" in text
    else:
        assert "可信度：**" in text
    if system.week_start == "sunday":
        assert "每周为周日至周六（清博口径）" in text
    if system.cap_reads is not None:
        assert f"（显示为“10万+”）的按 {system.cap_reads} 计" in text
    if system.seventh_day_kinds:
        assert "第 7 天的数据" in text


def test_methodology_in_chinese_follows_changed_weights() -> None:
    data = tomllib.loads((BUILTIN_DIR / "zhengwu-4d.toml").read_text(encoding="utf-8"))
    data["dimensions"][0]["weight"], data["dimensions"][1]["weight"] = 0.4, 0.2
    data["peer_group"] = ["platform", "sector", "level"]
    text = render(parse_system(data))
    assert "| 传播力 | 0.40 |" in text and "| 互动力 | 0.20 |" in text
    assert "同组为平台×系统（行业）×层级×统计周期" in text
    assert english_runs(text) == []


def test_metric_registry_covers_the_brief() -> None:
    wanted = {"posts", "reads_sum", "reads_per_day", "reads_per_post", "reads_peak", "plays_sum",
              "reposts_sum", "comments_sum", "likes_sum", "likes_per_read", "active_days",
              "original_ratio", "follower_growth", "own_replies", "response_rate",
              "resolution_rate", "ontime_rate", "satisfaction_rate"}  # fmt: skip
    assert wanted <= set(METRICS)
    assert get_metric("reads_per_day").expression(30).endswith("/ 30.0")
    with pytest.raises(NotFoundError):
        get_metric("vibes")


def test_chinese_run_notes_keep_a_chinese_half_that_has_a_slash() -> None:
    """A run note is 中文 / English; a Chinese half with its own ' / ' (人民网 / 微博 …, the
    people_city_competitiveness source) is kept whole, not cut at that slash."""
    from zhengwu.index.formulas import PRESETS
    from zhengwu.index.formulas.model import CERTAINTY_ZH

    preset = PRESETS["people_city_competitiveness"]
    note = preset.source_note()
    text = render(load_system("zhengwu-4d"), notes=[note, "3 个账号无数据 / 3 accounts no data"])
    said = text.split("## 说明", 1)[1]
    assert f"- {preset.name}：来源 {preset.source_zh}，可信度 {CERTAINTY_ZH['inferred']}\n" in said
    assert "- 3 个账号无数据\n" in said
    assert "certainty" not in said and "accounts no data" not in said
