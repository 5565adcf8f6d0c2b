"""coarse_address keeps province, city, district and street; drops the door (also in text)."""

from __future__ import annotations

import pytest

from zhengwu.privacy import coarse_address, mask_house_numbers


@pytest.mark.parametrize(
    ("address", "coarse"),
    [
        ("郑州市金水区文化路32号院3号楼2单元", "郑州市金水区文化路"),
        ("河南省郑州市二七区大学路街道幸福小区5号楼", "河南省郑州市二七区大学路街道"),
        ("上海市浦东新区张江镇碧波路690号", "上海市浦东新区张江镇碧波路"),
        ("北京市东城区东华门街道南池子大街12号", "北京市东城区东华门街道南池子大街"),
        ("成都市武侯区人民南路四段1号", "成都市武侯区人民南路四段"),
        ("朝阳区建国路88号SOHO现代城A座1001", "朝阳区建国路"),
        ("金水区经三路北段1-2-301", "金水区经三路北段"),
        ("卫辉市李源屯镇小屯村三组", "卫辉市李源屯镇小屯村"),
        ("郑州市金水区花园路街道18号", "郑州市金水区花园路街道"),
        ("郑州市中原区建设西路１８７号", "郑州市中原区建设西路"),
        ("A市A2区桂花坪街道景蓉华苑", "A市A2区桂花坪街道"),
        ("新乡市牧野区和平路幸福家园7栋502室", "新乡市牧野区和平路"),
        ("深圳市南山区粤海街道科技园B座", "深圳市南山区粤海街道"),
        ("郑州市金水区", "郑州市金水区"),
        ("郑州市金水区花园路街道", "郑州市金水区花园路街道"),  # 花园路 is a road
        ("郑州市金水区市民中心", "郑州市金水区市民中心"),  # a landmark, no door
        ("文化路与农业路交叉口", "文化路与农业路交叉口"),
        ("3号楼2单元", ""),
        ("  ", ""),
    ],
)
def test_coarse_address(address: str, coarse: str) -> None:
    assert coarse_address(address) == coarse


def test_coarsening_is_idempotent_on_its_own_output() -> None:
    for address in ("郑州市金水区文化路32号院3号楼2单元", "卫辉市李源屯镇小屯村三组"):
        once = coarse_address(address)
        assert coarse_address(once) == once


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("家住幸福路12号3栋2单元501，水到二楼", "家住幸福路＊＊＊，水到二楼"),
        ("5号楼602室三人被困", "＊＊＊三人被困"),
        ("金水区文化路32号院3号楼", "金水区文化路＊＊＊"),
        ("绿城小区２号楼", "绿城小区＊＊＊"),
        ("幸福路1-2-301", "幸福路＊＊＊"),
        ("B座1201有人", "＊＊＊有人"),
        ("幸福路12号3人被困", "幸福路＊＊＊3人被困"),
        ("三号楼二单元", "＊＊＊"),
        # Not doors: dates, metro lines, floors, households, depths, a bare 号.
        ("7月21号下午3点", "7月21号下午3点"),
        ("2021-07-21 地铁5号线", "2021-07-21 地铁5号线"),
        ("有5户人家房屋倒塌，水深一米五，水到二楼", "有5户人家房屋倒塌，水深一米五，水到二楼"),
        ("第3号", "第3号"),
        ("郑州市中原区建设路街道", "郑州市中原区建设路街道"),
    ],
)
def test_mask_house_numbers(text: str, masked: str) -> None:
    assert mask_house_numbers(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("噪音扰民，家住幸福路12号3栋2单元501", "噪音扰民，家住幸福路＊＊＊"),
        ("5号楼602室漏水", "＊＊＊漏水"),
        ("我是洺悦城14栋1801业主", "我是洺悦城＊＊＊业主"),
        ("八栋一单元301号", "＊＊＊"),
        ("上江圩村七组163号", "上江圩村＊＊＊"),
        ("荣盛花语书苑2-204的业主", "荣盛花语书苑＊＊＊的业主"),
        # No home: a shop's street number, a block, a stairwell, a building's floor, rows
        # of buildings, households, a layout, an area, a range of years, an office's room.
        ("人民路88号商场门口占道经营", "人民路88号商场门口占道经营"),
        ("我是13栋业主", "我是13栋业主"),
        ("4栋3单元楼顶漏水", "4栋3单元楼顶漏水"),
        ("红花坡社区17栋1楼麻将馆", "红花坡社区17栋1楼麻将馆"),
        ("24栋25栋每个单元", "24栋25栋每个单元"),
        ("共计68栋5000余户", "共计68栋5000余户"),
        ("原设计3室2厅，其中有一室一厅", "原设计3室2厅，其中有一室一厅"),
        ("3栋105m2户型", "3栋105m2户型"),
        ("公路7-8年前修的", "公路7-8年前修的"),
        ("人力资源和社会保障局517室", "人力资源和社会保障局517室"),
    ],
)
def test_the_desk_masks_only_a_homes_door(text: str, masked: str) -> None:
    assert mask_house_numbers(text, homes_only=True) == masked
