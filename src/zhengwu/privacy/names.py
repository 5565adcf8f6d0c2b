"""Person names found from their context (姓名：张伟, 我叫张伟, 张伟先生, 刘桂英老人).

A bare run of characters is never taken for a name: Chinese has no capitals and most
two-character words can be read as surname + given name. A name counts only after a
label (姓名 联系人 我叫 我是 【姓名】), before a form of address (先生 女士 老人 阿姨 奶奶 …),
in a phrase of getting in touch (请与王建国联系, 请联系王建国，…), after a word of
relation that introduces a third party (邻居李秀英, 我妈王桂兰, 房东刘某, 村民张建军; held to
stricter word checks, since 业主车辆 and 老人钱财 are far more common), or right before a
contact cue with no title at all (王芳的电话, 张伟：138…, 找李秀英 139…, 网格员史可心，电话…;
see ``_names_before_contact_cues``), it
starts with a common surname, and it is 2–3 characters (3–4 with a compound surname).
Candidates that are place or organisation names (金水区, 黄石, 王府井小区, 万科物业) are
dropped: they end in a place character, are followed by one, or are division names.
``姓王`` reports the surname alone (masking keeps a surname, so it stays as it is).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from zhengwu.privacy.kinds import Found
from zhengwu.privacy.surnames import COMMON_SURNAMES, COMPOUND_SURNAMES, SURNAMES

_LABEL_WORDS = (
    "姓名", "名字", "联系人", "求助人", "求助者", "报案人", "报警人", "当事人", "收件人", "户主",
    "申请人", "投诉人", "举报人", "来电人", "反映人",
)  # fmt: skip
# One alternation of plain words (the regex engine then jumps from one candidate character
# to the next); "【姓名】" matches from its "姓名】". 我是 and 本人 are weak labels: they also
# introduce roles (我是业主, 本人成绩).
_LABELS = re.compile(
    rf"(?P<word>{'|'.join(_LABEL_WORDS)}|名叫|我叫|我是|本人)】?(?P<verb>是|为|叫做|叫)?\s*[:：]?\s*"
)
_WEAK_LABELS = frozenset({"我是", "本人"})
# Forms of address after a name; longer forms first so that 老先生 wins over 先生.
_ADDRESS = re.compile(
    r"老先生|老太太|老奶奶|老大爷|先生|女士|老人|阿姨|大爷|大妈|大娘|大婶|大叔|大姐|大哥|"
    r"奶奶|爷爷|婆婆|叔叔|伯伯|师傅|同志|小姐"
)
# Words of relation before a third party's name (邻居李秀英, 我妈王桂兰, 房东刘某): the
# citizen names someone else, whose name is personal data as much as their own.
_RELATION_WORDS = (
    "邻居", "我爸", "我妈", "老爸", "老妈", "爸爸", "妈妈", "父亲", "母亲", "爷爷", "奶奶",
    "外公", "外婆", "姥姥", "姥爷", "老公", "丈夫", "妻子", "老婆", "爱人", "儿子", "女儿",
    "儿媳", "女婿", "孙子", "孙女", "哥哥", "姐姐", "弟弟", "妹妹", "亲戚", "同事", "同学",
    "朋友", "室友", "房东", "租客", "租户", "业主", "老板", "村民", "居民", "市民", "患者", "病人",
    "老人", "家属", "监护人",
    # Kin that are also forms of address after a name (王建国叔叔): only after 我.
    "我婆婆", "我公公", "我岳父", "我岳母", "我舅舅", "我舅妈", "我姑姑", "我姑父", "我叔叔",
    "我婶婶", "我伯伯", "我伯母", "我姨妈", "我小姨", "我大姨", "我表哥", "我表姐", "我表弟",
    "我表妹", "我侄子", "我侄女", "我外甥", "我外孙",
)  # fmt: skip
_RELATIONS = re.compile(
    # 本村村民，谭文建，住…: a name set off by commas after the relation word (its end is
    # checked: the name must close the clause, see _names_after_relations).
    rf"(?:{'|'.join(_RELATION_WORDS)})(?:(?P<comma>[，,])|(?:叫|是)?[:：]?)"
    # Only where a surname follows: most relation words name nobody (业主们, 老人家), and
    # the lookahead keeps them in the regex engine instead of a Python loop.
    rf"(?=[{''.join(sorted(SURNAMES | {c[0] for c in COMPOUND_SURNAMES}))}])"
)
# Titles after a bare surname (王书记, 李老师, 刘总): no given name follows.
_TITLES = re.compile(
    r"书记|主任|经理|老板|老师|医生|护士|律师|警官|主席|[局科处所院校村组队站镇县市区乡]长|[总工姐哥叔婶伯嫂]"
)
# Word frequencies (jieba's) for the checks after a relation word: see _inside_a_word and
# _relative_after. A name's first two characters are often a rare dictionary word (黄海燕,
# 程志强: 黄海 399, 程志 261), a noun's a common one (车辆 1912, 白天 1456, 占用 480).
_WORD_BEFORE_FREQ = 100
_WORD_AFTER_FREQ = 10_000
_RELATIVE_HEAD_FREQ = 450
_KIN_MODIFIERS = frozenset("大小二三四长次亲我你他她的")
# After a relation word these are nouns or adverbs, not surnames: 业主方, 居民房, 业主车,
# 老人连呼吸都困难, 居民曾多次反映, 《市民宿管理办法》 (民宿).
_RELATION_NOUNS = frozenset("方房车连曾宿")
_COMPOUND = "|".join(sorted(COMPOUND_SURNAMES))
_SURNAME_ONLY = re.compile(
    rf"(?<!百)姓(?P<s>{_COMPOUND}|[\u4e00-\u9fff])(?=[^\u4e00-\u9fff]|$|[的名男女老先小师阿大同])"
)
# Characters that end a name when people run words together ("我叫张伟今年35岁").
_STOP = frozenset(
    "今在家住被是的电手联年岁和与跟带我你他她它们现目已求急从有了着过也都就还要想会能"
    "请说来去到让把对向给于为因所及等这那个位名号男女老先姐士师傅同市区县镇乡村路街"
    "省州局院校所站店厂司队委办部馆园楼室组户工人员记姓妻夫其"
)
# Characters that a given name after a relation word does not hold: 我父亲曾无数次,
# 同学谢民又从…, 付不起.
_RELATIVE_STOP = _STOP | frozenset("不却又吗呢吧无此次起将往入最很太更而且或即便虽但仍多")
# Surname characters that are far more often a word of their own before a name:
# 向张伟反映, 于李明处, 从高明处.
_FUNCTION_LEADS = frozenset("向于和从同以由与及将把被给让对为在等经并")
# Characters that end place and organisation names.
_PLACE_END = frozenset("州市区县省镇乡村路街道巷里弄苑城庄湾桥门府井口坝界湖山港岛屯堡寨营铺家氏")
# What follows a place or organisation name; a candidate followed by one is no person.
_PLACE_AFTER = re.compile(
    r"[A-Za-z0-9]*[州市区县省镇乡村路街道巷弄苑城庄湾桥]|小区|社区|花园|公司|集团|物业|银行|医院|学校|中学|小学|"
    r"大学|广场|大厦|公园|景区|车站|机场|酒店|宾馆|超市|商场|饭店|人(?![员士])|地区|一带|方向|附近"
)
# Words that the dictionary below misses or tags as names, but that are no person here.
_NOT_NAMES = frozenset(
    ("车主", "高三", "高二", "高一", "查明", "洪水", "陈旧", "苗木", "华为", "林立", "杨柳", "孔雀",
     "王府", "张家", "金水", "施暴",
     # Brands and companies whose number people ask for (申通的电话, 高德客服电话).
     "申通", "丰巢", "蓝光", "荣盛", "武商", "江铃", "金立", "高德", "唐宫", "鲁能", "齐鲁", "万豪",
     "金龙鱼", "康师傅", "麦当劳", "华莱士", "周黑鸭", "蔡林记", "江小白", "惠普", "戴尔", "柯达",
     "夏普", "康佳", "万和", "方太", "景田", "杜康", "宋河", "张弓")
)  # fmt: skip
# A name whose first two characters are a word this common is that word (符合, 应当).
_COMMON_PREFIX_FREQ = 2000
# A three-character name whose last character starts a word this common is two characters
# long (投诉人：黄意日期 → 黄意).
_COMMON_TAIL_FREQ = 500


# jieba tags many common words as person names (许可 陈述 安静 钱财 谢谢 高薪, all "nr");
# after a relation word, one this frequent is read as the word (业主许可, 老人钱财).
_COMMON_NR_FREQ = 300
# Two-character words that may still be a person's whole name right before a contact cue:
# jieba's "names" rarer than this (李娜 438, 杜鹃 406; not 顾问 顾客 高峰), and its nouns
# rarer than the second (方圆 285; not 余额 540, 高铁, 金牌).
_NAME_WORD_FREQ = 1000
_NOUN_NAME_FREQ = 300


@cache
def _load_dictionary() -> tuple[dict[str, int], frozenset[str], frozenset[str]]:
    """Return jieba's 2–3 character words that are not person names, the common "nr" ones,
    and the two-character "nr" words and nouns that may be a whole name (:data:`_NAME_WORD_FREQ`)."""
    # Read the file directly: initialising jieba itself takes seconds and is not needed.
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return {}, frozenset(), frozenset()
    words: dict[str, int] = {}
    common_nr: set[str] = set()
    name_words: set[str] = set()
    path = Path(next(iter(spec.submodule_search_locations))) / "dict.txt"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            word, freq, tag = line.split()
            if not 2 <= len(word) <= 3:
                continue
            count = int(freq)
            if len(word) == 2 and (
                (tag.startswith("nr") and count < _NAME_WORD_FREQ)
                or (tag == "n" and count < _NOUN_NAME_FREQ)
            ):  # fmt: skip
                name_words.add(word)
            if not tag.startswith("nr"):
                if count >= 3:
                    words[word] = count
            elif count >= _COMMON_NR_FREQ:
                common_nr.add(word)
    return words, frozenset(common_nr), frozenset(name_words)


def _dictionary() -> dict[str, int]:
    """Return jieba's dictionary words of 2–3 characters that are not person names."""
    return _load_dictionary()[0]


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _surname_at(text: str, pos: int) -> int:
    """Return the length of the surname starting at ``pos`` (2 compound, 1, or 0)."""
    if text[pos : pos + 2] in COMPOUND_SURNAMES:
        return 2
    return 1 if pos < len(text) and text[pos] in SURNAMES else 0


@cache
def _division_names() -> frozenset[str]:
    # Loaded on first need only: building the division table takes a few hundred ms.
    from zhengwu.regions.nameindex import surfaces

    return frozenset(surfaces())


def _is_person(text: str, start: int, end: int) -> bool:
    """Return whether ``text[start:end]`` reads as a person rather than a place or a word."""
    name = text[start:end]
    if name in _NOT_NAMES or name in COMPOUND_SURNAMES or name[-1] in _PLACE_END:
        return False
    if _PLACE_AFTER.match(text, end) or name in _division_names():
        return False
    words = _dictionary()
    if name in words:  # 费用 成绩 方便 关爱: a word, not a name
        return False
    return not (
        len(name) == 3
        and name[:2] not in COMPOUND_SURNAMES
        and words.get(name[:2], 0) >= _COMMON_PREFIX_FREQ
    )


def _name_after(text: str, pos: int, stop: frozenset[str] = _STOP) -> int | None:
    """Return where a name that starts at ``pos`` ends, or None."""
    s = _surname_at(text, pos)
    if not s:
        return None
    end = given = pos + s
    while end < len(text) and end - given < 2 and _is_cjk(text[end]) and text[end] not in stop:
        end += 1
        if text[end - 1] == "某":  # 刘某, 刘某某: a name already hidden, nothing follows
            break
    if end == given:
        return None
    after = text[end : end + 1]
    if end - given == 2 and after not in _STOP and _is_tail_word(text[end - 1] + after):
        end -= 1
    return end if _is_person(text, pos, end) else None


def _is_tail_word(pair: str) -> bool:
    return _dictionary().get(pair, 0) >= _COMMON_TAIL_FREQ


# After the weak 我是, the name must end the phrase ("我是张伟，…"); otherwise 我是高三学生
# and the like would read as names.
_PHRASE_END = re.compile(
    r"$|[^\u4e00-\u9fffA-Za-z0-9*]|今年|家住|住在|电话|手机|联系|来自|在|的|想|要|男|女"
)


# What a given name after 我是 that closes its clause does not hold: particles and
# words of a role (我是常客了，…, 我是江西人，…, 我是高三的，…).
_SELF_NOT_GIVEN = frozenset("的了着过吗呢吧啊呀嘛是不没也都就还很太更又却而但人们者员")


def _self_introduced(text: str, start: int) -> int | None:
    """Return where the name after 我是 at ``start`` ends when it alone closes its clause
    (我是张阳名，…, 我是周向红，…), or None.

    The clause end bounds it, so its given name may hold what ends a name run into the
    next words elsewhere (名 向 家 有 …: 我叫张伟今年…); roles (我是市民，, 我是农民，,
    我是一名教师，), a surname with a title (我是李先生，) and particles stay no names.
    """
    s = _surname_at(text, start)
    if not s:
        return None
    end = start + s
    while end < len(text) and end - start - s < 2 and _is_cjk(text[end]):
        end += 1
    given = text[start + s : end]
    if not given or text[end : end + 1] not in _CLAUSE_END:
        return None
    if any(c in _SELF_NOT_GIVEN for c in given) or _TITLE_ONLY.fullmatch(given):
        return None
    return end if _is_person(text, start, end) else None


def _names_after_labels(text: str) -> Iterator[Found]:
    for m in _LABELS.finditer(text):
        end = _name_after(text, m.end())
        weak = m.group("word") in _WEAK_LABELS and m.group("verb") != "叫"
        closes = end is not None and _PHRASE_END.match(text, end) is not None
        if weak and not closes and m.group("word") == "我是":
            end = _self_introduced(text, m.end())  # 我是张阳名，…: the clause end bounds it
        if end is None:
            continue
        if weak and not _PHRASE_END.match(text, end):
            continue
        yield "name", m.end(), end
        # 投诉人：蒋诚、陈歌、李明 — one label, a list of names.
        while not weak and text[end : end + 1] == "、":
            start = end + 1
            next_end = _name_after(text, start)
            if next_end is None:
                break
            yield "name", start, next_end
            end = next_end


def _name_chars(chunk: str) -> bool:
    return _is_cjk(chunk[0]) and all(_is_cjk(c) and c not in _STOP for c in chunk[1:])


def _start_before(text: str, end: int) -> int | None:
    """Return where a name that ends at ``end`` (before 先生, 老人 …) starts, or None."""
    for size in (4, 3):  # a compound surname and one or two more characters
        start = end - size
        if start >= 0 and text[start : start + 2] in COMPOUND_SURNAMES:
            ok = _name_chars(text[start + 1 : end]) and _is_person(text, start, end)
            return start if ok else None
    three, two = end - 3, end - 2
    if two < 0 or not _name_chars(text[two:end]) or text[two:end] in COMPOUND_SURNAMES:
        return None
    three_ok = three >= 0 and _surname_at(text, three) == 1 and _name_chars(text[three:end])
    if three_ok and not _lead_is_word(text, three) and _is_person(text, three, end):
        return three
    # 冲向唐女士: 向 belongs to the verb and 唐 is a bare surname, so no name at all.
    verb_lead = text[two] in _FUNCTION_LEADS and two > 0 and _is_cjk(text[two - 1])
    if _surname_at(text, two) == 1 and not verb_lead and _is_person(text, two, end):
        return two
    return None


def _lead_is_word(text: str, start: int) -> bool:
    """Return whether the surname character at ``start`` rather belongs to the word before."""
    if text[start] in _FUNCTION_LEADS:
        return True
    # 感谢张伟先生, 如何保障老人: the character before and the "surname" make a word.
    return start > 0 and _dictionary().get(text[start - 1 : start + 1], 0) >= 100


def _names_before_address(text: str) -> Iterator[Found]:
    for m in _ADDRESS.finditer(text):
        start = _start_before(text, m.start())
        if start is not None:
            yield "name", start, m.start()


def _surnames_alone(text: str) -> Iterator[Found]:
    for m in _SURNAME_ONLY.finditer(text):
        if m.group("s") in SURNAMES or m.group("s") in COMPOUND_SURNAMES:
            yield "name", m.start("s"), m.end("s")


# A verb of getting in touch: 请与王建国联系, 可跟李明对接, 请联系王建国，电话….
_CONTACT_VERBS = re.compile(r"联系|联络|沟通|对接")
_CONTACT_LEADS = frozenset("与和跟同找")


def _names_after_relations(text: str) -> Iterator[Found]:
    for m in _RELATIONS.finditer(text):
        if _inside_a_word(text, m.start(), m.end()):
            continue
        end = _relative_after(text, m.end())
        if end is None or (m.group("comma") and text[end : end + 1] not in _CLAUSE_END):
            continue
        yield "name", m.end(), end
        while text[end : end + 1] == "、":  # 邻居李秀英、王建国 (but not …、孙子吴琪)
            start = end + 1
            next_end = None if _RELATIONS.match(text, start) else _relative_after(text, start)
            if next_end is None:
                break
            yield "name", start, next_end
            end = next_end


# What closes a clause that is a name alone (村民，谭文建，住…; 市民，彭国建。).
_CLAUSE_END = frozenset("，,。；;！!")


def _inside_a_word(text: str, start: int, end: int) -> bool:
    """Return whether the relation word ``text[start:end]`` is part of another word.

    妇女儿童, 物业主任, 合同事项, 企业主张: the character before and the relation word's first
    make a common word (not after 大 小 我 的 …: 小儿子 is a son); 老公司: its last and the
    next make a very common one.
    """
    words = _dictionary()
    before = text[start - 1 : start + 1] if start > 0 else ""
    if words.get(before, 0) >= _WORD_BEFORE_FREQ and before[0] not in _KIN_MODIFIERS:
        return True
    return words.get(text[end - 1 : end + 1], 0) >= _WORD_AFTER_FREQ


def _relative_after(text: str, start: int) -> int | None:
    """Return where a third party's name after a relation word ends, or None.

    Stricter than after a label: what follows 业主 or 老人 is far more often a word
    (业主车辆, 老人钱财, 居民安静, 邻居白天) than a name, so the name may be no dictionary
    word (nor one of jieba's common two-character "nr" words: 许可, 钱财), its surname and
    first given character no common one, and a given name stops at a function character.
    """
    lead = text[start : start + 1]
    # 老人辛辛苦苦: a doubled character is a word's, not a surname and a given name.
    if lead in _FUNCTION_LEADS or lead in _RELATION_NOUNS or text[start + 1 : start + 2] == lead:
        return None
    # 邻居王大爷, 业主李书记: a surname and a title, no given name to mask.
    if _ADDRESS.match(text, start + 1) or _TITLES.match(text, start + 1):
        return None
    end = _name_after(text, start, _RELATIVE_STOP)
    if end is None:
        return None
    words, common_nr, _ = _load_dictionary()
    name = text[start:end]
    # jieba's common two-character "names" are mostly words (许可 陈述 钱财); its
    # three-character ones are people (王晓东).
    if name in words or name in _NOT_NAMES or (len(name) == 2 and name in common_nr):
        return None
    # The surname with the first given character: 车辆往, 白天上, 宿舍成 are no names; nor
    # is a rarer word whose third character starts the next word (左眼失明, 钱财行为),
    # while 黄海燕，… and 程志强反映 are.
    head = text[start : start + _surname_at(text, start) + 1]
    if head in _NOT_NAMES or words.get(head, 0) >= _RELATIVE_HEAD_FREQ:
        return None
    head_is_word = words.get(head, 0) >= _WORD_BEFORE_FREQ or head in common_nr
    if head_is_word and len(name) > len(head) and text[end - 1 : end + 1] in words:
        return None
    return end


def _names_in_contact_phrases(text: str) -> Iterator[Found]:
    for m in _CONTACT_VERBS.finditer(text):
        # 与王建国联系: the name sits between 与 (和 跟 同 找) and the verb.
        start = _start_before(text, m.start())
        if start is not None and start > 0 and text[start - 1] in _CONTACT_LEADS:
            yield "name", start, m.start()
        # 请联系王建国，…: the name follows the verb and ends the phrase (联系社区 is no name);
        # 帮我联系一下严红英，….
        at = m.end() + 2 if text.startswith("一下", m.end()) else m.end()
        end = _name_after(text, at)
        if end is not None and _PHRASE_END.match(text, end):
            yield "name", at, end


# Names beside a contact cue, with no title or label word: 王芳的电话, 张伟：138…, 找李秀英
# 139…, 网格员史可心，电话137…. A phone number or the word for one right after a
# surname and one or two characters is strong evidence of a person, but 王府井的电话,
# 公安局电话, 周一的电话 and 车主电话 are as common: the candidate passes the place and
# word checks of every name, is no surname with a title (王经理的电话, 张总：…) and no
# two-character word jieba tags as a name (孙子的电话, 师傅：…).
_CUE_WORDS = ("联系电话", "联系方式", "电话号码", "电话", "電話", "手机号码", "手机号", "手机",
              "微信号", "微信")  # fmt: skip
# A phone number as written, or as a mask left it (138****5678, the desk's 138******78,
# 0371-****1234): a stored text masked under older rules still shows where the name is.
_PHONE = (
    r"1[3-9]\d(?:[ -]?\d){8}(?!\d)|1\d\d\*{4,6}\d{2,4}(?![\d*])|0\d{2,3}[ -]?[\d*]{7,8}(?![\d*])"
    r"|\+86[ -]?1[3-9]\d(?:[ -]?\d){8}(?!\d)|86[ -]?1[3-9]\d(?:[ -]?\d){8}(?!\d)"
)
# Only the cue or the phone is searched for, in one pass (every branch opens with a
# literal, so the regex engine skips through the text); what stands before it (的, spaces,
# the name) is read backwards from there.
# (No named groups: a group around the alternation costs the engine its skipping, 4×.)
_CUE_OR_PHONE = re.compile("|".join(_CUE_WORDS) + "|" + _PHONE)
_BLANKS = " \t"
# Without a cue word the name must stand alone: at the start, after punctuation or 的,
# or after a role or a verb of getting in touch (负责人：郭明亮 136…, 网格员史可心，电话…,
# 找李秀英 139…, 请帮我查一下李娜的电话).
_ROLES_BEFORE = (
    "负责人", "对接人", "联络人", "经办人", "网格员", "联络员", "管理员", "工作人员", "志愿者",
    "队长", "组长", "村长", "楼长", "书记", "主任", "经理", "顾问", "师傅", "老师", "医生", "村医",
    "民警", "社工", "司机", "社区", "村委", "居委", "物业", "住户", "租户", "找", "联系", "联络",
    "致电", "查一下", "问一下", "打听一下", *_LABEL_WORDS,
)  # fmt: skip
# 找 and a name, then what one finds someone for: 有需要可以找袁立新帮忙.
_FIND = re.compile(r"找(?=[" + "".join(sorted(SURNAMES | {c[0] for c in COMPOUND_SURNAMES})) + "])")
_FIND_FOR = re.compile(r"帮忙|联系|对接|咨询|报名|登记|领取|办理")
# Characters that no given name before a cue holds: verbs of calling and locatives
# (常打电话, 宣传单上的电话), places (安置点电话, 办事处电话), and the function characters
# after a relation word.
_CUE_STOP = _RELATIVE_STOP | frozenset("打接拨挂留上下里内外边面旁前后点处")
_TITLE_ONLY = re.compile(rf"(?:{_TITLES.pattern}|{_ADDRESS.pattern})+")


def _stands_alone(text: str, start: int) -> bool:
    """Return whether a name at ``start`` opens its phrase (see _ROLES_BEFORE)."""
    if start == 0 or not _is_cjk(text[start - 1]) or text[start - 1] == "的":
        return True
    return text.endswith(_ROLES_BEFORE, max(0, start - 4), start)


def _cue_name_before(text: str, end: int, *, alone: bool) -> int | None:
    """Return where a name that ends at ``end``, right before a contact cue, starts."""
    if end == 0 or not _is_cjk(text[end - 1]):
        return None
    start = _start_before(text, end)
    if start is None:
        return _word_name_before(text, end)
    if alone and not _stands_alone(text, start):
        return None
    words, common_nr, _ = _load_dictionary()
    if text[start - 1 : start + 1] in words or text[max(start - 2, 0) : start + 1] in words:
        return None  # 城管投诉电话, 一周才电话, 公积金中心的电话: the surname ends a word
    name = text[start:end]
    given = name[_surname_at(text, start) :]
    if any(c in _CUE_STOP for c in given):
        return None
    if _TITLE_ONLY.fullmatch(given):
        return None  # 王经理的电话, 张总：…, 刘师傅的电话: a surname and a title
    if len(name) == 2 and name in common_nr and _word_name_before(text, end) is None:
        return None  # 孙子的电话, 师傅：…: a word, though jieba tags it as a name
    return start


def _word_name_before(text: str, end: int) -> int | None:
    """Return where a two-character name that is also a word (李娜 杜鹃 方圆) starts, right
    before a contact cue at ``end``, or None.

    Only where nothing else reads: the name opens its phrase (李娜的电话, 联系人杜鹃 139…,
    ，方圆：138…), its surname is one of the hundred most common (房东 车主 are words), and
    the word is a noun or a "name" rarer than :data:`_NAME_WORD_FREQ` (顾客 顾问 are
    common), no kin word, title, form of address, place or division.
    """
    start = end - 2
    if start < 0 or text[start] not in COMMON_SURNAMES or not _name_chars(text[start:end]):
        return None
    name = text[start:end]
    if name not in _load_dictionary()[2] or not _stands_alone(text, start):
        return None
    if name in _NOT_NAMES or name in _RELATION_WORDS or _TITLE_ONLY.fullmatch(name[1:]):
        return None
    if _ADDRESS.fullmatch(name) or name[-1] in _PLACE_END or name in _division_names():
        return None
    return None if _PLACE_AFTER.match(text, end) else start


def _skip_blanks_back(text: str, at: int) -> int:
    while at > 0 and text[at - 1] in _BLANKS:
        at -= 1
    return at


def _name_end_before_phone(text: str, at: int) -> int:
    """Return where a name before the phone at ``at`` would end.

    Between them: nothing, spaces or a colon (张伟：138…, 曹文静 133…), or a comma, the word
    for a phone and a colon (范秀云，联系电话159…).
    """
    end = _skip_blanks_back(text, at)
    if end > 0 and text[end - 1] in ":：":
        end = _skip_blanks_back(text, end - 1)
    if end == 0 or (_is_cjk(text[end - 1]) and not text.endswith(_CUE_WORDS, 0, end)):
        return end
    cue = next((w for w in _CUE_WORDS if text.endswith(w, 0, end)), "")
    comma = _skip_blanks_back(text, end - len(cue))
    return comma - 1 if comma > 0 and text[comma - 1] in "，," else end


def _names_before_contact_cues(text: str) -> Iterator[Found]:
    for m in _CUE_OR_PHONE.finditer(text):
        if _is_cjk(m.group()[0]):  # a cue word; a phone opens with a digit or +
            if text.startswith("亭", m.end()):
                continue  # 方圆十里的电话亭: a booth, nobody's number
            end = _skip_blanks_back(text, m.start())
            alone = end < m.start()  # 邱桂芳 电话：…: a name apart stands alone
            if not alone and text[end - 1 : end] == "的":
                end -= 1
        else:
            end, alone = _name_end_before_phone(text, m.start()), True
        start = _cue_name_before(text, end, alone=alone)
        if start is None and end > 1 and text[end - 1] == "家":
            end -= 1  # 王芳家的电话: the number of 王芳's home
            start = _cue_name_before(text, end, alone=False)
        if start is not None:
            yield "name", start, end


def _names_after_find(text: str) -> Iterator[Found]:
    for m in _FIND.finditer(text):
        end = _name_after(text, m.end())
        if end is not None and _FIND_FOR.match(text, end):
            yield "name", m.end(), end


_ANY_CONTEXT = re.compile(
    r"姓|名|人|户主|我叫|我是|本人|"
    + _CONTACT_VERBS.pattern
    + "|"
    + _ADDRESS.pattern
    + "|"
    + "|".join(_RELATION_WORDS)
)


def find_names(text: str) -> Iterator[Found]:
    """Yield ``("name", start, end)`` for every person name found from its context."""
    # Each of these looks for its own cue in one pass: 王芳的电话, 张伟：138…, 找袁立新帮忙.
    yield from _names_before_contact_cues(text)
    yield from _names_after_find(text)
    if _ANY_CONTEXT.search(text) is None:
        return
    yield from _names_after_labels(text)
    yield from _names_before_address(text)
    yield from _names_in_contact_phrases(text)
    yield from _names_after_relations(text)
    yield from _surnames_alone(text)
