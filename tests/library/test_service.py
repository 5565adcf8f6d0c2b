"""Library items: create, edit with history, labels ranking, filters, Chinese search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.errors import ConflictError, InvalidInputError
from zhengwu.library import distribution, service
from zhengwu.library.models import ContentItem, DistributionPlan, ItemUpdate
from zhengwu.library.service import ItemFilters, Upload
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage

from .world import PNG, World, upload


def _item(session: Session, world: World, user: str = "op_police", **fields: object) -> ContentItem:
    values: dict[str, object] = {
        "title": "郑州发布暴雨红色预警",
        "body": "市气象台发布暴雨红色预警信号",
    }
    values.update(fields)
    return service.create(session, world[user], **values)  # type: ignore[arg-type]


def test_create_keeps_owner_tags_labels_and_who(session: Session, world: World) -> None:
    item = _item(session, world, tags=["暴雨, 预警", "#防汛#"], labels=["首发"],
                 matrix_id=world.matrices["zz"])  # fmt: skip
    loaded = service.get(session, world["op_police"], item.id)
    read = service.to_read(loaded, world["op_police"])
    assert read.organization_id == world.orgs["police"]
    assert read.matrix_id == world.matrices["zz"]
    assert read.tags == ["暴雨", "防汛", "预警"] or sorted(read.tags) == ["暴雨", "防汛", "预警"]
    assert [x.label for x in read.labels] == ["首发"]
    assert read.labels[0].added_by_name == "op_police用户"
    assert read.created_by_name == "op_police用户"
    assert read.may_manage is True


def test_bad_input_is_refused_with_both_languages(session: Session, world: World) -> None:
    with pytest.raises(InvalidInputError) as exc:
        _item(session, world, labels=["重要"])
    assert "内容标识" in exc.value.message_zh and "label" in exc.value.message_en
    with pytest.raises(InvalidInputError):
        _item(session, world, title="   ")
    with pytest.raises(InvalidInputError):
        _item(session, world, kind="podcast")
    assert session.scalar(select(ContentItem.id)) is None  # nothing half-written


def test_editing_keeps_history_in_the_audit_log(session: Session, world: World) -> None:
    item = _item(session, world, matrix_id=world.matrices["zz"])
    office = world["office_zz"]
    service.update(session, office, item, ItemUpdate(title="郑州暴雨红色预警（更新）",
                                                      labels=["权威"], expected_version=1))  # fmt: skip
    assert item.version == 2 and item.label_rank == 4
    assert item.updated_by_name == "office_zz用户"
    with pytest.raises(ConflictError):
        service.update(session, office, item, ItemUpdate(body="x", expected_version=1))
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "library_item",
                                 AuditEntry.entity_id == item.id).order_by(AuditEntry.id)
    ).all()  # fmt: skip
    assert [e.action for e in entries] == ["create", "update"]
    changes = entries[1].data["changes"]  # type: ignore[index]
    assert changes["title"] == ["郑州发布暴雨红色预警", "郑州暴雨红色预警（更新）"]
    assert changes["labels"] == [[], ["权威"]]
    assert entries[1].actor_name == "office_zz用户"
    unchanged = service.update(session, office, item, ItemUpdate(title="郑州暴雨红色预警（更新）"))
    assert unchanged.version == 2  # no change, no new version


def test_labelled_items_rank_first_then_recency(session: Session, world: World) -> None:
    plain_new = _item(session, world, title="最新的无标识稿件")
    original = _item(session, world, title="原创稿件", labels=["原创"])
    first = _item(session, world, title="首发稿件", labels=["首发", "原创"])
    exclusive = _item(session, world, title="独家稿件", labels=["独家"])
    authority = _item(session, world, title="权威稿件", labels=["权威"])
    plain_old = _item(session, world, title="较早的无标识稿件")
    plain_old.updated_at = plain_new.updated_at - timedelta(days=1)
    session.flush()
    _, items = service.list_items(session, world["op_police"], ItemFilters())
    assert [i.id for i in items] == [authority.id, exclusive.id, first.id, original.id,
                                     plain_new.id, plain_old.id]  # fmt: skip
    total, only = service.list_items(session, world["op_police"], ItemFilters(label="原创"))
    assert total == 2 and {i.id for i in only} == {first.id, original.id}


def test_filters_by_tag_kind_owner_and_matrix(session: Session, world: World) -> None:
    a = _item(session, world, tags=["防汛"], kind="article", matrix_id=world.matrices["zz"])
    b = _item(session, world, "op_housing", title="保障房摇号结果", tags=["住房"],
              kind="document", matrix_id=world.matrices["zz"])  # fmt: skip
    admin = world["admin"]
    assert [i.id for i in service.list_items(session, admin, ItemFilters(tag="防汛"))[1]] == [a.id]
    assert [i.id for i in service.list_items(session, admin, ItemFilters(kind="document"))[1]] == [
        b.id
    ]
    owner = ItemFilters(organization_id=world.orgs["housing"])
    assert [i.id for i in service.list_items(session, admin, owner)[1]] == [b.id]
    assert service.list_items(session, admin, ItemFilters(matrix_id=world.matrices["zz"]))[0] == 2
    with pytest.raises(InvalidInputError):
        service.list_items(session, admin, ItemFilters(kind="bogus"))


def test_chinese_search_is_segmented(session: Session, world: World) -> None:
    rain = _item(session, world, title="郑州发布暴雨红色预警", body="请市民减少外出")
    _item(session, world, title="红色旅游线路推荐", body="暑期出游")
    tagged = _item(session, world, title="防汛值班表", body="", tags=["暴雨"])
    admin = world["admin"]
    # "暴雨预警" is not a substring of any title: it matches as the words 暴雨 + 预警.
    assert service.search_terms("暴雨预警") == ["暴雨", "预警"]
    hits = service.list_items(session, admin, ItemFilters(q="暴雨预警"))[1]
    assert [i.id for i in hits] == [rain.id]
    assert {i.id for i in service.list_items(session, admin, ItemFilters(q="暴雨"))[1]} == {
        rain.id, tagged.id}  # fmt: skip
    assert service.list_items(session, admin, ItemFilters(q="100%"))[0] == 0


def test_files_are_attached_and_duplicates_refused(session: Session, world: World) -> None:
    name, stream = upload("图.png", PNG)
    item = _item(session, world, kind="image", files=[Upload(name, stream)])
    assert item.files[0].content_type == "image/png" and item.files[0].size == len(PNG)
    with pytest.raises(ConflictError):
        service.add_file(session, world["op_police"], item, Upload(*upload("同一张.png", PNG)))
    other = service.add_file(session, world["op_police"], item,
                             Upload(*upload("另一张.png", PNG + b"x")))  # fmt: skip
    assert other.sha256 != item.files[0].sha256 and item.version == 2


def test_delete_removes_the_item_and_keeps_its_audit(session: Session, world: World) -> None:
    item = _item(session, world)
    item_id = item.id
    service.remove(session, world["op_police"], item)
    assert session.get(ContentItem, item_id) is None
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == item_id,
                              AuditEntry.entity_type == "library_item")).all()  # fmt: skip
    assert list(actions) == ["create", "delete"]


def test_deleting_an_item_withdraws_its_queued_distributions(
    session: Session, world: World
) -> None:
    item = _item(session, world)
    weibo, douyin = world.accounts["police_weibo"], world.accounts["police_douyin"]
    [sent, waiting] = distribution.plan(session, world["op_police"], item,
                                        DistributionPlan(account_ids=[weibo, douyin])).targets  # fmt: skip
    sent_id, waiting_id = sent.outbox_id, waiting.outbox_id
    recorder = outbox_service.RecordingConnector(platform="weibo")
    outbox_service.deliver_pending(session, [recorder])  # the Weibo one is out already
    service.remove(session, world["op_police"], item)
    delivered, withdrawn = (
        session.get(OutboxMessage, sent_id),
        session.get(OutboxMessage, waiting_id),
    )
    assert delivered is not None and delivered.state == "delivered"
    assert withdrawn is not None and withdrawn.state == "failed"
    assert withdrawn.error == service.WITHDRAWN and "撤回" in withdrawn.error
    # The worker publishes nothing of the deleted item afterwards.
    assert (
        outbox_service.deliver_pending(session, [outbox_service.RecordingConnector()]).delivered
        == 0
    )
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == item.id,
                            AuditEntry.action == "delete")).one()  # fmt: skip
    assert entry.data is not None and entry.data["withdrawn"] == 1
