"""Intake: posts, forms, spreadsheet rows and API calls become help requests (求助受理).

Every channel ends in :func:`take_in`, which

1. skips what this incident already took in (idempotent by platform and post id);
2. extracts each post and sets aside non-help posts (news, prayers, official notices and
   reposts of them) and posts outside the incident's regions — recorded with the reason;
3. groups the batch with :func:`zhengwu.rescue.merge.group` (reposts, copies, updates);
4. matches each group against stored requests through the stored bucket keys
   (:class:`MatchKey`), with the same rules as the batch engine, so a copy that arrives
   a day later still joins its request;
5. creates a request per unmatched group, stores every post as a source (mirror) with the
   rule that merged it, and marks a request "reported rescued" when an update says so.

A "已获救" update is the citizen's claim, not a closure: a false or mistaken one would stop
a rescue, so it lowers the priority and flags the request ("reported_rescued") until a
dispatcher confirms (verification ``already_rescued``) and resolves it. A post that joins a
request already resolved gets its closing notice at once, so nobody rescues twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import func, insert, inspect, select, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.errors import ConflictError, InvalidInputError, NotFoundError
from zhengwu.privacy.mask import mask_phone
from zhengwu.rescue import clock, merge, minhash
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.merge import Analysed, Cluster, Features, HelpPostIn, Member
from zhengwu.rescue.models import (
    HelpFollowup,
    HelpRequest,
    HelpSource,
    Incident,
    MatchKey,
    SetAside,
)
from zhengwu.rescue.schemas import HelpSubmission, IntakeReport
from zhengwu.rescue.service import REQUEST_LOADS
from zhengwu.storable import clipped, column_length

URGENCY_RANK = {"normal": 0, "urgent": 1, "critical": 2}
_CHUNK = 500  # bound parameters per IN (...) query


@dataclass(slots=True)
class Outcome:
    """What :func:`take_in` did, with the request each new source went to."""

    report: IntakeReport = field(default_factory=IntakeReport)
    requests: dict[tuple[str, str], HelpRequest] = field(default_factory=dict)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _known(
    session: Session, incident: Incident, ids: list[tuple[str, str]]
) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for model in (HelpSource, SetAside):
        for part in _chunks(ids):
            rows = session.execute(
                select(model.platform, model.post_id).where(
                    model.incident_id == incident.id,
                    tuple_(model.platform, model.post_id).in_(list(part)),
                )
            )
            found.update((str(p), str(i)) for p, i in rows)
    return found


def fields_of(analysed: Analysed | Member) -> dict[str, Any]:
    """Return the extraction and merge facts of a post, as stored on its source."""
    data: dict[str, Any] = msgspec.to_builtins(analysed.extraction)
    features = analysed.features
    if features is not None:
        data["address_key"] = features.address_key
        data["county"] = features.county
    return data


def features_of_source(source: HelpSource) -> Features:
    """Rebuild the merge features of a stored source.

    A request a coordinator corrected (phones, address: :func:`rekey`) carries the
    corrected facts on its anchor source under ``edited``: its phones join the posted
    ones, and its address and county replace the posted ones.
    """
    data = source.fields
    edited: Mapping[str, Any] = data.get("edited") or {}
    phones = [*data.get("phones", ()), *edited.get("phones", ())]
    return Features(
        post_key=merge.post_key(source.platform, source.post_id),
        root_key=None,
        phones=frozenset(str(p) for p in phones if str(p).startswith("1")),
        address_key=edited["address_key"] if "address_key" in edited else data.get("address_key"),
        county=edited["county"] if "county" in edited else data.get("county"),
        signature=source.signature or b"",
    )


EDITED_RULES = ("phone", "address")  # the match keys a correction recomputes


def anchor_source(request: HelpRequest) -> HelpSource:
    """Return the source that stands for ``request``: its original, else its first post."""
    return min(request.sources, key=lambda s: (s.kind != "original", s.posted_at, s.id))


def rekey(session: Session, request: HelpRequest) -> None:
    """Recompute the phone and address match keys of ``request`` after a correction.

    Intake finds the request a new post repeats through its sources' match keys
    (:class:`MatchKey`), which hold what was posted. When a coordinator corrects the
    phones or the address (:func:`zhengwu.rescue.corrections.edit_request`), the corrected
    facts are kept on the request's anchor source (``fields["edited"]``, the text stays as
    posted) and its phone and address keys become the posted ones plus the corrected ones,
    so a later post with the corrected phone or address joins the request. The posted
    keys stay: a copy of the first post still joins too. Editing again replaces the
    previous correction's keys.
    """
    if not request.sources:
        return
    anchor = anchor_source(request)
    posted = dict(anchor.fields)
    posted.pop("edited", None)
    phones = sorted({p for p in request.phones if p.startswith("1")})
    address = merge.address_key(request.address, request.adcode)
    edited = {"phones": phones, "address_key": address, "county": merge.county_key(request.adcode)}
    anchor.fields = {**posted, "edited": edited}  # a new dict: the JSON column sees the change
    posted_phones = [str(p) for p in posted.get("phones", ()) if str(p).startswith("1")]
    keys = {
        *merge.fact_keys(posted_phones, posted.get("address_key")),
        *merge.fact_keys(phones, address),
    }
    session.flush()
    stored = session.scalars(
        select(MatchKey).where(MatchKey.source_id == anchor.id, MatchKey.rule.in_(EDITED_RULES))
    )
    for old in stored:
        session.delete(old)
    session.flush()
    for rule, key in sorted(keys):
        session.add(MatchKey(incident_id=request.incident_id, source_id=anchor.id, rule=rule,
                             key=key))  # fmt: skip


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


# The extracted texts a request stores in bounded columns (PostgreSQL refuses more).
FIELD_MAX = {
    name: column_length(getattr(HelpRequest, name)) for name in ("name", "address", "hazard")
}
AUTHOR_MAX = column_length(HelpSource.author)
URL_MAX = column_length(HelpSource.url)
POST_ID_MAX = column_length(HelpSource.post_id)  # SetAside.post_id and root_post_id alike


def fitted_post(post: HelpPostIn) -> HelpPostIn:
    """Return ``post`` with a post id (and a root post id) longer than its column
    (:data:`POST_ID_MAX`) fitted to it: its start and a digest of the whole id
    (:func:`zhengwu.rescue.merge.fitted_key`).

    Not cut with … (:func:`zhengwu.storable.clipped`): two long ids that begin alike would
    then be one, and the second post would count as already taken in. A fitted id is the
    same every time, so taking the post in again still finds it, and a repost still meets
    its root.
    """
    post_id = merge.fitted_key(post.post_id, POST_ID_MAX)
    root = post.root_post_id
    root = merge.fitted_key(root, POST_ID_MAX) if root is not None else None
    if post_id == post.post_id and root == post.root_post_id:
        return post
    return msgspec.structs.replace(post, post_id=post_id, root_post_id=root)


def _long_ids_warning(posts: Sequence[HelpPostIn]) -> str | None:
    """The report's warning naming the posts whose id was fitted to its column."""
    long = [p.post_id for p in posts if len(p.post_id) > POST_ID_MAX]
    long += [p.root_post_id for p in posts if p.root_post_id and len(p.root_post_id) > POST_ID_MAX]
    if not long:
        return None
    shown = "、".join(clipped(i, 40) for i in long[:3]) + ("…" if len(long) > 3 else "")
    return (
        f"{len(long)} 个帖子编号超过 {POST_ID_MAX} 个字符，已存为其开头加摘要（{shown}）"
        f" / {len(long)} post ids longer than {POST_ID_MAX} characters are stored as their "
        f"start and a digest ({shown})"
    )


def _author(post: HelpPostIn) -> str | None:
    """A post's author as its source stores it (cut to the column)."""
    return clipped(post.author, AUTHOR_MAX) if post.author else post.author


def _url(post: HelpPostIn) -> str | None:
    """A post's link as its source stores it: one longer than the column is left out (a
    link cut short leads nowhere; the post keeps its platform and id)."""
    return post.url if post.url is None or len(post.url) <= URL_MAX else None


def absorb(request: HelpRequest, data: Mapping[str, Any], posted_at: datetime) -> None:
    """Fold one source's facts into its request: fill gaps, keep the larger, union lists.

    The report time is the earliest a source says; a source that says none (``untimed``:
    a sheet row without a 时间, taken in at the import's time) gives it only while no
    source does, and leaves it unknown (``reported_at_known``).

    A text longer than its column (a whole paragraph read as the address) is cut to it,
    ending with …: the source keeps the post whole.
    """
    for name in ("name", "age", "address", "adcode", "lon", "lat", "hazard"):
        if getattr(request, name) is None and data.get(name) is not None:
            value = data[name]
            if name in FIELD_MAX and isinstance(value, str):
                value = clipped(value, FIELD_MAX[name])
            setattr(request, name, value)
    request.phones = list(dict.fromkeys([*request.phones, *data.get("phones", ())]))
    request.vulnerabilities = list(
        dict.fromkeys([*request.vulnerabilities, *data.get("vulnerabilities", ())])
    )
    request.needs = list(dict.fromkeys([*request.needs, *data.get("needs", ())]))
    people = data.get("people")
    if people is not None and (request.people_total is None or people > request.people_total):
        request.people_total = int(people)
    urgency = str(data.get("urgency") or "normal")
    if URGENCY_RANK.get(urgency, 0) > URGENCY_RANK.get(request.urgency, 0):
        request.urgency = urgency
    request.urgency_reasons = list(
        dict.fromkeys([*request.urgency_reasons, *data.get("urgency_reasons", ())])
    )
    request.completeness = max(request.completeness, float(data.get("completeness") or 0.0))
    missing = set(data.get("missing", ()))
    request.missing = [m for m in request.missing if m in missing]
    reported = _time(data.get("reported_at")) or posted_at
    if data.get("untimed"):  # taken in when the import ran: no time of the report
        if not request.reported_at_known and reported < request.reported_at:
            request.reported_at = reported
    elif not request.reported_at_known:  # the first source that says when replaces it
        request.reported_at, request.reported_at_known = reported, True
    elif reported < request.reported_at:
        request.reported_at = reported
    if data.get("update") == "resolved" and request.reported_rescued_at is None:
        request.reported_rescued_at = posted_at


def new_request(
    incident: Incident, data: Mapping[str, Any], text: str, posted_at: datetime
) -> HelpRequest:
    """Return a request built from its first source's facts."""
    return new_request_from(incident.id, data, text, posted_at)


def _keys_for(member_kind: str, features: Features, root_key: str | None) -> list[tuple[str, str]]:
    keys = [("repost", features.post_key)] + ([("repost", root_key)] if root_key else [])
    if member_kind == "repost":
        return keys  # its text is its root's: the root's own keys already stand for it
    return [(r, k) for r, k in features.bucket_keys() if not k.startswith("p:")] + keys


def _stored_candidates(
    session: Session, incident: Incident, keys: set[str]
) -> dict[str, list[HelpSource]]:
    """Return the stored sources that share a bucket key with the batch, by key (the first
    :data:`merge.MAX_REPRESENTATIVES` stored under each)."""
    ids_by_key: dict[str, list[int]] = defaultdict(list)
    for part in _chunks(sorted(keys)):
        rows = session.execute(
            select(MatchKey.key, MatchKey.source_id)
            .where(MatchKey.incident_id == incident.id, MatchKey.key.in_(list(part)))
            .order_by(MatchKey.id)
        )
        for key, source_id in rows:
            if len(ids_by_key[key]) < merge.MAX_REPRESENTATIVES:
                ids_by_key[key].append(source_id)
    # A source shares many keys with a batch: each is loaded once, not once per key (its
    # JSON facts decoded once).
    wanted = sorted({i for ids in ids_by_key.values() for i in ids})
    sources: dict[int, HelpSource] = {}
    for part in _chunks(wanted):
        sources.update((s.id, s) for s in session.scalars(
            select(HelpSource).where(HelpSource.id.in_(list(part)))))  # fmt: skip
    return {key: [sources[i] for i in ids] for key, ids in ids_by_key.items()}


def _match_stored(
    cluster: Cluster, candidates: Mapping[str, list[HelpSource]]
) -> tuple[int, str, float, int] | None:
    """Return (request id, rule, score, member index) of the stored request a cluster joins."""
    for index, member in enumerate(cluster.members):
        for rule, key in member.features.bucket_keys():
            for source in candidates.get(key, ()):
                score = merge.match(member.features, features_of_source(source), rule)
                if score is not None:
                    return source.request_id, rule, score, index
    return None


# What :func:`zhengwu.rescue.service.get_request` loads with a request (REQUEST_LOADS).
_LOADED = frozenset(("sources", "team", "verifications", "assignments", "fulfilments"))


def _stored_requests(session: Session, ids: set[int]) -> dict[int, HelpRequest]:
    """Return the stored requests ``ids`` loaded as :func:`get_request` loads them.

    The requests a batch joins are read in one query (with their mirrors, team,
    verifications …), not one each; a request the session already holds so loaded is
    not read again — a query would not refresh it either: the identity map keeps what the
    session has. A request many copies join is thus read once per session.
    """
    found: dict[int, HelpRequest] = {}
    for request_id in ids:
        held = session.identity_map.get(identity_key(HelpRequest, request_id))
        if (
            held is not None
            and not (inspect(held).unloaded & _LOADED)
            and all("team" not in inspect(f).unloaded for f in held.fulfilments)
        ):
            found[request_id] = held
    for part in _chunks(sorted(ids - found.keys())):
        query = select(HelpRequest).where(HelpRequest.id.in_(list(part)))
        found.update((r.id, r) for r in session.scalars(query.options(*REQUEST_LOADS)))
    for request_id in ids - found.keys():  # pragma: no cover - a match key's request exists
        found[request_id] = rescue_service.get_request(session, request_id=request_id)
    return found


def take_in(
    session: Session,
    *,
    incident: Incident,
    posts: Sequence[HelpPostIn],
    actor: Principal,
    channel: str = "post",
    assume_help: bool = False,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    workers: int = 1,
    now: datetime | None = None,
) -> Outcome:
    """Take a batch of posts into an incident: set aside, merge, create (see module doc).

    ``assume_help``: the sender asked for help themselves (form, spreadsheet), so a post
    the extractor does not read as help is still a request. ``overrides``: facts the
    channel knows better than the text, by post id (a form's phone field, a spreadsheet's
    紧急程度). ``now``: when the batch is taken in — the time of the new requests,
    sources and set-asides, their audit entries and any closing notice — the real clock
    unless the caller replays history on a simulated clock (the demo). A post id longer
    than its column is stored fitted to it (:func:`fitted_post`), with a warning.
    """
    now = now or clock.now(session, incident.id)
    outcome = Outcome()
    report = outcome.report
    if (warning := _long_ids_warning(posts)) is not None:
        report.warnings.append(warning)
    fitted = [fitted_post(p) for p in posts]
    # A caller finds its posts' requests by the ids it gave (outcome.requests).
    given = {(f.platform, f.post_id): p.post_id for f, p in zip(fitted, posts, strict=True)
             if f.post_id != p.post_id}  # fmt: skip
    posts = fitted
    if overrides:
        overrides = {merge.fitted_key(k, POST_ID_MAX): v for k, v in overrides.items()}
    unique = list({(p.platform, p.post_id): p for p in posts}.values())
    report.read = len(posts)
    known = _known(session, incident, [(p.platform, p.post_id) for p in unique])
    fresh = [p for p in unique if (p.platform, p.post_id) not in known]
    report.known = len(posts) - len(fresh)
    analysed = merge.analyse(
        fresh, workers=workers, region_hint=rescue_service.region_hint(incident)
    )
    if assume_help:
        analysed = [_as_help(a) for a in analysed]
    helpful: list[Analysed] = []
    for item in analysed:
        reason = _set_aside_reason(incident, item, check_region=not assume_help)
        if reason is None:
            helpful.append(item)
            continue
        session.add(
            SetAside(incident_id=incident.id, kind="ignored", channel=channel,
                     platform=item.post.platform, post_id=item.post.post_id, reason=reason,
                     text=item.post.text, url=_url(item.post), author=_author(item.post),
                     posted_at=item.post.posted_at, created_at=now)
        )  # fmt: skip
        report.ignored += 1
    clusters = merge.group(helpful)
    all_keys = {k for c in clusters for m in c.members for _, k in m.features.bucket_keys()}
    candidates = _stored_candidates(session, incident, all_keys)
    matches = [_match_stored(found, candidates) for found in clusters]
    joined = _stored_requests(session, {m[0] for m in matches if m is not None})
    stored = [
        _store_cluster(
            session, incident, found, match, joined, channel, overrides or {}, outcome, now
        )
        for found, match in zip(clusters, matches, strict=True)
    ]
    # One flush for the batch, not two per cluster: a flush costs the unit of work and the
    # search texts of every request it touched (rewritten after each flush).
    session.flush()
    _record(session, incident, stored, actor, outcome, now)
    session.flush()
    for (platform, post_id), own in given.items():
        if (platform, post_id) in outcome.requests:
            outcome.requests[(platform, own)] = outcome.requests[(platform, post_id)]
    return outcome


def _as_help(item: Analysed) -> Analysed:
    if item.features is not None:
        return item
    extraction = msgspec.structs.replace(item.extraction, is_help=True)
    signature = minhash.signatures([item.post.text])[0].tobytes()
    features = merge.features_of(item.post, extraction, signature, root_linked=False)
    return Analysed(item.post, extraction, features)


def _set_aside_reason(incident: Incident, item: Analysed, *, check_region: bool) -> str | None:
    if item.features is None:
        if item.post.is_repost:
            return "不是求助信息（转发的新闻、祈福或通知）/ not a help post (repost of news, prayer or notice)"
        return "不是求助信息（新闻、祈福或通知）/ not a help post (news, prayer or notice)"
    adcode = item.extraction.adcode
    if check_region and not rescue_service.in_regions(incident, adcode):
        return f"不在本次灾情的区域内（{adcode}）/ outside the incident's regions ({adcode})"
    return None


@dataclass(slots=True)
class _Stored:
    """A cluster put into the session: its request, its new sources, create or merge."""

    found: Cluster
    request: HelpRequest
    added: list[HelpSource]
    action: str
    # What a mirror (a copy) added to the request: its post id, new phones, count before/after.
    gains: list[tuple[str, str, list[str], tuple[int | None, int | None]]] = field(
        default_factory=list
    )


def _overridden(facts: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return a post's facts with those its channel states instead (a sheet's cells); the
    urgency reasons an override gives are added to the text's (人工设定 beside 老人)."""
    merged = {**facts, **override}
    if "urgency_reasons" in override:
        merged["urgency_reasons"] = list(
            dict.fromkeys([*override["urgency_reasons"], *facts.get("urgency_reasons", ())])
        )
    return merged


def _store_cluster(
    session: Session,
    incident: Incident,
    found: Cluster,
    stored: tuple[int, str, float, int] | None,
    joined: Mapping[int, HelpRequest],
    channel: str,
    overrides: Mapping[str, Mapping[str, Any]],
    outcome: Outcome,
    now: datetime,
) -> _Stored:
    """Create the request of a cluster, or join the stored one it matched (``stored``: see
    :func:`_match_stored`; ``joined``: those requests by id), and add its sources (not
    flushed yet)."""
    original = found.original
    data = _overridden(fields_of(original), overrides.get(original.post.post_id, {}))
    if original.post.posted_at is None and data.get("reported_at") is None:
        data["untimed"] = True
    if stored is None:
        request = new_request(incident, data, original.post.text, original.post.posted_at or now)
        request.created_at = now
        session.add(request)
        outcome.report.new_requests += 1
        outcome.report.merged += len(found.members) - 1
        action = "create"
    else:
        request_id, rule, score, index = stored
        request = joined[request_id]
        # The member that matched joins by the stored rule; the rest follow it.
        linking = found.members[index]
        linking.merged_by, linking.score = rule, score  # type: ignore[assignment]
        if original.kind == "original":
            original.kind = merge.kind_of(original.post, original.extraction)
            original.merged_by = original.merged_by or rule  # type: ignore[assignment]
        outcome.report.merged += len(found.members)
        action = "merge"
    added: list[HelpSource] = []
    gains: list[tuple[str, str, list[str], tuple[int | None, int | None]]] = []
    for member in found.members:
        facts = _overridden(fields_of(member), overrides.get(member.post.post_id, {}))
        if member.post.posted_at is None and facts.get("reported_at") is None:
            facts["untimed"] = True  # when the people asked, nothing says (see absorb)
        if stored is not None or member is not original:
            phones, count = list(request.phones), request.people_total
            absorb(request, facts, member.post.posted_at or now)
            new_phones = [p for p in request.phones if p not in phones]
            if member.kind != "original" and (new_phones or request.people_total != count):
                gains.append((member.post.post_id, member.kind, new_phones,
                              (count, request.people_total)))  # fmt: skip
        source = HelpSource(
            incident_id=incident.id, channel=channel,
            platform=member.post.platform, post_id=member.post.post_id, url=_url(member.post),
            author=_author(member.post), text=member.post.text,
            posted_at=member.post.posted_at or now, kind=member.kind,
            merged_by=member.merged_by, score=member.score,
            root_post_id=member.post.root_post_id, fields=facts,
            signature=member.features.signature, created_at=now,
        )  # fmt: skip
        # Its request (and request_id, at the flush) by the relationship; keeps the
        # loaded collection true to the DB.
        request.sources.append(source)
        added.append(source)
        outcome.requests[(member.post.platform, member.post.post_id)] = request
    return _Stored(found, request, added, action, gains)


def _record(
    session: Session,
    incident: Incident,
    stored: Sequence[_Stored],
    actor: Principal,
    outcome: Outcome,
    now: datetime,
) -> None:
    """After the batch's flush (the ids known): the sources' match keys, an audit entry
    per cluster, the closing notice of a late mirror of a closed request."""
    # Many keys per post and nothing reads them back as objects: inserted in one
    # executemany rather than as ORM objects.
    keys = [
        {"incident_id": incident.id, "source_id": source.id, "rule": rule, "key": key}
        for done in stored
        for member, source in zip(done.found.members, done.added, strict=True)
        for rule, key in _keys_for(member.kind, member.features, member.features.root_key)
    ]
    if keys:
        session.execute(insert(MatchKey), keys)
    for done in stored:
        request, added = done.request, done.added
        if done.action == "create":
            outcome.report.request_ids.append(request.id)
        audit_service.record(
            session, entity_type="help_request", entity_id=request.id, action=done.action,
            actor=actor, to_state=request.state, at=now,
            data={"sources": [s.post_id for s in added], "rules": [s.merged_by for s in added]},
        )  # fmt: skip
        for post_id, kind, phones, (before, after) in done.gains:
            _record_gain(session, request, post_id, kind, phones, before, after, actor, now)
        if request.state in ("resolved", "announced"):
            from zhengwu.rescue import notices  # a late mirror of a closed request

            notices.queue_notices(session, request=request, sources=added, now=now)


GAIN_KINDS = {"copy": ("副本", "a copy"), "repost": ("转发", "a repost"),
              "update": ("更新", "an update")}  # fmt: skip


def _record_gain(
    session: Session, request: HelpRequest, post_id: str, kind: str, phones: list[str],
    before: int | None, after: int | None, actor: Principal, now: datetime,
) -> None:  # fmt: skip
    """Write the 处理记录 entry ``copy_facts``: a mirror (a copy passed on with a second
    phone, a larger count) added phones or people to ``request``. The phones are named
    masked in the reason (the full ones in its data, for staff); a count only grows and a
    phone is never dropped (:func:`absorb`)."""
    zh_kind, en_kind = GAIN_KINDS.get(kind, (kind, kind))
    zh: list[str] = []
    en: list[str] = []
    if phones:
        shown = "、".join(mask_phone(p) for p in phones)
        zh.append(f"新电话 {shown}")
        en.append(f"new phone {shown.replace('、', ', ')}")
    if after != before:
        zh.append(f"人数 {before if before is not None else '不详'} → {after}")
        en.append(f"people {before if before is not None else 'unknown'} → {after}")
    audit_service.record(
        session, entity_type="help_request", entity_id=request.id, action="copy_facts",
        actor=actor, to_state=request.state, at=now,
        reason=f"{zh_kind} {clipped(post_id, 40)} 补充：{'；'.join(zh)} / {en_kind} "
        f"{clipped(post_id, 40)} added: {'; '.join(en)}",
        data={"source": post_id, "kind": kind, "phones": phones,
              "people": {"from": before, "to": after}},
    )  # fmt: skip


def submit(
    session: Session,
    *,
    incident: Incident,
    data: HelpSubmission,
    actor: Principal,
    channel: str = "form",
) -> HelpRequest:
    """Take in one request sent through the public form or the JSON API."""
    return take_submission(session, incident=incident, data=data, actor=actor, channel=channel)[0]


def take_submission(
    session: Session,
    *,
    incident: Incident,
    data: HelpSubmission,
    actor: Principal,
    channel: str = "form",
) -> tuple[HelpRequest, HelpSource]:
    """:func:`submit`, returning the submission's own source with its request (the one
    the citizen's follow-up key is bound to, :func:`zhengwu.rescue.followup.issue`)."""
    if incident.status != "active":
        # Whoever shows this to the person asking must be able to tell them whom to call,
        # as the closed help form does (rescue_closed.html).
        call = incident.hotline or "119 / 110"
        raise ConflictError(
            f"灾情「{incident.name}」已结束，不再受理网上求助；如仍需救援请拨打 {call}"
            + ("，情况危急请拨打 119 / 110" if incident.hotline else ""),
            f"incident {incident.name} is closed: help is no longer taken online; call {call}"
            + (" (119 / 110 in an emergency)" if incident.hotline else ""),
        )
    labels = [("姓名", data.name), ("联系方式", data.phone), ("地址", data.address),
              ("人数", f"{data.people}人" if data.people else None)]  # fmt: skip
    text = "".join(f"【{k}】{v}" for k, v in labels if v) + f"【情况描述】{data.text}"
    post_id = f"{channel}-{uuid.uuid4().hex[:16]}"
    post = HelpPostIn(platform=channel, post_id=post_id, text=text, posted_at=clock.now(session, incident.id),
                      author=actor.username if actor.is_authenticated else None)  # fmt: skip
    known: dict[str, Any] = {}
    if data.people:
        known["people"] = data.people
    if data.name:
        known["name"] = data.name
    if data.address:
        known["address"] = data.address
    result = take_in(session, incident=incident, posts=[post], actor=actor, channel=channel,
                     assume_help=True, overrides={post_id: known})  # fmt: skip
    request = result.requests.get((channel, post_id))
    if request is None:  # pragma: no cover - assume_help makes every post a request
        raise InvalidInputError("求助信息无法受理", "the request could not be taken in")
    source = next(s for s in request.sources if (s.platform, s.post_id) == (channel, post_id))
    return request, source


MANUAL_CHANNEL = "phone"  # 电话/人工: taken by phone or radio, entered by a coordinator
MANUAL_ROLES = ("dispatcher", "verifier")  # who enters them, lists and promotes set-asides


def enter_manual(
    session: Session, *, incident: Incident, data: HelpSubmission, actor: Principal
) -> HelpRequest:
    """Take in a request a coordinator took by phone or radio (人工登记, channel ``phone``).

    It goes through the same extraction, merge and triage as every other channel
    (:func:`submit`), so a call about a family already posted joins their request.
    """
    actor.require(*MANUAL_ROLES)
    return submit(session, incident=incident, data=data, actor=actor, channel=MANUAL_CHANNEL)


def set_asides(
    session: Session, *, incident: Incident, kind: str | None = None, offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[SetAside]]:  # fmt: skip
    """Return how many inputs intake set aside (``kind`` ignored | quarantined, or both)
    and one page of them, newest first, each with its reason."""
    query = select(SetAside).where(SetAside.incident_id == incident.id)
    if kind:
        query = query.where(SetAside.kind == kind)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.order_by(SetAside.created_at.desc(), SetAside.id.desc()).offset(offset).limit(limit)
    )
    return int(total), list(page)


def get_set_aside(session: Session, *, set_aside_id: int) -> SetAside:
    """Return one set-aside input or raise 404."""
    found = session.get(SetAside, set_aside_id)
    if found is None:
        raise NotFoundError(
            f"没有编号为 {set_aside_id} 的未受理记录", f"no set-aside input {set_aside_id}"
        )
    return found


def promote(session: Session, *, set_aside: SetAside, actor: Principal, reason: str) -> HelpRequest:
    """Make a set-aside post or refused row a request after all (转为求助), with the reason.

    The input is taken in as help (extraction, merge with the requests it repeats,
    triage) on its own channel; the set-aside record goes, the audit keeps its reason.
    Its source keeps the link, author and post time recorded when it was set aside, as
    a post taken in at once would, and the request counts as reported when it was posted
    (its waiting time and priority). An input set aside before these were recorded
    (migration 0027), or one that did not say when it was posted, counts from when it was
    set aside.
    """
    actor.require(*MANUAL_ROLES)
    if not reason.strip():
        raise InvalidInputError("转为求助需要填写理由", "promoting an input needs a reason")
    incident = rescue_service.get_incident(session, incident_id=set_aside.incident_id)
    post = HelpPostIn(platform=set_aside.platform, post_id=set_aside.post_id,
                      text=set_aside.text, url=set_aside.url, author=set_aside.author,
                      posted_at=set_aside.posted_at or set_aside.created_at)  # fmt: skip
    was = {"set_aside": set_aside.id, "kind": set_aside.kind, "why": set_aside.reason,
           "post_id": set_aside.post_id}  # fmt: skip
    session.delete(set_aside)
    session.flush()  # the post is no longer "known": take_in takes it
    result = take_in(session, incident=incident, posts=[post], actor=actor,
                     channel=set_aside.channel, assume_help=True)  # fmt: skip
    request = result.requests[(post.platform, post.post_id)]
    audit_service.record(
        session, entity_type="help_request", entity_id=request.id, action="promote",
        actor=actor, reason=reason.strip(), to_state=request.state, data=was,
        at=clock.now(session, incident.id),
    )  # fmt: skip
    return request


def refresh(request: HelpRequest) -> None:
    """Recompute a request's facts from its remaining sources (after an unmerge)."""
    sources = sorted(request.sources, key=lambda s: (s.kind != "original", s.posted_at, s.id))
    first = sources[0]
    fresh = new_request_facts(first)
    for name in ("name", "age", "address", "adcode", "lon", "lat", "hazard", "people_total",
                 "phones", "vulnerabilities", "needs", "urgency", "urgency_reasons",
                 "completeness", "missing", "reported_at", "reported_at_known",
                 "text"):  # fmt: skip
        setattr(request, name, getattr(fresh, name))
    if first.kind != "original":
        first.kind, first.merged_by = "original", None
    for source in sources[1:]:
        absorb(request, source.fields, source.posted_at)
    if not any(s.kind == "update" for s in sources):
        request.reported_rescued_at = None


def new_request_facts(source: HelpSource) -> HelpRequest:
    """Return an unsaved request holding one source's facts."""
    return new_request_from(source.incident_id, source.fields, source.text, source.posted_at)


def new_request_from(
    incident_id: int, data: Mapping[str, Any], text: str, posted_at: datetime
) -> HelpRequest:
    """Return an unsaved request built from one source's facts."""
    request = HelpRequest(
        incident_id=incident_id, state="new", text=text, reported_at=posted_at, phones=[],
        vulnerabilities=[], needs=[], urgency="normal", urgency_reasons=[], completeness=0.0,
        missing=list(data.get("missing", ())), people_helped=0, verification="unverified",
        sources=[], verifications=[], assignments=[], fulfilments=[],
        reported_at_known=not data.get("untimed"),
    )  # fmt: skip
    absorb(request, data, posted_at)
    return request


def unmerge(session: Session, *, source: HelpSource, actor: Principal, reason: str) -> HelpRequest:
    """Split ``source`` off its request into a new request of its own (audit-logged).

    A citizen's follow-up key bound to ``source`` (:mod:`zhengwu.rescue.followup`) goes
    with it: it made the new request (it may withdraw it), and no longer opens the old one.
    """
    old = rescue_service.get_request(session, request_id=source.request_id)
    if len(old.sources) < 2:
        raise ConflictError(
            f"来源 #{source.id} 是求助 #{old.id} 唯一的来源，无法拆分",
            f"source #{source.id} is the only source of request #{old.id}",
        )
    request = new_request_from(old.incident_id, source.fields, source.text, source.posted_at)
    session.add(request)
    before = (source.kind, source.merged_by)
    old.sources.remove(source)
    request.sources.append(source)
    source.kind, source.merged_by, source.score = "original", "manual", 1.0
    refresh(old)
    session.flush()
    session.execute(
        update(HelpFollowup)
        .where(HelpFollowup.source_id == source.id)
        .values(request_id=request.id, creator=True)
    )
    for entity, action in ((old.id, "unmerge"), (request.id, "split_from")):
        audit_service.record(
            session, entity_type="help_request", entity_id=entity, action=action, actor=actor,
            reason=reason, at=clock.now(session, old.incident_id),
            data={"source_id": source.id, "from_request": old.id, "to_request": request.id,
                  "was": list(before)},
        )  # fmt: skip
    session.flush()
    return request
