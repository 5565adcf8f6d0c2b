"""Routing rules derived from the bodies on file (``zhengwu desk routing derive``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhengwu.accounts.models import Organization
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.service import SYSTEM


def test_a_body_with_an_unknown_adcode_is_skipped_not_fatal(session: Session) -> None:
    category_service.ensure_default_tree(session)
    good = Organization(name="郑州市住房和城乡建设局", level="市", sector="住建", adcode="410100")
    # Stored before the importer checked codes: six digits, but no such division.
    bad = Organization(
        name="某市住房和城乡建设局", level="市", sector="住建", adcode="999999", external_id="B1"
    )
    session.add_all([good, bad])
    session.flush()

    derivation = routing_service.derive_rules(session, actor=SYSTEM)

    assert derivation.rules, "the body with a valid code still gets its rules"
    assert {r.organization_id for r in derivation.rules} == {good.id}
    assert {r.adcode for r in derivation.rules} == {"410100"}
    (warning,) = derivation.warnings
    assert "999999" in warning and "区划代码无效" in warning and "unknown adcode" in warning
    assert "B1" in warning


def test_the_derived_version_says_so_in_chinese(session: Session) -> None:
    # The settings page lists the table's versions: "derived from sectors" alone read
    # English in a Chinese changelog.
    category_service.ensure_default_tree(session)
    session.add(
        Organization(name="郑州市住房和城乡建设局", level="市", sector="住建", adcode="410100")
    )
    session.flush()
    routing_service.derive_rules(session, actor=SYSTEM)
    newest = routing_service.versions(session)[0]
    assert newest.note == "按机构系统推导 / derived from sectors"
