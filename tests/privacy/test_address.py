"""coarse_address keeps province, city, district and street; drops the door."""

from __future__ import annotations

import pytest

from zhengwu.privacy import coarse_address


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
