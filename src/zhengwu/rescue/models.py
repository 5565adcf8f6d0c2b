"""Tables of the emergency help network (应急求助): incidents, requests, sources, teams.

A help request is one group of people who need help, however many posts carried it;
each post is kept as a :class:`HelpSource` (a mirror) with the rule that merged it. The
Sahana model of request → commitment → fulfilment is :class:`HelpRequest` →
:class:`Assignment` → :class:`Fulfilment`. The Pydantic schemas live in
:mod:`zhengwu.rescue.schemas` (this file would otherwise pass a few hundred lines).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    event,
    inspect,
    select,
    true,
    update,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from zhengwu.db.base import Base, utcnow

INCIDENT_TYPES = ("flood", "fire", "earthquake", "typhoon", "epidemic", "other")
INCIDENT_STATES = ("active", "closed")
TEAM_KINDS = ("fire_brigade", "ngo_rescue", "volunteer", "medical", "other")
# ``merged``: merged by hand into another request (zhengwu.rescue.corrections).
STATES = ("new", "verified", "dispatched", "on_scene", "resolved", "announced", "merged")
OUTCOMES = ("rescued", "relocated", "no_longer_needed", "unreachable")
VERIFY_METHODS = ("phone", "on_site", "official_source")
VERIFY_RESULTS = ("confirmed", "false", "unreachable", "already_rescued")
CHANNELS = ("post", "form", "csv", "api", "phone")


class Incident(Base):
    """A disaster the network runs for (一次灾情): where, when, and which tags to collect."""

    __tablename__ = "rescue_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)  # adcodes
    hashtags: Mapped[list[str]] = mapped_column(JSON, default=list)  # without the # signs
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    reverify_hours: Mapped[float] = mapped_column(Float, default=6.0)
    # 灾情说明: what happened, where to go, official hotlines. Public, but shown masked
    # to the public (zhengwu.rescue.access.incident_view): coordinators paste contacts.
    description: Mapped[str | None] = mapped_column(Text)
    # 求助热线: the published number the public is told to call where the network cannot
    # help online (a closed incident's help form, a notice saying people may still wait).
    hotline: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # ``zhengwu demo``'s own incident only: its running clock starts at the simulated
    # period's end, at this real time (:mod:`zhengwu.rescue.clock`; 0042).
    demo_period_end: Mapped[datetime | None]
    demo_clock_from: Mapped[datetime | None]


class Team(Base):
    """A rescue force (救援力量): fire brigade, 蓝天救援队, volunteers, medical.

    A team is never deleted (requests, assignments and fulfilments point at it): one that
    stands down is deactivated (``active`` false) and is no longer offered for dispatch.
    """

    __tablename__ = "rescue_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    capabilities: Mapped[list[str]] = mapped_column(
        JSON, default=list
    )  # 冲锋舟, 医疗 … (free text)
    capacity: Mapped[int] = mapped_column(Integer, default=1)  # requests it can take at once
    area: Mapped[list[str]] = mapped_column(JSON, default=list)  # adcodes it covers
    contact_name: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpRequest(Base):
    """One request for help (求助): who, where, how many, how urgent, and where it stands."""

    __tablename__ = "help_requests"
    __table_args__ = (
        Index("ix_help_requests_incident_state", "incident_id", "state"),
        # The paged lists (zhengwu.rescue.listing): time order, counts by county (0022).
        Index("ix_help_requests_incident_reported", "incident_id", "reported_at", "id"),
        Index("ix_help_requests_incident_adcode_state", "incident_id", "adcode", "state"),
        # A team's queue counts and county map, index-only (0032).
        Index("ix_help_requests_team_queue", "team_id", "incident_id", "state", "adcode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("rescue_incidents.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="new")
    outcome: Mapped[str | None] = mapped_column(String(24))
    # Optimistic locking: every UPDATE says WHERE version = <what this session read>, so
    # two dispatchers acting on the same request cannot both succeed.
    version: Mapped[int] = mapped_column(Integer, default=1)

    name: Mapped[str | None] = mapped_column(String(64))
    age: Mapped[int | None] = mapped_column(Integer)
    phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    address: Mapped[str | None] = mapped_column(String(256))
    adcode: Mapped[str | None] = mapped_column(String(6), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    people_total: Mapped[int | None] = mapped_column(Integer)
    people_helped: Mapped[int] = mapped_column(Integer, default=0)
    vulnerabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    hazard: Mapped[str | None] = mapped_column(String(128))
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    urgency_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    completeness: Mapped[float] = mapped_column(Float, default=0.0)
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)  # the original post or form text

    reported_at: Mapped[datetime]  # when the people first asked (post time or stated time)
    # False while no source says when it was posted or written (a sheet row without a 时间,
    # taken in at the import's time): the board's steps from the report leave it out (0037).
    reported_at_known: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    verification: Mapped[str] = mapped_column(String(16), default="unverified")
    verified_at: Mapped[datetime | None]  # last verification of any result
    first_verified_at: Mapped[datetime | None]  # first "confirmed" (response-time figures)
    reverify_due_at: Mapped[datetime | None]
    reported_rescued_at: Mapped[datetime | None]  # a "已获救" update said so (a claim)
    # No index of its own: ix_help_requests_team_queue leads with it (0033).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("rescue_teams.id"))
    dispatched_at: Mapped[datetime | None]
    on_scene_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    announced_at: Mapped[datetime | None]
    # Set when a coordinator merged this request into another (state ``merged``).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("help_requests.id"))
    # The clock-free part of the priority score in tenths, and that less the clock mark of
    # ``reported_at`` (zhengwu.rescue.priority.stored): the queue's order reads them from
    # an index. Recomputed at every flush of a new or changed request (0025).
    priority_base: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    priority_fresh: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # What a full viewer's search reads, folded (zhengwu.rescue.lookup.index_texts): the
    # texts of the request and its mirrors, address, county, name; their digit runs and
    # the phones. Written after every flush that changes them (0025); never loaded.
    search_words: Mapped[str] = mapped_column(Text, default="", server_default="",
                                              deferred=True)  # fmt: skip
    search_digits: Mapped[str] = mapped_column(Text, default="", server_default="",
                                               deferred=True)  # fmt: skip

    sources: Mapped[list[HelpSource]] = relationship(
        back_populates="request", lazy="raise", order_by="HelpSource.id"
    )
    team: Mapped[Team | None] = relationship(lazy="raise")
    verifications: Mapped[list[Verification]] = relationship(
        lazy="raise", order_by="Verification.id"
    )
    assignments: Mapped[list[Assignment]] = relationship(lazy="raise", order_by="Assignment.id")
    fulfilments: Mapped[list[Fulfilment]] = relationship(lazy="raise", order_by="Fulfilment.id")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API

    @hybrid_method
    def held_by(self, team_id: int) -> bool:
        """Whether the request is ``team_id``'s — what a team member may list and open.

        One definition for both uses: on a request it is a plain test
        (:func:`zhengwu.rescue.access.require_request`), on the class the SQL condition of
        a team's lists and counts (:func:`zhengwu.rescue.listing.of_team`).
        """
        return self.team_id == team_id


# The priority order by index (zhengwu.rescue.listing): requests waiting 24 hours or more
# by their base, newer ones by base less their clock mark; ties by time, then number.
Index("ix_help_requests_priority", HelpRequest.incident_id, HelpRequest.priority_base.desc(),
      HelpRequest.reported_at, HelpRequest.id)  # fmt: skip
Index("ix_help_requests_priority_fresh", HelpRequest.incident_id,
      HelpRequest.priority_fresh.desc(), HelpRequest.reported_at, HelpRequest.id)  # fmt: skip


@event.listens_for(Session, "before_flush")
def restore_priorities(session: Session, _context: object, _instances: object) -> None:
    """Store the priority of every new or changed request before it is written.

    Every write that goes through the ORM — intake, edits, verification, dispatch, state
    changes, merges and splits, a citizen's update — passes here, so the stored columns
    never lag behind the fields they are computed from. (Bulk ``insert()`` of rows, as
    :func:`zhengwu.rescue.demo.simulate_requests` does, computes them itself.)
    """
    from zhengwu.rescue.priority import stored

    for obj in (*session.new, *session.dirty):
        if isinstance(obj, HelpRequest) and obj.reported_at is not None:
            base, fresh = stored(obj)
            if obj.priority_base != base:
                obj.priority_base = base
            if obj.priority_fresh != fresh:
                obj.priority_fresh = fresh


_SEARCHED = ("text", "address", "adcode", "name", "phones")
_REINDEX = "zhengwu.rescue.reindex"


@event.listens_for(Session, "after_flush")
def _note_searched_changes(session: Session, _context: object) -> None:
    """Note the requests whose searched texts this flush changed (or their mirrors')."""
    found: set[int] = session.info.setdefault(_REINDEX, set())
    for obj in session.new:
        if isinstance(obj, HelpRequest):
            found.add(obj.id)
        elif isinstance(obj, HelpSource):
            found.add(obj.request_id)
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, HelpRequest) and obj not in session.deleted:
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in _SEARCHED):
                found.add(obj.id)
        elif isinstance(obj, HelpSource):
            moved = inspect(obj).attrs.request_id.history
            found.update(i for i in (*moved.deleted, *moved.added) if i is not None)
            if obj.request_id is not None:
                found.add(obj.request_id)


@event.listens_for(Session, "after_flush_postexec")
def _reindex(session: Session, _context: object) -> None:
    """Rewrite the search columns of the requests noted (zhengwu.rescue.lookup)."""
    ids = session.info.pop(_REINDEX, set())
    if ids:
        write_search_columns(session.connection(), sorted(i for i in ids if i is not None))


def write_search_columns(conn: Any, ids: list[int], *, batch: int = 500) -> None:
    """Compute and store ``search_words`` and ``search_digits`` of the requests ``ids``
    from what the database holds (``conn``: a connection)."""
    from zhengwu.rescue.lookup import index_texts

    requests: Table = HelpRequest.__table__  # type: ignore[assignment]
    sources: Table = HelpSource.__table__  # type: ignore[assignment]
    for start in range(0, len(ids), batch):
        part = ids[start : start + batch]
        texts: dict[int, list[str]] = {}
        for rid, text in conn.execute(
            select(sources.c.request_id, sources.c.text)
            .where(sources.c.request_id.in_(part))
            .order_by(sources.c.id)
        ):
            texts.setdefault(rid, []).append(text)
        rows = conn.execute(
            select(requests.c.id, *(requests.c[n] for n in _SEARCHED)).where(
                requests.c.id.in_(part)
            )
        ).all()
        values = []
        for row in rows:
            words, digits = index_texts([row.text, *texts.get(row.id, [])], address=row.address,
                                        adcode=row.adcode, name=row.name, phones=row.phones or [])  # fmt: skip
            values.append({"rid": row.id, "words": words, "digits": digits})
        if values:
            conn.execute(
                update(requests)
                .where(requests.c.id == bindparam("rid"))
                .values(search_words=bindparam("words"), search_digits=bindparam("digits")),
                values,
            )


class HelpSource(Base):
    """One post, form or spreadsheet row that carried a request (a mirror), and why it merged."""

    __tablename__ = "help_sources"
    __table_args__ = (UniqueConstraint("incident_id", "platform", "post_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("rescue_incidents.id"))
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # post | form | csv | api
    platform: Mapped[str] = mapped_column(String(16))  # weibo … or the channel for others
    post_id: Mapped[str] = mapped_column(String(80))  # for forms/CSV: a generated id
    url: Mapped[str | None] = mapped_column(String(2048))  # 0028: WeChat links are long
    author: Mapped[str | None] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(12))  # original | repost | copy | update
    merged_by: Mapped[str | None] = mapped_column(String(12))  # rule; None for the original
    score: Mapped[float] = mapped_column(Float, default=1.0)
    root_post_id: Mapped[str | None] = mapped_column(String(80))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # its extraction
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)  # MinHash, for later matches
    notified_at: Mapped[datetime | None]  # closing notice queued under this post
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[HelpRequest] = relationship(back_populates="sources", lazy="raise")


class MatchKey(Base):
    """A bucket key of a source (post id, phone, address, MinHash band) for later matches."""

    __tablename__ = "help_match_keys"
    __table_args__ = (Index("ix_help_match_keys_incident_key", "incident_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("rescue_incidents.id"))
    source_id: Mapped[int] = mapped_column(
        ForeignKey("help_sources.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(12))
    key: Mapped[str] = mapped_column(String(96))


SET_ASIDE_REASON_MAX = 256  # characters of a set-aside input's reason


class SetAside(Base):
    """An input that did not become a request: a non-help post (ignored) or a bad CSV row
    (quarantined), with the reason and where it came from — recorded, never dropped."""

    __tablename__ = "help_set_aside"
    __table_args__ = (UniqueConstraint("incident_id", "platform", "post_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("rescue_incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # ignored | quarantined
    channel: Mapped[str] = mapped_column(String(8))
    platform: Mapped[str] = mapped_column(String(16))
    post_id: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(SET_ASIDE_REASON_MAX))
    text: Mapped[str] = mapped_column(Text)
    # Where the post came from, as on its source once taken in (0027): a promoted post
    # keeps its link and author, and counts as reported when it was posted. None for
    # inputs set aside before 0027, and for what the input did not say.
    url: Mapped[str | None] = mapped_column(String(2048))  # 0028: WeChat links are long
    author: Mapped[str | None] = mapped_column(String(256))
    posted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Verification(Base):
    """One verification of a request: who checked, how, when, and what they found."""

    __tablename__ = "help_verifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    verifier_user_id: Mapped[int | None] = mapped_column(Integer)
    verifier_name: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(Base):
    """A team's commitment to a request (Sahana commitment); one active at a time."""

    __tablename__ = "help_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("rescue_teams.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    assigned_by: Mapped[str] = mapped_column(String(128))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]


class Fulfilment(Base):
    """People helped in one go ("5 of 8 evacuated"); they add up to the request's total.

    ``note`` is the team's field note (where they took them, who is still missing);
    ``team_id`` is None when a coordinator records people helped by others at closing.
    """

    __tablename__ = "help_fulfilments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id"), index=True)
    # Indexed (0035): the team's foreign-key check and the people a team helped.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("rescue_teams.id"), index=True)
    people: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(24))  # rescued | relocated
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    team: Mapped[Team | None] = relationship(lazy="raise")


class HelpFollowup(Base):
    """A citizen's private follow-up key to one request (跟进链接 / 查询码).

    ``request_id`` is the request the key made or joined (or that a coordinator split its
    submission off into), ``source_id`` the submission's source. Only hashes are stored:
    the link's token (sha256) and, when a phone was given, the phone with its short code
    (sha256 of ``phone:code``). The token is shown once, on the receipt. See
    :mod:`zhengwu.rescue.followup`.
    """

    __tablename__ = "help_followups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    lookup_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # Whether the submission created the request; one that merged into an existing request
    # (perhaps someone else's) may only ask to withdraw it, a coordinator confirms.
    creator: Mapped[bool] = mapped_column(Boolean, default=True)
    # The submission's own source (0039): the key opens the request that source is on now,
    # after a coordinator's merges and splits; None for an older key it could not be found for.
    source_id: Mapped[int | None] = mapped_column(ForeignKey("help_sources.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VerificationClaim(Base):
    """Who is verifying a request right now (认领核实), until when: one row per request.

    The unique request id makes two verifiers' claims race on the database: one wins, the
    other gets a 409 naming the claimer. See :mod:`zhengwu.rescue.claims`.
    """

    __tablename__ = "help_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id"), unique=True)
    username: Mapped[str] = mapped_column(String(64))
    claimer_name: Mapped[str] = mapped_column(String(128))
    team_name: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
