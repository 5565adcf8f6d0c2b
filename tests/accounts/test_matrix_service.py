"""Matrix management services: create, move (no cycles), delete, members, CSV import, audit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from tests.ingest.test_workbook_limits import bomb_workbook

from zhengwu.accounts import service
from zhengwu.accounts.models import Account, Matrix, MatrixMember
from zhengwu.audit import service as audit
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.models import User
from zhengwu.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from zhengwu.ingest.models import ImportRun, QuarantineEntry

from .test_access import World, build_world


@pytest.fixture
def world(session: Session) -> World:
    """The access tests' world inside the rolled-back test transaction."""
    return build_world(session)


def _matrix(session: Session, world: World, key: str) -> Matrix:
    found = session.get(Matrix, world.matrices[key])
    assert found is not None
    return found


def _account(session: Session, world: World, key: str) -> Account:
    found = session.get(Account, world.accounts[key])
    assert found is not None
    return found


def _members(session: Session, matrix: Matrix) -> dict[str, str]:
    return {a.name: role for a, role in service.matrix_members(session, matrix)}


def test_create_rename_and_move_are_audited(session: Session, world: World) -> None:
    office = world.principals["office"]
    zz = _matrix(session, world, "zz")
    sub = service.create_matrix(session, name="  金水区 政务矩阵 ", kind="regional", parent=zz,
                                actor=office, adcode="410105")  # fmt: skip
    assert (sub.name, sub.parent_id, sub.adcode) == ("金水区 政务矩阵", zz.id, "410105")
    changes = service.update_matrix(session, matrix=sub, actor=office, name="金水区矩阵",
                                    move=True, parent=_matrix(session, world, "zz_police"))  # fmt: skip
    assert changes == {"name": ["金水区 政务矩阵", "金水区矩阵"],
                       "parent_id": [zz.id, world.matrices["zz_police"]]}  # fmt: skip
    trail = audit.history(session, entity_type="matrix", entity_id=sub.id)
    assert [e.action for e in trail] == ["create", "move"]
    assert trail[0].actor_name == "用户office"
    assert trail[1].data == {"name": ["金水区 政务矩阵", "金水区矩阵"],
                             "parent_id": [zz.id, world.matrices["zz_police"]]}  # fmt: skip
    # Nothing changed: nothing audited.
    assert service.update_matrix(session, matrix=sub, actor=office, name="金水区矩阵") == {}
    assert len(audit.history(session, entity_type="matrix", entity_id=sub.id)) == 2


@pytest.mark.parametrize(
    ("name", "kind", "adcode", "sector", "error"),
    [("", "regional", None, None, InvalidInputError),
     ("   ", "regional", None, None, InvalidInputError),
     ("x" * 129, "regional", None, None, InvalidInputError),
     ("好名字", "other", None, None, InvalidInputError),
     ("好名字", "regional", "4101", None, InvalidInputError),
     ("好名字", "regional", "999999", None, InvalidInputError),  # six digits, no such division
     ("好名字", "regional", "410300", None, InvalidInputError),  # 洛阳: outside 郑州
     ("好名字", "regional", "110101", None, InvalidInputError),  # 北京东城: outside 郑州
     ("好名字", "vertical", None, None, InvalidInputError),  # vertical: needs a sector
     ("好名字", "vertical", None, "   ", InvalidInputError),
     ("好名字", "vertical", None, "公" * 33, InvalidInputError),
     ("郑州公安新媒体矩阵", "vertical", None, "公安", ConflictError)],  # a sibling's name
)  # fmt: skip
def test_bad_matrix_fields_are_refused(
    session: Session, world: World, name: str, kind: str, adcode: str | None,
    sector: str | None, error: type,
) -> None:  # fmt: skip
    before = session.scalar(select(func.count()).select_from(Matrix))
    with pytest.raises(error) as refused:
        service.create_matrix(session, name=name, kind=kind, adcode=adcode, sector=sector,
                              actor=world.principals["admin"],
                              parent=_matrix(session, world, "zz"))  # fmt: skip
    assert refused.value.message_zh and refused.value.message_en
    assert session.scalar(select(func.count()).select_from(Matrix)) == before


def test_a_sub_matrix_region_lies_inside_its_parents(session: Session, world: World) -> None:
    admin, zz = world.principals["admin"], _matrix(session, world, "zz")
    with pytest.raises(InvalidInputError) as refused:
        service.create_matrix(session, name="东城", kind="regional", parent=zz, actor=admin,
                              adcode="110101")  # fmt: skip
    assert refused.value.message_zh == (
        "矩阵「东城」的区域 东城区（110101） 不在上级矩阵「郑州政务新媒体矩阵」的区域 "
        "郑州市（410100） 之内"
    )
    assert "is not inside the region 410100" in refused.value.message_en
    # The vertical 郑州公安 has no region of its own: it lies in 郑州's, and so must its
    # children; a county of 郑州 (and an old code of one) is inside.
    police = _matrix(session, world, "zz_police")
    with pytest.raises(InvalidInputError, match="不在上级矩阵「郑州公安新媒体矩阵」的区域 郑州市"):
        service.create_matrix(session, name="洛阳公安", kind="vertical", sector="公安",
                              parent=police, actor=admin, adcode="410300")  # fmt: skip
    jinshui = service.create_matrix(session, name="金水公安", kind="vertical", sector=" 公安 ",
                                    parent=police, actor=admin, adcode="410105")  # fmt: skip
    assert (jinshui.sector, jinshui.adcode) == ("公安", "410105")
    # A top-level matrix, or one under a matrix without any region, may lie anywhere.
    assert service.create_matrix(session, name="北京", kind="regional", parent=None,
                                 actor=admin, adcode="110000").adcode == "110000"  # fmt: skip
    ly = _matrix(session, world, "ly")
    ly.adcode = None
    assert service.create_matrix(session, name="任意", kind="regional", parent=ly,
                                 actor=admin, adcode="540102").parent_id == ly.id  # fmt: skip
    # Moving a subtree under a matrix whose region does not hold it is refused too.
    with pytest.raises(InvalidInputError, match="不在上级矩阵「北京」"):
        service.update_matrix(session, matrix=police, actor=admin, move=True,
                              parent=session.scalar(select(Matrix).where(Matrix.name == "北京")))  # fmt: skip
    assert police.parent_id == zz.id


def test_old_codes_higher_levels_and_moves_use_the_one_region_check(
    session: Session, world: World
) -> None:
    admin = world.principals["admin"]

    def create(name: str, parent: Matrix | None, adcode: str | None) -> Matrix:
        return service.create_matrix(session, name=name, kind="regional", parent=parent,
                                     actor=admin, adcode=adcode)  # fmt: skip

    gz = create("广州", None, "440100")
    assert create("天河区", gz, "440106").parent_id == gz.id
    assert create("广州市直", gz, "440100").parent_id == gz.id  # a region holds itself
    for adcode, place in (("320102", "玄武区（320102）"), ("440000", "广东省（440000）")):
        with pytest.raises(InvalidInputError) as refused:
            create("越界", gz, adcode)
        assert f"的区域 {place} 不在上级矩阵「广州」的区域 广州市（440100） 之内" in (
            refused.value.message_zh
        )
        assert f"the region {adcode} of matrix '越界' is not inside" in refused.value.message_en
    # A parent stored with an old code (522200 铜仁地区, now 铜仁市 520600) holds today's
    # districts; 110100 (北京市市辖区) stands for 北京 itself.
    tongren = create("铜仁", None, "522200")
    assert create("碧江区", tongren, "520602").parent_id == tongren.id
    with pytest.raises(InvalidInputError, match="铜仁市（520600）"):
        create("贵阳", tongren, "520100")
    beijing = create("北京市辖区", None, "110100")
    assert create("朝阳区", beijing, "110105").parent_id == beijing.id
    # Moving 天河区 under 铜仁 is refused by the same check; under 广东 it is fine.
    tianhe = session.scalar(select(Matrix).where(Matrix.name == "天河区"))
    assert tianhe is not None
    with pytest.raises(
        InvalidInputError, match="矩阵「天河区」的区域 天河区（440106） 不在上级矩阵「铜仁」"
    ):
        service.update_matrix(session, matrix=tianhe, actor=admin, move=True, parent=tongren)
    gd = create("广东", None, "440000")
    service.update_matrix(session, matrix=tianhe, actor=admin, move=True, parent=gd)
    assert tianhe.parent_id == gd.id
    # Moving 广州 (holding 广州市直) under 铜仁 names the first region that does not fit.
    with pytest.raises(InvalidInputError, match="矩阵「广州」的区域 广州市（440100）"):
        service.update_matrix(session, matrix=gz, actor=admin, move=True, parent=tongren)


def test_retyping_to_vertical_needs_a_sector(session: Session, world: World) -> None:
    admin, zz = world.principals["admin"], _matrix(session, world, "zz")
    sub = service.create_matrix(session, name="二七", kind="regional", parent=zz, actor=admin)
    with pytest.raises(InvalidInputError, match="垂直矩阵须填写系统"):
        service.update_matrix(session, matrix=sub, actor=admin, kind="vertical")
    assert sub.kind == "regional"
    changes = service.update_matrix(session, matrix=sub, actor=admin, kind="vertical",
                                    sector="消防")  # fmt: skip
    assert changes == {"kind": ["regional", "vertical"], "sector": [None, "消防"]}
    # A legacy vertical matrix without a sector may still be renamed.
    police = _matrix(session, world, "zz_police")
    assert service.update_matrix(session, matrix=police, actor=admin, name="郑州公安") == {
        "name": ["郑州公安新媒体矩阵", "郑州公安"]
    }


@pytest.mark.parametrize("target", ["zz", "zz_police", "zz_police_sub"])
def test_moving_under_itself_or_a_descendant_is_a_conflict(
    session: Session, world: World, target: str
) -> None:
    zz = _matrix(session, world, "zz")
    with pytest.raises(ConflictError):
        service.update_matrix(session, matrix=zz, actor=world.principals["admin"], move=True,
                              parent=_matrix(session, world, target))  # fmt: skip
    assert zz.parent_id is None


def test_move_to_top_level_and_back(session: Session, world: World) -> None:
    admin = world.principals["admin"]
    police = _matrix(session, world, "zz_police")
    service.update_matrix(session, matrix=police, actor=admin, move=True, parent=None)
    assert police.parent_id is None
    service.update_matrix(session, matrix=police, actor=admin, move=True,
                          parent=_matrix(session, world, "ly"))  # fmt: skip
    assert police.parent_id == world.matrices["ly"]
    assert service.descendant_ids(session, _matrix(session, world, "ly")) == {
        world.matrices[k] for k in ("ly", "zz_police", "zz_police_sub")
    }


def test_delete_refuses_children_and_references(session: Session, world: World) -> None:
    admin = world.principals["admin"]
    with pytest.raises(ConflictError, match="下级矩阵"):
        service.delete_matrix(session, matrix=_matrix(session, world, "zz_police"), actor=admin)
    # 洛阳 is the matrix of a user (its office): deleting it would orphan that login.
    with pytest.raises(ConflictError, match="引用"):
        service.delete_matrix(session, matrix=_matrix(session, world, "ly"), actor=admin)
    assert session.get(Matrix, world.matrices["ly"]) is not None
    assert session.scalar(
        select(MatrixMember).where(MatrixMember.matrix_id == world.matrices["ly"])
    )
    sub = _matrix(session, world, "zz_police_sub")
    service.add_member(session, matrix=sub, account=_account(session, world, "loose"), actor=admin)
    service.delete_matrix(session, matrix=sub, actor=admin)
    assert session.get(Matrix, world.matrices["zz_police_sub"]) is None
    assert session.scalar(select(MatrixMember).where(MatrixMember.matrix_id == world.matrices["zz_police_sub"])) is None  # fmt: skip
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "delete"))
    assert entry is not None
    assert entry.data == {"name": "郑州公安分局矩阵", "parent_id": world.matrices["zz_police"],
                          "members": 1}  # fmt: skip


def test_member_pages_put_the_leads_first_then_names_and_ids(session: Session) -> None:
    # Two leads (bad data the page still shows first) and tied names across both roles.
    matrix = Matrix(name="分页", kind="regional")
    session.add(matrix)
    names = ["乙", "甲", "乙", "丙", "甲", "乙", "丁"]
    accounts = [Account(platform="weibo", uid=f"p{i}", name=n) for i, n in enumerate(names)]
    session.add_all(accounts)
    session.flush()
    leads = {accounts[2].id, accounts[6].id}
    session.add_all(
        MatrixMember(matrix_id=matrix.id, account_id=a.id,
                     role="lead" if a.id in leads else "member")
        for a in accounts
    )  # fmt: skip
    session.flush()
    expected = sorted((0 if a.id in leads else 1, a.name, a.id) for a in accounts)
    ids = [i for _, _, i in expected]
    assert service.member_page(session, matrix.id, limit=-1) == (7, [
        (session.get(Account, i), "lead" if i in leads else "member") for i in ids
    ])  # fmt: skip
    for size in (1, 2, 3, 5, 7, 9):
        walked: list[int] = []
        for offset in range(0, 10, size):
            total, page = service.member_page(session, matrix.id, limit=size, offset=offset)
            assert total == 7 and len(page) == max(0, min(size, 7 - offset))
            walked += [a.id for a, _ in page]
        assert walked == ids, size
    total, page = service.member_page(session, matrix.id, role="lead", limit=1, offset=1)
    assert (total, [a.id for a, _ in page]) == (2, ids[1:2])
    total, page = service.member_page(session, matrix.id, role="member", limit=2, offset=1)
    assert (total, [a.id for a, _ in page]) == (5, ids[3:5])
    total, page = service.member_page(session, matrix.id, q="乙", limit=2, offset=1)
    in_yi = [i for i in ids if session.get(Account, i).name == "乙"]  # type: ignore[union-attr]
    assert (total, [a.id for a, _ in page]) == (3, in_yi[1:3])
    assert service.member_page(session, matrix.id, q="p6")[1] == [(accounts[6], "lead")]


SEARCHED = [  # (name, uid): substrings in the middle, ASCII case, LIKE's wildcards as text
    ("郑州市公安局", "wb_1001"), ("公安", "1002"), ("郑州交警", "10086"), ("ZhengZhou Police", "zz9"),
    ("zhengzhou 公安", "ZZ10"), ("满意度100%", "p%1"), ("a_b 公安局", "a_b"), ("axb", "axb"),
    ("反斜杠\\号", "bs\\1"), ("甲", "wb_1002"), ("公安局", "WB_2000"), ("公安局", "wb_2001"),
]  # fmt: skip
QUERIES = [
    "公安", "公", "安局", "州市公", "公安局", "zhengzhou", "ZHENG", "Police", "hou p", "10",
    "wb_", "_", "%", "0%", "a_b", "x", "\\", "斜杠\\", "wb_2", "100", "  公安  ", "无此号",
]  # fmt: skip


def test_member_search_is_a_literal_case_blind_substring_of_name_or_uid(
    session: Session,
) -> None:
    matrix = Matrix(name="搜索", kind="regional")
    session.add(matrix)
    accounts = [Account(platform="weibo", uid=u, name=n) for n, u in SEARCHED]
    outsider = Account(platform="douyin", uid="wb_1003", name="郑州市公安局")  # not a member
    session.add_all([*accounts, outsider])
    session.flush()
    lead = accounts[10].id  # a 公安局, so a lead matches too and comes first
    session.add_all(
        MatrixMember(matrix_id=matrix.id, account_id=a.id, role="lead" if a.id == lead else "member")
        for a in accounts
    )  # fmt: skip
    session.flush()
    seen = set()
    for q in QUERIES:
        needle = q.strip().lower()
        want = [a.id for a in sorted(accounts, key=lambda a: (a.id != lead, a.name, a.id))
                if needle in a.name.lower() or needle in a.uid.lower()]  # fmt: skip
        total, page = service.member_page(session, matrix.id, q=q, limit=-1)
        assert (total, [a.id for a, _ in page]) == (len(want), want), q
        for size in (1, 2, 5):
            walked = []
            for offset in range(0, len(want) + size, size):
                total, page = service.member_page(
                    session, matrix.id, q=q, limit=size, offset=offset
                )
                assert total == len(want), (q, size, offset)
                walked += [a.id for a, _ in page]
            assert walked == want, (q, size)
        seen.add(len(want))
    # The queries found none, one, some and most of the members.
    assert {0, 1} <= seen and max(seen) >= 6
    by_role = service.member_page(session, matrix.id, q="公安局", role="member", limit=-1)
    assert [a.name for a, _ in by_role[1]] == ["a_b 公安局", "公安局", "郑州市公安局"]
    assert [r for _, r in service.member_page(session, matrix.id, q="公安局", limit=-1)[1]] == [
        "lead", "member", "member", "member"
    ]  # fmt: skip


def test_member_search_can_use_the_trigram_indexes_on_postgresql(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        # SQLite has no such index (migration 0031 does nothing there): none is made.
        names = {i["name"] for i in sa_inspect(session.connection()).get_indexes("accounts")}
        assert not {"ix_accounts_name_trgm", "ix_accounts_uid_trgm"} & names
        assert "ix_accounts_name" in names  # the B-tree of the name order stays
        return
    # With every other way barred, the condition as written (LIKE or ILIKE, escaped) is one
    # the trigram indexes answer; a form they cannot (lower() LIKE lower()) would seq scan.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    for q in ("账号1234", "Police", "wb_1", "公安局", "100%"):
        query = select(func.count()).where(service.name_or_uid_contains(q))
        compiled = query.compile(session.get_bind())
        connection = session.connection()
        plan = "\n".join(
            connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars()
        )
        assert "ix_accounts_name_trgm" in plan and "ix_accounts_uid_trgm" in plan, (q, plan)
        assert "Seq Scan" not in plan, (q, plan)


def test_members_add_change_lead_and_remove(session: Session, world: World) -> None:
    office = world.principals["office"]
    zz = _matrix(session, world, "zz")
    loose = _account(session, world, "police_douyin")  # in 郑州公安, not yet in 郑州
    assert service.add_member(session, matrix=zz, account=loose, actor=office) == "added"
    assert service.add_member(session, matrix=zz, account=loose, actor=office) == "already"
    # A new lead replaces the old one, who stays a member.
    assert (
        service.add_member(session, matrix=zz, account=loose, role="lead", actor=office)
        == "changed"
    )
    assert zz.lead_account_id == loose.id
    members = _members(session, zz)
    assert members["郑州警方"] == "lead"
    assert members["郑州12345"] == "member"
    service.remove_member(session, matrix=zz, account=loose, actor=office)
    assert zz.lead_account_id is None
    assert "郑州警方" not in _members(session, zz)
    with pytest.raises(NotFoundError):
        service.remove_member(session, matrix=zz, account=loose, actor=office)
    with pytest.raises(InvalidInputError):
        service.add_member(session, matrix=zz, account=loose, role="boss", actor=office)
    actions = [e.action for e in audit.history(session, entity_type="matrix", entity_id=zz.id)]
    assert actions == ["add_member", "change_member", "remove_member"]


def test_update_sets_the_lead(session: Session, world: World) -> None:
    zz = _matrix(session, world, "zz")
    police = _account(session, world, "police_weibo")
    service.update_matrix(session, matrix=zz, actor=world.principals["admin"], lead_account=police)
    assert zz.lead_account_id == police.id
    assert _members(session, zz)["平安郑州"] == "lead"


CSV = """platform,uid,role
weibo,9001,member
微博,1001,
weibo,404404,member
weibo,9001,member
douyin,d1001,boss

weibo,,member
weibo,2001,lead
weibo,1002,牵头
"""


def test_import_reports_every_bad_row(session: Session, world: World) -> None:
    zz = _matrix(session, world, "zz")
    # As the admin: every account is in scope (an office's scope: the next test).
    report = service.import_members(session, matrix=zz, content=CSV.encode(),
                                    actor=world.principals["admin"], filename="list.csv")  # fmt: skip
    # 9001 new; 1001 already a member; 2001 new lead.
    assert (report.added, report.already) == (2, 1)
    rejected = {r.row: r.reason for r in report.rejected}
    assert sorted(rejected) == [4, 5, 6, 8, 10]
    assert "账号不存在" in rejected[4]
    assert "与第 2 行重复" in rejected[5]
    assert "角色" in rejected[6]
    assert "platform 与 uid" in rejected[8]
    assert "牵头账号只能有一个（第 9 行" in rejected[10]
    assert report.rejected[0].values == ["weibo", "404404", "member"]
    assert [r.number for r in report.blank_rows] == [7]  # the blank line, counted
    members = _members(session, zz)
    assert members["中牟发布"] == "member"
    assert members["洛阳住建"] == "lead"
    assert zz.lead_account_id == world.accounts["ly_weibo"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "import_members"))
    assert entry is not None
    assert entry.data is not None
    assert (entry.data["added"], entry.data["rejected"], entry.data["filename"]) == (
        2,
        5,
        "list.csv",
    )


def test_an_office_adds_and_imports_only_accounts_in_its_scope(
    session: Session, world: World
) -> None:
    office, police_office = world.principals["office"], world.principals["office_police"]
    zz, police = _matrix(session, world, "zz"), _matrix(session, world, "zz_police")
    # 中牟发布 is linked to no organisation, 洛阳住建 is another city's: neither is in scope,
    # not as a member, not as a lead, not through a new sub-matrix.
    sub = service.create_matrix(session, name="中牟", kind="regional", parent=zz, actor=office,
                                adcode="410122")  # fmt: skip
    for key in ("loose", "ly_weibo"):
        for matrix in (zz, sub):
            with pytest.raises(ForbiddenError) as refused:
                service.add_member(session, matrix=matrix, account=_account(session, world, key),
                                   actor=office)  # fmt: skip
            assert "不在您管理的矩阵范围内" in refused.value.message_zh
            assert "outside the scope" in refused.value.message_en
        with pytest.raises(ForbiddenError):
            service.update_matrix(session, matrix=sub, actor=office,
                                  lead_account=_account(session, world, key))  # fmt: skip
    # 金水住建 (410105) lies in 郑州: the 郑州公安 office may add it (legacy: no sector) …
    js = _account(session, world, "js_weibo")
    assert service.add_member(session, matrix=police, account=js, actor=police_office) == "added"
    service.remove_member(session, matrix=police, account=js, actor=police_office)
    # … but once 郑州公安 names its sector, only 公安 bodies' accounts are in scope.
    police.sector = "公安"
    session.flush()
    with pytest.raises(ForbiddenError):
        service.add_member(session, matrix=police, account=js, actor=police_office)
    report = service.import_members(
        session, matrix=sub, actor=office, filename="m.csv",
        content=b"platform,uid,role\nweibo,9001,\nweibo,1002,lead\nweibo,2001,\ndouyin,d1001,\n",
    )  # fmt: skip
    assert (report.added, report.already) == (2, 0)
    assert [(r.row, r.reason.split(" /")[0]) for r in report.rejected] == [
        (2, "不在您管理的矩阵范围内，请联系平台管理员"),
        (4, "不在您管理的矩阵范围内，请联系平台管理员"),
    ]
    assert _members(session, sub) == {"金水住建": "lead", "郑州警方": "member"}


def test_import_by_name_in_gbk(session: Session, world: World) -> None:
    other = Account(platform="wechat", uid="w9", name="平安郑州")  # a second 平安郑州
    session.add(other)
    session.flush()
    text = "账号名称,角色\n中牟发布,成员\n平安郑州,成员\n不存在的号,\n"
    report = service.import_members(session, matrix=_matrix(session, world, "zz_police_sub"),
                                    content=text.encode("gbk"), actor=world.principals["admin"])  # fmt: skip
    assert (report.added, report.already) == (1, 0)
    assert [(r.row, r.reason.split(" /")[0]) for r in report.rejected] == [
        (3, "有多个名为「平安郑州」的账号，请改用 platform,uid"),
        (4, "找不到名为「不存在的号」的账号"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "空"), (b"\n\n", "空"), (b"foo,bar\n1,2\n", "表头"), (b"\xff\xfe\x00bad\x81", "编码")],
)
def test_unusable_files_are_refused_whole(
    session: Session, world: World, content: bytes, message: str
) -> None:
    zz = _matrix(session, world, "zz")
    before = _members(session, zz)
    with pytest.raises(InvalidInputError, match=message):
        service.import_members(session, matrix=zz, content=content, actor=world.principals["admin"])
    assert _members(session, zz) == before


def test_lists_and_tree(session: Session, world: World) -> None:
    total, page = service.list_accounts(session, query=select(Account), platform="weibo",
                                        adcode="4101", limit=2)  # fmt: skip
    assert total == 4  # 平安郑州, 金水住建, 郑州12345 (410100/410105) and 中牟发布 (410122)
    assert len(page) == 2
    total, page = service.list_accounts(
        session, query=select(Account), matrix_id=world.matrices["zz_police"]
    )
    assert {a.name for a in page} == {"平安郑州", "郑州警方"}
    total, page = service.list_accounts(
        session, query=select(Account), q="住建", is_government=True
    )
    assert {a.name for a in page} == {"金水住建", "洛阳住建"}
    tree = service.matrix_tree(session, list(session.scalars(select(Matrix))))
    assert [(n.matrix.name, n.members) for n in tree] == [
        ("洛阳政务新媒体矩阵", 1),
        ("郑州政务新媒体矩阵", 3),
    ]
    flat = [(d, n.matrix.name, n.members) for d, n in tree[1].walk()]
    assert flat == [
        (0, "郑州政务新媒体矩阵", 3),
        (1, "郑州公安新媒体矩阵", 2),
        (2, "郑州公安分局矩阵", 0),
    ]
    # A subset whose parent is missing still shows every matrix.
    subset = [_matrix(session, world, "zz_police_sub")]
    assert [n.matrix.id for n in service.matrix_tree(session, subset)] == [
        world.matrices["zz_police_sub"]
    ]


def test_tree_keeps_matrices_caught_in_a_cycle(session: Session, world: World) -> None:
    zz = _matrix(session, world, "zz")
    zz.parent_id = world.matrices["zz_police_sub"]
    session.flush()
    tree = service.matrix_tree(session, list(session.scalars(select(Matrix))))
    shown = [n.matrix.id for root in tree for _, n in root.walk()]
    assert sorted(shown) == sorted(world.matrices.values())


def test_a_member_list_over_two_sheets_is_read_whole_and_its_notes_sheet_said(
    session: Session, world: World
) -> None:
    """The list of ``CSV`` cut in two sheets (the second without a title row) and a 说明
    sheet: the same members as the CSV, the rejected rows named by sheet and row, and the
    notes sheet a warning (it used to be: the first sheet only, the rest not imported)."""
    import csv
    import io

    from openpyxl import Workbook

    rows = list(csv.reader(io.StringIO(CSV)))
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "一批"
    for row in [["郑州政务新媒体矩阵成员名单"], *rows[:5]]:  # header + 4 rows, under a title
        first.append(row)
    second = book.create_sheet("二批")
    for row in [rows[0], *rows[5:]]:
        second.append(row)
    book.create_sheet("说明").append(["role 填 member 或 lead", "uid 填账号ID"])
    out = io.BytesIO()
    book.save(out)
    zz = _matrix(session, world, "zz")
    report = service.import_members(session, matrix=zz, content=out.getvalue(),
                                    actor=world.principals["admin"], filename="名单.xlsx")  # fmt: skip
    assert (report.added, report.already) == (2, 1)  # as from the CSV
    rejected = {f"{r.sheet}:{r.row}": r.reason for r in report.rejected}
    assert sorted(rejected) == ["一批:5", "一批:6", "二批:2", "二批:4", "二批:6"]
    assert "与第 一批:3 行重复" in rejected["一批:6"]
    assert "牵头账号只能有一个（第 二批:5 行" in rejected["二批:6"]
    warning, blank = report.warnings
    assert warning.startswith("名单.xlsx!说明：") and "was not read" in warning
    # The CSV's blank line 7 is row 3 of the second sheet: counted and named, not silent.
    assert [str(r) for r in report.blank_rows] == ["二批:3"]
    assert blank.startswith("跳过了 1 个空行（第 二批:3 行）/ skipped 1 blank row(s)")
    assert _members(session, zz)["洛阳住建"] == "lead"


def test_import_names_an_unknown_platform_and_counts_blank_rows(
    session: Session, world: World
) -> None:
    """``foo,123`` is an unknown platform, not a missing account; blank rows between rows
    of data are counted and named (the blank lines at the end are not data)."""
    zz = _matrix(session, world, "zz")
    content = b"platform,uid\nfoo,123\n\nweibo,9001\n, \nWEIBO,404404\n\n\n"
    report = service.import_members(session, matrix=zz, content=content,
                                    actor=world.principals["admin"], filename="m.csv")  # fmt: skip
    assert report.added == 1
    rejected = {r.row: r.reason for r in report.rejected}
    assert sorted(rejected) == [2, 6]
    assert rejected[2] == (
        "未知平台「foo」，可选：weibo / wechat / douyin（微博 / 微信 / 抖音）/ "
        "unknown platform 'foo'; valid: weibo / wechat / douyin"
    )
    assert "账号不存在" in rejected[6]  # a known platform, an unknown account
    assert [r.number for r in report.blank_rows] == [3, 5]
    assert report.warnings == [
        "跳过了 2 个空行（第 3、5 行）/ skipped 2 blank row(s) between the rows of data (rows 3, 5)"
    ]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "import_members"))
    assert entry is not None and entry.data is not None
    assert (entry.data["rejected"], entry.data["blank_rows"]) == (2, 2)


def test_import_knows_the_platforms_of_the_registry(session: Session, world: World) -> None:
    """A platform some registered account is on is valid (its account missing or not)."""
    session.add(Account(platform="bilibili", uid="b1", name="郑州发布B站", is_government=True))
    session.flush()
    zz = _matrix(session, world, "zz")
    content = "平台,账号ID\nbilibili,b1\nbilibili,b404\nqq,1\n".encode()
    report = service.import_members(session, matrix=zz, content=content,
                                    actor=world.principals["admin"], filename="m.csv")  # fmt: skip
    assert report.added == 1 and report.blank_rows == [] and report.warnings == []
    rejected = {r.row: r.reason for r in report.rejected}
    assert "账号不存在" in rejected[3]
    assert rejected[4].endswith("unknown platform 'qq'; valid: weibo / wechat / douyin / bilibili")
    assert (
        "可选：weibo / wechat / douyin / bilibili（微博 / 微信 / 抖音 / bilibili）" in rejected[4]
    )


def test_users_keep_their_matrix(session: Session, world: World) -> None:
    user = session.scalar(select(User).where(User.username == "u_office"))
    assert user is not None
    assert user.matrix_id == world.matrices["zz"]


def test_import_of_the_excel_list_reports_the_same_rows_as_the_csv(
    session: Session, world: World
) -> None:
    """The same list as ``CSV`` in a workbook, under a title row, uids typed as numbers: the
    same members and the same rejected rows, numbered as Excel shows them (one lower)."""
    import csv
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["郑州政务新媒体矩阵成员名单"])
    for row in csv.reader(io.StringIO(CSV)):
        sheet.append([int(c) if c.isdigit() else c for c in row] if row else [])
    out = io.BytesIO()
    book.save(out)
    zz = _matrix(session, world, "zz")
    report = service.import_members(session, matrix=zz, content=out.getvalue(),
                                    actor=world.principals["admin"], filename="名单.xlsx")  # fmt: skip
    assert (report.added, report.already) == (2, 1)
    assert sorted(r.row for r in report.rejected) == [5, 6, 7, 9, 11]  # the CSV's 4 5 6 8 10
    assert report.rejected[0].values == ["weibo", "404404", "member"]
    assert _members(session, zz)["洛阳住建"] == "lead"
    with pytest.raises(InvalidInputError) as refused:
        service.import_members(session, matrix=zz, content=b"\xd0\xcf\x11\xe0",
                               actor=world.principals["admin"], filename="名单.xls")  # fmt: skip
    assert "另存为 .xlsx 或 CSV" in refused.value.message_zh


def _quarantine(session: Session, run_id: int | None) -> dict[str, tuple[str, str | None]]:
    assert run_id is not None
    entries = session.scalars(
        select(QuarantineEntry).where(QuarantineEntry.run_id == run_id).order_by(QuarantineEntry.id)
    )
    return {e.source: (e.reason, e.raw) for e in entries}


def test_every_rejected_row_is_quarantined_with_its_line_as_in_the_file(
    session: Session, world: World
) -> None:
    """The rows of the report, each in the import run's quarantine: its location
    (``file:row``, the line it starts on), its reason and its line(s) as they are in the
    file (a quoted cell's line break and quotes kept); the run counts them."""
    zz = _matrix(session, world, "zz")
    quoted = 'weibo,"4044\n04",member'  # a uid over two lines: no such account
    content = CSV.replace("weibo,404404,member", quoted).encode()
    report = service.import_members(session, matrix=zz, content=content,
                                    actor=world.principals["admin"], filename="list.csv")  # fmt: skip
    rejected = {r.row: r.reason for r in report.rejected}
    assert sorted(rejected) == [4, 6, 7, 9, 11]  # the lines after the quoted row moved by one
    lines = content.decode().split("\n")
    assert _quarantine(session, report.run_id) == {
        "list.csv:4": (rejected[4], quoted),
        **{f"list.csv:{n}": (rejected[n], lines[n - 1]) for n in (6, 7, 9, 11)},
    }
    run = session.get(ImportRun, report.run_id)
    assert run is not None and (run.format, run.paths) == ("matrix-members", "list.csv")
    assert (run.read, run.imported, run.duplicates, run.quarantined) == (8, 2, 1, 5)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "import_members"))
    assert entry is not None and entry.data is not None
    assert entry.data["run_id"] == report.run_id


def test_a_workbooks_rejected_rows_are_quarantined_by_sheet_and_row(
    session: Session, world: World
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "一批"
    for row in [["成员名单"], ["platform", "uid", "role"], ["weibo", "9001", ""],
                ["weibo", 404404, "成员"]]:  # fmt: skip
        first.append(row)
    book.create_sheet("二批").append(["platform", "uid", "role"])
    book["二批"].append(["douyin", "d1001", "boss, really"])
    out = io.BytesIO()
    book.save(out)
    zz = _matrix(session, world, "zz")
    report = service.import_members(session, matrix=zz, content=out.getvalue(),
                                    actor=world.principals["admin"], filename="名单.xlsx")  # fmt: skip
    assert report.added == 1
    found = _quarantine(session, report.run_id)
    assert list(found) == ["名单.xlsx!一批:4", "名单.xlsx!二批:2"]
    assert found["名单.xlsx!一批:4"][1] == "weibo,404404,成员"  # a number cell as its text
    assert found["名单.xlsx!二批:2"][1] == 'douyin,d1001,"boss, really"'  # a CSV line
    assert "账号不存在" in found["名单.xlsx!一批:4"][0] and "角色" in found["名单.xlsx!二批:2"][0]


def test_a_list_of_no_bad_rows_is_a_run_without_quarantine(session: Session, world: World) -> None:
    zz = _matrix(session, world, "zz")
    report = service.import_members(session, matrix=zz, content=b"platform,uid\nweibo,9001\n",
                                    actor=world.principals["admin"], filename="m.csv")  # fmt: skip
    assert report.rejected == [] and _quarantine(session, report.run_id) == {}


def test_a_bomb_workbook_member_list_is_refused_naming_the_limit(
    session: Session, world: World, tmp_path: Path
) -> None:
    zz = _matrix(session, world, "zz")
    content = bomb_workbook(tmp_path / "bomb.xlsx").read_bytes()
    with pytest.raises(InvalidInputError) as refused:
        service.import_members(session, matrix=zz, content=content,
                               actor=world.principals["admin"], filename="名单.xlsx")  # fmt: skip
    assert "解压 名单.xlsx!xl/worksheets/sheet1.xml 超过压缩比上限" in refused.value.message_zh
    assert "(ZHENGWU_UNPACK_MAX_RATIO)" in (refused.value.message_en or "")
    assert session.scalar(select(func.count()).select_from(ImportRun)) == 0
