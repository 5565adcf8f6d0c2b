"""Property tests: malformed input to every Weibo importer never raises and loses nothing.

Each file mixes one valid record with random junk (JSON values, mutated records,
truncated lines, random bytes, GBK text; random CSV cells, GBK rows, long rows). The
importer must yield exactly one item per input record, and every quarantine must say
where and why.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import RAW_CHARS, split_ranges
from zhengwu.ingest.registry import Importer, ImportItem, formats, get_importer
from zhengwu.platforms.records import QuarantineRecord

# Keys that make one JSON object stand for several records (wrappers, responses, cards).
_WRAPPER_KEYS = {"statuses", "reposts", "users", "ok", "data", "cards", "card_group"}
_WRAPPER_KEYS |= {"card_type", "mblog", "userInfo"}
_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

STATUS: dict[str, Any] = {
    "created_at": "Sun Jul 30 09:12:40 +0800 2023",
    "id": 4929003466384131,
    "idstr": "4929003466384131",
    "text": "#北京暴雨# 请注意安全 @北京发布",
    "source": '<a href="http://app.weibo.com/t/feed/6vtZb0">微博 weibo.com</a>',
    "user": {
        "id": 1288915263,
        "idstr": "1288915263",
        "screen_name": "平安北京",
        "province": "11",
        "city": "1000",
        "location": "北京",
        "followers_count": 11983746,
        "verified_type": 1,
        "verified_reason": "北京市公安局官方微博",
        "created_at": "Wed Jul 28 16:48:03 +0800 2010",
    },
    "retweeted_status": {
        "created_at": "Sun Jul 30 08:30:00 +0800 2023",
        "id": 4929002890287147,
        "text": "北京启动防汛一级应急响应",
        "user": {"id": 2418542712, "screen_name": "北京发布", "verified_type": 1},
    },
    "reposts_count": 312,
    "comments_count": 88,
    "attitudes_count": 1502,
    "region_name": "发布于 北京",
    "page_info": {"type": "video", "play_count": "1.2万次播放"},
}
_PATHS = (
    [(k,) for k in STATUS if k not in {"user", "retweeted_status", "page_info"}]
    + [("user", k) for k in STATUS["user"]]
    + [("retweeted_status", k) for k in STATUS["retweeted_status"]]
    + [("user",), ("retweeted_status",), ("page_info",), ("page_info", "play_count")]
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
# Keys are a named strategy: a filter lambda inside `extend` makes Hypothesis warn
# (spuriously) that `extend` ignores its argument, and warnings are errors here.
_keys = st.text(max_size=8).filter(lambda k: k not in _WRAPPER_KEYS)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=12,
)
naughty = (
    st.integers(min_value=-(2**63), max_value=-1)
    | st.sampled_from(["-1", "很多", "1.2万", "100万+", "", "abc", "13-45", "刚刚"])
    | json_values
)


@st.composite
def mutated_status(draw: st.DrawFn) -> bytes:
    """A valid status with one field replaced by a negative, wrong-typed or random value."""
    status = orjson.loads(orjson.dumps(STATUS))
    path = draw(st.sampled_from(_PATHS))
    target = status
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = draw(naughty)
    return orjson.dumps(status)


@st.composite
def truncated_status(draw: st.DrawFn) -> bytes:
    """A valid status line cut short."""
    line = orjson.dumps(STATUS)
    return line[: draw(st.integers(min_value=1, max_value=len(line) - 1))]


gbk_lines = st.sampled_from(["北京暴雨", "平安北京", "广东政法"]).map(
    lambda name: orjson.dumps({**STATUS, "text": name}).decode().encode("gbk")
)
random_bytes = st.binary(min_size=1, max_size=60).filter(
    lambda b: b"\n" not in b and bool(b.strip())
)


def _expected(line: bytes) -> int:
    """One item per record: a JSON list on a line holds one record per element."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return 1
    return len(value) if isinstance(value, list) else 1


json_lines = st.lists(
    json_values.map(orjson.dumps)
    | mutated_status()
    | truncated_status()
    | gbk_lines
    | random_bytes,
    min_size=1,
    max_size=12,
)


def _check(items: list[ImportItem], expected: int, path: Path) -> None:
    assert len(items) == expected
    for item in items:
        if isinstance(item.primary, QuarantineRecord):
            assert item.primary.source.startswith(f"{path}:")
            assert item.primary.reason
            assert item.primary.raw is None or len(item.primary.raw) <= RAW_CHARS


def _json_property(name: str, first: bytes, lines: list[bytes]) -> None:
    importer: Importer = get_importer(name)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "junk.jsonl"
        path.write_bytes(b"\n".join([first, *lines]) + b"\n")
        items = list(importer.read(path))
        _check(items, 1 + sum(_expected(line) for line in lines), path)
        assert not isinstance(items[0].primary, QuarantineRecord)
        pieces = [
            i for r in split_ranges(path, 3, min_bytes=1) for i in importer.read(path, byte_range=r)
        ]
        assert [p.primary for p in pieces] == [i.primary for i in items]


@_SETTINGS
@given(json_lines)
def test_weibo_api_survives_junk(lines: list[bytes]) -> None:
    _json_property("weibo-api", orjson.dumps(STATUS), lines)


@_SETTINGS
@given(json_lines)
def test_weibo_mblog_survives_junk(lines: list[bytes]) -> None:
    mblog = {**STATUS, "created_at": "5分钟前", "text": "<a href='/n/北京发布'>@北京发布</a>"}
    _json_property("weibo-mblog", orjson.dumps(mblog), lines)


# --- CSV ----------------------------------------------------------------------------

cells = st.text(max_size=12) | st.sampled_from(["-1", "1.2万", "2020-02-30", "2023-07-30"])


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@st.composite
def csv_rows(draw: st.DrawFn, width: int) -> tuple[list[bytes], int]:
    """Rows of random cells (some too long, some GBK) and how many records they hold."""
    chunks: list[bytes] = []
    count = 0
    for _ in range(draw(st.integers(min_value=0, max_value=10))):
        kind = draw(st.sampled_from(["cells", "gbk", "long"]))
        if kind == "gbk":
            chunks.append("4929003466384131,北京暴雨,平安北京\r\n".encode("gbk"))
            count += 1
            continue
        size = width + 3 if kind == "long" else draw(st.integers(min_value=1, max_value=width))
        row = draw(st.lists(cells, min_size=size, max_size=size))
        chunks.append(_csv_bytes([], [row]))
        count += any(cell.strip() for cell in row)
    return chunks, count


HEADERS: dict[str, list[list[str]]] = {
    "weibo-crawler-csv": [
        ["id", "bid", "正文", "日期", "点赞数", "评论数", "转发数", "话题", "@用户", "完整日期",
         "是否原创", "源用户id", "源用户昵称", "源微博id", "源微博正文", "源微博完整日期"],
        ["用户id", "昵称", "所在地", "注册时间", "微博数", "粉丝数", "关注数", "认证类型", "认证信息"],
    ],
    "weibo-search-csv": [
        ["id", "bid", "user_id", "用户昵称", "微博正文", "话题", "转发数", "评论数", "点赞数",
         "发布时间", "retweet_id", "ip", "user_authentication"],
    ],
    "weibospider-csv": [
        ["微博id", "微博正文", "是否为原创微博", "发布位置", "发布时间", "点赞数", "转发数", "评论数"],
    ],
    "weibo-cov-csv": [
        ["_id", "user_id", "crawl_time", "created_at", "like_num", "repost_num", "comment_num",
         "content", "origin_weibo", "geo_info"],
        ["user_id", "gender", "province", "city", "birthday", "fans_num", "vip_level", "crawl_time"],
    ],
}  # fmt: skip
CSV_CASES = [(name, header) for name, headers in HEADERS.items() for header in headers]


@st.composite
def csv_case(draw: st.DrawFn) -> tuple[str, list[str], list[bytes], int]:
    """An importer, one of its headers, random rows and the number of records."""
    name, header = draw(st.sampled_from(CSV_CASES))
    rows, count = draw(csv_rows(len(header)))
    return name, header, rows, count


@_SETTINGS
@given(csv_case())
def test_csv_importers_survive_junk(case: tuple[str, list[str], list[bytes], int]) -> None:
    name, header, rows, count = case
    importer = get_importer(name)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "weibo" / "平安北京" / "1288915263.csv"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"\xef\xbb\xbf" + _csv_bytes(header, []) + b"".join(rows))
        text = [r for r in [_csv_bytes(header, []), *rows] if _is_utf8(r)]
        if len(text) < len(rows) + 1 and all(r.isascii() for r in text):
            # GBK rows and no other non-ASCII text (an ASCII header): GBK as a whole.
            with pytest.raises(InvalidInputError, match="GBK"):
                list(importer.read(path))
            return
        _check(list(importer.read(path)), count, path)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_every_weibo_importer_is_covered() -> None:
    """The properties above run on each of the six Weibo formats."""
    covered = {"weibo-api", "weibo-mblog", *HEADERS}
    assert covered == {
        "weibo-api",
        "weibo-mblog",
        "weibo-crawler-csv",
        "weibo-search-csv",
        "weibospider-csv",
        "weibo-cov-csv",
    }
    assert covered <= set(formats())
