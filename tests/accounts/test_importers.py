"""The deployment's own lists: organisations, account links, matrices."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.accounts import service as account_service
from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.ingest.pipeline import ImportSummary, run_import


def _run(session: Session, fmt: str, path: Path, *, dry_run: bool = False) -> ImportSummary:
    con = duckdb.connect(":memory:")
    from zhengwu.content import store

    for ddl in store._DDL:
        con.execute(ddl)
    return run_import(fmt, [path], session=session, analytics=con, dry_run=dry_run)


def _identity(s: ImportSummary) -> None:
    assert s.read == s.imported + s.updated + s.duplicates + s.quarantined


def test_orgs_accounts_and_matrices_round_trip(session: Session, tmp_path: Path) -> None:
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "org_id,name,level,sector,adcode,parent_id\n"
        "o2,金水区公安分局,县,公安,410105,o1\n"  # child before its parent
        "o1,郑州市公安局,市,公安,410100,\n"
        "o3,郑州市人民政府新闻办公室,市,发布,410100000000,\n"
        "o4,,市,公安,410100,\n"  # missing name
        "o5,某局,部,公安,410100,\n"  # bad level
        "o6,某局,市,公安,41010,\n"  # bad adcode
        "o7,某所,乡,公安,410105,o99\n",  # unknown parent
        encoding="utf-8",
    )
    s = _run(session, "zhengwu-orgs", orgs)
    _identity(s)
    assert (s.read, s.imported, s.quarantined) == (7, 3, 4)
    child = session.scalars(select(Organization).where(Organization.external_id == "o2")).one()
    parent = session.scalars(select(Organization).where(Organization.external_id == "o1")).one()
    assert child.parent_id == parent.id
    reasons = [q.reason for q in session.scalars(select(QuarantineEntry))]
    assert any("missing field" in r for r in reasons)
    assert any("invalid level" in r for r in reasons)
    assert any("unknown parent_id" in r for r in reasons)

    again = _run(session, "zhengwu-orgs", orgs)
    assert (again.imported, again.updated, again.duplicates) == (0, 0, 3)

    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "platform,uid,name,org_id,verified_type,created_at\n"
        "weibo,100,平安郑州,o1,1,2011-06-13\n"
        "weibo,101,金水公安,o2,1,2012-01-01\n"
        "weibo,102,郑州发布,o3,1,2010-05-05\n"
        "weibo,103,无主账号,o42,1,2010-05-05\n",
        encoding="utf-8",
    )
    s = _run(session, "zhengwu-accounts", accounts)
    _identity(s)
    assert (s.imported, s.quarantined) == (3, 1)
    ping_an = account_service.get_account(session, platform="weibo", uid="100")
    assert ping_an.is_government and ping_an.organization_id == parent.id

    matrices = tmp_path / "matrices.json"
    matrices.write_text(
        json.dumps([
            {"id": "m1", "name": "郑州政务微博矩阵", "kind": "regional", "adcode": "410100",
             "lead": {"platform": "weibo", "uid": "102"},
             "members": [{"platform": "weibo", "uid": "100", "role": "member"},
                         {"platform": "weibo", "uid": "101", "role": "member"}]},
            {"id": "m2", "name": "郑州公安矩阵", "kind": "vertical", "sector": "公安",
             "lead": {"platform": "weibo", "uid": "100"},
             "members": [{"platform": "weibo", "uid": "101"}]},
            {"id": "m3", "name": "坏矩阵", "kind": "regional",
             "lead": {"platform": "weibo", "uid": "999"}, "members": []},
        ], ensure_ascii=False),
        encoding="utf-8",
    )  # fmt: skip
    s = _run(session, "zhengwu-matrices", matrices)
    _identity(s)
    assert (s.imported, s.quarantined) == (2, 1)
    m1 = session.scalars(select(Matrix).where(Matrix.external_id == "m1")).one()
    members = account_service.matrix_members(session, m1)
    assert next(r for _, r in members) == "lead"
    assert len(members) == 3
    # an account may sit in several matrices
    in_two = account_service.matrices_of(session, ping_an)
    assert {m.external_id for m in in_two} == {"m1", "m2"}
    again = _run(session, "zhengwu-matrices", matrices)
    assert (again.imported, again.duplicates, again.quarantined) == (0, 2, 1)
    assert session.scalar(select(func.count()).select_from(MatrixMember)) == 5


def test_dry_run_writes_nothing(session: Session, tmp_path: Path) -> None:
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org_id,name,level,sector,adcode,parent_id\no1,郑州市公安局,市,公安,410100,\n")
    s = _run(session, "zhengwu-orgs", orgs, dry_run=True)
    assert s.imported == 1
    assert session.scalar(select(func.count()).select_from(Organization)) == 0
    assert session.scalar(select(func.count()).select_from(Account)) == 0


def test_orgs_public_phones_column(session: Session, tmp_path: Path) -> None:
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "org_id,name,level,sector,adcode,parent_id,public_phones\n"
        'o1,金水区住房和城乡建设局,县,住建,410105,,"（0371）6666 1234；0371-66665678"\n'
        "o2,金水区生态环境分局,县,生态环境,410105,,\n"
        "o3,金水区应急管理局,县,应急,410105,,值班室电话\n"  # not a phone number
        "o4,金水区公安分局,县,公安,410105,,66661234\n"  # a landline without its area code
        'o5,金水区教育局,县,教育,410105,,"0371-65550000；传真号待定"\n',  # one good, one bad
        encoding="utf-8",
    )
    s = _run(session, "zhengwu-orgs", orgs)
    _identity(s)
    # Every organisation is kept: a bad number is quarantined on its own, not its body.
    assert (s.read, s.imported, s.quarantined) == (5, 5, 0)
    assert any("3 field value(s) quarantined" in w for w in s.warnings)
    by_id = {o.external_id: o for o in session.scalars(select(Organization))}
    assert by_id["o1"].public_phones == ["0371-66661234", "0371-66665678"]
    assert by_id["o2"].public_phones is None
    assert by_id["o3"].public_phones is None and by_id["o4"].public_phones is None
    assert by_id["o5"].public_phones == ["0371-65550000"]
    assert set(by_id) == {"o1", "o2", "o3", "o4", "o5"}
    entries = list(session.scalars(select(QuarantineEntry).order_by(QuarantineEntry.id)))
    assert [e.source.rsplit(":", 1)[1] for e in entries] == ["4", "5", "6"]
    assert entries[0].reason.startswith("公开电话无效：不是电话号码：'值班室电话'")
    assert "invalid public_phones: not a phone number: '值班室电话'" in entries[0].reason
    assert "'66661234'" in entries[1].reason and "area code" in entries[1].reason
    assert "'传真号待定'" in entries[2].reason and "0371-65550000" not in entries[2].reason
    # A cell whose every number is refused leaves the numbers on file as they are.
    orgs.write_text(
        "org_id,name,level,sector,adcode,parent_id,public_phones\n"
        "o5,金水区教育局,县,教育,410105,,待定\n",
        encoding="utf-8",
    )
    kept = _run(session, "zhengwu-orgs", orgs)
    assert (kept.duplicates, kept.quarantined) == (1, 0)
    assert by_id["o5"].public_phones == ["0371-65550000"]

    # The same numbers written otherwise: nothing changes (idempotent on the normal form).
    orgs.write_text(
        "org_id,name,level,sector,adcode,parent_id,public_phones\n"
        'o1,金水区住房和城乡建设局,县,住建,410105,,"0371-66661234,0371 6666 5678"\n',
        encoding="utf-8",
    )
    again = _run(session, "zhengwu-orgs", orgs)
    assert (again.imported, again.updated, again.duplicates) == (0, 0, 1)
    # A list without the column keeps the numbers; an empty cell removes them.
    orgs.write_text(
        "org_id,name,level,sector,adcode,parent_id\no1,金水区住房和城乡建设局,县,住建,410105,\n",
        encoding="utf-8",
    )
    assert _run(session, "zhengwu-orgs", orgs).duplicates == 1
    assert by_id["o1"].public_phones == ["0371-66661234", "0371-66665678"]
    orgs.write_text(
        "org_id,name,level,sector,adcode,parent_id,public_phones\n"
        "o1,金水区住房和城乡建设局,县,住建,410105,,\n",
        encoding="utf-8",
    )
    assert _run(session, "zhengwu-orgs", orgs).updated == 1
    assert by_id["o1"].public_phones is None


def test_a_renamed_organisation_reaches_its_accounts_search_documents(
    session: Session, tmp_path: Path
) -> None:
    from zhengwu.search import indexer
    from zhengwu.search.models import SearchDocument

    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org_id,name,level,sector,adcode,parent_id\n"
                    "o1,江干区城市管理局,县,城管,330104,\n"
                    "o2,金水区公安分局,县,公安,410105,\n", encoding="utf-8")  # fmt: skip
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("platform,uid,name,org_id,verified_type,created_at\n"
                        "weibo,9001,江干城管,o1,1,\nweibo,9002,金水公安,o2,1,\n",
                        encoding="utf-8")  # fmt: skip
    _run(session, "zhengwu-orgs", orgs)
    _run(session, "zhengwu-accounts", accounts)
    indexer.refresh(session)
    assert indexer.pending(session)["accounts"] == 0

    def body(uid: str) -> str:
        account = session.scalars(select(Account).where(Account.uid == uid)).one()
        return session.scalars(
            select(SearchDocument.body).where(SearchDocument.kind == "accounts",
                                              SearchDocument.key == str(account.id))
        ).one()  # fmt: skip

    assert "江干区城市管理局" in body("9001")
    before = body("9002")
    # 江干区 merged into 上城区 (2021): the list renames the body.
    orgs.write_text("org_id,name,level,sector,adcode,parent_id\n"
                    "o1,上城区城市管理局,县,城管,330102,\n"
                    "o2,金水区公安分局,县,公安,410105,\n", encoding="utf-8")  # fmt: skip
    s = _run(session, "zhengwu-orgs", orgs)
    assert (s.updated, s.duplicates) == (1, 1)
    assert indexer.pending(session)["accounts"] == 1  # only the renamed body's account
    assert indexer.refresh(session)["accounts"] == 1
    assert "上城区城市管理局" in body("9001") and "江干区" not in body("9001")
    assert body("9002") == before


def test_orgs_refuse_unknown_adcode_self_parent_cycles_and_repeats(
    session: Session, tmp_path: Path
) -> None:
    session.add(Organization(external_id="D1", name="数据库里的局", level="市", sector="公安"))
    session.flush()
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "org_id,name,level,sector,adcode,parent_id\n"
        "B1,郑州市公安局,市,公安,410100,\n"  # line 2: fine
        "B2,某局,市,公安,999999,\n"  # 3: six digits, no such division
        "B3,某所,县,公安,410105,B3\n"  # 4: its own parent
        "A4,甲,县,公安,410105,A5\n"  # 5: A4 ↔ A5
        "A5,乙,县,公安,410105,A4\n"  # 6
        "B1,郑州市公安局（重复）,市,公安,410100,\n"  # 7: repeated org_id
        "C1,丙,县,公安,410105,A4\n"  # 8: parent refused above
        "D2,丁,市,公安,410100,D1\n"  # 9: D1 (in the DB) gets D2 as parent below → cycle
        "D1,数据库里的局,市,公安,410100,D2\n"  # 10
        "E1,铜仁地区公安处,市,公安,522200,\n",  # 11: old code (铜仁地区) → its successor
        encoding="utf-8",
    )
    s = _run(session, "zhengwu-orgs", orgs)
    _identity(s)
    assert (s.read, s.imported, s.updated, s.quarantined) == (10, 2, 0, 8)
    reasons = {
        q.source.rsplit(":", 1)[1]: q.reason for q in session.scalars(select(QuarantineEntry))
    }
    assert set(reasons) == {"3", "4", "5", "6", "7", "8", "9", "10"}
    assert "区划代码不存在" in reasons["3"] and "unknown adcode" in reasons["3"]
    assert "own parent" in reasons["4"] and "自己的上级" in reasons["4"]
    assert "cycle" in reasons["5"] and "循环" in reasons["6"]
    assert "repeated (first at line 2)" in reasons["7"] and "第 2 行" in reasons["7"]
    assert "parent_id 'A4' was quarantined (line 5" in reasons["8"]
    assert "第 5 行已被隔离" in reasons["8"]
    assert "cycle" in reasons["9"] and "cycle" in reasons["10"]
    stored = {o.external_id: o for o in session.scalars(select(Organization))}
    assert set(stored) == {"B1", "D1", "E1"}
    assert stored["B1"].name == "郑州市公安局"
    assert stored["D1"].parent_id is None
    assert stored["E1"].adcode == "520600"


def test_central_bodies_have_no_division_and_their_children_import(
    session: Session, tmp_path: Path
) -> None:
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "org_id,name,level,sector,adcode,parent_id\n"
        "c1,国务院,中央,政府,,\n"  # line 2: no division
        "c2,公安部,中央,公安,000000,c1\n"  # 3: 000000 = national, stored as empty
        "c3,应急管理部,中央,应急,000000000000,c1\n"  # 4: the 12-digit form
        "p1,河南省人民政府,省,政府,410000,c1\n"  # 5
        "p2,河南省公安厅,省,公安,410000,c2\n"  # 6
        "x1,某省某局,省,公安,000000,c2\n"  # 7: 000000 is for central bodies only
        "x2,某市某局,市,公安,410100,x1\n"  # 8: its parent was refused on line 7
        "x3,某县某所,县,公安,410105,x2\n"  # 9: and so on down the chain
        "x4,某乡某所,乡,公安,410105,nowhere\n",  # 10: a parent that is nowhere
        encoding="utf-8",
    )
    s = _run(session, "zhengwu-orgs", orgs)
    _identity(s)
    assert (s.read, s.imported, s.quarantined) == (9, 5, 4)
    stored = {o.external_id: o for o in session.scalars(select(Organization))}
    assert set(stored) == {"c1", "c2", "c3", "p1", "p2"}
    assert [stored[k].adcode for k in ("c1", "c2", "c3", "p1")] == [None, None, None, "410000"]
    assert stored["p2"].parent_id == stored["c2"].id
    assert stored["c2"].parent_id == stored["c1"].id
    reasons = {
        q.source.rsplit(":", 1)[1]: q.reason for q in session.scalars(select(QuarantineEntry))
    }
    assert set(reasons) == {"7", "8", "9", "10"}
    assert "000000 表示全国" in reasons["7"] and "only for central bodies" in reasons["7"]
    assert "parent_id 'x1' was quarantined (line 7" in reasons["8"]
    assert "上级机构 'x1' 在第 7 行已被隔离" in reasons["8"]
    assert "parent_id 'x2' was quarantined (line 8" in reasons["9"]
    assert "unknown parent_id 'nowhere'" in reasons["10"] and "上级机构不存在" in reasons["10"]
    # Importing again (000000 and empty alike): nothing changes.
    again = _run(session, "zhengwu-orgs", orgs)
    assert (again.imported, again.updated, again.duplicates) == (0, 0, 5)


def test_account_list_and_platform_profile_settle(session: Session, tmp_path: Path) -> None:
    """A list's creation date does not undo the platform's exact time of that day (and back)."""
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "org_id,name,level,sector,adcode,parent_id\no1,山东省人民政府新闻办公室,省,发布,370000,\n"
    )
    _run(session, "zhengwu-orgs", orgs)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "platform,uid,name,org_id,verified_type,created_at\n"
        "weibo,3721262965,山东发布,o1,1,2013-09-29\n"
        "weibo,3721262966,日照妇联,o1,7,2012-11-16\n",
        encoding="utf-8",
    )
    users = tmp_path / "users.jsonl"
    users.write_text(
        json.dumps({"id": 3721262965, "screen_name": "山东发布", "verified": True,
                    "verified_type": 1, "followers_count": 10,
                    "created_at": "Sun Sep 29 09:15:02 +0800 2013"}, ensure_ascii=False) + "\n"
        # verified_type 7 reads as 'not government'; the account is linked, so it stays one.
        + json.dumps({"id": 3721262966, "screen_name": "日照妇联", "verified": True,
                      "verified_type": 7, "followers_count": 10,
                      "created_at": "Fri Nov 16 23:22:11 +0800 2012"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    _run(session, "zhengwu-accounts", accounts)
    first = _run(session, "weibo-api", users)
    assert first.updated == 2  # exact time (and counts) over the list's date
    for _ in range(2):
        listed = _run(session, "zhengwu-accounts", accounts)
        assert (listed.updated, listed.duplicates) == (0, 2)
        profiles = _run(session, "weibo-api", users)
        assert (profiles.updated, profiles.duplicates, profiles.accounts_updated) == (0, 2, 0)
    one = account_service.get_account(session, platform="weibo", uid="3721262965")
    assert one.platform_created_at is not None
    assert one.platform_created_at.isoformat() == "2013-09-29T01:15:02+00:00"
    # A list date on another day is a correction, and is taken.
    accounts.write_text(
        "platform,uid,name,org_id,verified_type,created_at\nweibo,3721262965,山东发布,o1,1,2013-09-30\n",
        encoding="utf-8",
    )
    assert _run(session, "zhengwu-accounts", accounts).updated == 1


def _accounts(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "platform,uid,name,org_id,verified_type,created_at\n"
        "weibo,100,平安郑州,,1,\nweibo,101,金水公安,,1,\nweibo,102,郑州发布,,1,\n",
        encoding="utf-8",
    )
    assert _run(session, "zhengwu-accounts", path).imported == 3


def test_matrices_without_lead_and_with_parents_in_any_order(
    session: Session, tmp_path: Path
) -> None:
    _accounts(session, tmp_path)
    path = tmp_path / "matrices.json"
    entries = [
        # a child before its parent, the parent named by name
        {"id": "m2", "name": "金水区矩阵", "kind": "regional", "adcode": "410105",
         "parent": "郑州政务矩阵", "members": [{"platform": "weibo", "uid": "101"}]},
        # no lead yet, no members
        {"id": "m1", "name": "郑州政务矩阵", "kind": "regional", "adcode": "410100"},
        # parent by id; the lead as a member with role lead
        {"id": "m3", "name": "金水公安矩阵", "kind": "vertical", "sector": "公安", "parent": "m2",
         "members": [{"platform": "weibo", "uid": "100", "role": "lead"}]},
        {"id": "m4", "name": "孤儿矩阵", "kind": "regional", "parent": "不存在的矩阵"},
        {"id": "c1", "name": "环一", "kind": "regional", "parent": "c2"},
        {"id": "c2", "name": "环二", "kind": "regional", "parent": "环一"},
        {"id": "m5", "name": "坏矩阵", "kind": "other"},
        {"id": "m6", "name": "坏矩阵的下级", "kind": "regional", "parent": "坏矩阵"},
        {"id": "m7", "name": "自己", "kind": "regional", "parent": "m7"},
    ]  # fmt: skip
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    dry = _run(session, "zhengwu-matrices", path, dry_run=True)
    assert (dry.imported, dry.quarantined) == (3, 6)
    assert session.scalar(select(func.count()).select_from(Matrix)) == 0
    s = _run(session, "zhengwu-matrices", path)
    _identity(s)
    assert (s.read, s.imported, s.quarantined) == (9, 3, 6)
    by_ext = {m.external_id: m for m in session.scalars(select(Matrix))}
    assert set(by_ext) == {"m1", "m2", "m3"}
    assert by_ext["m1"].lead_account_id is None and by_ext["m1"].parent_id is None
    assert by_ext["m2"].parent_id == by_ext["m1"].id and by_ext["m2"].lead_account_id is None
    assert by_ext["m3"].parent_id == by_ext["m2"].id
    ping_an = account_service.get_account(session, platform="weibo", uid="100")
    assert by_ext["m3"].lead_account_id == ping_an.id
    reasons = {
        e.source.rsplit(":", 1)[1]: e.reason
        for e in session.scalars(select(QuarantineEntry).where(QuarantineEntry.format == "zhengwu-matrices"))
    }  # fmt: skip
    assert "unknown parent '不存在的矩阵'" in reasons["[4]"]
    assert "forms a cycle" in reasons["[5]"] and "forms a cycle" in reasons["[6]"]
    assert "invalid kind" in reasons["[7]"]
    assert "上级矩阵 '坏矩阵' 在第 7 行已被隔离" in reasons["[8]"]
    assert "forms a cycle" in reasons["[9]"]

    again = _run(session, "zhengwu-matrices", path)
    assert (again.imported, again.updated, again.duplicates) == (0, 0, 3)

    # Moving m3 to the top and giving m1 its lead: updates; an entry without "parent"
    # keeps its parent.
    path.write_text(json.dumps([
        {"id": "m1", "name": "郑州政务矩阵", "kind": "regional", "adcode": "410100",
         "lead": {"platform": "weibo", "uid": "102"}},
        {"id": "m2", "name": "金水区矩阵", "kind": "regional", "adcode": "410105",
         "members": [{"platform": "weibo", "uid": "101"}]},
        {"id": "m3", "name": "金水公安矩阵", "kind": "vertical", "sector": "公安", "parent": None,
         "members": [{"platform": "weibo", "uid": "100", "role": "lead"}]},
    ], ensure_ascii=False), encoding="utf-8")  # fmt: skip
    moved = _run(session, "zhengwu-matrices", path)
    assert (moved.updated, moved.duplicates, moved.quarantined) == (2, 1, 0)
    assert by_ext["m3"].parent_id is None
    assert by_ext["m2"].parent_id == by_ext["m1"].id
    assert by_ext["m1"].lead_account_id is not None


def test_matrix_parent_named_ambiguously_lists_the_candidates(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "matrices.json"
    path.write_text(json.dumps([
        {"id": "p1", "name": "郑州矩阵", "kind": "regional"},
        {"id": "p2", "name": "洛阳矩阵", "kind": "regional"},
        {"id": "a", "name": "城区矩阵", "kind": "regional", "parent": "p1"},
        {"id": "b", "name": "城区矩阵", "kind": "regional", "parent": "p2"},
        {"id": "c", "name": "下级", "kind": "regional", "parent": "城区矩阵"},
        {"id": "d", "name": "下级二", "kind": "regional", "parent": "b"},
    ], ensure_ascii=False), encoding="utf-8")  # fmt: skip
    s = _run(session, "zhengwu-matrices", path)
    assert (s.imported, s.quarantined) == (5, 1)
    entry = session.scalars(select(QuarantineEntry)).one()
    assert entry.source.endswith("[5]")
    assert "names several matrices, give its id: a, b" in entry.reason


def _matrix_reasons(session: Session) -> dict[str, str]:
    entries = session.scalars(
        select(QuarantineEntry).where(QuarantineEntry.format == "zhengwu-matrices")
    )
    return {e.source.rsplit(":", 1)[1]: e.reason for e in entries}


def test_a_matrix_member_on_an_unknown_platform_is_named_so(
    session: Session, tmp_path: Path
) -> None:
    """A member on a platform nobody is on is an unknown platform (with the valid ones),
    not an unknown account; a known platform's missing account stays an unknown account."""
    _accounts(session, tmp_path)
    path = tmp_path / "matrices.json"
    path.write_text(json.dumps([
        {"id": "a", "name": "甲矩阵", "kind": "regional",
         "members": [{"platform": "weibo", "uid": "100"}, {"platform": "foo", "uid": "123"}]},
        {"id": "b", "name": "乙矩阵", "kind": "regional", "lead": {"platform": "foo", "uid": "1"}},
        {"id": "c", "name": "丙矩阵", "kind": "regional",
         "members": [{"platform": "weibo", "uid": "404"}]},
        {"id": "d", "name": "丁矩阵", "kind": "regional",
         "members": [{"platform": "weibo", "uid": "101"}]},
    ], ensure_ascii=False), encoding="utf-8")  # fmt: skip
    s = _run(session, "zhengwu-matrices", path)
    _identity(s)
    assert (s.imported, s.quarantined) == (1, 3)
    reasons = _matrix_reasons(session)
    foo = (
        "未知平台「foo」，可选：weibo / wechat / douyin（微博 / 微信 / 抖音）/ "
        "unknown platform 'foo'; valid: weibo / wechat / douyin"
    )
    assert reasons["[1]"] == reasons["[2]"] == foo
    assert reasons["[3]"] == "账号不存在 / unknown account(s): weibo:404"


def test_a_matrix_adcode_must_name_a_division(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "matrices.json"
    path.write_text(json.dumps([
        {"id": "zz", "name": "郑州政务矩阵", "kind": "regional", "adcode": 410100},
        {"id": "x", "name": "不存在的区", "kind": "regional", "adcode": "419999"},
        {"id": "y", "name": "写错的区", "kind": "regional", "adcode": "4101"},
        {"id": "cn", "name": "全国消防矩阵", "kind": "vertical", "sector": "消防", "adcode": "000000"},
        {"id": "x1", "name": "不存在区的下级", "kind": "regional", "parent": "x"},
    ], ensure_ascii=False), encoding="utf-8")  # fmt: skip
    s = _run(session, "zhengwu-matrices", path)
    _identity(s)
    assert (s.imported, s.quarantined) == (2, 3)
    by_ext = {m.external_id: m for m in session.scalars(select(Matrix))}
    assert by_ext["zz"].adcode == "410100" and by_ext["cn"].adcode is None
    reasons = _matrix_reasons(session)
    assert "区划代码不存在 / unknown adcode (no such division): '419999'" in reasons["[2]"]
    assert "adcode must be 6 digits: '4101'" in reasons["[3]"]
    assert "第 2 行已被隔离" in reasons["[5]"]


def test_siblings_of_one_name_are_quarantined_not_merged(session: Session, tmp_path: Path) -> None:
    on_file = Matrix(name="金水区矩阵", kind="regional", external_id="old-js")
    session.add(on_file)
    session.flush()
    path = tmp_path / "matrices.json"
    path.write_text(json.dumps([
        {"id": "zz", "name": "郑州矩阵", "kind": "regional"},
        {"id": "ly", "name": "洛阳矩阵", "kind": "regional"},
        {"id": "zz-sm", "name": "市场监管", "kind": "vertical", "sector": "市场监管", "parent": "zz"},
        {"id": "ly-sm", "name": "市场监管", "kind": "vertical", "sector": "市场监管", "parent": "ly"},
        {"id": "zz-sm2", "name": "市场监管", "kind": "vertical", "sector": "市场监管", "parent": "zz"},
        {"id": "js", "name": "金水区矩阵", "kind": "regional"},  # a top-level one is on file
        {"id": "zz", "name": "郑州矩阵", "kind": "regional"},  # the same id again
    ], ensure_ascii=False), encoding="utf-8")  # fmt: skip
    s = _run(session, "zhengwu-matrices", path)
    _identity(s)
    assert (s.imported, s.quarantined) == (4, 3)
    named = sorted(
        (m.name, m.external_id)
        for m in session.scalars(select(Matrix).where(Matrix.name == "市场监管"))
    )
    assert named == [("市场监管", "ly-sm"), ("市场监管", "zz-sm")]  # one per city
    assert (
        session.scalar(select(func.count()).select_from(Matrix).where(Matrix.name == "金水区矩阵"))
        == 1
    )
    reasons = _matrix_reasons(session)
    assert "same parent) is already named '市场监管': [3] zz-sm" in reasons["[5]"]
    assert "同一上级矩阵下已有同名矩阵「市场监管」" in reasons["[5]"]
    assert "already named '金水区矩阵': old-js（库中 / on file）" in reasons["[6]"]
    assert "repeated" in reasons["[7]"]
    # Updating a matrix under its own name is no clash.
    again = _run(session, "zhengwu-matrices", path)
    assert (again.imported, again.quarantined) == (0, 3)


def test_a_sub_matrix_region_must_lie_inside_its_parents(session: Session, tmp_path: Path) -> None:
    # On file: a matrix of 铜仁 stored with the old code of 铜仁地区 (522200, now 520600).
    session.add(Matrix(name="铜仁矩阵", kind="regional", adcode="522200", external_id="tr"))
    session.flush()
    path = tmp_path / "matrices.json"
    path.write_text(json.dumps([
        {"id": "gz", "name": "广州矩阵", "kind": "regional", "adcode": "440100"},
        {"id": "th", "name": "天河区矩阵", "kind": "regional", "adcode": "440106", "parent": "gz"},
        {"id": "xw", "name": "玄武区矩阵", "kind": "regional", "adcode": "320102", "parent": "gz"},
        {"id": "gd", "name": "广东矩阵", "kind": "regional", "adcode": "440000", "parent": "gz"},
        {"id": "xw1", "name": "玄武区下级", "kind": "regional", "parent": "xw"},
        # a vertical matrix without a region lies in its parent's: so must its children
        {"id": "gz-ga", "name": "广州公安", "kind": "vertical", "sector": "公安", "parent": "gz"},
        {"id": "ga-yx", "name": "越秀公安", "kind": "vertical", "sector": "公安",
         "adcode": "440104", "parent": "gz-ga"},
        {"id": "ga-nj", "name": "南京公安", "kind": "vertical", "sector": "公安",
         "adcode": "320100", "parent": "gz-ga"},
        # a vertical one with a region is checked like any other
        {"id": "hn-ga", "name": "湖南公安", "kind": "vertical", "sector": "公安",
         "adcode": "430000", "parent": "gz"},
        # an old parent code holds today's districts of its successor; an old child code
        # is stored as its successor and checked as that
        {"id": "bj", "name": "碧江区矩阵", "kind": "regional", "adcode": "520602", "parent": "tr"},
        {"id": "tr-new", "name": "铜仁地区矩阵", "kind": "regional", "adcode": "522200"},
        {"id": "bj2", "name": "碧江区矩阵", "kind": "regional", "adcode": "520602",
         "parent": "tr-new"},
        # the whole country (no region) holds anything; so does a parent's own region
        {"id": "cn", "name": "全国矩阵", "kind": "vertical", "sector": "发布", "adcode": "000000"},
        {"id": "cn-gz", "name": "广州发布", "kind": "regional", "adcode": "440100", "parent": "cn"},
        {"id": "gz-sz", "name": "广州市直", "kind": "regional", "adcode": 440100, "parent": "gz"},
    ], ensure_ascii=False), encoding="utf-8")  # fmt: skip
    dry = _run(session, "zhengwu-matrices", path, dry_run=True)
    assert (dry.imported, dry.quarantined) == (10, 5)
    s = _run(session, "zhengwu-matrices", path)
    _identity(s)
    assert (s.imported, s.quarantined) == (10, 5)
    by_ext = {m.external_id: m for m in session.scalars(select(Matrix))}
    assert {"xw", "gd", "xw1", "ga-nj", "hn-ga"}.isdisjoint(by_ext)
    assert by_ext["th"].parent_id == by_ext["gz"].id
    assert by_ext["ga-yx"].parent_id == by_ext["gz-ga"].id
    assert by_ext["bj"].parent_id == by_ext["tr"].id
    assert (by_ext["bj2"].parent_id, by_ext["tr-new"].adcode) == (by_ext["tr-new"].id, "520600")
    reasons = _matrix_reasons(session)
    assert reasons["[3]"] == (
        "矩阵「玄武区矩阵」的区域 玄武区（320102） 不在上级矩阵「广州矩阵」的区域 广州市（440100） "
        "之内 / the region 320102 of matrix '玄武区矩阵' is not inside the region 440100 of its "
        "parent matrix '广州矩阵'"
    )
    assert "广东省（440000） 不在上级矩阵「广州矩阵」" in reasons["[4]"]
    assert "上级矩阵 'xw' 在第 3 行已被隔离" in reasons["[5]"]
    assert "不在上级矩阵「广州公安」的区域 广州市（440100） 之内" in reasons["[8]"]
    assert "the region 430000 of matrix '湖南公安' is not inside" in reasons["[9]"]
    assert len(reasons) == 5


def test_a_matrix_update_may_not_leave_a_sub_matrix_on_file_outside(
    session: Session, tmp_path: Path
) -> None:
    gd = Matrix(name="广东矩阵", kind="regional", adcode="440000", external_id="gd")
    session.add(gd)
    session.flush()
    sz = Matrix(name="深圳矩阵", kind="regional", adcode="440300", parent_id=gd.id)
    # made outside before the region check existed: not the next import's fault
    old = Matrix(name="南京矩阵", kind="regional", adcode="320100", parent_id=gd.id)
    police = Matrix(name="广东公安", kind="vertical", sector="公安", parent_id=gd.id,
                    external_id="gd-ga")  # fmt: skip
    session.add_all([sz, old, police])
    session.flush()
    session.add(Matrix(name="深圳公安", kind="vertical", sector="公安", adcode="440300",
                       parent_id=police.id))  # fmt: skip
    session.flush()
    path = tmp_path / "matrices.json"
    path.write_text(json.dumps([
        # narrowing 广东 to 广州 would leave 深圳 (on file, not listed) outside
        {"id": "gd", "name": "广东矩阵", "kind": "regional", "adcode": "440100"},
        # moving 广东公安 under a new 广州 matrix would leave its 深圳公安 outside
        {"id": "gz", "name": "广州矩阵", "kind": "regional", "adcode": "440100"},
        {"id": "gd-ga", "name": "广东公安", "kind": "vertical", "sector": "公安", "parent": "gz"},
    ], ensure_ascii=False), encoding="utf-8")  # fmt: skip
    s = _run(session, "zhengwu-matrices", path)
    _identity(s)
    assert (s.imported, s.updated, s.quarantined) == (1, 0, 2)
    session.refresh(gd)
    session.refresh(police)
    assert (gd.adcode, police.parent_id) == ("440000", gd.id)
    reasons = _matrix_reasons(session)
    assert reasons["[1]"].startswith(
        "库中的下级矩阵将越出上级区域：矩阵「深圳矩阵」的区域 深圳市（440300） 不在上级矩阵「广东矩阵」"
        "的区域 广州市（440100） 之内，请一并修改它 / a matrix on file below this one would leave"
    )
    assert "matrix '深圳公安'" in reasons["[3]"] and "'广东公安'" in reasons["[3]"]
    # A change that keeps every matrix below inside is imported, the old 南京 notwithstanding.
    path.write_text(json.dumps([
        {"id": "gd", "name": "广东省矩阵", "kind": "regional", "adcode": "440000"},
    ], ensure_ascii=False), encoding="utf-8")  # fmt: skip
    renamed = _run(session, "zhengwu-matrices", path)
    assert (renamed.updated, renamed.quarantined) == (1, 0)
