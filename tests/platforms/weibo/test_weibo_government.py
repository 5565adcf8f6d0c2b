"""Government-account detection (政务号识别) on realistic Weibo names and verified reasons."""

from __future__ import annotations

import pytest

from zhengwu.platforms.government import is_government_account, names_government_body


@pytest.mark.parametrize(
    ("verified_type", "reason", "name"),
    [
        (1, "广东省政法委、省平安办、省综治办、省维稳办官方微博", "广东政法"),
        (1, "北京市公安局官方微博", "平安北京"),
        (1, "北京市人民政府新闻办公室官方微博", "北京发布"),
        (1, "中国气象局官方微博", "中国气象局"),
        (1, None, None),  # type 1 is government by definition
        (7, "北京市公安局官方微博", "平安北京"),
        (7, "深圳市龙华区观湖街道办事处官方微博", "观湖街道"),
        (7, "共青团中央官方微博", "共青团中央"),
        (7, "成都市公安局交通管理局官方微博", "成都交警"),
        (7, None, "上海发布"),
        (7, None, "广东政法"),
        (7, "应急管理部消防救援局官方微博", "中国消防"),
        (7, "杭州市西湖区人民政府官方微博", "西湖发布"),
    ],
)
def test_government_accounts_are_detected(
    verified_type: int, reason: str | None, name: str | None
) -> None:
    assert is_government_account(verified_type, reason, name)


@pytest.mark.parametrize(
    ("verified_type", "reason", "name"),
    [
        (7, "新浪天气通官方微博", "天气通"),  # description mentions 北京防汛办: not used
        (7, "北京新浪互联信息服务有限公司", "天气通"),
        (7, "某某办公家具有限公司", "某某办公家具"),
        (7, "北京某某办公用品有限公司官方微博", "办公用品商城"),
        (7, "某某明星新闻发布会后援会", "某某发布会"),
        (7, "杭州某某餐厅官方微博", "某某餐厅"),
        (7, "乌镇旅游股份有限公司官方微博", "乌镇"),
        (7, "平安银行官方微博", "平安银行"),
        (7, None, None),
        (3, "中央广播电视总台央视新闻官方微博", "央视新闻"),  # media, not government
        (2, "北京市公安局官方微博", "平安北京"),  # only 1 and 7 are looked at
        (0, None, "北京发布"),
        (-1, None, "北京公安局粉丝"),
        (None, "北京市公安局官方微博", "平安北京"),
    ],
)
def test_non_government_accounts_are_rejected(
    verified_type: int | None, reason: str | None, name: str | None
) -> None:
    assert not is_government_account(verified_type, reason, name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("平安北京", True),
        ("平安中国", True),
        ("北京发布", True),
        ("江苏公安", True),
        ("浙江网警", True),
        ("中国气象局", True),
        ("成都交警", True),
        ("平安好医生", False),
        ("平安普惠", False),
        ("中国平安", False),
        ("央视新闻", False),
        ("天气通", False),
        ("某某办公家具有限公司", False),
        ("小米手机", False),
    ],
)
def test_blue_v_search_accounts_by_name(name: str, expected: bool) -> None:
    """weibo-search 蓝V rows carry a name only."""
    assert is_government_account(None, None, name, institutional=True) is expected


def test_yellow_v_is_never_government() -> None:
    assert not is_government_account(None, None, "平安北京", institutional=False)


def test_strong_marker_wins_over_company_words() -> None:
    assert names_government_body("某某区人民政府与某某集团战略合作")
    assert not names_government_body("某某集团")
    assert not names_government_body("")
    assert not names_government_body(None)
