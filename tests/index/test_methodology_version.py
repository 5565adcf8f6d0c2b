"""The methodology generator's version stands for its text: the same configuration, the same
version, the same text. When this test fails, the generated text changed: raise
``zhengwu.index.methodology.GENERATOR_VERSION`` and pin the new text's digest under the new
version (keep the old pins). Runs keep the text of their run time; reports then say that a
current generator words it otherwise and offer its text (docs/index-systems.md)."""

from __future__ import annotations

import hashlib
import tomllib
from datetime import timedelta
from typing import Any

from zhengwu.index import methodology
from zhengwu.index.compliance import ComplianceRules
from zhengwu.index.periods import parse_period
from zhengwu.index.system import BUILTIN_DIR, load_system, parse_system, user_dir

# A system of the test's own (not a shipped file: editing those changes the configuration,
# not the generator), with a dimension of every kind the text describes.
SYSTEM = """
name = "pinned"
title_zh = "固定文本"
title_en = "Pinned text"
version = "1"
platforms = ["weibo", "wechat"]
peer_group = ["platform", "level"]
week_start = "sunday"
description = "A system to pin the generator's text."
description_zh = "固定生成器文本的体系。"

[combine]
method = "weighted"
platform_weights = { weibo = 0.6, wechat = 0.4 }

[[dimensions]]
key = "reach"
name = "传播力"
weight = 0.7
note_zh = "只计发文达到的效果。"

  [[dimensions.indicators]]
  metric = "views_per_day"
  weight = 0.6
  cap_percentile = 99
  transform = "log1p"

  [[dimensions.indicators]]
  metric = "reposts_per_day"
  weight = 0.4
  scale = "percentile"

  [[dimensions.fallback]]
  metric = "posts_per_day"
  weight = 1.0

[[dimensions]]
key = "service"
name = "服务力"
weight = 0.3

  [[dimensions.indicators]]
  metric = "own_replies_per_day"
  weight = 1.0
  scale = "zscore"
  zero_is_missing = true
  platforms = ["weibo"]
"""
PRESET = """
name = "pinned-preset"
kind = "preset"
preset = "qingbo_wci_v14_2"
platforms = ["wechat"]
tie_break = "posts"
cap_reads = 100001
seventh_day_reads = ["week"]
week_start = "sunday"
"""
# GENERATOR_VERSION → sha256 of the texts below, Chinese and English.
PINNED = {
    2: "7cda828bd42ef86a97f36e0ce0159710abd461103b36eba15d7c94822af4f726",
    3: "2f7c1cca3a1aa0f3c8427d023ecaaed71cb89f17d988e915e96ebda82ebd2504",  # no server paths
    4: "e3403a84921d3d088d8f8d34a327da302aa8bb920cc54bf3115f07810b1dc59e",  # a run's own rules
    5: "ef7cfc4d603234215355b5c7dea5e959a8ab86db533aae8a663c7d8cdf37df65",  # reply check skipped
}


def _texts() -> str:
    """The texts of each system, of each language: the system's own, and a run's (since
    version 4: a run's text states the run's compliance rules — default ones here, and a run
    with its own window, check date and no reply check; since version 5: the platforms where
    the run skipped the own-reply check, or that it skipped none)."""
    period = parse_period("2025-W27", week_start="sunday")
    notes = ["说明一 / note one"]
    out = []
    for source in (SYSTEM, PRESET):
        system = parse_system(tomllib.loads(source), source="pinned.toml", digest="0" * 16)
        runs: list[dict[str, Any]] = [
            {},
            {"rules": ComplianceRules(reply_platforms=system.reply_platforms),
             "check_date": period.end, "reply_skipped": ("weibo",)},
            {"rules": ComplianceRules(reply_platforms=system.reply_platforms),
             "check_date": period.end, "reply_skipped": ()},
            {"rules": ComplianceRules(window_days=7, reply_check=False),
             "check_date": period.end - timedelta(days=2)},
        ]  # fmt: skip
        for run in runs:
            for lang in ("zh", "en"):
                out.append(methodology.render(system, period=period, notes=notes, lang=lang, **run))  # type: ignore[arg-type]
    return "\n\n".join(out)


def test_the_generator_version_stands_for_its_text() -> None:
    digest = hashlib.sha256(_texts().encode("utf-8")).hexdigest()
    assert PINNED.get(methodology.GENERATOR_VERSION) == digest, (
        "the methodology text changed: raise GENERATOR_VERSION and pin this digest under it"
    )


def test_the_text_names_no_server_directory() -> None:
    """A report is public: its text names a shipped file by its name and a user's file under
    index-systems/, never the directories of the server's install or data."""
    shipped = load_system("zhengwu-4d")
    zh, en = methodology.render(shipped), methodology.render(shipped, lang="en")
    assert "配置文件 随 zhengwu 提供的 `zhengwu-4d.toml`（sha256" in zh
    assert "file `zhengwu-4d.toml` shipped with zhengwu (sha256" in en
    user_dir().mkdir(parents=True)
    (user_dir() / "pinned.toml").write_text(SYSTEM, encoding="utf-8")
    mine = load_system("pinned")
    assert "配置文件 `index-systems/pinned.toml`（sha256" in methodology.render(mine)
    assert "file `index-systems/pinned.toml` (sha256" in methodology.render(mine, lang="en")
    for text in (zh, en, methodology.render(mine), methodology.render(mine, lang="en")):
        assert str(BUILTIN_DIR.parent) not in text and str(user_dir().parent) not in text


def test_the_english_text_says_how_periods_run() -> None:
    """As the Chinese text's 周期口径 does, for every kind of system."""
    for name, weeks in (
        ("zhengwu-4d", "Monday to Sunday"),
        ("qingbo_wci_v2", "Sunday to Saturday"),
    ):
        text = methodology.render(load_system(name), lang="en")
        periods = text[text.index("## 周期口径 / Periods") : text.index("## 矩阵指数")]
        assert f"Weeks run {weeks}" in periods
        assert "`people-YYYY`: 1 November of the year before to 31 October" in periods
