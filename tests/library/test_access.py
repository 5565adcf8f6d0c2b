"""Who sees and manages which library item, role by role (library/access.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.errors import ForbiddenError, NotFoundError
from zhengwu.library import access, service
from zhengwu.library.models import ContentItem, ItemUpdate
from zhengwu.library.service import ItemFilters

from .world import World


def _visible(session: Session, who: Principal) -> set[str]:
    return {i.title for i in session.scalars(access.readable_items(who))}


@pytest.fixture
def items(session: Session, world: World) -> dict[str, ContentItem]:
    """One item per visibility and owner."""
    zz, henan = world.matrices["zz"], world.matrices["henan"]
    made = {
        "police_org": service.create(session, world["op_police"], title="police_org",
                                     visibility="organization", matrix_id=zz),
        "police_matrix": service.create(session, world["op_police"], title="police_matrix",
                                        visibility="matrix", matrix_id=zz),
        "zz_shared": service.create(session, world["office_zz"], title="zz_shared",
                                    visibility="shared"),
        "henan_shared": service.create(session, world["office_henan"], title="henan_shared",
                                       visibility="shared"),
        "henan_matrix": service.create(session, world["office_henan"], title="henan_matrix",
                                       visibility="matrix", matrix_id=henan),
        "ly_matrix": service.create(session, world["op_ly"], title="ly_matrix",
                                    visibility="matrix", matrix_id=world.matrices["ly"]),
    }  # fmt: skip
    return made


def test_each_role_sees_its_part(
    session: Session, world: World, items: dict[str, ContentItem]
) -> None:
    assert _visible(session, world["admin"]) == set(items)
    # The city office manages its matrix, and sees what the province shares down.
    assert _visible(session, world["office_zz"]) == {
        "police_org", "police_matrix", "zz_shared", "henan_shared"}  # fmt: skip
    # The provincial office sees its own items and what sub-matrices share up.
    assert _visible(session, world["office_henan"]) == {"henan_shared", "henan_matrix",
                                                        "zz_shared"}  # fmt: skip
    # An operator: its organisation's items, its matrices' items, what ancestors share.
    assert _visible(session, world["op_police"]) == {
        "police_org", "police_matrix", "zz_shared", "henan_shared"}  # fmt: skip
    assert _visible(session, world["op_housing"]) == {"police_matrix", "zz_shared",
                                                      "henan_shared"}  # fmt: skip
    assert _visible(session, world["op_ly"]) == {"ly_matrix", "henan_shared"}
    assert _visible(session, world["office_ly"]) == {"ly_matrix", "henan_shared"}
    for other in ("handler", "dispatcher", "verifier"):
        assert _visible(session, world[other]) == set()
    assert _visible(session, PUBLIC) == set()


def test_other_roles_are_refused_with_403(session: Session, world: World,
                                          items: dict[str, ContentItem]) -> None:  # fmt: skip
    team = Principal(role="team", user_id=99, username="t", display_name="队员", team_id=1)
    for who in (world["handler"], world["dispatcher"], world["verifier"], team, PUBLIC):
        with pytest.raises(ForbiddenError):
            service.list_items(session, who, ItemFilters())
        with pytest.raises(ForbiddenError):
            service.get(session, who, items["police_matrix"].id)
        with pytest.raises(ForbiddenError):
            service.create(session, who, title="不可以")


def test_manage_only_own_items(session: Session, world: World,
                               items: dict[str, ContentItem]) -> None:  # fmt: skip
    shared = items["henan_shared"]
    with pytest.raises(ForbiddenError):  # sees it, may not change it
        service.get_manageable(session, world["op_police"], shared.id)
    with pytest.raises(ForbiddenError):
        service.update(session, world["office_zz"], shared, ItemUpdate(title="改"))
    with pytest.raises(NotFoundError):  # does not even see it
        service.get(session, world["op_ly"], items["police_org"].id)
    mine = service.get_manageable(session, world["office_zz"], items["police_org"].id)
    assert access.can_manage(world["office_zz"], mine)
    assert not access.can_manage(world["op_housing"], items["police_matrix"])


def test_cannot_file_under_a_foreign_matrix(session: Session, world: World) -> None:
    with pytest.raises(ForbiddenError):
        service.create(session, world["op_police"], title="越权", matrix_id=world.matrices["ly"])
    with pytest.raises(ForbiddenError):
        service.create(session, world["office_zz"], title="越权", matrix_id=world.matrices["ly"])
    ok = service.create(session, world["op_police"], title="本单位", visibility="shared")
    assert ok.matrix_id is None and ok.visibility == "organization"
