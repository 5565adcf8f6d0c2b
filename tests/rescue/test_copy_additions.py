"""What a near-copy of a help post adds (a second phone, more people, a door) reaches its
request's 情况: the export, the console and the API, masked on public views."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import PUBLIC
from zhengwu.rescue import access, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import Incident
from zhengwu.rescue.spreadsheet import EXPORT_HEADER, export_csv, import_csv

from .conftest import DISPATCHER, ORIGINAL, post

# The original, passed on with a second phone, a larger count and the room number.
EXTRA = ORIGINAL.replace("求救援！", "求救援！另一个电话13900005678，现在共10人，在302室")


def test_a_copy_s_extra_facts_show_on_the_merged_request(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    taken = intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL),
                           post("2", "扩散！" + EXTRA, 20)], actor=DISPATCHER)  # fmt: skip
    assert taken.requests[("weibo", "2")] is taken.requests[("weibo", "1")]
    request = rescue_service.get_request(session, request_id=taken.requests[("weibo", "1")].id)
    assert len(request.sources) == 2
    full = access.view(DISPATCHER, request)
    added = " ".join(full.additions)
    assert "13900005678" in added and "共10人" in added and "302室" in added
    assert "扩散" not in added  # the copy's own call to spread it is no fact
    [_, row] = list(csv.reader(io.StringIO(export_csv(session, incident=incident,
                                                           principal=DISPATCHER))))  # fmt: skip
    situation = row[EXPORT_HEADER.index("情况")]
    assert "13900005678" in situation and "共10人" in situation
    masked = access.view(PUBLIC, request)
    shown = " ".join(masked.additions)
    assert "13900005678" not in shown and "139****5678" in shown and "共10人" in shown


def test_a_sheet_row_of_the_same_request_adds_nothing_but_its_new_facts(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """A volunteers' sheet row merged into a post writes the same facts its own way
    (【姓名】…, the address whole, the phones in one cell): none of it is listed."""
    incident = make_incident()
    taken = intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL)],
                           actor=DISPATCHER)  # fmt: skip
    sheet = tmp_path / "名单.csv"
    sheet.write_text(
        "姓名,地址,人数,情况,联系方式\n张建国,郑州市金水区文化路32号院3号楼,8,"
        "家中老人2名孩子1名被困 水已到二楼 求转发,13800001111 13900005678\n",
        encoding="utf-8",
    )
    report = import_csv(session, incident=incident, path=sheet, actor=DISPATCHER)
    assert (report.new_requests, report.merged) == (0, 1)
    request = rescue_service.get_request(session, request_id=taken.requests[("weibo", "1")].id)
    # The sheet's labels, its address and its 求转发 are no news; its second phone is the
    # request's now (read from the row), so it is not listed again either.
    assert request.phones == ["13800001111", "13900005678"]
    assert access.view(DISPATCHER, request).additions == []


# A longer post, and near-identical copies of it (they reused its fields): one adds a
# second phone to the 联系方式, another says 10 people where it said 8.
LONG = ORIGINAL.replace("求救援！", "家里断电断水，手机快没电了，老人有高血压需要按时吃药，孩子才两岁，"
                        "一楼二楼都进水了，只能待在三楼楼顶等待救援，附近的路都被淹了，车开不进来，"
                        "需要冲锋舟，楼里还有其他邻居也被困，水还在涨，昨天晚上开始下暴雨，小区门口"
                        "的水已经齐腰深，物业联系不上，打119一直占线，家里的老人腿脚不方便走不了路，"
                        "求救援！")  # fmt: skip
PHONE_COPY = LONG.replace("13800001111", "13800001111 13900005678")
COUNT_COPY = LONG.replace("共8人", "共10人")


def test_a_near_copy_s_second_phone_and_larger_count_update_the_request(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    """A near-identical copy took the fields of the post it copied: its second phone and
    its larger count stayed in its text. Now the request takes them in (the phone masked
    on public views), and its 处理记录 says that a copy added them — in the same batch and
    when a copy comes a day later; a copy saying fewer people lowers nothing."""
    incident = make_incident()
    first = intake.take_in(session, incident=incident, posts=[post("1", LONG),
                           post("2", PHONE_COPY, 20), post("3", COUNT_COPY, 30)],
                           actor=DISPATCHER)  # fmt: skip
    request = rescue_service.get_request(session, request_id=first.requests[("weibo", "1")].id)
    assert len(request.sources) == 3
    assert request.phones == ["13800001111", "13900005678"]
    assert request.people_total == 10
    public = access.view(PUBLIC, request)
    assert "13900005678" not in " ".join(public.phones) and public.people_total == 10
    phone, count = _gains(session, request.id)
    assert phone.reason is not None and "副本 2 补充：新电话 139****5678" in phone.reason
    assert "13900005678" not in phone.reason  # named masked; the data keeps it for staff
    assert phone.data == {"source": "2", "kind": "copy", "phones": ["13900005678"],
                          "people": {"from": 8, "to": 8}}  # fmt: skip
    assert count.reason is not None and "副本 3 补充：人数 8 → 10" in count.reason

    # A day later: a copy with a third phone and 12 people joins the stored request; one
    # with fewer people (共5人) and no new phone changes nothing and writes no entry.
    later = LONG.replace("求救援！", "求救援！再加一个电话13700009999，现在共12人")
    intake.take_in(session, incident=incident, posts=[post("4", "求扩散 " + later, 1440),
                   post("5", LONG.replace("共8人", "共5人"), 1500)], actor=DISPATCHER)  # fmt: skip
    request = rescue_service.get_request(session, request_id=request.id)
    assert len(request.sources) == 5
    assert request.phones == ["13800001111", "13900005678", "13700009999"]
    assert request.people_total == 12
    entries = _gains(session, request.id)
    assert [e.data["source"] for e in entries if e.data] == ["2", "3", "4"]
    assert entries[-1].reason is not None and "人数 10 → 12" in entries[-1].reason


def _gains(session: Session, request_id: int) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.entity_type == "help_request", AuditEntry.entity_id == request_id,
        AuditEntry.action == "copy_facts").order_by(AuditEntry.id)))  # fmt: skip


# The same post saying who is waiting without a count; its near-identical copies raise it
# in words only. The numerals they use are already in the post (32号院3号楼, 孩子才两岁):
# the copy's 3 and 两 are new counts all the same.
WORDS = LONG.replace("家中老人2名孩子1名被困，水已到二楼，共8人，", "家中老人被困，水已到二楼，")


def test_a_near_copy_raising_the_count_in_words_raises_the_request_s(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    """老两口 → 2, 全家3人 → 3, 一家五口 → 5 (each a copy of the same post, in words); 一家人
    says no number and 就我1人 fewer: neither changes the count."""
    incident = make_incident()
    copies = [("2", "老两口被困"), ("3", "全家3人被困"), ("4", "一家五口被困"),
              ("5", "一家人被困"), ("6", "就我1人被困")]  # fmt: skip
    taken = intake.take_in(session, incident=incident, posts=[post("1", WORDS)] + [
        post(pid, WORDS.replace("家中老人被困", said), 10 * i)
        for i, (pid, said) in enumerate(copies, 1)], actor=DISPATCHER)  # fmt: skip
    request = rescue_service.get_request(session, request_id=taken.requests[("weibo", "1")].id)
    assert len(request.sources) == 6
    assert request.people_total == 5
    counts = [(e.data["source"], e.data["people"]) for e in _gains(session, request.id) if e.data]
    assert counts == [("2", {"from": None, "to": 2}), ("3", {"from": 2, "to": 3}),
                      ("4", {"from": 3, "to": 5})]  # fmt: skip

    # A day later, one more copy: 老两口 again, where the stored request says nothing of
    # the people; it raises a fresh request's count from none to 2.
    other = make_incident("郑州暴雨二")
    intake.take_in(session, incident=other, posts=[post("7", WORDS)], actor=DISPATCHER)
    later = intake.take_in(session, incident=other, posts=[
        post("8", "扩散 " + WORDS.replace("家中老人被困", "老两口被困"), 1440)], actor=DISPATCHER)  # fmt: skip
    stored = rescue_service.get_request(session, request_id=later.requests[("weibo", "8")].id)
    assert len(stored.sources) == 2 and stored.people_total == 2


def test_a_copy_s_prefix_求助_or_转_is_no_addition() -> None:
    """The simulator's (and people's) copy prefixes 【求助】 and 转： are no fact: on the
    rainstorm's 800 posts they were the only 转发补充 the board showed (求助 on 9 requests,
    转：求助信息 on 1), each beside a copy that added nothing."""
    from zhengwu.rescue.additions import additions

    original = (
        "#许昌暴雨互助#【姓名】曾华伟【所在小区】建安区龙湖乡前陈营村"
        "【联系方式】178 7052 3007【情况描述】老人有心脏病需要吃药，水已到二楼，共8人，求救援！"
    )
    assert additions([original], ["【求助】" + original.replace("，", " ")]) == []
    assert additions([original], ["转：" + original]) == []
    assert additions([original], ["转：求助信息\n" + original]) == []
    assert additions([original], ["转:【求助】" + original + " 帮帮忙"]) == []
    # what a copy does add is still listed, behind either prefix
    assert additions([original], ["【求助】" + original + "另一个电话13900005678"]) == [
        "另一个电话13900005678"
    ]
    assert additions([original], ["转：" + original + "，在302室"]) == ["在302室"]
