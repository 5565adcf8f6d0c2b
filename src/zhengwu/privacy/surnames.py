"""Common Chinese surnames (about 300, by frequency, covering well over 95 % of people)."""

from __future__ import annotations

# Single-character surnames, most frequent first (2020 census order for the first hundred).
_BY_FREQUENCY = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶"
    "程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付傅方邹熊白孟秦邱侯江尹薛闫阎段雷龙黎史陶贺"
    "毛郝顾龚邵万覃武钱戴严欧莫孔向常汤康易乔赖文施洪辛柯庄樊齐申牛邢葛安颜鲁温左甘詹关祝伍"
    "翟包窦宁蓝尚耿殷纪盛聂柴单岳褚舒焦霍凌吉游阮季谷靳路梅涂古祁华俞卜仇丘童滕蒲裴邬司连"
    "穆苗管鲍景晏宫饶卓戚臧冉房解池瞿桂邝隋娄查车屈米云阳苟喻刁荣芦仲郎缪鞠全占揭"
    "奚符麦宗薄冀谈柏成简明楚冷卞佟丛师费边巫封牟栾项滑粟敖闵宿平艾冼於植郁湛虞蔺麻杭"
    "郦蒙伏竺燕秋帅蓬赫党嵇邰庞惠桑储佘衡郜钮戈浦丰訾沙宣禹"
)
SURNAMES = frozenset(_BY_FREQUENCY)
# The hundred most frequent (about 85 % of people): a name that is also a dictionary word
# (方圆, 李娜) is read as a name only with one of these (房东, 车主 are words).
COMMON_SURNAMES = frozenset(_BY_FREQUENCY[:100])

# Two-character surnames; a name starting with one of these takes one or two more characters.
COMPOUND_SURNAMES = frozenset(
    ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
     "夏侯", "轩辕", "令狐", "钟离", "端木", "南宫", "西门", "独孤", "澹台", "公冶", "呼延", "万俟",
     "闻人", "赫连", "申屠", "太史", "濮阳", "淳于", "单于", "拓跋")
)  # fmt: skip
