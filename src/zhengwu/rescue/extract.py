"""Help-post detection and field extraction (求助信息识别与要素提取).

:func:`extract` reads one post — a filled-in template, a pasted spreadsheet row or free
text, in simplified or traditional characters — and returns a :class:`HelpExtraction`:
whether it is a help post, who, where, how many, what they need, how urgent, and how
complete the request is. It uses precompiled patterns only (no segmentation, no model),
so it keeps up with an incident's full stream of posts.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

import msgspec

from zhengwu.rescue import address as addresses
from zhengwu.rescue import kind, people, situation, template, when
from zhengwu.rescue.phones import extract_phones, mask_phones
from zhengwu.rescue.situation import Urgency
from zhengwu.rescue.textnorm import normalise

#: The fields a dispatcher needs, with the weight each has in :attr:`completeness`.
#: Contact and address weigh most: without them nobody can verify or reach the people.
COMPLETENESS_WEIGHTS: dict[str, float] = {
    "phones": 0.3,
    "address": 0.3,
    "people": 0.15,
    "needs": 0.15,
    "name": 0.1,
}


_MASKED_PHONE = re.compile(r"#+")


class HelpExtraction(msgspec.Struct, frozen=True, kw_only=True):
    """The structured fields of one post.

    ``update`` is ``"resolved"`` when the post reports that the people were rescued
    ("已获救", "人已救出请勿再打电话"); such a post keeps ``is_help=True`` so that it can be
    merged with the request it closes. Fields are extracted from every post, help or not;
    ``update`` is only set on help posts. ``missing`` lists the fields of
    :data:`COMPLETENESS_WEIGHTS` the post lacks; ``needs`` counts as present when a need or a
    hazard is described.
    """

    is_help: bool
    update: Literal["resolved"] | None = None
    name: str | None = None
    age: int | None = None
    phones: tuple[str, ...] = ()
    address: str | None = None
    adcode: str | None = None
    lon: float | None = None
    lat: float | None = None
    people: int | None = None
    vulnerabilities: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    hazard: str | None = None
    reported_at: datetime | None = None
    urgency: Urgency = "normal"
    urgency_reasons: tuple[str, ...] = ()
    completeness: float = 0.0
    missing: tuple[str, ...] = ()


def extract(
    text: str, *, posted_at: datetime | None = None, region_hint: str | None = None
) -> HelpExtraction:
    """Extract the help-request fields of one post (``posted_at`` anchors relative times)."""
    norm = normalise(text)
    labels = template.read_labels(norm)
    row = template.read_row(text)
    phones = extract_phones(norm)
    masked = mask_phones(norm)

    # "5人已救出" is not part of the situation; after a full rescue ("6个人已全部转移")
    # the count still says how many people the closed request was about.
    body = situation.mask_resolved(masked)
    resolved = situation.resolved(norm)
    name = _name(labels, row, masked, norm)
    age_list = people.ages(body)
    age = _labelled_age(labels) or (age_list[0] if age_list else None)
    count = _people(labels, row, masked if resolved else body)
    address, place = _place(labels, row, masked, region_hint)

    vulnerable = situation.vulnerabilities(body, age_list)
    # A resolved post has no open needs: what it names (安置点) is where people went.
    needs = [] if resolved else situation.needs(body, vulnerable)
    danger = situation.hazard(body)
    level, reasons = situation.urgency(body, needs, vulnerable, danger)
    if resolved:
        level, reasons = "normal", ["resolved"]

    whole = kind.Evidence(
        phones=bool(phones),
        trapped="trapped" in needs,
        needs=bool(needs),
        vulnerable=bool(vulnerable),
        hazard=danger.phrase is not None,
        person=name is not None or count is not None,
        place=address is not None,
    )
    help_post = kind.is_help(norm, whole, labels.count)
    present = {
        "phones": bool(phones),
        "address": address is not None or place is not None,
        "people": count is not None,
        "needs": bool(needs) or danger.phrase is not None,
        "name": name is not None,
    }
    return HelpExtraction(
        is_help=help_post,
        update="resolved" if help_post and resolved else None,
        name=name,
        age=age,
        phones=tuple(phones),
        address=address,
        adcode=place.adcode if place else None,
        lon=place.lon if place else None,
        lat=place.lat if place else None,
        people=count,
        vulnerabilities=tuple(vulnerable),
        needs=tuple(needs),
        hazard=danger.phrase,
        reported_at=when.reported_at(_time_text(labels, masked), posted_at),
        urgency=level,
        urgency_reasons=tuple(reasons),
        completeness=round(sum((w for f, w in COMPLETENESS_WEIGHTS.items() if present[f]), 0.0), 2),
        missing=tuple(f for f in COMPLETENESS_WEIGHTS if not present[f]),
    )


def _name(
    labels: template.Labelled, row: template.Row | None, masked: str, norm: str
) -> str | None:
    for kind_ in ("name", "contact_name"):
        value = labels.get(kind_)
        if value and (name := people.clean_name(value)):
            return name
    if row and row.name:
        return row.name
    phones_at = [m.start() for m in _MASKED_PHONE.finditer(masked)]
    return people.find_name(norm, phones_at)


def _labelled_age(labels: template.Labelled) -> int | None:
    value = labels.get("age")
    found = people.ages(f"年龄{value}") if value else []
    return found[0] if found else None


def _people(labels: template.Labelled, row: template.Row | None, masked: str) -> int | None:
    value = labels.get("people")
    if value and (n := people.count_people(f"人数{value}")):
        return n
    return people.count_people(masked) or (row.people if row else None)


def _place(
    labels: template.Labelled, row: template.Row | None, masked: str, hint: str | None
) -> tuple[str | None, addresses.Place | None]:
    address = template.labelled_address(labels) or (row.address if row else None)
    address = address or addresses.find_address(masked)
    hint = hint or labels.get("city")
    text = addresses.blank_tags(masked)
    if address:
        # A street without its city ("文化路32号院") is placed by the rest of the post,
        # then by the incident's region.
        place = addresses.resolve(address, hint) or addresses.resolve(text, hint)
        if place is None and hint:
            place = addresses.resolve(hint, None)
        return address, place
    # No address-shaped run: a bare division name ("被困在卫辉") may still locate the post.
    place = addresses.resolve(text, hint)
    if place is None:
        return None, None
    return addresses.extend_address(text, place.span), place


def _time_text(labels: template.Labelled, masked: str) -> str:
    value = labels.get("time")
    return f"{value} {masked}" if value else masked
