"""The methodology generator's version stands for its text: the same configuration, the same
version, the same text. When this test fails, the generated text changed: raise
``zhengwu.index.methodology.GENERATOR_VERSION`` and pin the new text's digest under the new
version (keep the old pins). Runs keep the text of their run time; reports then say that a
current generator words it otherwise and offer its text (docs/index-systems.md)."""

from __future__ import annotations

import hashlib
import tomllib

from zhengwu.index import methodology
from zhengwu.index.periods import parse_period
from zhengwu.index.system import parse_system

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
PINNED = {2: "7cda828bd42ef86a97f36e0ce0159710abd461103b36eba15d7c94822af4f726"}


def _texts() -> str:
    period = parse_period("2025-W27", week_start="sunday")
    notes = ["说明一 / note one"]
    out = []
    for source in (SYSTEM, PRESET):
        system = parse_system(tomllib.loads(source), source="pinned.toml", digest="0" * 16)
        for lang in ("zh", "en"):
            out.append(methodology.render(system, period=period, notes=notes, lang=lang))  # type: ignore[arg-type]
    return "\n\n".join(out)


def test_the_generator_version_stands_for_its_text() -> None:
    digest = hashlib.sha256(_texts().encode("utf-8")).hexdigest()
    assert PINNED.get(methodology.GENERATOR_VERSION) == digest, (
        "the methodology text changed: raise GENERATOR_VERSION and pin this digest under it"
    )
