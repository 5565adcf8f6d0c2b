"""Which handles name a government account (``masking.officials``): the account's name
however a text writes it — its case, full-width forms, a dash after — never a citizen's
handle that only contains it, nor a citizen's account of the same table (SQLite and
PostgreSQL)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account
from zhengwu.servicedesk import masking

from .conftest import World


def test_a_government_account_is_recognised_however_its_handle_is_written(
    session: Session, world: World
) -> None:
    session.add_all([
        Account(platform="weibo", uid="9201", name="CCTV新闻", is_government=True),
        Account(platform="weibo", uid="9202", name="深圳交警", is_government=True),
        Account(platform="weibo", uid="9203", name="Li_Ming-88", is_government=False),
    ])  # fmt: skip
    session.flush()
    texts = [
        "@平安郑州：路灯坏了 @cctv新闻 ＠ＣＣＴＶ新闻 @深圳交警:看看",
        "//@平安郑州-转发 @深圳交警- 请处理 ＠平安郑州 @金水住建",
        # Citizens: their own accounts, and handles that only contain a government name.
        "@Li_Ming-88 @li_ming-88 @平安郑州求助 @我爱平安郑州 @深圳交警2 @cctv新闻网",
        None,
    ]
    assert masking.officials(session, texts) == {
        "平安郑州", "cctv新闻", "ＣＣＴＶ新闻", "深圳交警", "深圳交警-", "金水住建",
    }  # fmt: skip
    assert masking.officials(session, ["没有提到任何账号", None]) == frozenset()
    # Run into the words addressed to it (no space): the name before them; a citizen's
    # handle run into them, or one that only contains the name, names no account.
    texts = ["@金水住建请处理一下 @Cctv新闻你好 @张三请处理 @平安郑州的粉丝 @平安郑州求助"]
    assert masking.officials(session, texts) == {"金水住建", "Cctv新闻"}


def test_a_name_of_mixed_case_is_recognised_in_any_case(session: Session, world: World) -> None:
    session.add_all([
        Account(platform="weibo", uid="9211", name="iZhengzhou", is_government=True),
        Account(platform="weibo", uid="9212", name="ZhengZhou发布", is_government=True),
        Account(platform="weibo", uid="9213", name="xiaoLi_Home", is_government=False),
    ])  # fmt: skip
    session.flush()
    texts = ["@izhengzhou @IZHENGZHOU ＠ＩＺｈｅｎｇｚｈｏｕ @zhengzhou发布请回复 @iZhengzhou",
             "@xiaoli_home @iZhengzhou2 @izhengzhou_"]  # fmt: skip
    assert masking.officials(session, texts) == {
        "izhengzhou", "IZHENGZHOU", "ＩＺｈｅｎｇｚｈｏｕ", "zhengzhou发布", "iZhengzhou",
    }  # fmt: skip


def test_many_handles_are_looked_up_in_parts(session: Session, world: World) -> None:
    # A re-masking batch of posts: thousands of citizens' handles, each looked up in four
    # forms (Fan7x, fan7x, FAN7X), more than one statement may take.
    texts = [f"//@Fan{n}x:转发 @金水住建 ＠平安郑州" for n in range(3000)]
    assert masking.officials(session, texts) == {"金水住建", "平安郑州"}
