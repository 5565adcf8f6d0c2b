"""Indexing, refresh, ranking, AND→OR fallback, scope and PII — on a real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Organization
from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.errors import ForbiddenError, InvalidInputError
from zhengwu.search import indexer, service
from zhengwu.search.models import SearchDocument, SearchPosting
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.schemas import RequestIntake

ADMIN = Principal(role="admin", user_id=1, username="admin")


def _org(session: Session, name: str) -> Organization:
    org = Organization(name=name, level="市", sector="公安", adcode="320100")
    session.add(org)
    session.flush()
    return org


def _account(session: Session, uid: str, name: str, reason: str, org: Organization) -> Account:
    account = Account(platform="weibo", uid=uid, name=name, verified_reason=reason,
                      organization_id=org.id, is_government=True)  # fmt: skip
    session.add(account)
    session.flush()
    return account


def _request(session: Session, text: str, phone: str = "13912345678") -> str:
    category_service.ensure_default_tree(session)
    intake = RequestIntake.model_validate({
        "source": "form", "text": text, "adcode": "320102", "citizen_name": "李小红",
        "citizen_phone": phone, "submitted_at": datetime.now(UTC),
    })  # fmt: skip
    return desk_service.receive(session, intake=intake, actor=desk_service.SYSTEM).request.public_id


def test_accounts_are_indexed_and_refreshed_incrementally(session: Session) -> None:
    org = _org(session, "南京市公安局")
    first = _account(session, "1", "平安南京", "南京市公安局官方微博", org)
    assert indexer.refresh(session, ["accounts"]) == {"accounts": 1}
    assert indexer.refresh(session, ["accounts"]) == {"accounts": 0}  # nothing new
    found = service.search(session, ADMIN, "南京 公安局", kinds=["accounts"])
    assert [h.key for h in found.hits] == [str(first.id)]
    assert found.hits[0].url == f"/console/accounts/{first.id}"
    assert "<mark>" in found.hits[0].snippet_html

    second = _account(session, "2", "南京交警", "南京市公安局交通管理局", org)
    first.verified_reason = "南京市长江大桥管理处"  # a change: re-indexed, not duplicated
    first.updated_at = datetime.now(UTC)
    session.flush()
    assert indexer.refresh(session, ["accounts"]) == {"accounts": 2}
    assert indexer.stats(session)["accounts"] == 2
    bridge = service.search(session, ADMIN, "长江大桥", kinds=["accounts"])
    assert [h.key for h in bridge.hits] == [str(first.id)]
    assert service.search(session, ADMIN, "交通管理", kinds=["accounts"]).hits[0].key == str(
        second.id
    )
    # 市长 is not a word of 南京市长江大桥: the segmentation-aware index does not match it.
    assert service.search(session, ADMIN, "市长", kinds=["accounts"]).counts["accounts"] == 0


def test_ranking_prefers_title_and_frequency_and_boost(session: Session) -> None:
    indexer.index_document(session, kind="content", key="1", title="防汛 通知",
                           body="防汛防汛防汛，做好准备")  # fmt: skip
    indexer.index_document(session, kind="content", key="2", title="工作简报",
                           body="本周开展了防汛检查和其他工作，内容很多很多很多")  # fmt: skip
    indexer.index_document(session, kind="content", key="3", title="工作简报二",
                           body="本周开展了防汛检查和其他工作，内容很多很多很多", boost=1.5)  # fmt: skip
    found = service.search(session, ADMIN, "防汛", kinds=["content"])
    assert [h.key for h in found.hits] == ["1", "3", "2"]
    assert found.hits[0].score > found.hits[1].score > found.hits[2].score
    indexer.remove_document(session, kind="content", key="1")
    assert service.search(session, ADMIN, "防汛", kinds=["content"]).counts["content"] == 2
    assert session.scalar(select(func.count()).select_from(SearchPosting).where(
        SearchPosting.doc_id.not_in(select(SearchDocument.id)))) == 0  # fmt: skip


def test_and_first_then_or_fallback_is_announced(session: Session) -> None:
    indexer.index_document(session, kind="content", key="10", title="停水", body="明日停水通知")
    indexer.index_document(session, kind="content", key="11", title="停电", body="明日停电通知")
    both = service.search(session, ADMIN, "明日 通知", kinds=["content"])
    assert (both.mode, both.fallback, both.counts["content"]) == ("and", False, 2)
    either = service.search(session, ADMIN, "停水 停电", kinds=["content"])
    assert (either.mode, either.fallback, either.counts["content"]) == ("or", True, 2)
    assert either.note and "任一" in either.note
    none = service.search(session, ADMIN, "地震", kinds=["content"])
    assert none.counts["content"] == 0 and none.hits == []


def test_request_phone_and_name_are_never_matchable(session: Session) -> None:
    public_id = _request(session, "鼓楼区小区深夜施工噪音扰民，我叫李小红，电话13912345678")
    indexer.refresh(session, ["requests"])
    noise = service.search(session, ADMIN, "施工 噪音", kinds=["requests"])
    assert [h.key for h in noise.hits] == [public_id]
    assert noise.hits[0].url == f"/console/desk/{public_id}"
    assert "13912345678" not in noise.hits[0].snippet and "李小红" not in noise.hits[0].snippet
    for query in ("13912345678", "139", "5678", "1391234", "李小红"):
        assert service.search(session, ADMIN, query, kinds=["requests"]).counts == {
            "requests": 0
        }, query
    stored = session.scalars(select(SearchDocument.body)).all()
    assert all("13912345678" not in body for body in stored)


def test_scope_per_role(session: Session) -> None:
    org = _org(session, "鼓楼区住建局")
    _account(session, "9", "鼓楼住建", "鼓楼区住建局", org)
    _request(session, "鼓楼区路灯损坏无人维修")
    indexer.refresh(session)
    handler = Principal(role="handler", user_id=5, organization_id=org.id)
    dispatcher = Principal(role="dispatcher", user_id=6)
    assert service.search(session, ADMIN, "鼓楼").counts["requests"] == 1
    # The request is not routed to the handler's organisation: not counted, not shown.
    by_handler = service.search(session, handler, "鼓楼")
    assert by_handler.counts == {"accounts": 1, "requests": 0}
    assert all(h.kind == "accounts" for h in by_handler.hits)
    assert list(service.search(session, dispatcher, "鼓楼").counts) == ["accounts"]
    assert by_handler.note is None  # nothing asked that the role may not search
    # Kinds the role may not search are said, not answered with an empty list.
    posts = service.search(session, handler, "鼓楼", kinds=["posts", "requests", "posts"])
    assert posts.counts == {"requests": 0}
    assert posts.note == "承办人不能检索帖文（the handler role may not search posts）"
    both = service.search(session, dispatcher, "鼓楼", kinds=["requests", "posts"])
    assert both.counts == {} and both.note is not None
    assert both.note.startswith("救援调度不能检索诉求、帖文")
    with pytest.raises(ForbiddenError):
        service.search(session, PUBLIC, "鼓楼")


def test_bad_queries_are_refused_bilingually(session: Session) -> None:
    for query in ("", "   ", "长" * 101):
        with pytest.raises(InvalidInputError) as caught:
            service.search(session, ADMIN, query)
        assert caught.value.message_zh and caught.value.message_en != caught.value.message_zh
    with pytest.raises(InvalidInputError):
        service.search(session, ADMIN, "噪音", kinds=["nonsense"])
    punctuation = service.search(session, ADMIN, "，。！")
    assert punctuation.hits == [] and punctuation.note


def test_reindex_rebuilds_from_scratch(session: Session) -> None:
    org = _org(session, "玄武区政府")
    _account(session, "31", "玄武发布", "玄武区人民政府新闻办公室", org)
    indexer.refresh(session, ["accounts"])
    indexer.index_document(session, kind="accounts", key="999999", title="已删除的账号", body="")
    assert indexer.reindex(session, ["accounts"]) == {"accounts": 1}
    assert service.search(session, ADMIN, "删除", kinds=["accounts"]).counts["accounts"] == 0
    assert service.search(session, ADMIN, "玄武", kinds=["accounts"]).counts["accounts"] == 1


def test_content_hits_follow_the_library_access_rule(session: Session) -> None:
    from zhengwu.library.models import ContentItem

    mine, other = _org(session, "鼓楼区文旅局"), _org(session, "玄武区文旅局")
    items = {}
    for org in (mine, other):
        item = ContentItem(title=f"{org.name}汛期安全提示", body="汛期注意安全，远离河道",
                           kind="article", organization_id=org.id, visibility="organization",
                           created_by_name="t", updated_by_name="t")  # fmt: skip
        session.add(item)
        session.flush()
        items[org.id] = item.id
        indexer.index_document(session, kind="content", key=str(item.id), title=item.title,
                               body=item.body, organization_id=org.id)  # fmt: skip
    operator = Principal(role="operator", user_id=7, organization_id=mine.id)
    found = service.search(session, operator, "汛期 安全", kinds=["content"])
    assert [h.key for h in found.hits] == [str(items[mine.id])]
    assert found.hits[0].url == f"/console/library/{items[mine.id]}"
    assert service.search(session, ADMIN, "汛期", kinds=["content"]).counts["content"] == 2
    handler = Principal(role="handler", user_id=8, organization_id=mine.id)
    assert "content" not in service.search(session, handler, "汛期").counts


def test_refresh_in_limited_steps_leaves_the_rest_queued(session: Session) -> None:
    org = _org(session, "秦淮区政府")
    for uid in range(5):
        _account(session, f"q{uid}", f"秦淮发布{uid}", "秦淮区人民政府新闻办公室", org)
    assert indexer.refresh(session, ["accounts"], limit=2) == {"accounts": 2}
    assert indexer.pending(session, ["accounts"]) == {"accounts": 3}
    assert indexer.refresh(session, ["accounts"], limit=2) == {"accounts": 2}
    assert indexer.refresh(session, ["accounts"], limit=2) == {"accounts": 1}
    assert indexer.refresh(session, ["accounts"], limit=2) == {"accounts": 0}
    assert indexer.stats(session)["accounts"] == 5  # each indexed once, none twice
    assert indexer.pending(session, ["accounts"]) == {"accounts": 0}


def test_pending_counts_queued_changes_up_to_a_cap(session: Session) -> None:
    org = _org(session, "建邺区政府")
    first = _account(session, "j1", "建邺发布", "建邺区人民政府新闻办公室", org)
    _request(session, "建邺区小区路面积水")
    assert indexer.pending(session) == {"accounts": 1, "requests": 1}  # never refreshed
    indexer.refresh(session)
    assert indexer.pending(session) == {"accounts": 0, "requests": 0}
    for uid in range(3):
        _account(session, f"j{uid + 2}", f"建邺{uid}", "建邺区", org)
    first.name, first.updated_at = "建邺发布厅", datetime.now(UTC)  # a change counts too
    session.flush()
    assert indexer.pending(session, ["accounts"]) == {"accounts": 4}
    assert indexer.pending(session, ["accounts"], cap=2) == {"accounts": 2}


def test_changes_that_alter_no_document_queue_nothing(session: Session) -> None:
    org = _org(session, "鼓楼区政府")
    account = _account(session, "g1", "鼓楼发布", "鼓楼区人民政府新闻办公室", org)
    indexer.refresh(session)
    account.followers, account.updated_at = 120_000, datetime.now(UTC)  # every import does this
    session.flush()
    assert indexer.pending(session, ["accounts"]) == {"accounts": 0}
    account.verified_reason = "南京市鼓楼区人民政府新闻办公室"
    session.flush()
    assert indexer.pending(session, ["accounts"]) == {"accounts": 1}


def test_a_change_stamped_before_the_last_refresh_is_still_indexed(session: Session) -> None:
    # A replay on the desk's as-of clock (or a transaction that wrote early and committed
    # late) stamps a row before what the last refresh saw: a watermark on updated_at
    # skipped it for good; the queue does not look at the stamp.
    org = _org(session, "玄武区政府")
    _account(session, "x1", "玄武发布", "玄武区人民政府新闻办公室", org)
    assert indexer.refresh(session, ["accounts"]) == {"accounts": 1}
    late = Account(platform="weibo", uid="x2", name="玄武消防", verified_reason="玄武区消防救援大队",
                   organization_id=org.id, is_government=True,
                   updated_at=datetime(2020, 1, 1, tzinfo=UTC))  # fmt: skip
    session.add(late)
    session.flush()
    assert indexer.refresh(session, ["accounts"]) == {"accounts": 1}
    found = service.search(session, ADMIN, "玄武 消防", kinds=["accounts"])
    assert [h.key for h in found.hits] == [str(late.id)]


def test_renaming_an_organisation_in_sql_requeues_its_accounts(session: Session) -> None:
    org = _org(session, "雨花台区政府")
    accounts = [_account(session, f"y{i}", f"雨花发布{i}", "区政府新闻办", org) for i in range(3)]
    other = _account(session, "z1", "栖霞发布", "区政府新闻办", _org(session, "栖霞区政府"))
    indexer.refresh(session)
    # However the rename is made (the console, the org list import, psql), a trigger queues
    # the body's accounts: their documents carry its name.
    session.execute(text("UPDATE organizations SET name = '雨花台区人民政府' WHERE id = :id"),
                    {"id": org.id})  # fmt: skip
    assert indexer.pending(session, ["accounts"]) == {"accounts": 3}
    assert indexer.refresh(session, ["accounts"]) == {"accounts": 3}
    found = service.search(session, ADMIN, "雨花台区人民政府", kinds=["accounts"])
    assert sorted(h.key for h in found.hits) == sorted(str(a.id) for a in accounts)
    assert str(other.id) not in {h.key for h in found.hits}


def test_a_row_deleted_outside_the_application_leaves_the_index(session: Session) -> None:
    org = _org(session, "六合区政府")
    gone = _account(session, "l1", "六合发布", "六合区人民政府新闻办公室", org)
    kept = _account(session, "l2", "六合公安", "六合区公安分局", org)
    indexer.refresh(session)
    assert indexer.stats(session)["accounts"] == 2
    session.execute(text("DELETE FROM accounts WHERE id = :id"), {"id": gone.id})
    indexer.refresh(session)
    assert indexer.stats(session)["accounts"] == 1
    found = service.search(session, ADMIN, "六合", kinds=["accounts"])
    assert [h.key for h in found.hits] == [str(kept.id)]


def test_a_transaction_committed_after_a_refresh_is_indexed(committed_engine: Engine) -> None:
    """The write of a long transaction (an import) is indexed whenever it commits.

    PostgreSQL: the import writes (stamped now) and keeps its transaction open while another
    change commits and the refresh runs; then it commits. SQLite has one writer at a time, so
    there the late row is written after the refresh with an earlier stamp. The watermark of
    before skipped the late row in both orders.
    """
    postgres = committed_engine.dialect.name == "postgresql"
    with Session(committed_engine) as setup:
        org = _org(setup, "江宁区政府")
        org_id = org.id
        setup.commit()
    stamp = datetime.now(UTC)

    def add(s: Session, uid: str, name: str, at: datetime) -> None:
        s.add(Account(platform="weibo", uid=uid, name=name, verified_reason="江宁区",
                      organization_id=org_id, is_government=True, updated_at=at))  # fmt: skip
        s.flush()

    with Session(committed_engine) as slow:
        if postgres:
            add(slow, "slow", "江宁水务", stamp)  # written first, committed last
        with Session(committed_engine) as quick:
            add(quick, "quick", "江宁交警", stamp.replace(year=stamp.year + 1))
            quick.commit()
        with Session(committed_engine) as worker:
            assert indexer.refresh(worker, ["accounts"]) == {"accounts": 1}
            worker.commit()
        if not postgres:
            add(slow, "slow", "江宁水务", stamp)
        slow.commit()
    with Session(committed_engine) as worker:
        assert indexer.pending(worker, ["accounts"]) == {"accounts": 1}
        assert indexer.refresh(worker, ["accounts"]) == {"accounts": 1}
        worker.commit()
        names = {h.title for h in service.search(worker, ADMIN, "江宁", kinds=["accounts"]).hits}
    assert names == {"江宁水务", "江宁交警"}


def test_results_say_when_the_index_is_behind(session: Session) -> None:
    org = _org(session, "栖霞区政府")
    _account(session, "x1", "栖霞发布", "栖霞区人民政府新闻办公室", org)
    _request(session, "栖霞区道路施工噪音")
    behind = service.search(session, ADMIN, "栖霞")
    assert behind.counts["accounts"] == 0
    assert behind.stale == {"accounts": 1, "requests": 1}
    assert behind.stale_note and "1 个账号" in behind.stale_note and "1 条诉求" in behind.stale_note
    assert "1 accounts and 1 requests" in behind.stale_note
    # A dispatcher cannot search requests: only the accounts are counted for it.
    dispatcher = Principal(role="dispatcher", user_id=6)
    assert service.search(session, dispatcher, "栖霞").stale == {"accounts": 1}
    assert service.search(session, ADMIN, "栖霞", kinds=["requests"]).stale == {"requests": 1}
    assert service.search(session, ADMIN, "栖霞", kinds=["content"]).stale == {}
    indexer.refresh(session)
    current = service.search(session, ADMIN, "栖霞")
    assert current.counts["accounts"] == 1
    assert (current.stale, current.stale_note) == ({}, None)
    assert service.lag_note({"requests": indexer.PENDING_CAP}) is not None
    assert "10,000+" in (service.lag_note({"requests": indexer.PENDING_CAP}) or "")


def test_hits_link_only_to_pages_the_role_may_open(session: Session) -> None:
    """An account's page for the accounts the role may read (console 账号 roles only), else
    the post's own address on its platform, else no link — for post and account hits."""
    from zhengwu.accounts.models import Matrix, MatrixMember
    from zhengwu.content import store

    mine_org, other_org = _org(session, "鼓楼区公安分局"), _org(session, "玄武区公安分局")
    mine = _account(session, "u-mine", "平安鼓楼", "鼓楼区公安分局", mine_org)
    other = _account(session, "u-other", "平安玄武", "玄武区公安分局", other_org)
    matrix = Matrix(name="鼓楼矩阵", kind="regional", adcode="320106")
    session.add(matrix)
    session.flush()
    session.add(MatrixMember(matrix_id=matrix.id, account_id=mine.id, role="lead"))
    session.flush()
    indexer.refresh(session, ["accounts"])
    with store.open_store() as con:
        con.executemany(
            "INSERT INTO posts (platform, post_id, account_uid, created_at, text, url) "
            "VALUES ('weibo', ?, ?, ?, ?, ?)",
            [("p1", "u-mine", datetime(2025, 7, 1, 2), "公安分局夜巡提示", None),
             ("p2", "u-other", datetime(2025, 7, 1, 3), "公安分局防诈提示",
              "https://weibo.com/u-other/p2"),
             ("p3", "u-unknown", datetime(2025, 7, 1, 4), "公安分局值班提示", None)],
        )  # fmt: skip
    mine_page, other_page = f"/console/accounts/{mine.id}", f"/console/accounts/{other.id}"
    operator = Principal(role="operator", user_id=7, organization_id=mine_org.id)
    office = Principal(role="matrix_office", user_id=8, matrix_id=matrix.id)
    handler = Principal(role="handler", user_id=9, organization_id=mine_org.id)
    expected = {  # role → (post links by post id, account links by account name)
        "admin": ({"p1": mine_page, "p2": other_page, "p3": None},
                  {"平安鼓楼": mine_page, "平安玄武": other_page}),
        "operator": ({"p1": mine_page, "p2": "https://weibo.com/u-other/p2", "p3": None},
                     {"平安鼓楼": mine_page, "平安玄武": None}),
        "matrix_office": ({"p1": mine_page, "p2": "https://weibo.com/u-other/p2", "p3": None},
                          {"平安鼓楼": mine_page, "平安玄武": None}),
        # A handler opens no account page (and searches no posts).
        "handler": (None, {"平安鼓楼": None, "平安玄武": None}),
    }  # fmt: skip
    for principal in (ADMIN, operator, office, handler):
        post_links, account_links = expected[principal.role]
        found = service.search(session, principal, "公安分局", post_days=None)
        posts = {h.key.split(":")[1]: h.url for h in found.hits if h.kind == "posts"}
        accounts = {h.title: h.url for h in found.hits if h.kind == "accounts"}
        assert (posts or None, accounts) == (post_links, account_links), principal.role


def test_account_page_roles_are_the_consoles() -> None:
    from zhengwu.search.access import ACCOUNT_PAGE_ROLES
    from zhengwu.web.console.base import AREA_ROLES

    assert set(ACCOUNT_PAGE_ROLES) == set(AREA_ROLES["accounts"])
