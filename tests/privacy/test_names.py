"""Person names from their context; places, organisations and words stay untouched."""

from __future__ import annotations

import pytest

from zhengwu.privacy import detect


def names(text: str) -> list[str]:
    return [s.value for s in detect(text, {"name"})]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("姓名：张伟\n电话：13800001234", ["张伟"]),
        ("姓名:王小明，男，35岁", ["王小明"]),
        ("【姓名】刘桂英【年龄】78【所在城市】郑州", ["刘桂英"]),
        ("我叫李娜，家住二七区", ["李娜"]),
        ("您好，我叫陈建国今年52岁", ["陈建国"]),
        ("我是赵磊，想反映一个问题", ["赵磊"]),
        ("联系人王芳 13800001234", ["王芳"]),
        ("联系人：周杰", ["周杰"]),
        ("求助人：孙丽华，被困在三楼", ["孙丽华"]),
        ("投诉人：黄意日期：2019年5月", ["黄意"]),  # 日期 is the next word
        ("请联系张伟先生", ["张伟"]),
        ("感谢李建国同志的帮助", ["李建国"]),
        ("80岁的刘桂英老人独自在家", ["刘桂英"]),
        ("张秀兰女士反映", ["张秀兰"]),
        ("感谢张伟先生", ["张伟"]),  # not 谢张伟: 感谢 is a word
        ("姓名：欧阳娜娜", ["欧阳娜娜"]),
        ("我叫司马光", ["司马光"]),
        ("欧阳修先生", ["欧阳修"]),
        ("当事人刘某妻子", ["刘某"]),
        ("一位姓王的老人被困", ["王"]),  # the surname alone is reported; masking keeps it
        ("本人杨俊，身份证号码见附件", ["杨俊"]),
        ("我叫王建国家住金水区", ["王建国"]),  # 家住 ends the name; 国家 is no word here
        ("如有疑问请与王建国联系", ["王建国"]),  # a phrase of getting in touch
        ("可跟李明对接", ["李明"]),
        ("已和欧阳娜娜沟通", ["欧阳娜娜"]),
        ("请联系王建国，电话另告", ["王建国"]),
    ],
)
def test_names_found_from_context(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我是金水区居民",
        "我是郑州市民，反映噪音问题",
        "我是王府井小区业主",
        "我是高三学生",
        "我是张家界人",
        "我是江西人",
        "我是黄石的",
        "我是万科物业的员工",
        "我是车主",
        "冲向唐女士",  # 唐 alone is a surname, 向 belongs to the verb
        "关爱老人，方便老人出行",
        "社会要爱护孩子、关爱老人",
        "如何保障老人和孩子出行",
        "一位80多岁的老人被困",
        "各位同志，大家好",
        "维修师傅说明天来",
        "快递师傅把包裹放在门口",
        "申请人符合餐饮服务许可条件",
        "当事人应当如实陈述",
        "用我的姓名查询身份证号",
        "本人成绩并未公布",
        "联系人和财务都不接电话",
        "老百姓的事",
        "张先生",  # a surname with a form of address is not a full name
        "欧阳先生",
        "我叫欧阳",
        "请与物业联系",
        "请及时与我们联系",
        "请与当地派出所联系",
        "和孙女联系",
        "请联系社区处理",
        "请联系相关部门",
        "联系方式：见附件",
        "已与王府井小区物业联系",
        "请与金水区住建局联系",
    ],
)
def test_places_organisations_and_words_are_no_names(text: str) -> None:
    assert names(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("邻居李秀英天天在楼道堆杂物", ["李秀英"]),
        ("我邻居李秀英", ["李秀英"]),
        ("我妈王桂兰住院了", ["王桂兰"]),
        ("我爸叫张建军，今年70岁", ["张建军"]),
        ("父亲刘斌云已去世", ["刘斌云"]),
        ("母亲：沈元淑，75岁", ["沈元淑"]),
        ("老公周辉明在外地打工", ["周辉明"]),
        ("我的妻子王梅炎与我情况一致", ["王梅炎"]),
        ("儿子张钒海（2014年出生）", ["张钒海"]),
        ("女儿王晴舒于2016年确诊", ["王晴舒"]),
        ("同事王伟说他也没拿到工资", ["王伟"]),
        ("房东刘某不退押金", ["刘某"]),
        ("租客赵德华拖欠房租", ["赵德华"]),
        ("302业主王怀启的违章搭建", ["王怀启"]),
        ("该健身房老板吴霖昆跑路了", ["吴霖昆"]),
        ("本组村民胡军学强占我家自留地", ["胡军学"]),
        ("患者姚茂江于2011年入院", ["姚茂江"]),
        ("7旬老人陈云富拜叩", ["陈云富"]),
        ("我的朋友欧阳娜娜", ["欧阳娜娜"]),
        ("邻居李秀英、王建国都说", ["李秀英", "王建国"]),
        # A list that moves on to another relative: each name after its own word.
        ("儿子吴辉雄、孙女吴勤、孙子吴琪", ["吴辉雄", "吴勤", "吴琪"]),
        # Forms of address after a full name, the older ones and the kin ones alike.
        ("楼下王建国奶奶", ["王建国"]),
        ("隔壁刘建华大叔", ["刘建华"]),
    ],
)
def test_third_parties_named_after_a_relation_word(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "邻居家漏水到我家",
        "邻居楼上装修",
        "邻居王大爷",  # a surname and a form of address: nothing to mask
        "邻居王姐",
        "业主李书记您好",
        "邻居向政府反映",  # 向 is the preposition
        "邻居白天上夜班",
        "妇女儿童活动中心",  # 女儿 inside 妇女儿童
        "物业主任不管",  # 业主 inside 物业主任
        "厨房东侧",
        "新老公司交接",
        "业主方认为",  # 业主方: the owners' side
        "居民房屋受损",
        "居民房密集",
        "业主车辆堵门",
        "居民车无处可停",
        "未经业主许可",  # jieba tags 许可 as a name
        "骗取老人钱财",
        "还居民安静舒适的生活",
        "业主陈述的情况",
        "业主高度关注",
        "老人连呼吸都困难",
        "老人辛辛苦苦",
        "居民曾多次反映",
        "我父亲曾无数次找过",
        "尿毒症病人付不起",
        "业主们",
        "老人家",
        "村民安置房",
        "邻居张家界人",
        "业主查看样板间",
        "6点多钟由其奶奶和哥哥一起",  # 由其: function words before a form of address
        "A7县基本任其同志们自由发言",
    ],
)
def test_relation_words_followed_by_no_name(text: str) -> None:
    assert names(text) == []


def test_several_names_in_one_complaint() -> None:
    text = "投诉人：蒋诚、陈歌。我叫蒋诚，曾找过物业的王建军先生，他说让我找刘芳女士。"
    assert names(text) == ["蒋诚", "陈歌", "蒋诚", "王建军", "刘芳"]


def test_a_name_from_a_form_in_full_width_punctuation() -> None:
    text = "【求助人】赵德华\u3000【电话】１３８００００１２３４"
    found = detect(text)
    assert [(s.kind, s.value) for s in found] == [
        ("name", "赵德华"),
        ("phone", "１３８００００１２３４"),
    ]
