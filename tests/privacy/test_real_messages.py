"""On real citizen messages (../shared/data/citizen-messages): restraint (speed: benchmarks/bench_mask.py).

The messages are public and anonymised by their publisher (A市, A3区, ***), so they show
how the detector behaves on the text citizens really write, without real personal data.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from zhengwu.privacy import detect, mask_text
from zhengwu.regions.nameindex import surfaces


@pytest.fixture(scope="module")
def messages(shared_data: Path) -> list[str]:
    path = shared_data / "citizen-messages" / "messages_with_votes.csv"
    with path.open(encoding="utf-8") as fh:
        texts = [row["留言详情"] for row in csv.DictReader(fh)]
    assert len(texts) > 4000
    return texts


def test_names_found_are_people_not_places(messages: list[str]) -> None:
    divisions = set(surfaces())
    found = [s.value for text in messages for s in detect(text, {"name"})]
    # Roughly one message in thirty signs with a name (我叫…, 投诉人：…); most name nobody.
    assert 50 < len(found) < 300
    assert [n for n in found if n in divisions] == []
    # Full names are surname + one or two characters (a bare surname only after 姓).
    assert all(1 <= len(n) <= 4 for n in found)


def test_no_mobile_survives_masking(messages: list[str]) -> None:
    mobile = re.compile(r"(?<!\d)1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
    before = sum(bool(mobile.search(t)) for t in messages)
    after = sum(bool(mobile.search(mask_text(t))) for t in messages)
    assert before >= 1  # the set has at least one real-looking number in it
    assert after == 0
