"""Intake into the database: idempotent, non-help set aside, merges with stored requests,
updates flag a request, late mirrors of a closed request get their notice, unmerge."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.content.store import connect
from zhengwu.db.base import utcnow
from zhengwu.errors import ConflictError, InvalidInputError
from zhengwu.outbox import service as outbox_service
from zhengwu.rescue import access, dispatch, intake, priority
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.channels import intake_file, intake_from_posts
from zhengwu.rescue.merge import HelpPostIn
from zhengwu.rescue.models import HelpSource, Incident, SetAside, Team
from zhengwu.rescue.schemas import HelpSubmission
from zhengwu.simulate.helpposts import write_help_posts

from .conftest import COPY, DISPATCHER, ORIGINAL, OTHER, PRAYER, UPDATE, at, post, repost


def _first_batch() -> list[HelpPostIn]:
    return [post("1", ORIGINAL), post("2", COPY, 3), repost("3", "1", ORIGINAL),
            post("4", OTHER, 1), post("5", PRAYER, 2)]  # fmt: skip


def test_take_in_merges_sets_aside_and_is_idempotent(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    first = intake.take_in(session, incident=incident, posts=_first_batch(), actor=DISPATCHER)
    assert (first.report.new_requests, first.report.ignored, first.report.read) == (2, 1, 5)
    assert first.report.merged == 2  # the copy and the repost
    aside = session.scalars(select(SetAside).where(SetAside.incident_id == incident.id)).one()
    assert aside.post_id == "5"
    assert "not a help post" in aside.reason
    again = intake.take_in(session, incident=incident, posts=_first_batch(), actor=DISPATCHER)
    assert (again.report.known, again.report.new_requests, again.report.merged) == (5, 0, 0)
    request = first.requests[("weibo", "1")]
    assert [(s.post_id, s.kind) for s in request.sources] == [
        ("1", "original"), ("2", "copy"), ("3", "repost"),
    ]  # fmt: skip
    assert request.people_total == 8
    assert request.phones == ["13800001111"]
    assert request.urgency == "critical"


def test_later_copy_and_update_join_the_stored_request(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    first = intake.take_in(
        session, incident=incident, posts=[post("1", ORIGINAL)], actor=DISPATCHER
    )
    request = first.requests[("weibo", "1")]
    later = intake.take_in(
        session, incident=incident, actor=DISPATCHER,
        posts=[post("2", COPY, 300), post("6", UPDATE, 600)],
    )  # fmt: skip
    assert later.report.new_requests == 0
    assert later.report.merged == 2
    assert later.requests[("weibo", "6")] is request
    kinds = {s.post_id: (s.kind, s.merged_by) for s in request.sources}
    assert kinds["2"][0] == "copy"
    assert kinds["6"] == ("update", "phone")
    # The citizen's "已获救" is a claim: flagged, not closed.
    assert request.reported_rescued_at is not None
    assert request.state == "new"


def test_posts_outside_the_incident_region_are_set_aside(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    beijing = "#郑州暴雨互助# 求助！北京市门头沟区妙峰山镇陈家庄村，老人被困，电话13800005555"
    result = intake.take_in(
        session, incident=incident, posts=[post("9", beijing)], actor=DISPATCHER
    )
    assert result.report.ignored == 1
    reason = session.scalars(select(SetAside.reason).where(SetAside.post_id == "9")).one()
    assert "outside the incident's regions" in reason


def test_a_late_mirror_of_an_announced_request_gets_its_notice_at_once(
    session: Session, make_incident: Callable[..., Incident], make_team: Callable[..., Team]
) -> None:
    incident, team = make_incident(), make_team()
    first = intake.take_in(
        session, incident=incident, posts=[post("1", ORIGINAL)], actor=DISPATCHER
    )
    request = rescue_service.get_request(session, request_id=first.requests[("weibo", "1")].id)
    dispatch.assign(session, request=request, team=team, actor=DISPATCHER)
    assert dispatch.resolve(session, request=request, outcome="rescued", actor=DISPATCHER,
                            people_helped=8) == 1  # fmt: skip
    intake.take_in(session, incident=incident, posts=[post("2", COPY, 2000)], actor=DISPATCHER)
    targets = [m.target_post_id for m in outbox_service.for_entity(
        session, entity_type="help_request", entity_id=request.id)]  # fmt: skip
    assert targets == ["1", "2"]


def test_unmerge_splits_a_source_into_a_new_request_and_audits_it(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    first = intake.take_in(session, incident=incident, posts=_first_batch(), actor=DISPATCHER)
    request = first.requests[("weibo", "1")]
    copy = next(s for s in request.sources if s.post_id == "2")
    split = intake.unmerge(session, source=copy, actor=DISPATCHER, reason="不同的人")
    assert split.id != request.id
    assert [s.post_id for s in split.sources] == ["2"]
    old = rescue_service.get_request(session, request_id=request.id)
    assert [s.post_id for s in old.sources] == ["1", "3"]
    assert split.phones == ["13800001111"]
    trail = audit_service.history(session, entity_type="help_request", entity_id=request.id)
    assert trail[-1].action == "unmerge"
    assert trail[-1].reason == "不同的人"
    only = next(s for s in split.sources)
    with pytest.raises(ConflictError):
        intake.unmerge(session, source=only, actor=DISPATCHER, reason="x")


def test_form_submission_is_a_request_even_when_terse(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    data = HelpSubmission(text="出不去了", phone="13700007777", address="郑州市中原区桐柏路2号院",
                          people=4, name="李华")  # fmt: skip
    request = intake.submit(session, incident=incident, data=data, actor=DISPATCHER)
    assert request.people_total == 4
    assert request.phones == ["13700007777"]
    assert request.sources[0].channel == "form"


def test_intake_from_the_analytics_store_reads_reposts_with_their_root(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    incident = make_incident(starts_at=datetime(2021, 7, 20, tzinfo=UTC))
    out = tmp_path / "sim"
    write_help_posts(out, rng=np.random.default_rng(5), city_adcode="410100",
                     start=datetime(2021, 7, 20, 8, tzinfo=UTC), n_posts=120)  # fmt: skip
    from zhengwu.ingest.pipeline import run_import

    con = connect(tmp_path / "analytics.duckdb")
    run_import("weibo-api", [out / "help" / "posts.jsonl"], session=session, analytics=con,
               workers=1)  # fmt: skip
    report = intake_from_posts(session, con, incident=incident, actor=DISPATCHER)
    assert report.new_requests > 10
    sources = session.scalar(select(func.count()).select_from(HelpSource).where(
        HelpSource.incident_id == incident.id))  # fmt: skip
    # Every post read is a source of a request or set aside with a reason: none dropped.
    assert report.read == report.ignored + (sources or 0)
    again = intake_from_posts(session, con, incident=incident, actor=DISPATCHER)
    assert again.new_requests == 0
    assert again.known == again.read
    con.close()
    reposts = session.scalar(select(func.count()).select_from(HelpSource).where(
        HelpSource.incident_id == incident.id, HelpSource.kind == "repost"))  # fmt: skip
    assert reposts


def test_intake_file_reads_any_importable_format(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    incident = make_incident()
    write_help_posts(tmp_path, rng=np.random.default_rng(6), city_adcode="410100",
                     start=datetime(2021, 7, 20, 8, tzinfo=UTC), n_posts=80)  # fmt: skip
    path = tmp_path / "help" / "posts.jsonl"
    with path.open("ab") as handle:
        handle.write(b"{broken json\n")
    report = intake_file(session, incident=incident, path=path, fmt="weibo-api", actor=DISPATCHER)
    assert report.quarantined == 1
    assert report.read == 81
    assert report.new_requests > 5


def test_intake_file_sets_aside_the_records_it_cannot_read(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """A help post with a bad date, or a broken line, was counted as quarantined and kept
    nowhere: now it is on the 未受理 list with its place, reason and raw text, to promote."""
    incident = make_incident()
    dated = ('{"id": 4900000000000099, "created_at": "bad date", "user": {"id": 1}, '
             '"text": "求助 郑州市金水区文化路32号院 被困 13812340000"}')  # fmt: skip
    path = tmp_path / "statuses.jsonl"
    path.write_text(dated + "\n{broken json\n", encoding="utf-8")
    report = intake_file(session, incident=incident, path=path, fmt="weibo-api", actor=DISPATCHER)
    assert (report.read, report.quarantined, report.new_requests) == (2, 2, 0)
    kept = session.scalars(select(SetAside).where(SetAside.incident_id == incident.id)
                           .order_by(SetAside.reason)).all()  # fmt: skip
    assert [(a.kind, a.channel, a.platform, a.author) for a in kept] == [
        ("quarantined", "post", "file", "statuses.jsonl")] * 2  # fmt: skip
    assert [a.reason.split("：")[0] for a in kept] == ["statuses.jsonl:1", "statuses.jsonl:2"]
    assert "created_at" in kept[0].reason and kept[0].text == dated
    assert kept[1].text == "{broken json"
    assert str(tmp_path) not in " ".join(report.warnings)  # the file's name, not its path
    assert report.warnings[:2] == [kept[0].reason, kept[1].reason]
    assert "未受理" in report.warnings[-1]
    again = intake_file(session, incident=incident, path=path, fmt="weibo-api", actor=DISPATCHER)
    assert again.quarantined == 2
    assert session.scalar(select(func.count()).select_from(SetAside).where(
        SetAside.incident_id == incident.id)) == 2  # fmt: skip
    request = intake.promote(
        session, set_aside=kept[0], actor=DISPATCHER, reason="电话核实有人被困"
    )
    assert request.phones == ["13812340000"]


def test_incident_update_close_and_delete_rules(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    from zhengwu.rescue.schemas import IncidentUpdate

    used, spare = make_incident(), make_incident("误建")
    intake.take_in(session, incident=used, posts=[post("1", ORIGINAL)], actor=DISPATCHER)
    with pytest.raises(rescue_service.OpenRequestsError) as refused:  # one request still new
        rescue_service.update_incident(session, incident=used, actor=DISPATCHER,
                                       data=IncidentUpdate(status="closed"))  # fmt: skip
    assert refused.value.to_dict()["open_requests"] == {"new": 1}
    assert "待核实 1" in refused.value.message_zh and "(new 1)" in refused.value.message_en
    assert used.status == "active"
    with pytest.raises(InvalidInputError, match="needs a reason"):
        rescue_service.update_incident(session, incident=used, actor=DISPATCHER,
                                       data=IncidentUpdate(status="closed", force=True))  # fmt: skip
    rescue_service.update_incident(session, incident=used, actor=DISPATCHER,
                                   data=IncidentUpdate(status="closed", hashtags=["#新话题#"],
                                                       force=True, reason="转交 119 跟进"))  # fmt: skip
    assert (used.status, used.hashtags) == ("closed", ["新话题"])
    entry = audit_service.history(session, entity_type="rescue_incident", entity_id=used.id)[-1]
    assert (entry.reason, entry.data["forced"], entry.data["open_requests"]) == (
        "转交 119 跟进",
        True,
        {"new": 1},
    )
    assert "force" not in entry.data and "reason" not in entry.data
    with pytest.raises(ConflictError):
        rescue_service.delete_incident(session, incident=used, actor=DISPATCHER)
    with pytest.raises(ConflictError):
        intake.submit(session, incident=used, data=HelpSubmission(text="被困了"), actor=DISPATCHER)
    rescue_service.delete_incident(session, incident=spare, actor=DISPATCHER)
    assert [i.name for i in rescue_service.list_incidents(session)] == [used.name]


def test_intake_from_posts_as_of_replays_hour_by_hour_on_the_simulated_clock(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    out = tmp_path / "sim"
    write_help_posts(out, rng=np.random.default_rng(5), city_adcode="410100",
                     start=datetime(2021, 7, 20, 8, tzinfo=UTC), n_posts=120)  # fmt: skip
    from zhengwu.ingest.pipeline import run_import

    con = connect(tmp_path / "analytics.duckdb")
    run_import("weibo-api", [out / "help" / "posts.jsonl"], session=session, analytics=con,
               workers=1)  # fmt: skip
    live_incident = make_incident("郑州暴雨（实时）")
    replayed = make_incident("郑州暴雨（回放）")
    stamps = con.execute("SELECT min(created_at), max(created_at) FROM posts").fetchone()
    assert stamps is not None
    first, last = (t.replace(tzinfo=UTC) for t in stamps)
    as_of = first + (last - first) * 3 / 4  # the clock stands before the last posts

    before = utcnow()
    live = intake_from_posts(session, con, incident=live_incident, actor=DISPATCHER)
    after = utcnow()
    report = intake_from_posts(session, con, incident=replayed, actor=DISPATCHER, as_of=as_of)
    con.close()

    # Live: everything read, and stamped with the real clock.
    live_requests = rescue_service.requests_of(session, incident=live_incident)
    assert len(live_requests) == live.new_requests > 10
    for request in live_requests:
        assert before <= request.created_at <= after
        assert all(before <= s.created_at <= after for s in request.sources)
        trail = audit_service.history(session, entity_type="help_request", entity_id=request.id)
        assert all(before <= e.at <= after for e in trail)

    # Replayed: the posts after the clock are not read; the rest are taken in hour by hour,
    # each batch at its last post's time, so nothing is later than the clock.
    assert 0 < report.read < live.read
    requests = rescue_service.requests_of(session, incident=replayed)
    assert len(requests) == report.new_requests > 5
    hours = set()
    for request in requests:
        assert request.created_at <= as_of
        hours.add(request.created_at.replace(minute=0, second=0, microsecond=0))
        for source in request.sources:
            assert source.posted_at <= source.created_at <= as_of
            assert source.created_at - source.posted_at < timedelta(hours=1)
            assert request.created_at <= source.created_at
        trail = audit_service.history(session, entity_type="help_request", entity_id=request.id)
        assert trail[0].action == "create" and trail[0].at == request.created_at
        assert all(request.created_at <= e.at <= as_of for e in trail)
    assert len(hours) > 1  # taken in as the posts came, not all at once
    set_aside = session.scalars(
        select(SetAside.created_at).where(SetAside.incident_id == replayed.id)
    ).all()
    assert set_aside and all(at <= as_of for at in set_aside)


def test_a_late_mirror_replayed_on_a_simulated_clock_gets_its_notice_then(
    session: Session, make_incident: Callable[..., Incident], make_team: Callable[..., Team]
) -> None:
    incident, team = make_incident(), make_team()
    first = intake.take_in(
        session, incident=incident, posts=[post("1", ORIGINAL)], actor=DISPATCHER
    )
    request = rescue_service.get_request(session, request_id=first.requests[("weibo", "1")].id)
    dispatch.assign(session, request=request, team=team, actor=DISPATCHER)
    dispatch.resolve(session, request=request, outcome="rescued", actor=DISPATCHER, people_helped=8)
    late = post("2", COPY, 2000)
    at = late.posted_at
    assert at is not None
    intake.take_in(session, incident=incident, posts=[late], actor=DISPATCHER, now=at)
    (message,) = [m for m in outbox_service.for_entity(
        session, entity_type="help_request", entity_id=request.id) if m.target_post_id == "2"]  # fmt: skip
    assert message.created_at == at
    source = session.scalars(select(HelpSource).where(HelpSource.post_id == "2")).one()
    assert source.notified_at == at and source.created_at == at
    trail = audit_service.history(session, entity_type="help_request", entity_id=request.id)
    assert [e.at for e in trail if e.action == "merge"] == [at]


def test_intake_from_the_store_takes_untagged_help_posts_by_area(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    from zhengwu.rescue.channels import area_names, matching_posts

    incident = make_incident(starts_at=datetime(2021, 7, 20, tzinfo=UTC), keywords=["暴雨求助"])
    assert "郑州市" in area_names(incident) and "金水区" in area_names(incident)
    assert "金水" in area_names(incident)  # short names too
    con = connect(tmp_path / "analytics.duckdb")
    when = datetime(2021, 7, 20, 9)
    rows = [
        ("1", "#郑州暴雨互助# 求助！文化路32号院被困8人 13800001111", ["郑州暴雨互助"]),
        ("2", "暴雨求助：经三路12号院老人被困，电话13700001234", []),  # keyword, no tag
        ("3", "救命！金水区经三路66号院一楼进水，3个人出不去了，电话13500005555", []),  # area
        ("4", "郑州今天雨真大，金水区的路都淹了", []),  # area, no help marker: not read
        ("5", "北京朝阳区有人被困，求助，电话13600006666", []),  # help, other area: not read
        ("6", "救命！金水区一家人被困", []),  # before the window: not read
    ]
    for post_id, text, topics in rows:
        at = when if post_id != "6" else datetime(2021, 7, 19, 9)
        con.execute(
            "INSERT INTO posts (platform, post_id, account_uid, created_at, text, topics, "
            "is_repost) VALUES ('weibo', ?, 'u', ?, ?, ?, false)", [post_id, at, text, topics]
        )  # fmt: skip
    found = sorted(p.post_id for p in matching_posts(con, incident=incident))
    assert found == ["1", "2", "3"]
    report = intake_from_posts(session, con, incident=incident, actor=DISPATCHER)
    assert report.read == 3 and report.new_requests == 3
    taken = session.scalars(select(HelpSource).where(HelpSource.post_id == "3")).one()
    request = rescue_service.get_request(session, request_id=taken.request_id)
    assert request.phones == ["13500005555"] and request.people_total == 3
    # An incident with neither tags nor keywords still reads its area (post 1 names 郑州
    # in its hashtag and asks for help; post 2 names no place of the area).
    bare = make_incident(name="无话题", hashtags=[], keywords=[],
                         starts_at=datetime(2021, 7, 20, tzinfo=UTC))  # fmt: skip
    assert sorted(p.post_id for p in matching_posts(con, incident=bare)) == ["1", "3"]
    con.close()


# A help post the extractor does not read as help: no phone, no count, no need words.
TERSE = "#郑州暴雨互助# 经三路12号院那边还有人吗，好几天没消息了"


def _origin(source: HelpSource) -> tuple[str | None, str | None, datetime]:
    return source.url, source.author, source.posted_at


def test_a_promoted_post_keeps_its_link_author_and_post_time(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    # Posted at 00:00, crawled and set aside ten hours later; a help post beside it.
    terse, help_post = post("10", TERSE), post("1", ORIGINAL)
    batch = intake.take_in(session, incident=incident, posts=[terse, help_post],
                           actor=DISPATCHER, now=at(600))  # fmt: skip
    assert batch.report.ignored == 1
    aside = session.scalars(select(SetAside).where(SetAside.post_id == "10")).one()
    assert (aside.url, aside.author, aside.posted_at, aside.created_at) == (
        "https://m.weibo.cn/detail/10", "u10", at(0), at(600),
    )  # fmt: skip
    request = intake.promote(session, set_aside=aside, actor=DISPATCHER, reason="邻居在找人")
    (source,) = request.sources
    # The same link, author and post time as the help post taken in at once.
    extracted = batch.requests[("weibo", "1")].sources[0]
    assert _origin(extracted) == (help_post.url, help_post.author, at(0))
    assert _origin(source) == (terse.url, terse.author, at(0))
    assert request.reported_at == at(0)
    # Two hours after it was set aside it has waited twelve: counted from the post.
    assert priority.parts(request, now=at(720))["waiting"] == 12.0
    assert session.scalar(select(func.count()).select_from(SetAside)) == 0


def test_a_row_set_aside_before_its_origin_was_kept_still_promotes(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    # As a row set aside before migration 0027 reads: no link, author or post time.
    old = SetAside(incident_id=incident.id, kind="ignored", channel="post", platform="weibo",
                   post_id="11", reason="不是求助信息", text=TERSE, created_at=at(90))  # fmt: skip
    session.add(old)
    session.flush()
    request = intake.promote(session, set_aside=old, actor=DISPATCHER, reason="家属来电")
    assert _origin(request.sources[0]) == (None, None, at(90))
    assert request.reported_at == at(90)  # when it was set aside: all that is known
    assert priority.parts(request, now=at(150))["waiting"] == 1.0


@pytest.mark.parametrize(("role", "shown"), [("dispatcher", True), ("verifier", True),
                                             ("admin", True), ("team", False),
                                             ("public", False)])  # fmt: skip
def test_set_aside_link_and_author_are_shown_like_a_sources(
    session: Session, make_incident: Callable[..., Incident], role: str, shown: bool
) -> None:
    incident = make_incident()
    intake.take_in(session, incident=incident, posts=[post("12", TERSE)], actor=DISPATCHER)
    aside = session.scalars(select(SetAside).where(SetAside.post_id == "12")).one()
    viewer = Principal(role=role, username=role, display_name=role, team_id=1)
    seen = access.set_aside_view(viewer, aside)
    expected = ("https://m.weibo.cn/detail/12", "u12") if shown else (None, None)
    assert (seen.url, seen.author) == expected
    assert seen.posted_at == at(0) and seen.text == TERSE
