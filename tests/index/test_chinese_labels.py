"""The Chinese texts of a user's indicator system and of the metric registry.

A user's system may say nothing in Chinese: its metric names, normalisation and
combination words still read in Chinese (from the registry and the generator), its own
labels stay as written and the loader says which have no Chinese form. Every metric has a
Chinese meaning, used by the Chinese texts; ``--lang en`` keeps the English one.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from zhengwu.cli.index import app
from zhengwu.index.methodology import render
from zhengwu.index.metrics import METRICS
from zhengwu.index.system import available_systems, load_system, parse_system

from .test_system import english_runs

runner = CliRunner()
_CJK = re.compile(r"[\u3400-\u9fff]")

ENGLISH_ONLY = """
name = "en-only"
title_en = "Reach and followers"
platforms = ["weibo", "douyin"]
peer_group = ["platform", "level"]
description = "Reach per day and followers, written in English only."

[combine]
method = "max"

[[dimensions]]
key = "reach"
name = "Reach"
weight = 0.7
note = "What the posts reached on the platforms."

  [[dimensions.indicators]]
  metric = "views_per_day"
  weight = 1.0
  transform = "log1p"
  cap_percentile = 99
  note = "Per day, so that windows compare."

[[dimensions]]
key = "followers"
weight = 0.3

  [[dimensions.indicators]]
  metric = "followers"
  weight = 1.0
  scale = "percentile"
"""


def _data() -> dict[str, Any]:
    return tomllib.loads(ENGLISH_ONLY)


def test_a_system_without_chinese_keys_reads_chinese_where_zhengwu_knows_the_words() -> None:
    system = parse_system(_data())
    text = render(system)
    # No title_zh: the Chinese texts name it by its title as written, not by its key.
    assert system.title_zh == "Reach and followers"
    # A dimension named by a metric (its key, no name) takes the metric's Chinese title.
    assert "| 粉丝数 | 0.30 | 粉丝数 | `followers`：" in text
    # The user's own label stays as written (not translated).
    assert "| Reach | 0.70 | 日均阅读或播放 | `views_per_day`：" in text
    assert "维度权重：Reach 0.70，粉丝数 0.30。" in text
    # Normalisation, peer group and combination words come from the generator.
    assert "截尾于同组 P99 → 对数 ln(x+1) → min–max 0–100" in text
    assert "| 1.00 | 百分位 |" in text
    assert "同组为平台×层级×统计周期" in text
    assert "机构跨平台得分（`platform = all`）为其最好的平台得分" in text
    # The only English left is what the user wrote.
    user_text = " ".join(
        [system.title_en, system.description, *(d.note for d in system.dimensions),
         *(i.note for _, i, _ in system.indicators())]
    )  # fmt: skip
    runs = english_runs(text)
    assert runs and all(run in user_text for run in runs), runs


def test_the_loader_names_each_label_without_a_chinese_form() -> None:
    warnings = parse_system(_data()).warnings
    places = [w.split(" ", 1)[0] for w in warnings]
    assert places == [
        "title_zh",
        "description",
        "dimensions[0].name",
        "dimensions[0].note",
        "dimensions[0].indicators[0].note",
    ]
    assert "可加 name_zh" in warnings[2] and "add name_zh" in warnings[2]
    assert "'Reach'" in warnings[2]


def test_chinese_keys_are_used_and_silence_the_warnings() -> None:
    data = _data()
    data.update(title_zh="传播与粉丝", description_zh="日均传播与粉丝数。")
    data["dimensions"][0].update(name_zh="传播力", note_zh="发文达到的传播效果。")
    data["dimensions"][0]["indicators"][0]["note_zh"] = "按日计。"
    system = parse_system(data)
    assert system.warnings == ()
    zh = render(system)
    assert "| 传播力 | 0.70 |" in zh and "- **传播力**：发文达到的传播效果。" in zh
    assert english_runs(zh) == []
    en = render(system, lang="en")  # English keeps the name as written
    assert "| Reach reach | 0.70 |" in en
    assert "| followers followers | 0.30 |" in en


def test_shipped_systems_have_a_chinese_form_for_every_label() -> None:
    for name in available_systems():
        assert load_system(name).warnings == (), name


def test_every_metric_has_a_chinese_meaning() -> None:
    for metric in METRICS.values():
        zh = metric.meaning_in("zh")
        assert zh != metric.meaning and _CJK.search(zh), metric.name
        assert english_runs(zh) == [], (metric.name, zh)
        assert metric.meaning_in("en") == metric.meaning


def test_the_methodology_gives_meanings_in_its_language() -> None:
    system = load_system("zhengwu-4d")
    zh, en = render(system), render(system, lang="en")
    for _, ind, _ in system.indicators():
        metric = METRICS[ind.metric]
        assert f"`{ind.metric}`：{metric.meaning_zh} |" in zh
        assert metric.meaning not in zh
        assert f"`{ind.metric}`: {metric.meaning} |" in en
    assert f"（`posts`：{METRICS['posts'].meaning_zh}）从高到低" in zh


def test_cli_lists_metric_meanings_in_chinese_unless_asked_for_english() -> None:
    zh = runner.invoke(app, ["systems", "--metrics"])
    assert zh.exit_code == 0, zh.output
    flat = re.sub(r"[\s│┃]+", "", zh.stdout)
    assert re.sub(r"\s+", "", METRICS["follower_growth_rate"].meaning_zh) in flat
    assert "followergrowthdividedbythestartcount" not in flat
    en = runner.invoke(app, ["systems", "--metrics", "--lang", "en"])
    assert en.exit_code == 0, en.output
    assert "followergrowthdividedbythestartcount" in re.sub(r"[\s│┃]+", "", en.stdout)
    rows = {m["name"]: m for m in _json(["systems", "--metrics", "--json"])}
    assert rows["posts"]["meaning_zh"] == METRICS["posts"].meaning_zh
    assert rows["posts"]["meaning"] == METRICS["posts"].meaning


def test_cli_methodology_warns_of_labels_without_chinese(tmp_path: Path) -> None:
    path = tmp_path / "en-only.toml"
    path.write_text(ENGLISH_ONLY, encoding="utf-8")
    result = runner.invoke(app, ["methodology", "--system-file", str(path)])
    assert result.exit_code == 0, result.output
    assert "| Reach | 0.70 |" in result.stdout and "提示" not in result.stdout
    assert "提示 note: dimensions[0].name 没有中文（可加 name_zh）" in result.stderr
    english = runner.invoke(app, ["methodology", "--system-file", str(path), "--lang", "en"])
    assert english.exit_code == 0 and english.stderr == ""


def _json(args: list[str]) -> Any:
    import json

    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_certainty_labels_are_documented_with_where_their_wording_comes_from() -> None:
    """docs/index-systems.md lists every certainty with its presets and Chinese label, and
    says the Chinese labels are ours (FORMULAS.md and the seeds give no Chinese wording)."""
    from zhengwu.index.formulas import PRESETS
    from zhengwu.index.formulas.model import CERTAINTY_ZH

    doc = (Path(__file__).resolve().parents[2] / "docs" / "index-systems.md").read_text(
        encoding="utf-8"
    )
    rows = re.findall(r"^\| `([a-z ]+)` \| ((?:`\w+`(?:, )?)+) \| ([^|]+) \| [^|]+ \|$", doc, re.M)
    table = {c: (set(re.findall(r"`(\w+)`", names)), label.strip()) for c, names, label in rows}
    used = {p.certainty for p in PRESETS.values()}
    assert set(table) == used
    for certainty, (names, label) in table.items():
        assert names == {p.name for p in PRESETS.values() if p.certainty == certainty}
        assert label == CERTAINTY_ZH[certainty]
    assert "**every Chinese label is ours**" in doc


def test_preset_titles_use_the_certainty_label_word() -> None:
    """A preset title that names its certainty uses the label's own word (推断, 非官方复原)."""
    from zhengwu.index.formulas import PRESETS
    from zhengwu.index.formulas.model import CERTAINTY_ZH

    words = {c: label.split("（")[0] for c, label in CERTAINTY_ZH.items()}
    for preset in PRESETS.values():
        named = [c for c, word in words.items() if word in preset.title_zh]
        assert named in ([], [preset.certainty]), (preset.name, preset.title_zh)
    assert "非官方复原" in PRESETS["newrank_nri"].title_zh
    assert "推断" in PRESETS["qingbo_wci_2016"].title_zh
