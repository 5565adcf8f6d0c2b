"""Post texts: what government accounts, media and users write about, per sector.

Templates are ``str.format`` strings over a fixed set of fields: ``place`` (the account's
own area: 金水), ``city`` (its city: 郑州), ``date`` (7月3日), ``hour``, ``n`` (a number),
``topic`` (a sector hashtag without ``#``), ``tag`` (the event hashtag), ``link`` (a t.cn
link) and ``at`` (an @mention, empty or ``@郑州发布 ``). No template holds a quote or a
backslash, so texts stay valid inside hand-built JSON once escaped by the writer.
"""

from __future__ import annotations

SECTOR_TOPICS: dict[str, tuple[str, ...]] = {
    "公安": ("平安{city}", "反诈宣传", "{city}警方", "警情通报", "110宣传日"),
    "消防": ("消防安全", "{city}消防", "119消防宣传月", "夏季防火"),
    "文旅": ("{city}文旅", "跟着微博去旅行", "{city}周末去哪儿", "非遗进景区"),
    "交通": ("{city}交通", "出行提示", "假期出行"),
    "生态环境": ("蓝天保卫战", "{city}空气质量", "生态环境"),
    "卫健": ("健康科普", "{city}健康", "夏季防暑"),
    "教育": ("{city}教育", "开学季", "招生政策"),
    "检察": ("检察为民", "以案释法", "公益诉讼"),
    "法院": ("法院开放日", "以案说法", "执行在路上"),
    "气象": ("{city}天气", "天气预报", "高温预警"),
    "应急": ("安全生产月", "防灾减灾", "应急科普"),
    "市场监管": ("食品安全", "315", "放心消费"),
    "发布": ("{city}发布", "{city}新闻", "权威发布"),
    "共青团": ("青春{city}", "青年大学习", "志愿服务"),
    "网信": ("网络安全宣传周", "清朗", "网络文明"),
    "人社": ("就业服务", "社保政策", "稳就业"),
    "税务": ("便民办税春风行动", "税收政策", "个税"),
    "政务服务": ("{city}12345", "有事您说话", "马上办"),
    "乡镇": ("{place}动态", "乡村振兴", "基层治理"),
}
GENERIC_TOPICS: tuple[str, ...] = ("政务公开", "{city}", "民生", "为民办实事", "{place}")

SECTOR_TEXTS: dict[str, tuple[str, ...]] = {
    "公安": (
        "【警情通报】{date}，{place}警方接群众报警，民警迅速到场处置，嫌疑人已被依法控制。#{topic}# {link}",
        "【反诈提醒】凡是自称客服要求转账的都是诈骗！{place}警方提醒您：不听、不信、不转账。#{topic}#",
        "#{topic}# {date}，{place}民警帮助走失老人找到家人，暖心一幕！{link}",
        "【交通提示】{date}起，{place}部分路段施工，请过往车辆提前绕行。{at}#{topic}#",
        "#{topic}# 夜间巡逻不停歇，{place}公安守护万家灯火。",
    ),
    "消防": (
        "【消防提示】夏季用电高峰，请勿私拉乱接电线！#{topic}# {link}",
        "#{topic}# {date}，{place}消防救援站开展实战化训练，练兵备战不停歇。",
        "{date}{hour}时许，{place}一居民楼厨房起火，消防员迅速处置，无人员伤亡。#{topic}#",
        "#{topic}# 电动车进楼入户充电危险！{at}{link}",
    ),
    "文旅": (
        "#{topic}# {place}的夏天，藏着最美的风景！{link}",
        "【活动预告】{date}，{place}非遗文化节开幕，邀您共赴一场文化盛宴。#{topic}#",
        "#{topic}# 周末去哪儿？{place}这几个宝藏景点等你打卡！",
        "{place}博物馆{date}起延长开放时间，欢迎预约参观。#{topic}# {link}",
    ),
    "气象": (
        "【天气预报】{date}，{place}多云转雷阵雨，最高气温{n}℃，请注意防暑。#{topic}#",
        "#{topic}# {place}市气象台{date}{hour}时发布高温黄色预警信号。{link}",
        "【天气】未来三天{place}以晴热天气为主，午后局地有阵雨。#{topic}#",
    ),
    "发布": (
        "【权威发布】{date}，{city}召开新闻发布会，介绍今年以来经济社会发展情况。#{topic}# {link}",
        "#{topic}# {city}又有{n}个民生项目集中开工！{link}",
        "【便民】{date}起，{city}政务服务“一网通办”再增{n}项高频事项。#{topic}#",
        "#{topic}# 好消息！{city}新增{n}个口袋公园，就在你家门口。{link}",
    ),
    "法院": (
        "#{topic}# {date}，{place}法院公开开庭审理一起民间借贷纠纷案件。{link}",
        "【以案说法】网购“七天无理由退货”，商家能拒绝吗？#{topic}#",
        "#{topic}# {place}法院集中执行行动，为群众追回欠款{n}万元。",
    ),
    "检察": (
        "#{topic}# {place}检察院依法对一起案件提起公益诉讼。{link}",
        "【检察开放日】{date}，{place}检察院邀请人大代表走进检察机关。#{topic}#",
    ),
    "政务服务": (
        "#{topic}# 网友反映{place}路灯不亮，已转相关部门处理，目前已修复。{link}",
        "【回复】{at}您反映的问题已转办至相关单位，请耐心等待回复。#{topic}#",
        "#{topic}# {date}共受理群众诉求{n}件，办结率持续提升。",
    ),
    "乡镇": (
        "#{topic}# {date}，{place}开展人居环境整治行动，村容村貌焕然一新。",
        "【通知】{place}便民服务中心{date}正常办公，欢迎群众前来办理业务。#{topic}#",
        "#{topic}# {place}特色农产品喜获丰收，产销两旺。{link}",
    ),
}
GENERIC_TEXTS: tuple[str, ...] = (
    "#{topic}# {date}，{place}召开专题会议，部署下一阶段重点工作。{link}",
    "【通知】关于{date}调整{place}办事大厅工作时间的公告。#{topic}# {link}",
    "#{topic}# 学习贯彻落实会议精神，{place}在行动。",
    "【政策解读】一图读懂{city}最新惠民政策。#{topic}# {link}",
    "#{topic}# {date}，{place}开展志愿服务活动，{n}名志愿者参与。",
    "{at}#{topic}# 扩散周知！{city}这些便民服务电话请收好。{link}",
    "#{topic}# 为民办实事，{place}在行动：解决群众急难愁盼问题{n}件。",
    "【公示】{place}{date}政务信息公开目录已更新，欢迎监督。#{topic}#",
)
NON_GOV_TEXTS: dict[str, tuple[str, ...]] = {
    "media": (
        "【{city}新闻】{date}，{city}多项民生工程加快推进。#{topic}# {link}",
        "#{topic}# 记者从{city}有关部门获悉，{n}条公交线路将优化调整。{link}",
        "【关注】{city}今夏用电负荷创新高，供电部门全力保供。#{topic}#",
    ),
    "company": (
        "【运营提示】{date}{city}部分线路运营时间调整，请乘客合理安排出行。{link}",
        "#{topic}# 服务不打烊，{city}温馨提示。",
    ),
    "quasi": (
        "#{topic}# {city}未来三天天气早知道。{link}",
        "【公益】{date}，{city}开展应急救护培训进社区活动。#{topic}#",
    ),
    "campus": ("#{topic}# {date}，学院举行暑期社会实践出征仪式。{link}",),
    "user": (
        "今天{city}好热啊，出门五分钟流汗两小时[汗]",
        "周末去{place}逛了逛，风景真不错！{link}",
        "#{topic}# {city}的夜景也太美了吧",
        "下班路上堵了一个小时，{city}交通什么时候能好点",
        "打卡{city}新开的口袋公园，带娃遛弯好去处",
    ),
}
REPOST_TEXTS: tuple[str, ...] = (
    "转发微博",
    "扩散周知！",
    "转发。",
    "【转】请关注。",
    "权威发布，请关注！",
)

EVENT_TEXTS: dict[str, tuple[str, ...]] = {
    "气象": (
        "【暴雨红色预警】{city}市气象台{date}{hour}时发布暴雨红色预警信号：预计未来3小时内，{place}等地将出现100毫米以上降水，请注意防范！#{tag}# {link}",
        "#{tag}# 【雨情通报】{date}{hour}时，{place}1小时降雨量达{n}毫米，请减少外出。",
    ),
    "应急": (
        "【紧急通知】受强降雨影响，{city}启动防汛Ⅰ级应急响应，非必要不外出。#{tag}# {link}",
        "#{tag}# {place}已转移安置受威胁群众{n}人，安置点物资保障到位。",
    ),
    "发布": (
        "【紧急通知】{date}起，{city}全市中小学、幼儿园停课，地铁暂停运营。#{tag}# {link}",
        "#{tag}# 【持续更新】{city}暴雨避险安置点信息汇总，请扩散！{link}",
        "#{tag}# 【权威发布】{date}{hour}时{city}防汛救灾新闻发布会。{link}",
    ),
    "公安": (
        "#{tag}# 【交通管制】因道路积水严重，{place}多条道路实施临时交通管制，请绕行。",
        "#{tag}# {place}民警蹚水转移被困群众{n}人，{at}请扩散：遇险请拨打110。",
    ),
    "消防": (
        "#{tag}# {place}消防连夜转移被困群众{n}人，救援仍在进行中。{link}",
        "#{tag}# 【救援进行时】{place}消防冲锋舟已抵达积水小区。",
    ),
    "水利": ("#{tag}# 【汛情通报】{place}河道水位持续上涨，已超警戒水位{n}厘米。",),
    "gov": (
        "#{tag}# 请广大市民注意安全，遇险请拨打110、119、120求助。{link}",
        "#{tag}# 暴雨中的{city}，感谢每一位坚守岗位的人！",
        "#{tag}# {place}党员干部下沉一线，巡查排险{n}处。",
        "{at}#{tag}# 【扩散】{city}防汛求助热线公布。{link}",
    ),
    "outside": (
        "#{tag}# {city}加油！{place}与你们同在！",
        "#{tag}# 风雨同舟，守望相助，{city}挺住！",
    ),
    "media": ("#{tag}# 【直击】{city}多地出现严重内涝，救援力量紧急集结。{link}",),
    "user": (
        "#{tag}# 小区门口的水已经没过膝盖了，大家注意安全",
        "#{tag}# 地铁停运了，今天只能在单位过夜了",
    ),
}
EVENT_REPOST_TEXTS: tuple[str, ...] = (
    "#{tag}# 扩散周知！",
    "#{tag}# 转发扩散，注意安全！",
    "#{tag}# 请扩散！",
)

# Douyin titles use "#话题" without a closing mark; WeChat titles carry none.
DOUYIN_TITLES: tuple[str, ...] = (
    "{place}的夏天 #{topic} #{city}",
    "民警的一天 #{topic} #正能量",
    "带你看{place}非遗 #{topic} #文旅",
    "这样做最安全！ #{topic} #科普",
    "{date}，{place}发生了这样暖心的一幕 #{topic}",
)
DOUYIN_EVENT_TITLES: tuple[str, ...] = (
    "{city}暴雨现场：救援正在进行 #{tag} #防汛救灾",
    "风雨中的坚守 #{tag} #{city}加油",
)
WECHAT_TITLES: tuple[str, ...] = (
    "{place}召开专题会议 部署重点工作",
    "关于{date}{place}办事大厅工作时间调整的公告",
    "一图读懂｜{city}最新惠民政策",
    "提醒！这些事项{date}起可以网上办了",
    "{place}：为民办实事 {n}件民生实事加快推进",
    "{city}天气｜未来三天以晴热天气为主",
    "警惕！这类诈骗正在高发",
    "周末去哪儿｜{place}这些地方值得一去",
)
WECHAT_EVENT_TITLES: tuple[str, ...] = (
    "紧急通知｜{city}启动防汛Ⅰ级应急响应",
    "持续更新｜{city}暴雨避险安置点信息汇总",
    "{city}暴雨：救援力量全力以赴",
)

# Weibo comments (weibo_comments.py). What citizens write under a government post: thanks,
# questions and complaints about their own street; no names, phone numbers or addresses.
COMMENT_TEXTS: tuple[str, ...] = (
    "辛苦了！[赞]",
    "点赞[赞][赞]",
    "支持！",
    "收到，谢谢提醒",
    "已转发给家人",
    "实用，收藏了",
    "很及时，谢谢",
    "希望能早日落实",
    "希望多发布一些这样的信息[心]",
    "请问具体什么时候开始？",
    "这个怎么申请？需要带什么材料？",
    "周末也能办理吗？",
    "请问电话一直打不通怎么办？",
    "能不能延长办事大厅的开放时间？",
    "社保卡补办要去哪里办？",
    "小区门口的路灯坏了好几天了，能不能派人看看？",
    "路面积水严重，请尽快处理",
    "老城区停车太难了，建议增加车位",
    "噪音扰民问题反映多次了，一直没解决",
    "楼下施工到半夜，能管管吗？",
    "学校附近早高峰太堵了，建议增加交警疏导",
    "垃圾清运不及时，气味很大",
    "公交车什么时候恢复原线路？",
    "我们村的路什么时候修？",
    "物业乱收费有人管吗？",
    "为家乡打call[鼓掌]",
    "好消息！",
    "已阅，辛苦了",
    "必须支持[good]",
    "问题反映了半个月还没人回复[疑问]",
)
EVENT_COMMENT_TEXTS: tuple[str, ...] = (
    "大家注意安全！",
    "辛苦一线救援人员了[心]",
    "我们小区还在积水，求关注！",
    "请问地铁什么时候恢复运营？",
    "已扩散，愿平安[祈祷]",
    "家里老人联系不上，请问可以找谁帮忙？",
    "加油，一定能挺过去！",
    "安置点在哪里？有没有地图？",
)
# An account's answer to a comment: opening + body + closing, 4 × 12 × 4 variants.
REPLY_OPENINGS: tuple[str, ...] = ("您好，", "网友您好，", "感谢您的留言，", "")
REPLY_BODIES: tuple[str, ...] = (
    "已转相关部门核实处理",
    "您反映的问题已转交属地街道办理",
    "已联系属地核实处理，结果会及时回复",
    "具体办理流程请拨打12345政务服务便民热线咨询",
    "已转交责任单位，请耐心等待",
    "相关路段已安排人员现场处置",
    "已将您的建议转交主管部门研究",
    "请私信提供具体位置，我们安排工作人员现场查看",
    "该事项可在政务服务网一网通办办理",
    "已通知辖区派出所跟进",
    "已反馈至相关科室，会尽快答复",
    "我们已记录，将持续跟踪处理进展",
)
REPLY_CLOSINGS: tuple[str, ...] = ("。", "，感谢关注！", "，请保持电话畅通。", "，谢谢您的监督。")
