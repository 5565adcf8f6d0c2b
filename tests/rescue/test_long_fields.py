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
