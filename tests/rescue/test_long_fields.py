"""Facts extracted from a help post are cut to their columns: a post with a long address
(a whole paragraph after 【所在小区】) failed the intake on PostgreSQL (SQLite stored it)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.rescue import intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.merge import HelpPostIn
from zhengwu.rescue.models import HelpRequest, HelpSource, Incident, SetAside

from .conftest import DISPATCHER, ORIGINAL, START, post

LONG = (
    "#郑州暴雨互助#【姓名】张建国【所在城市】郑州市【所在小区】金水区文化路32号院"
    + "3号楼旁边的那个" * 60
    + "【联系方式】13800001111【情况描述】家中3人被困，水位上涨"
)


def test_a_long_address_is_cut_to_its_column(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    taken = intake.take_in(session, incident=incident, posts=[post("1", LONG)], actor=DISPATCHER)
    session.flush()
    request = rescue_service.get_request(session, request_id=taken.requests[("weibo", "1")].id)
    limit = HelpRequest.__table__.c.address.type.length
    assert request.address is not None and len(request.address) == limit
    assert (
        request.address.startswith("郑州市金水区文化路32号院3号楼") and request.address[-1] == "…"
    )
    assert "3号楼旁边的那个" * 60 in request.sources[0].text  # the post keeps it whole
    assert request.people_total == 3 and request.phones == ["13800001111"]


def test_a_long_author_and_link_do_not_fail_the_intake(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    """A post file (``rescue intake --file``) may carry any author or link: the author is
    cut to its column, a link too long to store is left out."""
    incident = make_incident()
    author_max = HelpSource.__table__.c.author.type.length
    long = [HelpPostIn(post_id="1", text=ORIGINAL, posted_at=START, author="某" * 400,
                       url="https://m.weibo.cn/detail/" + "1" * 3000),
            HelpPostIn(post_id="2", text="祈福郑州", posted_at=START, author="某" * 400,
                       url="https://m.weibo.cn/detail/" + "2" * 3000)]  # fmt: skip
    intake.take_in(session, incident=incident, posts=long, actor=DISPATCHER)
    session.flush()
    source = session.scalars(select(HelpSource).where(HelpSource.incident_id == incident.id)).one()
    assert len(source.author or "") == author_max and source.url is None
    aside = session.scalars(select(SetAside).where(SetAside.incident_id == incident.id)).one()
    assert len(aside.author or "") == author_max and aside.url is None


def test_a_post_id_longer_than_its_column_is_fitted_to_it(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    """A post id of 120 characters failed the intake on PostgreSQL (String(80)). It is
    stored as its start and a digest: the same post taken in again is known, two long ids
    that begin alike stay two posts, a repost meets its long root, and the report says so."""
    incident = make_incident()
    first, second = "x" * 100 + "-first", "x" * 100 + "-second"
    other = ORIGINAL.replace("13800001111", "13700002222").replace("张建国", "李秀英")
    posts = [post(first, ORIGINAL),
             post(second, other.replace("文化路32号院", "花园路8号院"), 10),
             post("r" * 90, "扩散", 20, is_repost=True, root_post_id=first, root_text=ORIGINAL,
                  root_posted_at=START)]  # fmt: skip
    taken = intake.take_in(session, incident=incident, posts=posts, actor=DISPATCHER)
    session.flush()
    report = taken.report
    assert (report.new_requests, report.merged) == (2, 1)
    assert any("超过 80 个字符" in w and "longer than 80" in w for w in report.warnings)
    stored = session.scalars(select(HelpSource).where(HelpSource.incident_id == incident.id)
                             .order_by(HelpSource.posted_at)).all()  # fmt: skip
    assert all(len(s.post_id) <= 80 for s in stored)
    assert all(s.root_post_id is None or len(s.root_post_id) <= 80 for s in stored)
    assert len({s.post_id for s in stored}) == 3
    assert stored[0].post_id.startswith("x" * 40)
    assert stored[2].request_id == stored[0].request_id and stored[2].kind == "repost"
    # The caller finds the requests by the ids it gave.
    assert taken.requests[("weibo", first)].id == stored[0].request_id
    again = intake.take_in(session, incident=incident, posts=posts, actor=DISPATCHER).report
    assert (again.known, again.new_requests, again.merged) == (3, 0, 0)
