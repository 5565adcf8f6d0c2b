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
        ("411023", "411003"),  # 许昌县 → 建安区 (2016)
        ("510124", "510117"),  # 郫县 → 郫都区 (2016)
        ("610125", "610118"),  # 户县 → 鄠邑区 (2016)
        ("370181", "370114"),  # 章丘市 → 章丘区 (2016)
        ("320802", "320812"),  # 清河区 and 清浦区 → 清江浦区 (2016)
        ("320811", "320812"),
        ("330204", "330212"),  # 江东区 merged into 鄞州区 (2016)
        ("361029", "361003"),  # 东乡县 → 东乡区 (2017)
        ("350625", "350605"),  # 长泰县 → 长泰区 (2021; 350604 is 龙海区)
        ("469003", "460400"),  # 儋州市 became a prefecture-level city (2015)
        ("110100", "110000"),  # municipal placeholder → the municipality
        ("500200", "500000"),
    ],
)
def test_successor_of_changed_codes(old: str, new: str) -> None:
    assert successor(old) == new


def test_successor_is_identity_for_current_codes() -> None:
    assert successor("440106") == "440106"
    assert successor("330110") == "330110"  # 余杭区 kept its code when 临平区 split off (2021)
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


def test_an_old_code_has_one_successor() -> None:
    old_codes = [c.old_code for c in changes() if c.old_code is not None]
    assert len(old_codes) == len(set(old_codes))
