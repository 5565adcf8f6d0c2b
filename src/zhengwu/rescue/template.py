"""Labelled help-post templates (【姓名】张三, 地址：…) and pasted spreadsheet rows.

Volunteers in 2021 spread a standard format — 【姓名】【年龄】【所在城市】【所在小区】
【联系方式】【其他紧急联系人】【情况描述】 — and copied posts into shared sheets whose rows
then came back as posts ("张三,郑州市金水区xx路,5,被困,超级紧急,138…"). Both carry the
fields explicitly, so they are read before any free-text guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from zhengwu.rescue.address import find_address
from zhengwu.rescue.people import clean_name
from zhengwu.rescue.textnorm import normalise

_LABELS: dict[str, tuple[str, ...]] = {
    "name": ("求助人姓名", "被困人姓名", "姓名", "名字", "求助人", "求助者", "被困人员", "被困人", "被困者", "当事人"),
    "contact_name": ("联系人",),
    "age": ("年龄",),
    "city": ("所在城市", "城市", "所在市"),
    "district": ("所在区县", "所在区", "所在县", "区县"),
    "community": ("所在小区", "小区名称", "小区", "所在村庄", "所在村", "村庄"),
    "address": (
        "详细地址", "具体地址", "家庭住址", "住址", "地址", "具体位置", "所在位置", "位置", "定位",
        "所在地", "被困地点", "被困位置", "地点",
    ),
    "phone": (
        "联系方式", "联系电话", "手机号码", "手机号", "电话", "手机", "其他紧急联系人", "紧急联系人",
        "备用电话", "其他联系人",
    ),
    "people": ("被困人数", "受困人数", "人数", "人员数量"),
    "situation": (
        "情况描述", "具体情况", "情况说明", "求助内容", "求助事项", "情况", "描述", "诉求", "需求",
        "现状", "备注",
    ),
    "urgency": ("紧急程度",),
    "time": ("求助时间", "发布时间", "时间"),
}  # fmt: skip
_KIND = {label: kind for kind, labels in _LABELS.items() for label in labels}
LABEL_WORDS = frozenset(_KIND)  # every label a post or sheet row may name its fields by
_ALTS = "|".join(sorted(_KIND, key=len, reverse=True))
# 【label】 anywhere; "label:" only where a new field can start (not inside a word).
_LABEL = re.compile(
    r"【\s*(" + _ALTS + r")\s*】\s*:?|(?<![\u4e00-\u9fff])(" + _ALTS + r")\s*:", re.MULTILINE
)
_VALUE_END = re.compile(r"[\n;。]")
_MULTILINE_KINDS = frozenset({"situation"})


@dataclass(slots=True)
class Labelled:
    """The values of the labelled fields of one post (first value of each kind wins)."""

    values: dict[str, str] = field(default_factory=dict)
    count: int = 0

    def get(self, kind: str) -> str | None:
        """Return the value of ``kind`` or None."""
        return self.values.get(kind) or None


def read_labels(text: str) -> Labelled:
    """Return the labelled fields of normalised ``text``."""
    found = Labelled()
    matches = list(_LABEL.finditer(text))
    for i, m in enumerate(matches):
        kind = _KIND[m.group(1) or m.group(2)]
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end() : end].strip()
        if kind not in _MULTILINE_KINDS:
            value = _VALUE_END.split(value, maxsplit=1)[0]
        value = value.strip(" ,:、\t")
        found.count += 1
        if value and kind not in found.values:
            found.values[kind] = value
    return found


def labelled_address(labels: Labelled) -> str | None:
    """Join city, district, community and address fields into one address, without repeats."""
    parts = [labels.get(k) for k in ("city", "district", "community", "address")]
    address = ""
    for part in filter(None, parts):
        part = re.split(r"[,!?]", part, maxsplit=1)[0].strip()
        stem = re.sub(r"(?:省|市|区|县)$", "", part)
        if stem and stem in address:
            continue
        # A later, fuller field ("郑州市金水区…") replaces the bare city ("郑州").
        short = re.sub(r"(?:省|市|区|县)$", "", address)
        address = part if short and part.startswith(short) else address + part
    return address or None


# --- spreadsheet rows --------------------------------------------------------------------
_ROW_SPLIT = re.compile(r"[,\t|]")
_BARE_COUNT = re.compile(r"(\d{1,3})\s*(?:人|个人|口)?")


@dataclass(frozen=True, slots=True)
class Row:
    """Fields of one pasted spreadsheet row."""

    name: str | None
    address: str | None
    people: int | None


def read_row(raw: str) -> Row | None:
    """Return the fields of ``raw`` when it is one pasted row (≥ 4 ASCII-separated cells)."""
    raw = raw.strip()
    # Prose uses the full-width comma; a pasted row uses ASCII commas, tabs or pipes.
    if "\n" in raw or len(_ROW_SPLIT.findall(raw)) < 3:
        return None
    cells = [normalise(c).strip() for c in _ROW_SPLIT.split(raw)]
    name = next((n for c in cells if c and (n := clean_name(c)) == c), None)
    # The address cell is the one that reads as an address, not a note that mentions 村.
    places = [c for c in cells if (found := find_address(c)) and len(found) * 2 >= len(c)]
    counts = [int(m.group(1)) for c in cells if (m := _BARE_COUNT.fullmatch(c))]
    return Row(
        name=name,
        address=max(places, key=len) if places else None,
        people=next((n for n in counts if 0 < n <= 500), None),
    )
