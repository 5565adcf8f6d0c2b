"""Intake: classification, jurisdiction, routing, de-duplication with provenance, masking."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import PUBLIC
from zhengwu.errors import InvalidInputError, NotFoundError
from zhengwu.servicedesk import service
from zhengwu.servicedesk.models import RequestSource
from zhengwu.servicedesk.schemas import RequestIntake

from .conftest import World

PHONE = "13812345678"


def intake(text: str, **kw: object) -> RequestIntake:
    return RequestIntake.model_validate({"source": "form", "text": text, **kw})


def test_intake_classifies_locates_and_routes_by_rule(session: Session, world: World) -> None:
    outcome = service.receive(
        session,
        intake=intake(f"金水区文化路小区物业不作为，电梯坏了一个月没人修，电话{PHONE}"),
        actor=PUBLIC,
    )
    req = outcome.request
    assert outcome.status == "created"
    assert outcome.citizen_token
    assert (req.category_code, req.classified_by) == ("0101", "rules")
    assert (req.adcode, req.located_by) == ("410105", "text")
    assert req.organization_id == world.orgs["js_housing"]
    assert req.routing_rule_id is not None
    assert req.matrix_id == world.matrices["zz"]
    assert req.response_due is not None
    assert req.resolve_due is not None
    assert req.received_at < req.response_due < req.resolve_due
    route = [
        e for e in audit_service.history(session, entity_type="request", entity_id=req.id)
        if e.action == "route"
    ]  # fmt: skip
    assert route
    assert route[0].data
    assert route[0].data["routing_rule_id"] == req.routing_rule_id
    assert PHONE in req.text
    assert PHONE not in req.text_masked


def test_routing_falls_back_up_divisions_and_categories(session: Session, world: World) -> None:
    # 二七区 has no rule of its own → the city rule (410100); 0104 has none → its parent 01.
    req = service.create_request(
        session, intake=intake("郑州市二七区有人私搭乱建，违章建筑占用绿地"), actor=PUBLIC
    )
    assert req.category_code == "0104"
    assert req.adcode == "410103"
    assert req.organization_id == world.orgs["city_housing"]


def test_no_rule_leaves_the_request_in_the_office_queue(session: Session, world: World) -> None:
    req = service.create_request(
        session, intake=intake("郑州市中原区某医院挂号难，服务态度差"), actor=PUBLIC
    )
    assert req.category_code == "0701"
    assert req.organization_id is None
    assert req.routing_rule_id is None
    assert req.matrix_id == world.matrices["zz"]  # the regional matrix over 中原区


def test_account_region_locates_a_text_without_place(session: Session, world: World) -> None:
    req = service.create_request(
        session,
        intake=RequestIntake(
            source="weibo",
            source_ref="weibo:9001",
            text="@金水住建 我们小区物业乱收费",
            account_uid="1002",
            citizen_uid="u77",
        ),
        actor=PUBLIC,
    )
    assert (req.adcode, req.located_by) == ("410105", "account")
    assert req.platform == "weibo"
    assert req.source_post_id == "9001"
    assert req.organization_id == world.orgs["js_housing"]


def test_citizen_category_is_checked(session: Session, world: World) -> None:
    req = service.create_request(
        session, intake=intake("反映一个问题", category_code="0201", adcode="410105"), actor=PUBLIC
    )
    assert (req.category_code, req.classified_by) == ("0201", "citizen")
    assert req.organization_id == world.orgs["js_eco"]
    with pytest.raises(InvalidInputError):
        service.create_request(session, intake=intake("x", category_code="zz"), actor=PUBLIC)


def test_same_source_twice_is_idempotent(session: Session, world: World) -> None:
    data = intake("金水区路灯不亮", source="12345", source_ref="12345:A-1")
    first = service.receive(session, intake=data, actor=PUBLIC)
    again = service.receive(session, intake=data, actor=PUBLIC)
    assert again.status == "existing"
    assert again.request.id == first.request.id
    assert again.citizen_token is None


def test_reposts_and_near_copies_merge_with_provenance(session: Session, world: World) -> None:
    text = "#马上办# @金水住建 金水区农业路32号院小区门口井盖丢失三天了，晚上有人差点掉下去，请尽快处理！"
    first = service.receive(
        session,
        intake=RequestIntake(
            source="weibo", source_ref="weibo:1", text=text, citizen_uid="c1", account_uid="1002"
        ),
        actor=PUBLIC,
    ).request
    repost = service.receive(
        session,
        intake=RequestIntake(
            source="weibo",
            source_ref="weibo:2",
            text="扩散！//@c1:" + text,
            citizen_uid="other",
            root_ref="weibo:1",
        ),
        actor=PUBLIC,
    )
    copy = service.receive(
        session,
        intake=RequestIntake(source="weibo", source_ref="weibo:3", citizen_uid="c1",
                             text=text.replace("三天", "四天").replace("#马上办# ", "#问政# ")),
        actor=PUBLIC,
    )  # fmt: skip
    other = service.receive(
        session,
        intake=RequestIntake(source="weibo", source_ref="weibo:4", citizen_uid="c1",
                             text="@金水住建 另外我们楼的电梯也坏了，物业说没钱修"),
        actor=PUBLIC,
    )  # fmt: skip
    assert (repost.status, repost.request.id) == ("merged", first.id)
    assert (copy.status, copy.request.id) == ("merged", first.id)
    assert other.status == "created"
    assert other.request.id != first.id
    kinds = session.scalars(
        select(RequestSource.kind).where(RequestSource.request_id == first.id)
        .order_by(RequestSource.id)
    ).all()  # fmt: skip
    assert kinds == ["original", "repost", "copy"]


def test_copies_after_the_window_are_new_requests(session: Session, world: World) -> None:
    old = datetime(2025, 3, 3, 9, tzinfo=UTC)
    text = "金水区经三路夜间施工噪音扰民，凌晨两点还在打桩"
    kw = {"citizen_phone": PHONE}
    first = service.receive(session, intake=intake(text, submitted_at=old, **kw), actor=PUBLIC)
    later = service.receive(
        session, intake=intake(text, submitted_at=old + timedelta(days=40), **kw), actor=PUBLIC
    )
    assert later.status == "created"
    assert later.request.id != first.request.id


def test_masking_hides_the_citizens_name_and_phone(session: Session, world: World) -> None:
    req = service.create_request(
        session,
        intake=intake(
            f"我是张三丰，住金水区，电话{PHONE}，小区垃圾没人清运",
            citizen_name="张三丰",
            citizen_phone=PHONE,
        ),
        actor=PUBLIC,
    )
    assert "张三丰" not in req.text_masked
    assert PHONE not in req.text_masked
    assert "张**" in req.text_masked


def test_search_is_scoped_by_access(session: Session, world: World) -> None:
    mine = service.create_request(session, intake=intake("金水区小区物业乱收费"), actor=PUBLIC)
    theirs = service.create_request(
        session, intake=intake("洛阳市西工区小区物业乱收费"), actor=PUBLIC
    )
    assert theirs.organization_id == world.orgs["ly_housing"]
    handler = world.principals["js_housing"]
    found = {r.id for r in service.search(session, principal=handler)}
    assert mine.id in found
    assert theirs.id not in found
    assert {r.id for r in service.search(session, principal=world.principals["admin"])} >= {
        mine.id, theirs.id,
    }  # fmt: skip
    with pytest.raises(NotFoundError):
        service.get_readable(session, principal=handler, public_id=theirs.public_id)
    assert service.get_by_public_id(session, theirs.public_id).id == theirs.id


def test_a_long_email_or_uid_still_fits_the_citizen_key(session: Session, world: World) -> None:
    from zhengwu.servicedesk.dedup import CITIZEN_KEY_MAX, citizen_key

    long_a = "a" * 115 + "@example.com"  # 127 characters: "email:" makes the key 133
    long_b = "b" * 115 + "@example.com"
    key_a = citizen_key(source="form", citizen_uid=None, phone=None, email=long_a)
    key_b = citizen_key(source="form", citizen_uid=None, phone=None, email=long_b)
    uid = citizen_key(source="weibo", citizen_uid="u" * 200, phone=None, email=None)
    assert key_a and key_b and uid
    assert max(len(key_a), len(key_b), len(uid)) <= CITIZEN_KEY_MAX
    assert key_a != key_b
    short = "zw@example.com"
    assert citizen_key(source="form", citizen_uid=None, phone=None, email=short) == f"email:{short}"
    # Stored on either database (PostgreSQL refused the whole import before), and a second
    # submission of the same citizen still finds the first.
    text = "金水区文化路小区物业不作为，电梯坏了一个月没人修"
    first = service.receive(session, intake=intake(text, citizen_email=long_a), actor=PUBLIC)
    session.flush()
    again = service.receive(session, intake=intake(text, citizen_email=long_a), actor=PUBLIC)
    assert first.request.citizen_key == key_a
    assert again.request.id == first.request.id


def test_public_ids_are_the_day_received_and_six_letters() -> None:
    at = datetime(2025, 7, 1, 20, tzinfo=UTC)  # 2 July in China
    ids = {service._public_id(at) for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"SR250702[A-HJ-NP-Z]{6}", i) for i in ids)
    letters = {ch for i in ids for ch in i[8:]}
    assert letters <= set(service._ID_LETTERS) and len(letters) > 20  # every letter drawn
