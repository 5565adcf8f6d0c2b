"""StatusConverter's author paths: uncached decoding, facts without a second cache."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import msgspec
import orjson
import pytest

from zhengwu.platforms.records import AccountRecord
from zhengwu.platforms.timeparse import CHINA_TZ
from zhengwu.platforms.weibo.records import (
    AccountFacts,
    RecordError,
    StatusConverter,
    account_facts,
)

OBSERVED = datetime(2025, 7, 1, 4, 0, tzinfo=UTC)
USER = {
    "id": 2176235777, "idstr": "2176235777", "screen_name": "广东政法", "name": "广东政法",
    "province": "44", "city": "1", "location": "广东 广州", "followers_count": 1200000,
    "friends_count": 300, "statuses_count": 50000, "verified": True, "verified_type": 7,
    "verified_reason": "广东省政法委官方微博", "created_at": "Mon Jun 13 09:37:44 +0800 2011",
    "description": "政法", "extra": {"nested": [1, 2]},
}  # fmt: skip


def test_decode_author_matches_author_and_keeps_no_bytes() -> None:
    raw = orjson.dumps(USER)
    cached = StatusConverter(html=False, observed_at=OBSERVED)
    fresh = StatusConverter(html=False, observed_at=OBSERVED)
    uid, record = fresh.decode_author(raw)
    assert (uid, record) == cached.author(raw)
    assert fresh.decode_author(raw.decode()) == (uid, record)  # str as well as bytes
    assert fresh._raw_authors == {}
    assert record is not None
    assert (record.uid, record.is_government, record.adcode) == ("2176235777", True, "440100")
    assert record.created_at == datetime(2011, 6, 13, 9, 37, 44, tzinfo=CHINA_TZ)
    assert (record.followers, record.friends, record.statuses) == (1200000, 300, 50000)
    assert record.observed_at == OBSERVED


def test_decode_author_raises_on_an_invalid_user() -> None:
    conv = StatusConverter(html=False)
    with pytest.raises(msgspec.ValidationError):
        conv.decode_author(orjson.dumps({**USER, "followers_count": -1}))
    with pytest.raises(msgspec.DecodeError):
        conv.decode_author(b'{"id": 1,')
    assert conv.decode_author(b'{"screen_name": "x"}') == (None, None)  # no id: no account
    uid, record = conv.decode_author(b'{"id": 1}')  # no name: an account of unknown name
    assert uid == "1" and record is not None and record.name == ""


def test_a_cached_profile_gives_the_same_account_as_a_fresh_one() -> None:
    conv = StatusConverter(html=False)
    first = conv.decode_author(orjson.dumps(USER))[1]
    # Same profile, other counts: the facts come from the profile cache.
    again = conv.decode_author(orjson.dumps({**USER, "followers_count": 5}))[1]
    assert first is not None
    assert again is not None
    assert msgspec.structs.replace(again, followers=first.followers) == first
    assert again.followers == 5


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"name": "北京发布", "verified_type": 1, "verified_reason": None}, (True, None, None)),
        ({"name": "乌镇", "verified_type": 7, "verified_reason": "乌镇旅游股份有限公司"},
         (False, None, None)),
        ({"name": "平安北京", "verified_type": None, "verified_reason": None,
          "institutional": True}, (True, None, None)),
        ({"name": "x", "verified_type": -1, "verified_reason": None, "province": "44",
          "city": "1", "location": "海外 美国"}, (False, "440000", None)),
        ({"name": "x", "verified_type": -1, "verified_reason": None, "location": "北京 朝阳区",
          "created_at": "2019-12-28 12:00:00"},
         (False, "110105", datetime(2019, 12, 28, 12, 0, tzinfo=CHINA_TZ))),
        ({"name": "x", "verified_type": -1, "verified_reason": None, "created_at": ""},
         (False, None, None)),
    ],
)  # fmt: skip
def test_account_facts_match_the_cached_facts(
    kwargs: dict[str, object], expected: tuple[object, ...]
) -> None:
    facts = account_facts(**kwargs)  # type: ignore[arg-type]
    assert facts == expected
    assert AccountFacts().get(uid="1", **kwargs) == facts  # type: ignore[arg-type]


def test_account_facts_reject_an_impossible_date() -> None:
    with pytest.raises(RecordError, match="created_at"):
        account_facts(name="x", verified_type=None, verified_reason=None,
                      created_at="Fri Feb 30 23:47:24 +0800 2017")  # fmt: skip


def test_account_records_are_not_tracked_by_the_garbage_collector() -> None:
    record = AccountRecord(platform="weibo", uid="1", name="x", created_at=OBSERVED)
    assert not gc.is_tracked(record)
