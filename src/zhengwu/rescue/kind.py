"""Is it a help post? Tell 求助 apart from news, prayers, official notices, offers and chatter.

Decided per segment of a repost chain ("我的评论//@甲:转发内容//@乙:原帖"): a repost of
a help post is a mirror of that request (the merger folds it in), a repost of an official
notice is not a request. A segment is a help post when:

1. it is not news (据…报道, 记者, 新华社), not an official notice (【预警】, 气象台,
   请广大市民 …) and not an offer of help or a donation drive (可提供, 有需要的请联系, 捐款),
2. and one of these holds:

   0. it is a filled-in template (two or more labels such as 【姓名】【联系方式】);
   a. it asks for help (求助, 救命, 扩散, 寻人, 帮忙, 有没有人 …) and carries something to act
      on: a phone, a need, a vulnerable person, a name, a place or a count;
   b. it says what it needs (需要, 急需, 缺) and names a need or a vulnerable person;
   c. it gives a phone number together with a need or a vulnerable person (terse posts,
      pasted spreadsheet rows);
   d. it says, first-hand, that people are trapped, or that the water has reached them, and
      who or where ("一家五口被困", "我老公带着孩子在车顶上，水快淹了车顶") — not when it
      is hearsay (听说, 看新闻);
   e. it reports that a request was resolved ("已获救，请勿再打电话"): such an update is
      kept as a help post so that it can close the request it belongs to.

Prayers ("河南加油", "平安") and chatter carry none of these and are not help posts.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhengwu.rescue import lexicon, people, situation
from zhengwu.rescue.address import find_address
from zhengwu.rescue.phones import extract_phones, mask_phones

_TEMPLATE_LABELS = 2


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a post (or one segment of a repost chain) holds to act on."""

    phones: bool
    trapped: bool
    needs: bool
    vulnerable: bool
    hazard: bool
    person: bool  # a name or a head count
    place: bool


def is_help(text: str, whole: Evidence, template_labels: int) -> bool:
    """Return True when normalised ``text`` asks for help or updates a help request.

    ``whole`` is what extraction found in the whole post, so a single post is not searched
    twice; segments of a repost chain are searched on their own.
    """
    if template_labels >= _TEMPLATE_LABELS and not _excluded(text):
        return True
    segments = lexicon.REPOST_SPLIT.split(text)
    if len(segments) == 1:
        return _segment_is_help(text, whole)
    # Each segment stands on what it says itself: "扩散" on top of a notice that names a
    # city must not borrow the notice's place.
    return any(_segment_is_help(segment, _evidence(segment)) for segment in segments)


def _evidence(text: str) -> Evidence:
    trapped = bool(lexicon.NEEDS["trapped"].search(text))
    return Evidence(
        phones=bool(extract_phones(text)),
        trapped=trapped,
        needs=trapped or any(p.search(text) for p in lexicon.NEEDS.values()),
        vulnerable=any(p.search(text) for p in lexicon.VULNERABILITIES.values()),
        hazard=situation.hazard(text).phrase is not None,
        person=people.count_people(text) is not None,
        place=find_address(mask_phones(text)) is not None,
    )


def _excluded(text: str) -> bool:
    return bool(
        lexicon.NEWS_MARKERS.search(text)
        or lexicon.NOTICE_MARKERS.search(text)
        or lexicon.OFFER_MARKERS.search(text)
    )


def _segment_is_help(text: str, e: Evidence) -> bool:
    if _excluded(text):
        return False
    actionable = e.phones or e.needs or e.vulnerable or e.person or e.place
    if actionable and lexicon.HELP_MARKERS.search(text):
        return True
    if (e.needs or e.vulnerable) and lexicon.NEED_MARKERS.search(text):
        return True
    if e.phones and (e.needs or e.vulnerable):
        return True
    first_hand = not lexicon.HEARSAY_MARKERS.search(text)
    if (
        first_hand
        and (e.trapped or e.hazard)
        and (e.person or e.vulnerable or (e.trapped and e.place))
    ):
        return True
    return situation.resolved(text) and bool(
        e.phones or e.person or e.place or lexicon.RESOLVED_CONTEXT.search(text)
    )
