"""Merging reposts, copies and updates of one help request (重复求助合并).

A request for help circulates as many posts: the original, reposts of it, copies that
strangers re-post with small edits, and updates ("已获救"). :func:`cluster` groups a batch
of posts into one :class:`Cluster` per request, keeping every post as a member with the
rule that merged it. It never compares all pairs: every post gets a few bucket keys — its
own and its root's post id, each phone, its address, and its MinHash bands — and is
compared only with the first members of the buckets it falls in (union-find), so the cost
grows linearly with the stream.

Rules, strongest first; each refuses a merge that the facts contradict:

- ``repost``: a repost of the post (or of its root). Always merged.
- ``phone``: the same phone number, unless the addresses clearly differ (one volunteer
  posting for several families gives the same number for each).
- ``text``: near-identical text (estimated Jaccard ≥ :data:`TEXT_THRESHOLD`), unless both
  posts give phones and share none, or name different counties.
- ``address``: the same specific address in the same county, unless both give phones and
  share none (two families in one building are two requests).

The database service (:mod:`zhengwu.rescue.intake`) runs the same engine on each incoming
batch and then matches each cluster against stored requests with the same keys.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from multiprocessing import get_context
from typing import Literal

import msgspec
import numpy as np

from zhengwu import regions
from zhengwu.rescue import minhash, people, situation
from zhengwu.rescue.extract import HelpExtraction, extract
from zhengwu.rescue.phones import extract_phones, mask_phones
from zhengwu.rescue.textnorm import normalise

Kind = Literal["original", "repost", "copy", "update"]
Rule = Literal["repost", "phone", "address", "text", "manual"]
KINDS: tuple[Kind, ...] = ("original", "repost", "copy", "update")
RULES: tuple[Rule, ...] = ("repost", "phone", "address", "text", "manual")
TEXT_THRESHOLD = 0.5
REUSE_SIMILARITY = 0.85  # a near-copy this close takes the fields of the text it copies
MAX_REPRESENTATIVES = 4  # bucket members a newcomer is compared with: bounds the work per key
KEY_MAX = 96  # characters of a stored bucket key (help_match_keys.key)
_PARALLEL_MIN = 2_000  # below this, starting worker processes costs more than it saves


class HelpPostIn(msgspec.Struct, frozen=True, kw_only=True):
    """One incoming post: its identity, text and (for a repost) the text it reposts."""

    post_id: str
    text: str
    platform: str = "weibo"
    posted_at: datetime | None = None
    author: str | None = None
    url: str | None = None
    is_repost: bool = False
    root_post_id: str | None = None
    root_text: str | None = None
    root_posted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Features:
    """What merging compares: identities, phones, place and the text's MinHash signature."""

    post_key: str
    root_key: str | None
    phones: frozenset[str]
    address_key: str | None
    county: str | None
    signature: bytes

    def bucket_keys(self) -> list[tuple[Rule, str]]:
        """Return the bucket keys of this post, with the rule each one stands for."""
        keys: list[tuple[Rule, str]] = [("repost", self.post_key)]
        if self.root_key:
            keys.append(("repost", self.root_key))
        keys.extend(fact_keys(self.phones, self.address_key))
        keys.extend(
            ("text", key) for key in minhash.band_keys(np.frombuffer(self.signature, np.uint32))
        )
        return keys


@dataclass(slots=True)
class Analysed:
    """A post with its extraction and (for help posts) its merge features."""

    post: HelpPostIn
    extraction: HelpExtraction
    features: Features | None


@dataclass(slots=True)
class Member:
    """One post of a cluster: its kind, and the rule and score that merged it."""

    post: HelpPostIn
    extraction: HelpExtraction
    features: Features
    kind: Kind = "original"
    merged_by: Rule | None = None
    score: float = 1.0


@dataclass(slots=True)
class Cluster:
    """The posts of one help request; ``members[0]`` is the original."""

    members: list[Member] = field(default_factory=list)

    @property
    def original(self) -> Member:
        """Return the member that stands for the request."""
        return self.members[0]

    @property
    def reported_rescued(self) -> bool:
        """Return whether a member reports the people rescued ("已获救")."""
        return any(m.kind == "update" for m in self.members)


def fitted_key(key: str, limit: int = KEY_MAX) -> str:
    """Return a bucket key as it is stored and looked up: at most ``limit`` characters
    (:data:`KEY_MAX`; a post id: its column's, :func:`zhengwu.rescue.intake.fitted_post`).

    A longer key (a 256-character address, an 80-character post id on a long platform
    name) keeps its start and ends in a digest of the whole key, so equal keys still meet
    and different ones stay apart, and it fits the column on every database.
    """
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{key[: limit - len(digest) - 1]}#{digest}"


def fact_keys(phones: Iterable[str], address: str | None) -> list[tuple[Rule, str]]:
    """Return the phone and address bucket keys of a post's mobiles and address key."""
    keys: list[tuple[Rule, str]] = [
        ("phone", fitted_key(f"m:{phone}")) for phone in sorted(set(phones))
    ]
    if address:
        keys.append(("address", fitted_key(f"a:{address}")))
    return keys


def post_key(platform: str, post_id: str) -> str:
    """Return the bucket key of a post's identity."""
    return fitted_key(f"p:{platform}:{post_id}")


def conflict(a: Features, b: Features, *, phones: bool = True) -> bool:
    """Return whether two posts are clearly about different people (phones, county)."""
    if phones and a.phones and b.phones and not (a.phones & b.phones):
        return True
    return bool(a.county and b.county and a.county != b.county)


def match(a: Features, b: Features, rule: Rule) -> float | None:
    """Return the score with which ``a`` merges into ``b`` under ``rule``, or None."""
    if rule == "repost":
        return 1.0
    if rule == "phone":
        if conflict(a, b, phones=False) or _places_differ(a, b):
            return None
        return 1.0
    if rule == "address":
        return None if conflict(a, b) else 0.9
    score = minhash.similarity(a.signature, b.signature)
    if score < TEXT_THRESHOLD or conflict(a, b):
        return None
    return round(score, 3)


def _places_differ(a: Features, b: Features) -> bool:
    if not (a.address_key and b.address_key) or a.address_key == b.address_key:
        return False
    left, right = a.address_key.split("|", 1)[1], b.address_key.split("|", 1)[1]
    return not (left in right or right in left)


@lru_cache(maxsize=4096)
def _county(adcode: str | None) -> str | None:
    if not adcode:
        return None
    division = regions.get(adcode)
    return adcode if division is not None and division.level == "county" else None


def county_key(adcode: str | None) -> str | None:
    """Return ``adcode`` when it names a county (区县): what a post's county is compared by."""
    return _county(adcode)


def address_key(address: str | None, adcode: str | None) -> str | None:
    """Return ``county|rest`` for a specific address (a street number, estate or village)."""
    county = _county(adcode)
    if not address or county is None:
        return None
    division = regions.get(county)
    rest = address
    if division is not None:
        for name in (division.name, division.short_name):
            at = rest.find(name)
            if at >= 0:
                rest = rest[at + len(name) :]
                break
    rest = minhash.normalise(rest)
    return f"{county}|{rest}" if len(rest) >= 4 else None


def features_of(
    post: HelpPostIn, extraction: HelpExtraction, signature: bytes, *, root_linked: bool
) -> Features:
    """Return the merge features of an analysed post."""
    return Features(
        post_key=post_key(post.platform, post.post_id),
        root_key=post_key(post.platform, post.root_post_id)
        if root_linked and post.root_post_id
        else None,
        phones=frozenset(p for p in extraction.phones if p.startswith("1")),
        address_key=address_key(extraction.address, extraction.adcode),
        county=_county(extraction.adcode),
        signature=signature,
    )


# -- analysis (extraction and signatures), optionally in worker processes ------------------


def own_comment(text: str) -> str:
    """Return a repost's own words, without the quoted chain of earlier reposters."""
    return text.split("//@", 1)[0].strip()


def _extract_many(
    jobs: list[tuple[str, datetime | None]], hint: str | None = None
) -> list[HelpExtraction]:
    return [extract(text, posted_at=posted, region_hint=hint) for text, posted in jobs]


def _warm() -> None:
    extract("郑州市金水区文化路1号 13800000000 被困")  # load the tables once per worker


def _run_extractions(
    jobs: list[tuple[str, datetime | None]], workers: int, hint: str | None
) -> list[HelpExtraction]:
    if workers <= 1 or len(jobs) < _PARALLEL_MIN:
        return _extract_many(jobs, hint)
    size = max(200, len(jobs) // (workers * 8))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    # forkserver, not fork: the caller may hold threads (a web server, DuckDB) that a fork
    # would copy in a locked state.
    context = get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_warm) as pool:
        return [
            item for part in pool.map(partial(_extract_many, hint=hint), chunks) for item in part
        ]


def _near_copies(signatures: np.ndarray) -> list[int]:
    """Return, for each text, the earlier text it nearly copies (or itself)."""
    source = list(range(len(signatures)))
    buckets: dict[str, int] = {}
    for i, signature in enumerate(signatures):
        for key in minhash.band_keys(signature):
            first = buckets.setdefault(key, i)
            if first != i and minhash.similarity(signature, signatures[first]) >= REUSE_SIMILARITY:
                source[i] = source[first]
                break
    return source


# The numbers a text writes (digits, numerals, 夫妻), each with the character after it: a
# copy that writes none its original does not — as many times — states no other phone or
# count, and is not read further (most copies). The character after tells the 3 of 全家3人
# from the 3 of 3号楼, the 两 of 老两口 from that of 两岁.
_NUMBER = re.compile(r"(?:[0-9０-９〇零一二两俩仨三四五六七八九十百千几]+|夫妻).?", re.DOTALL)


def _numbers(text: str) -> Counter[str]:
    """Return the runs of digits and numerals ``text`` writes (with the character after
    each), counted."""
    return Counter(_NUMBER.findall(text))


def _facts(text: str) -> tuple[set[str], int]:
    """Return the phones and the people count (0: none) a text states."""
    norm = normalise(text)
    return set(extract_phones(norm)), people.count_people(mask_phones(norm)) or 0


def _adds_facts(copy: tuple[set[str], int], copied: tuple[set[str], int]) -> bool:
    """Tell whether a near-copy states a phone its original does not, or more people
    (另一个电话139…, 现在共10人): then it is extracted on its own, not given the fields of
    the text it copies, so its request takes the phone and the larger count in."""
    return bool(copy[0] - copied[0]) or copy[1] > copied[1]


def _extractions(
    jobs: list[tuple[str, datetime | None]], signatures: np.ndarray, workers: int, hint: str | None
) -> list[HelpExtraction]:
    """Extract each job's text; a near-copy of an earlier text reuses that text's fields.

    Copies re-posted with a prefix or different punctuation say the same thing, so they take
    the fields of the text they copy; only whether they report a rescue ("【已获救】" in
    front) is read again. This is what keeps extraction within the stream's time budget.
    A copy that adds a phone or a larger count (:func:`_adds_facts`) is extracted itself.
    """
    source = _near_copies(signatures)
    numbers: dict[int, Counter[str]] = {}  # each copied text's numbers, once
    facts: dict[int, tuple[set[str], int]] = {}  # and its phones and count
    for i, (text, _) in enumerate(jobs):
        if source[i] == i:
            continue
        first = source[i]
        if first not in numbers:
            numbers[first] = _numbers(jobs[first][0])
        if not _numbers(text) - numbers[first]:
            continue  # no number its original does not write: no new phone or count
        if first not in facts:
            facts[first] = _facts(jobs[first][0])
        if _adds_facts(_facts(text), facts[first]):
            source[i] = i  # a second phone or more people: read on its own
    firsts = sorted(set(source))
    found = dict(
        zip(firsts, _run_extractions([jobs[i] for i in firsts], workers, hint), strict=True)
    )
    out: list[HelpExtraction] = []
    for i, (text, _) in enumerate(jobs):
        base = found[source[i]]
        if source[i] != i and base.is_help:
            update = "resolved" if situation.resolved(normalise(text)) else None
            base = msgspec.structs.replace(base, update=update)
        out.append(base)
    return out


def analyse(
    posts: Iterable[HelpPostIn], *, workers: int | None = None, region_hint: str | None = None
) -> list[Analysed]:
    """Extract every post and compute the merge features of help posts.

    A repost is read as its root: the root's extraction (computed once per root), marked as
    an update when the reposter's own words say "已获救". A repost whose root is not a help
    post but whose own words are (someone asking for help under an official notice) stands
    alone. Identical texts are extracted once.
    """
    items = list(posts)
    workers = (os.cpu_count() or 1) if workers is None else workers
    jobs: dict[tuple[str, datetime | None], int] = {}

    def job(text: str, posted: datetime | None) -> int:
        return jobs.setdefault((text, posted), len(jobs))

    plan: list[tuple[int, int | None]] = []
    for post in items:
        if post.is_repost and post.root_text:
            root = job(post.root_text, post.root_posted_at)
            plan.append((root, job(own_comment(post.text), post.posted_at)))
        else:
            plan.append((job(post.text, post.posted_at), None))
    job_list = list(jobs)
    signatures = minhash.signatures([text for text, _ in job_list])
    results = _extractions(job_list, signatures, workers, region_hint)

    analysed: list[Analysed] = []
    for post, (main, comment) in zip(items, plan, strict=True):
        found, root_linked, text_job = results[main], post.is_repost, main
        if comment is not None:
            own = results[comment]
            if not found.is_help:
                found, root_linked, text_job = own, False, comment
            elif own.update == "resolved" and found.update is None:
                found = msgspec.structs.replace(found, update="resolved")
        features = None
        if found.is_help:
            signature = signatures[text_job].tobytes()
            features = features_of(post, found, signature, root_linked=root_linked)
        analysed.append(Analysed(post, found, features))
    return analysed


# -- clustering --------------------------------------------------------------------------


def group(analysed: Sequence[Analysed]) -> list[Cluster]:
    """Group analysed help posts into clusters (non-help posts are left out)."""
    rows = [a for a in analysed if a.features is not None]
    order = sorted(range(len(rows)), key=lambda i: _when(rows[i].post))
    parent = list(range(len(rows)))
    link: list[tuple[Rule, float] | None] = [None] * len(rows)
    back: list[tuple[Rule, float] | None] = [None] * len(rows)  # how others joined this one

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    buckets: dict[str, list[int]] = {}
    for i in order:
        feats = rows[i].features
        assert feats is not None
        for rule, key in feats.bucket_keys():
            members = buckets.setdefault(key, [])
            joined = False
            for j in members:
                if find(j) == find(i):
                    joined = True
                    break
                other = rows[j].features
                assert other is not None
                score = match(feats, other, rule)
                if score is not None:
                    parent[find(i)] = find(j)
                    link[i] = link[i] or (rule, score)
                    back[j] = back[j] or (rule, score)
                    joined = True
                    break
            if not joined and len(members) < MAX_REPRESENTATIVES:
                members.append(i)

    by_root: dict[int, list[int]] = {}
    for i in order:
        by_root.setdefault(find(i), []).append(i)
    return [
        _cluster([rows[i] for i in members], [link[i] or back[i] for i in members])
        for members in by_root.values()
    ]


def _when(post: HelpPostIn) -> tuple[float, str]:
    return (post.posted_at.timestamp() if post.posted_at else 0.0, post.post_id)


def kind_of(post: HelpPostIn, extraction: HelpExtraction) -> Kind:
    """Return the kind a non-original member has: update, repost or copy."""
    if extraction.update == "resolved":
        return "update"
    return "repost" if post.is_repost else "copy"


def _cluster(rows: list[Analysed], links: list[tuple[Rule, float] | None]) -> Cluster:
    # The original is the earliest post that is neither a repost nor an update.
    first = next(
        (i for i, a in enumerate(rows) if not a.post.is_repost and a.extraction.update is None), 0
    )
    members: list[Member] = []
    for i, (row, linked) in enumerate(zip(rows, links, strict=True)):
        assert row.features is not None
        member = Member(row.post, row.extraction, row.features)
        if i != first:
            member.kind = kind_of(row.post, row.extraction)
            member.merged_by, member.score = linked or ("repost", 1.0)
        members.append(member)
    members.insert(0, members.pop(first))
    return Cluster(members)


def cluster(
    posts: Iterable[HelpPostIn], *, workers: int | None = None, region_hint: str | None = None
) -> list[Cluster]:
    """Extract and group ``posts`` into one cluster per help request (non-help posts left out).

    ``workers`` extraction processes (default: one per core); ``region_hint`` places
    addresses that name no city (the incident's region).
    """
    return group(analyse(posts, workers=workers, region_hint=region_hint))
