"""What government bodies exist at each level, and what their accounts are called.

Names follow the real conventions of 政务新媒体: ``平安郑州`` (市公安局), ``郑州发布``
(市政府新闻办), ``郑州交警``, ``金水公安``, ``中原区人民法院``, ``共青团郑州市委`` …
Placeholders: ``{p}``/``{P}`` province full/short name, ``{c}``/``{C}`` city, ``{x}``/``{X}``
county, ``{xf}`` the county with its city for districts (``郑州市金水区``), ``{t}``/``{T}``
township full/short name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Body:
    """One kind of government body at one level and how it names its accounts."""

    key: str
    sector: str
    org: str  # organisation name template
    weibo: tuple[str, ...]  # account-name templates (one is picked per organisation)
    weight: float  # how central the body is (keeps it when a scale trims organisations)
    p_weibo: float
    p_wechat: float
    p_douyin: float
    org_district: str | None = None  # org template for a district (区) when it differs


def _b(
    key: str,
    sector: str,
    org: str,
    weibo: str | tuple[str, ...],
    weight: float,
    p: tuple[float, float, float],
    org_district: str | None = None,
) -> Body:
    names = (weibo,) if isinstance(weibo, str) else weibo
    return Body(key, sector, org, names, weight, p[0], p[1], p[2], org_district)


# Opening rates (weibo, wechat, douyin); county police 78 % on Weibo (seed 003).
_HI, _MID, _LO = (0.95, 0.75, 0.55), (0.85, 0.6, 0.4), (0.7, 0.5, 0.3)

PROVINCE_BODIES: tuple[Body, ...] = (
    _b("publish", "发布", "{p}人民政府新闻办公室", "{P}发布", 1.0, (1.0, 0.9, 0.8)),
    _b("police", "公安", "{p}公安厅", ("{P}公安", "{P}警方"), 1.0, _HI),
    _b("traffic", "公安", "{p}公安厅交通管理局", "{P}交警", 0.9, _HI),
    _b("fire", "消防", "{p}消防救援总队", "{P}消防", 0.9, _HI),
    _b("culture", "文旅", "{p}文化和旅游厅", ("{P}文旅", "文旅{P}"), 0.9, _HI),
    _b("transport", "交通", "{p}交通运输厅", "{P}交通", 0.8, _MID),
    _b("eco", "生态环境", "{p}生态环境厅", "{P}生态环境", 0.8, _MID),
    _b("health", "卫健", "{p}卫生健康委员会", "健康{P}", 0.8, _MID),
    _b("edu", "教育", "{p}教育厅", "{P}教育", 0.8, _MID),
    _b("procur", "检察", "{p}人民检察院", "{P}检察", 0.9, _HI),
    _b("court", "法院", "{p}高级人民法院", "{P}高院", 0.9, _HI),
    _b("meteo", "气象", "{p}气象局", "{P}气象", 0.85, _HI),
    _b("emergency", "应急", "{p}应急管理厅", "{P}应急管理", 0.85, _HI),
    _b("market", "市场监管", "{p}市场监督管理局", "{P}市场监管", 0.7, _MID),
    _b("youth", "共青团", "共青团{p}委员会", "共青团{p}委", 0.85, _HI),
    _b("cyber", "网信", "中共{p}委网络安全和信息化委员会办公室", "网信{P}", 0.8, _MID),
    _b("hr", "人社", "{p}人力资源和社会保障厅", "{P}人社", 0.7, _MID),
    _b("tax", "税务", "国家税务总局{p}税务局", "{P}税务", 0.75, _MID),
    _b("justice", "司法", "{p}司法厅", "{P}司法", 0.7, _MID),
    _b("discipline", "纪检", "中共{p}纪律检查委员会", "清风{P}", 0.7, _MID),
    _b("law", "政法", "中共{p}委政法委员会", ("{P}政法", "长安{P}"), 0.7, _MID),
    _b("housing", "住建", "{p}住房和城乡建设厅", "{P}住建", 0.6, _LO),
    _b("water", "水利", "{p}水利厅", "{P}水利", 0.7, _MID),
    _b("civil", "民政", "{p}民政厅", "{P}民政", 0.6, _LO),
    _b("agri", "农业农村", "{p}农业农村厅", "{P}农业农村", 0.6, _LO),
    _b("land", "自然资源", "{p}自然资源厅", "{P}自然资源", 0.6, _LO),
    _b("insurance", "医保", "{p}医疗保障局", "{P}医保", 0.6, _LO),
    _b("veterans", "退役军人", "{p}退役军人事务厅", "{P}退役军人", 0.6, _LO),
    _b("women", "妇联", "{p}妇女联合会", "{P}妇联", 0.6, _LO),
    _b("stats", "统计", "{p}统计局", "{P}统计", 0.5, _LO),
    _b("service", "政务服务", "{p}政务服务和大数据管理局", "{P}政务服务", 0.6, _MID),
    _b("quake", "应急", "{p}地震局", "{P}地震", 0.6, _LO),
)

CITY_BODIES: tuple[Body, ...] = (
    _b("publish", "发布", "{c}人民政府新闻办公室", "{C}发布", 1.0, (1.0, 0.9, 0.8)),
    _b("police", "公安", "{c}公安局", "平安{C}", 1.0, _HI),
    _b("traffic", "公安", "{c}公安局交通警察支队", "{C}交警", 0.95, _HI),
    _b("fire", "消防", "{c}消防救援支队", "{C}消防", 0.9, _HI),
    _b("culture", "文旅", "{c}文化广电和旅游局", "{C}文旅", 0.9, _HI),
    _b("transport", "交通", "{c}交通运输局", "{C}交通", 0.8, _MID),
    _b("eco", "生态环境", "{c}生态环境局", "{C}生态环境", 0.8, _MID),
    _b("health", "卫健", "{c}卫生健康委员会", "健康{C}", 0.8, _MID),
    _b("edu", "教育", "{c}教育局", "{C}教育", 0.8, _MID),
    _b("procur", "检察", "{c}人民检察院", "{C}检察", 0.9, _HI),
    _b("court", "法院", "{c}中级人民法院", "{C}中院", 0.9, _HI),
    _b("meteo", "气象", "{c}气象局", "{C}气象", 0.85, _HI),
    _b("emergency", "应急", "{c}应急管理局", "{C}应急管理", 0.85, _HI),
    _b("market", "市场监管", "{c}市场监督管理局", "{C}市场监管", 0.7, _MID),
    _b("youth", "共青团", "共青团{c}委员会", "共青团{c}委", 0.85, _HI),
    _b("cyber", "网信", "中共{c}委网络安全和信息化委员会办公室", "网信{C}", 0.8, _MID),
    _b("hr", "人社", "{c}人力资源和社会保障局", "{C}人社", 0.7, _MID),
    _b("tax", "税务", "国家税务总局{c}税务局", "{C}税务", 0.75, _MID),
    _b("justice", "司法", "{c}司法局", "{C}司法", 0.7, _MID),
    _b("discipline", "纪检", "中共{c}纪律检查委员会", "清风{C}", 0.7, _MID),
    _b("law", "政法", "中共{c}委政法委员会", ("{C}政法", "长安{C}"), 0.7, _MID),
    _b("urban", "城管", "{c}城市管理局", "{C}城管", 0.75, _MID),
    _b("housing", "住建", "{c}住房和城乡建设局", "{C}住建", 0.6, _LO),
    _b("water", "水利", "{c}水利局", "{C}水利", 0.65, _MID),
    _b("civil", "民政", "{c}民政局", "{C}民政", 0.6, _LO),
    _b("agri", "农业农村", "{c}农业农村局", "{C}农业农村", 0.55, _LO),
    _b("land", "自然资源", "{c}自然资源和规划局", "{C}自然资源", 0.55, _LO),
    _b("insurance", "医保", "{c}医疗保障局", "{C}医保", 0.6, _LO),
    _b("veterans", "退役军人", "{c}退役军人事务局", "{C}退役军人", 0.55, _LO),
    _b("women", "妇联", "{c}妇女联合会", "{C}妇联", 0.55, _LO),
    _b("stats", "统计", "{c}统计局", "{C}统计", 0.45, _LO),
    _b("hotline", "政务服务", "{c}12345政务服务便民热线", "{C}12345", 0.85, _HI),
    _b("npc", "人大", "{c}人民代表大会常务委员会", "{C}人大", 0.45, _LO),
    _b("cppcc", "政协", "政协{c}委员会", "{C}政协", 0.45, _LO),
)

COUNTY_BODIES: tuple[Body, ...] = (
    _b("publish", "发布", "{x}人民政府新闻办公室", "{X}发布", 1.0, (0.95, 0.85, 0.7)),
    _b(
        "police",
        "公安",
        "{x}公安局",
        ("{X}公安", "平安{X}"),
        0.95,
        (0.78, 0.6, 0.55),
        org_district="{c}公安局{X}分局",
    ),
    _b(
        "traffic",
        "公安",
        "{x}公安局交通管理大队",
        "{X}交警",
        0.8,
        _MID,
        org_district="{c}公安局交通警察支队{X}大队",
    ),
    _b("fire", "消防", "{x}消防救援大队", "{X}消防", 0.8, _MID),
    _b("culture", "文旅", "{xf}文化广电和旅游局", "{X}文旅", 0.75, _MID),
    _b("transport", "交通", "{xf}交通运输局", "{X}交通", 0.5, _LO),
    _b(
        "eco",
        "生态环境",
        "{x}生态环境分局",
        "{X}生态环境",
        0.5,
        _LO,
        org_district="{c}生态环境局{X}分局",
    ),
    _b("health", "卫健", "{xf}卫生健康委员会", "健康{X}", 0.6, _LO),
    _b("edu", "教育", "{xf}教育局", "{X}教育", 0.6, _LO),
    _b("procur", "检察", "{xf}人民检察院", "{X}检察", 0.85, _HI),
    _b("court", "法院", "{xf}人民法院", "{x}人民法院", 0.85, _HI),
    _b("meteo", "气象", "{x}气象局", "{X}气象", 0.55, _LO),
    _b("emergency", "应急", "{xf}应急管理局", "{X}应急管理", 0.6, _MID),
    _b("market", "市场监管", "{xf}市场监督管理局", "{X}市场监管", 0.55, _LO),
    _b("youth", "共青团", "共青团{xf}委员会", "共青团{x}委", 0.65, _MID),
    _b("cyber", "网信", "中共{xf}委网络安全和信息化委员会办公室", "网信{X}", 0.6, _LO),
    _b("hr", "人社", "{xf}人力资源和社会保障局", "{X}人社", 0.45, _LO),
    _b("tax", "税务", "国家税务总局{xf}税务局", "{X}税务", 0.55, _LO),
    _b("justice", "司法", "{xf}司法局", "{X}司法", 0.55, _LO),
    _b("discipline", "纪检", "中共{xf}纪律检查委员会", "清风{X}", 0.5, _LO),
    _b("law", "政法", "中共{xf}委政法委员会", "{X}政法", 0.5, _LO),
    _b("urban", "城管", "{xf}城市管理局", "{X}城管", 0.5, _LO),
    _b("water", "水利", "{xf}水利局", "{X}水利", 0.4, _LO),
    _b("civil", "民政", "{xf}民政局", "{X}民政", 0.4, _LO),
    _b("agri", "农业农村", "{xf}农业农村局", "{X}农业农村", 0.4, _LO),
    _b("insurance", "医保", "{xf}医疗保障局", "{X}医保", 0.4, _LO),
    _b("women", "妇联", "{xf}妇女联合会", "{X}妇联", 0.35, _LO),
    _b("veterans", "退役军人", "{xf}退役军人事务局", "{X}退役军人", 0.35, _LO),
)

# Township-level bodies (乡镇 / 街道 and the stations that sit there). ``p_present`` is
# how often a township has the body at all; the 乡镇 government is always there.
TOWN_BODIES: tuple[tuple[Body, float], ...] = (
    (_b("town", "乡镇", "{x}{t}人民政府", ("{X}{t}", "{X}{T}发布"), 0.55, (0.72, 0.5, 0.35)), 1.0),
    (_b("station", "公安", "{x}公安局{T}派出所", "{X}{T}派出所", 0.6, (0.7, 0.3, 0.35)), 0.9),
    (_b("msa", "市场监管", "{x}市场监督管理局{T}市场监管所", "{X}{T}市场监管所", 0.35, (0.6, 0.3, 0.15)), 0.45),
    (_b("judicial", "司法", "{x}司法局{T}司法所", "{X}{T}司法所", 0.35, (0.6, 0.3, 0.15)), 0.45),
    (_b("clinic", "卫健", "{x}{T}卫生院", "{X}{T}卫生院", 0.3, (0.6, 0.4, 0.2)), 0.45),
    (_b("tribunal", "法院", "{x}人民法院{T}人民法庭", "{X}法院{T}法庭", 0.4, (0.8, 0.3, 0.2)), 0.15),
    (_b("firestation", "消防", "{x}消防救援大队{T}消防救援站", "{X}{T}消防站", 0.4, (0.8, 0.3, 0.4)), 0.12),
)  # fmt: skip

# Central bodies (中央): (key, sector, organisation, Weibo name).
CENTRAL_BODIES: tuple[tuple[str, str, str, str], ...] = (
    ("publish", "发布", "国务院新闻办公室", "国新办发布"),
    ("police", "公安", "公安部", "中国警方在线"),
    ("traffic", "公安", "公安部交通管理局", "公安部交通管理局"),
    ("fire", "消防", "应急管理部消防救援局", "中国消防"),
    ("culture", "文旅", "文化和旅游部", "文旅之声"),
    ("transport", "交通", "交通运输部", "中国交通"),
    ("eco", "生态环境", "生态环境部", "生态环境部"),
    ("health", "卫健", "国家卫生健康委员会", "健康中国"),
    ("edu", "教育", "教育部", "微言教育"),
    ("procur", "检察", "最高人民检察院", "最高人民检察院"),
    ("court", "法院", "最高人民法院", "最高人民法院"),
    ("meteo", "气象", "中国气象局", "中国气象局"),
    ("emergency", "应急", "应急管理部", "中国应急管理"),
    ("market", "市场监管", "国家市场监督管理总局", "市说新语"),
    ("youth", "共青团", "共青团中央", "共青团中央"),
    ("cyber", "网信", "国家互联网信息办公室", "网信中国"),
    ("hr", "人社", "人力资源和社会保障部", "中国人社"),
    ("tax", "税务", "国家税务总局", "国家税务总局"),
    ("justice", "司法", "司法部", "中国普法"),
    ("discipline", "纪检", "中央纪委国家监委", "中央纪委国家监委网站"),
    ("law", "政法", "中央政法委员会", "中国长安网"),
    ("housing", "住建", "住房和城乡建设部", "住建部"),
    ("water", "水利", "水利部", "水利部"),
    ("civil", "民政", "民政部", "中国民政"),
    ("agri", "农业农村", "农业农村部", "中国三农发布"),
    ("land", "自然资源", "自然资源部", "自然资源部"),
    ("insurance", "医保", "国家医疗保障局", "国家医保局"),
    ("veterans", "退役军人", "退役军人事务部", "退役军人事务部"),
    ("women", "妇联", "中华全国妇女联合会", "全国妇联"),
    ("stats", "统计", "国家统计局", "国家统计局"),
    ("quake", "应急", "中国地震局", "中国地震台网"),
    ("foreign", "外交", "外交部", "外交部发言人办公室"),
    ("defense", "国防", "国防部", "国防部发布"),
    ("commerce", "商务", "商务部", "商务微新闻"),
    ("industry", "工信", "工业和信息化部", "工信微报"),
    ("customs", "海关", "海关总署", "海关发布"),
    ("coastguard", "海警", "中国海警局", "中国海警"),
    ("immigration", "移民管理", "国家移民管理局", "国家移民管理局"),
    ("railway", "交通", "国家铁路局", "国家铁路局"),
    ("forestry", "林草", "国家林业和草原局", "国家林草局"),
)

# Township name stems; the suffix (镇 / 乡 / 街道) depends on the county type.
TOWN_STEMS: tuple[str, ...] = tuple(
    "东城 西城 南关 北关 新华 人民路 解放路 建设路 和平 胜利 红旗 向阳 文化路 朝阳 光明 "
    "长安 永安 太平 新兴 龙泉 石桥 青山 柳林 白马 黄庄 李庄 王庄 张集 马店 高庙 双河 三里 "
    "五里 十里铺 杨柳 桃园 杏花 梨园 枣林 松林 竹园 花园 金山 银河 玉泉 凤凰 龙门 虎山 鹤山 "
    "大王 小店 古城 新城 老城 南湖 北湖 东湖 西湖 清河 沙河 白沙 河口 桥头 官庄 马庄 刘集 "
    "孙庄 赵庄 周庄 吴村 郑庄 冯庄 陈庄 褚庙 卫店 蒋集 沈庄 韩庄 杨村 朱集 秦庄 尤庄 许庄 "
    "何庄 吕庄 施庄 孔庄 曹庄 严庄 华村 金村 魏庄 陶庄 姜庄 戚庄 谢庄 邹庄 喻村 柏庄 水寨 "
    "窦庄 章庄 云山 苏庄 潘庄 葛庄 奚庄 范庄 彭庄 郎庄 鲁庄 韦庄 昌村 马村 苗庄 凤庄 花庄 "
    "方山 俞村 任庄 袁庄 柳庄 鲍庄 史庄 唐庄 薛庄 雷庄 贺庄 倪庄 汤庄 滕庄 殷庄 罗庄 毕庄 "
    "郝庄 邬庄 安庄 常庄 乐村 于庄 时庄 傅庄 皮庄 卞庄 齐庄 康庄 伍庄 余庄 元村 卜庄 顾庄 "
    "孟庄 平安 黄村 和庄 穆庄 萧庄 尹庄".split()
)

# Short descriptions (简介) by sector; ``{n}`` is the organisation name.
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "发布": ("{n}官方微博，权威发布政务信息。", "发布权威信息，回应社会关切，服务人民群众。"),
    "公安": ("对党忠诚、服务人民、执法公正、纪律严明。", "{n}官方微博，报警请拨打110。"),
    "消防": ("火警请拨打119。{n}官方微博。", "对党忠诚、纪律严明、赴汤蹈火、竭诚为民。"),
    "文旅": ("{n}官方微博，欢迎来玩！", "诗和远方，一起出发。"),
    "气象": ("{n}官方微博，发布天气预报预警信息。",),
    "应急": ("{n}官方微博，发布应急管理和预警信息。",),
    "法院": ("{n}官方微博，公开审判信息，服务司法公开。",),
    "检察": ("{n}官方微博，检察为民。",),
    "共青团": ("{n}官方微博，青春向党，奋斗强国。",),
    "政务服务": ("{n}，有事您说话。", "{n}官方微博，受理群众诉求，服务热线12345。"),
    "乡镇": ("{n}官方微博，服务辖区群众。",),
}
DEFAULT_DESCRIPTIONS: tuple[str, ...] = (
    "{n}官方微博。",
    "{n}官方账号，发布政务信息，回应群众关切。",
)

# Generic county short names that need the city in front to mean anything.
GENERIC_COUNTY_SHORT: frozenset[str] = frozenset(
    "城区 郊区 矿区 市中 市南 市北 东区 西区 南区 北区 新区 城中 城东 城西 城南 城北 河东 河西 "
    "桥东 桥西 铁东 铁西 郊县".split()
)
