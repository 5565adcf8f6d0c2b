"""Weibo handles in free text: every one masked but the government accounts' (``keep``), which
are recognised however they are written — case, full-width forms, a dash after — while a
handle that only contains a government name stays masked."""

from __future__ import annotations

import pytest

from zhengwu.privacy.handles import handle_key, handle_names, handles, mask_handles

GOVERNMENT = ("深圳交警", "平安北京", "CCTV新闻", "SZ交警", "12345郑州")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # A government account as written in its table, and with what follows a handle.
        ("@深圳交警:路口信号灯坏了", "@深圳交警:路口信号灯坏了"),
        ("@深圳交警：路口信号灯坏了", "@深圳交警：路口信号灯坏了"),
        ("@平安北京 ：有人打架", "@平安北京 ：有人打架"),
        ("//@平安北京:转发", "//@平安北京:转发"),
        # Written another way: case, full-width letters, digits and at sign, a dash after.
        ("@cctv新闻 请关注", "@cctv新闻 请关注"),
        ("@Cctv新闻：请关注", "@Cctv新闻：请关注"),
        ("@ＳＺ交警 路口拥堵", "@ＳＺ交警 路口拥堵"),
        ("@sz交警", "@sz交警"),
        ("＠平安北京 有人打架", "＠平安北京 有人打架"),
        ("@１２３４５郑州 投诉", "@１２３４５郑州 投诉"),
        ("@平安北京- 请处理", "@平安北京- 请处理"),
        ("@平安北京—请处理", "@平安北京—请处理"),
        # Run into the words addressed to it, no space between: the handle reads on, but
        # the government name before those words is kept, the words with it.
        ("@平安北京请处理一下", "@平安北京请处理一下"),
        ("@平安北京请 路口有人打架", "@平安北京请 路口有人打架"),
        ("@深圳交警麻烦管管这个路口", "@深圳交警麻烦管管这个路口"),
        ("//@平安北京:转发 ＠cctv新闻你好，", "//@平安北京:转发 ＠cctv新闻你好，"),
        ("@平安北京在2017年发布", "@平安北京在2017年发布"),
        # … a citizen's handle is masked up to the first word that opens a request to
        # them (rules 10: the words after it stay, as after a government name) …
        ("@吃面的老李头请处理 @李娜你好", "@＊＊＊请处理 @＊＊＊你好"),
        ("@张三丰请帮忙看看，谢谢", "@＊＊＊请帮忙看看，谢谢"),
        ("//@小李在新乡:转发 ＠雨夜小鹿麻烦管管", "//@＊＊＊:转发 @＊＊＊麻烦管管"),
        # … but not at a word a nickname holds as often (在 看看 怎么 已经 …): the handle
        # is masked to the next space, words and all, and a word at the handle's start
        # (@请叫我小明, @你好小明) is the nickname's.
        ("@小明在路上请处理", "@＊＊＊请处理"),
        ("@看看世界在2017年 @请叫我小明 @你好小明", "@＊＊＊ @＊＊＊ @＊＊＊"),
        # Citizens: masked, also with a full-width at sign, and when their handle only
        # contains a government name (an impersonation, a fan, a longer name).
        ("＠吃面的老李头 快看", "@＊＊＊ 快看"),
        ("//＠雨夜小鹿2021：转发", "//@＊＊＊：转发"),
        ("@平安北京求助 @我爱平安北京 @平安北京的粉丝", "@＊＊＊ @＊＊＊ @＊＊＊"),
        ("@平安北京在线 @平安北京粉丝团", "@＊＊＊ @＊＊＊"),
        ("@深圳交警2 @cctv新闻网", "@＊＊＊ @＊＊＊"),
        ("@平安北京_ 请处理", "@＊＊＊ 请处理"),  # _ is a nickname's character, not punctuation
        # No handles: an e-mail (also in full-width letters) and a lone at sign.
        ("邮箱 zhang.san@qq.com", "邮箱 zhang.san@qq.com"),
        ("邮箱 ｚｈａｎｇ＠qq.com", "邮箱 ｚｈａｎｇ＠qq.com"),
        ("价格 @ 5元", "价格 @ 5元"),
    ],
)
def test_government_handles_are_recognised_however_written(text: str, masked: str) -> None:
    assert mask_handles(text, keep=GOVERNMENT) == masked


def test_a_handle_key_ignores_case_width_and_a_trailing_dash_not_the_name() -> None:
    assert handle_key("ＳＺ交警") == handle_key("sz交警") == handle_key("SZ交警-")
    assert handle_key("@平安北京") == handle_key(" 平安北京 ") == handle_key("平安北京")
    assert handle_key("平安北京_") != handle_key("平安北京")
    assert handle_key("平安北京2") != handle_key("平安北京")


def test_a_handle_names_itself_and_the_name_before_words_addressed_to_it() -> None:
    assert handle_names("广州发布请处理") == ["广州发布请处理", "广州发布"]
    assert handle_names("平安北京求助") == ["平安北京求助"]
    assert handle_names("请") == ["请"]  # no name before the word


def test_handles_are_found_with_a_full_width_at_sign_as_written() -> None:
    assert handles("//＠雨夜小鹿：转发 @Ｌｉ_Ming") == {"雨夜小鹿", "Ｌｉ_Ming"}
    assert mask_handles("no handle here") == "no handle here"
