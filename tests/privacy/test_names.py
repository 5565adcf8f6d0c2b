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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Real 政务留言 the public board showed unmasked (rules version 8).
        ("我是A市民，彭国建，现年70岁，随女儿住在", ["彭国建"]),
        ("现在向大家求助。本村村民，谭文建，住A8县", ["谭文建"]),
        ("A8县道林镇垅枫村村民，李林志。我住岳临高速", ["李林志"]),
        ("我的名字叫做余成虎。可不可以帮我查询", ["余成虎"]),
        ("此问题市民欧烨已在G市政府网站留言", ["欧烨"]),
        ("居民，王建国，家住金水区", ["王建国"]),
    ],
)
def test_names_set_off_by_commas_after_a_relation_word_and_after_a_naming_verb(
    text: str, expected: list[str]
) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "《J11市民宿管理办法（试行）》",  # 民宿, no citizen named 宿管理
        "居民，王先生反映",  # a surname and a form of address: nothing to mask
        "老人，高血压，糖尿病",  # words, not names
        "业主，张家界的房子",  # a place, and it does not close the clause
        "市民高度关注",
        "居民，李明反映",  # after a comma the name must close its clause
    ],
)
def test_commas_after_a_relation_word_take_no_word_for_a_name(text: str) -> None:
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("王芳的电话：13812345678", ["王芳"]),
        ("联系董建华的电话13812345678", ["董建华"]),
        ("找李秀英 13912345678", ["李秀英"]),
        ("张伟：13812345678", ["张伟"]),
        ("张伟:138 1234 5678", ["张伟"]),
        ("张伟：+86 138 1234 5678", ["张伟"]),
        ("我奶奶刘桂兰一个人在家", ["刘桂兰"]),
        ("周秀珍的手机一直打不通", ["周秀珍"]),
        ("谢丽娟電話：0371-66001616", ["谢丽娟"]),
        ("韩梅的手机号是15200001717", ["韩梅"]),
        ("汪建军的微信号wjj1980", ["汪建军"]),
        ("欧阳明月的联系方式：13600002222", ["欧阳明月"]),
        ("司马燕：15900003333", ["司马燕"]),
        ("诸葛文博的电话是13500001234", ["诸葛文博"]),
        ("负责人：郭明亮 13600007777", ["郭明亮"]),
        ("请联系社区网格员史可心，电话13700003939", ["史可心"]),
        ("被困人员：范秀云，联系电话15900003232", ["范秀云"]),
        ("楼上住户贾明：15600002626", ["贾明"]),
        ("邱桂芳 电话：13600003434", ["邱桂芳"]),
        ("曹文静 13300001313（女儿）", ["曹文静"]),
        ("有需要可以找袁立新帮忙", ["袁立新"]),
        ("帮我联系一下严红英，她的手机号是13912341234", ["严红英"]),
        ("家属：蔡丽 13900002222", ["蔡丽"]),
        ("我婆婆夏淑英今年85岁", ["夏淑英"]),
        ("监护人：胡晓梅 13700004949", ["胡晓梅"]),
        # Stored under older rules: the phone masked, the name not yet.
        ("冯晓燕：152****1717", ["冯晓燕"]),
        ("彭俊的电话：139****0000", ["彭俊"]),
        ("张伟：138******78", ["张伟"]),
        ("谢丽娟：0371-****1616", ["谢丽娟"]),
        # Names that are words, where they open the phrase (rules version 3).
        ("李娜的电话：13800003737", ["李娜"]),
        ("联系人杜鹃 13912345678", ["杜鹃"]),
        ("物资登记：方圆：13800004343", ["方圆"]),
        # A name before 家, after 致电.
        ("王芳家的电话：13800003838", ["王芳"]),
        ("张丽家电话13800002222", ["张丽"]),
        ("请致电王芳13812345678", ["王芳"]),
        # After asking for someone's number (rules version 4).
        ("请帮我查一下李娜的电话", ["李娜"]),
        ("帮忙问一下杜鹃的手机号", ["杜鹃"]),
        ("能不能打听一下方圆的联系方式", ["方圆"]),
    ],
)
def test_names_beside_a_contact_cue(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "王府井的电话：13812345678 打不通",
        "张家口的电话区号是0313",
        "李村派出所电话：0532-88001234",
        "高新区管委会电话：0371-67980000",
        "金水路上的电话亭被撞坏了",
        "公安局的电话：110",
        "周一的电话一直占线",
        "高温天气，电力公司电话：95598",
        "林业局电话：0371-65500000",
        "江边的电话亭被水淹了",
        "白天电话打不通",
        "常常打电话也没人接",
        "方便的话请回电话：13800005050",
        "王经理的电话：13800005353",  # a surname and a title
        "张总：13900005555",
        "刘师傅的电话一直打不通",
        "李老师电话：13800005454",
        "师傅：13800005252",  # jieba's common "name" that is a word
        "孙子的电话打不通",
        "车主电话：13800005151",
        "宣传单上的电话是空号",
        "我们打城管投诉电话",  # 管 ends 城管
        "逾期一周才电话联系用户",
        "省公积金中心的电话",
        "老师用手机引诱学生",
        "申通快递的电话",
        "申通的电话",
        "时间：20240720",
        "单号：1234567890123",
        "找齐材料，再去窗口办理",
        "找任何人帮忙都没用",
        "对家属施暴",
        "联系方式：13800005757",
        "我是金水区居民，电话13800006161",
        # Words that are no names before a cue (房 管 全 商 are no common surnames; 顾客 and
        # 余额 are too common; 孙子 is kin; 早晚高峰 and 请大家 do not open the phrase).
        "方圆十里的电话亭都坏了",
        "房东的电话一直打不通",
        "物业管家微信我说设备坏了",
        "全家的电话号码都被泄露了",
        "顾客的电话：13600005678",
        "余额：13800006464",
        "早晚高峰的电话咨询量很大",
        "请大家的电话保持畅通",
        "老王家的电话坏了",
        "请帮我查一下高铁的电话",
        "问一下胡同口超市的电话",
    ],
)
def test_contact_cues_after_places_words_and_titles(text: str) -> None:
    assert names(text) == []


def test_masking_a_stored_text_of_older_rules_masks_the_name() -> None:
    from zhengwu.privacy import mask_text

    stored = mask_text("王芳的电话：13812345678，张伟：13912345678")
    assert stored == "王*的电话：138****5678，张*：139****5678"
    # What the old rules stored (phones masked, names readable) is masked at display.
    assert mask_text("王芳的电话：138****5678，张伟：139****5678") == stored


# A self-introduction that closes its clause: 我是 and the name alone, then a comma. The
# given name may hold characters that elsewhere end a name run into the next words
# (名 向 家 有 …: 我叫张伟今年…), since the comma bounds it.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我是张阳名，家住幸福小区", ["张阳名"]),
        ("您好，我是张名阳，想反映一个问题", ["张名阳"]),
        ("我是周向红，今年六十岁", ["周向红"]),
        ("我是李家豪。楼下噪音太大", ["李家豪"]),
        ("我是王有才，电话打不通", ["王有才"]),
        ("我是欧阳向东，退休职工", ["欧阳向东"]),
    ],
)
def test_a_self_introduction_closing_its_clause_is_a_name(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我是本村村民，反映修路问题",
        "我是一名教师，工资拖欠",
        "我是市民，反映噪音",
        "我是农民，种地为生",
        "我是初婚，想办准生证",
        "我是户主，房子漏水",
        "我是常客了，每次都这样",
        "我是江西人，在此务工",
        "我是高中生，想问政策",
        "我是毕业生，想问落户",
        "我是李先生，住三楼",
        "我是王老师，想反映",
        "我是刘姐，楼下的",
        "我是党员，应当带头",
        "我是房东，租客欠费",
        "我是谁，怎么证明",
        "我是农民工，工资被拖欠",
        "我是商户，门面被占",
        "我是华人，在国外",
        "我是高三的，想问考试",
        "我是张家的，邻居",
    ],
)
def test_a_self_introduction_by_a_role_names_nobody(text: str) -> None:
    assert names(text) == []
