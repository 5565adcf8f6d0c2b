"""Renamed and merged divisions resolve to their current successor."""

from __future__ import annotations

import pytest

from zhengwu.errors import InvalidInputError
from zhengwu.regions import changes, divisions, successor
from zhengwu.regions.changes import successor_map


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("330104", "330102"),  # 江干区 → 上城区 (2021)
        ("330103", "330105"),  # 下城区 → 拱墅区 (2021)
        ("320602", "320613"),  # 崇川区 took a new code when 港闸区 merged in (2020)
        ("230714", "230723"),  # 乌伊岭区 → 汤旺县 (2019)
        ("371202", "370116"),  # 莱城区 → 济南市莱芜区 (2019)
        ("542400", "540600"),  # 那曲地区 → 那曲市 (2017)
        ("110100", "110000"),  # municipal placeholder → the municipality
        ("500200", "500000"),
    ],
)
def test_successor_of_changed_codes(old: str, new: str) -> None:
    assert successor(old) == new


def test_successor_is_identity_for_current_codes() -> None:
    assert successor("440106") == "440106"
    assert successor(330102) == "330102"
    assert successor("330104000000") == "330102"


def test_successor_rejects_garbage() -> None:
    with pytest.raises(InvalidInputError) as raised:
        successor("33010x")
    assert raised.value.status_code == 422


def test_every_successor_is_a_current_division_with_the_recorded_name() -> None:
    table = divisions()
    for change in changes():
        assert change.new_code in table, change
        assert table[change.new_code].name == change.new_name, change


def test_old_codes_are_not_current_unless_renamed_in_place() -> None:
    table = divisions()
    for change in changes():
        if change.old_code is None or change.old_code == change.new_code:
            continue
        assert change.old_code not in table, change


def test_every_mapped_code_lands_on_a_current_division() -> None:
    table = divisions()
    assert all(new in table for new in successor_map().values())


def test_changes_are_ordered_and_named() -> None:
    years = [change.year for change in changes()]
    assert years == sorted(years)
    jianggan = next(c for c in changes() if c.old_code == "330104")
    assert jianggan.old_name == "江干区"
    assert jianggan.old_path == ("浙江省", "杭州市", "江干区")
