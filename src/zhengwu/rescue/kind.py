"""Is it a help post? Tell 求助 apart from news, prayers, official notices, offers and chatter.

Decided per segment of a repost chain ("我的评论//@甲:转发内容//@乙:原帖"): a repost of
a help post is a mirror of that request (the merger folds it in), a repost of an official
notice is not a request. A segment is a help post when:

1. it is a filled-in template (two or more labels such as 【姓名】【联系方式】), or
2. it is not news (据…报道, 记者, 新华社), not an official notice (【预警】, 气象台,
   请广大市民 …) and not an offer of help (可提供, 有需要的请联系), and
   a. it asks for help (求助, 救命, 被困求救, 扩散, 寻人 …) and carries something to act on
      (a phone, people trapped, a need, a vulnerable person, a count, a name or place), or
   b. it gives a phone number together with a need or a vulnerable person (terse posts,
      pasted spreadsheet rows), or
   c. it says people are trapped and where or how many (a plea without the word 求助), or
   d. it reports that a request was resolved ("已获救，请勿再打电话"): such an update is
      kept as a help post so that it can close the request it belongs to.

Prayers ("河南加油", "平安") and chatter carry none of these and are not help posts.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhengwu.rescue import lexicon, situation
from zhengwu.rescue.phones import extract_phones

_TEMPLATE_LABELS = 2


@dataclass(frozen=True, slots=True)
class Known:
    """What extraction already found in the whole post, so it is not searched for twice."""

    template_labels: int
    has_name: bool
    has_place: bool
    people: int | None
    phones: bool
    trapped: bool
    needs: bool
    vulnerable: bool


@dataclass(frozen=True, slots=True)
class _Evidence:
    phones: bool
    trapped: bool
    needs: bool
    vulnerable: bool
    identity: bool


def is_help(text: str, known: Known) -> bool:
    """Return True when normalised ``text`` asks for help or updates a help request."""
    if known.template_labels >= _TEMPLATE_LABELS:
        return True
    identity = known.has_name or known.has_place or bool(known.people)
    segments = situation.REPOST_SPLIT.split(text)
    if len(segments) == 1:
        whole = _Evidence(known.phones, known.trapped, known.needs, known.vulnerable, identity)
        return _segment_is_help(text, whole)
    # A chain: each segment on its own evidence; the name, place and count found in the
    # whole post back only the first segment (the reposter's own words).
    return any(
        _segment_is_help(segment, _evidence(segment, identity=identity and i == 0))
        for i, segment in enumerate(segments)
    )


def _evidence(text: str, *, identity: bool) -> _Evidence:
    trapped = bool(lexicon.NEEDS["trapped"].search(text))
    return _Evidence(
        phones=bool(extract_phones(text)),
        trapped=trapped,
        needs=trapped or any(p.search(text) for p in lexicon.NEEDS.values()),
        vulnerable=any(p.search(text) for p in lexicon.VULNERABILITIES.values()),
        identity=identity,
    )


def _segment_is_help(text: str, e: _Evidence) -> bool:
    if situation.NEWS_MARKERS.search(text) or situation.NOTICE_MARKERS.search(text):
        return False
    if situation.OFFER_MARKERS.search(text):
        return False
    if (e.phones or e.needs or e.vulnerable or e.identity) and situation.HELP_MARKERS.search(text):
        return True
    if e.phones and (e.needs or e.vulnerable):
        return True
    if e.trapped and e.identity:
        return True
    return situation.resolved(text) and bool(
        e.phones or e.identity or situation.RESOLVED_CONTEXT.search(text)
    )
