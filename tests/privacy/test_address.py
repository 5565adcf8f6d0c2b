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
        # After a home cue a street number is a door wherever the place name ends.
        ("家住文星桥2号，水到腰了", "家住文星桥＊＊＊，水到腰了"),
        ("在文星桥2号集合", "在文星桥2号集合"),
        ("紫鑫御湖湾一号栋405三人被困", "紫鑫御湖湾＊＊＊三人被困"),  # 号栋 as 号楼
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
        # 号栋 is a block as 号楼 is: the flat after it is masked with it (rules 7 masked
        # only 一号, 栋405 stayed readable).
        ("我住紫鑫御湖湾一号栋405，多次投诉", "我住紫鑫御湖湾＊＊＊，多次投诉"),
        ("家住幸福小区3号栋405", "家住幸福小区＊＊＊"),
        # No home: a shop's street number, a block, a stairwell, a building's floor, rows
        # of buildings, households, a layout, an area, a range of years, an office's room.
        ("人民路88号商场门口占道经营", "人民路88号商场门口占道经营"),
        ("我是13栋业主", "我是13栋业主"),
        ("我是3号栋业主", "我是3号栋业主"),
        ("4栋3单元楼顶漏水", "4栋3单元楼顶漏水"),
        ("红花坡社区17栋1楼麻将馆", "红花坡社区17栋1楼麻将馆"),
        ("24栋25栋每个单元", "24栋25栋每个单元"),
        ("共计68栋5000余户", "共计68栋5000余户"),
        ("原设计3室2厅，其中有一室一厅", "原设计3室2厅，其中有一室一厅"),
        ("3栋105m2户型", "3栋105m2户型"),
        ("公路7-8年前修的", "公路7-8年前修的"),
        ("人力资源和社会保障局517室", "人力资源和社会保障局517室"),
        # A home cue (我家在, 家住, 住在, 住址 …) before a road and a number: a home's door.
        ("我家在解放路23号，门口的路灯坏了", "我家在解放路＊＊＊，门口的路灯坏了"),
        ("家住幸福路12号", "家住幸福路＊＊＊"),
        ("家住A4区德雅路373号,我在星沙", "家住A4区德雅路＊＊＊,我在星沙"),
        (
            "我家位于A市A2区磨盘湾13号。社区通知要拆房子",
            "我家位于A市A2区磨盘湾＊＊＊。社区通知要拆房子",
        ),
        ("我们住在江源左权北路116号，就是靠桥头位置", "我们住在江源左权北路＊＊＊，就是靠桥头位置"),
        ("我住在K6县小江口二巷37号，自2009年", "我住在K6县小江口二巷＊＊＊，自2009年"),
        ("家庭住址：幸福路12号3栋", "家庭住址：幸福路＊＊＊"),
        ("目前家住A1区县府坪居民点106号。", "目前家住A1区县府坪居民点＊＊＊。"),
        ("家住春华镇武塘村文化组189号", "家住春华镇武塘村文化组＊＊＊"),
        ("住在A市文星桥2号正在拆迁项目内", "住在A市文星桥＊＊＊正在拆迁项目内"),
        # 我住 is a home cue too (not 我住院, 我们住宅楼, 我住过).
        ("我住人民路88号，楼下烧烤摊通宵营业", "我住人民路＊＊＊，楼下烧烤摊通宵营业"),
        ("我们住滨河北路12号", "我们住滨河北路＊＊＊"),
        ("我住过人民路88号的宾馆", "我住过人民路88号的宾馆"),
        ("我们住宅楼前面人民路88号", "我们住宅楼前面人民路88号"),
        # A household numbered like a flat after its block (floor 1, flat 01) …
        ("我小区43栋101户违建房屋拆除后", "我小区＊＊＊违建房屋拆除后"),
        ("幸福小区6栋1203户漏水", "幸福小区＊＊＊漏水"),
        # … not a count of households, nor a layout (the real 政务留言's).
        ("2002年建成，共有10栋460户", "2002年建成，共有10栋460户"),
        ("花园洋房44栋724户及多功能会所", "花园洋房44栋724户及多功能会所"),
        ("6栋180户1000余人", "6栋180户1000余人"),
        ("第4栋36户和第5栋42户", "第4栋36户和第5栋42户"),
        ("共3栋101户", "共3栋101户"),
        ("如16栋08户型开门会撞到07户", "如16栋08户型开门会撞到07户"),
        ("6栋103户型", "6栋103户型"),
        # A home in a building named like an office, a compound named after an institution,
        # home words after the door: homes all the same.
        ("家住金源大厦A座1203，楼下噪音", "家住金源大厦＊＊＊，楼下噪音"),
        ("郑州大学家属院3栋2单元501漏水", "郑州大学家属院＊＊＊漏水"),
        ("金水区政府大院5号楼602室", "金水区政府大院＊＊＊"),
        ("在苏家巷粮食局5栋105号房居住二十多年", "在苏家巷粮食局＊＊＊房居住二十多年"),
        ("系粮食局1栋105房主", "系粮食局＊＊＊房主"),
        # Not a home's door after a cue: a compound's street number, a block, a compound, no
        # cue at all (大家在, 我家附近的), a stay in hospital.
        ("家住A5区香樟路168号楚樟家园小区", "家住A5区香樟路168号楚樟家园小区"),
        ("我家住13栋，楼下", "我家住13栋，楼下"),
        ("家住文化路32号院", "家住文化路32号院"),
        ("大家在人民路88号门口集合", "大家在人民路88号门口集合"),
        ("我家附近的解放路23号开了烧烤店", "我家附近的解放路23号开了烧烤店"),
        ("我家住院3号才出院", "我家住院3号才出院"),
        # A shop named after the cue, before or after its door, is no home: the home is
        # near it (rules 7 masked these) …
        ("我家住在幸福小区对面华联超市101室楼上", "我家住在幸福小区对面华联超市101室楼上"),
        ("我家在幸福路5栋105号门面旁边", "我家在幸福路5栋105号门面旁边"),
        ("我家住在人民路88号华联超市隔壁", "我家住在人民路88号华联超市隔壁"),
        # … while a flat in a compound named after a shop, or above it, is a home.
        ("我家在华联超市5栋302", "我家在华联超市＊＊＊"),
        ("我家住在超市楼上501室", "我家住在超市楼上＊＊＊"),
        # Shops and offices: the room of a shop, an office on a floor, an office building,
        # a reception room in brackets, a shop front after the door, ranges of blocks or
        # floors.
        ("华润万家超市101室通宵装修", "华润万家超市101室通宵装修"),
        ("政务服务中心3楼201室办理", "政务服务中心3楼201室办理"),
        ("C市教育局办公楼321室，联系电话", "C市教育局办公楼321室，联系电话"),
        ("信访举报接待中心(2101室)", "信访举报接待中心(2101室)"),
        ("金城国际商铺-117室业主投诉", "金城国际商铺-117室业主投诉"),
        ("辉煌国际城二期5栋105商铺", "辉煌国际城二期5栋105商铺"),
        ("辉煌国际城二期5栋105号门面", "辉煌国际城二期5栋105号门面"),
        ("银杏嘉园9栋106、108号门面", "银杏嘉园9栋106、108号门面"),
        ("中茂城1-2-245号商铺", "中茂城1-2-245号商铺"),
        ("星沙商业乐园c栋121新开了一家餐饮", "星沙商业乐园c栋121新开了一家餐饮"),
        ("上河国际商业广场a栋4002、4003房", "上河国际商业广场a栋4002、4003房"),
        ("德政花园1-10栋共294户", "德政花园1-10栋共294户"),
        ("请取缔金路小区1-4栋楼下的夜宵店", "请取缔金路小区1-4栋楼下的夜宵店"),
        # …while a flat stays masked, a shop in a home too (住改商).
        ("领东汇小区3栋2单元5楼505室非法住改商", "领东汇小区＊＊＊非法住改商"),
        ("方茂苑5-4304房的认购协议", "方茂苑＊＊＊房的认购协议"),
        # A flat after a shop's or a bank's name (its staff's quarters, a landmark): home
        # words after the door, or a stairwell (单元) with a room, make it a home, as after
        # an institution's name (rules 5 masked these; 6 left them readable).
        ("华联超市5栋302住户投诉", "华联超市＊＊＊住户投诉"),
        ("建设银行8栋801业主反映", "建设银行＊＊＊业主反映"),
        ("工商银行3栋2单元501漏水", "工商银行＊＊＊漏水"),
        ("教育局3栋2单元501漏水", "教育局＊＊＊漏水"),
    ],
)
def test_the_desk_masks_only_a_homes_door(text: str, masked: str) -> None:
    assert mask_house_numbers(text, homes_only=True) == masked
