"""Pydantic schemas of the rescue API (what goes in and what comes out over HTTP)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from zhengwu.privacy.phones import normalise_callback_phone, normalise_phone
from zhengwu.validation_text import refuse_null


def _required_reason(value: str) -> str:
    if not value.strip():
        raise ValueError("请填写理由 / a reason is required")
    return value.strip()


# The reason a coordinator gives for a correction, merge or split: required, not blank.
Reason = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_required_reason)]

IncidentType = Literal["flood", "fire", "earthquake", "typhoon", "epidemic", "other"]
TeamKind = Literal["fire_brigade", "ngo_rescue", "volunteer", "medical", "other"]
State = Literal["new", "verified", "dispatched", "on_scene", "resolved", "announced", "merged"]
Outcome = Literal["rescued", "relocated", "no_longer_needed", "unreachable"]
Method = Literal["phone", "on_site", "official_source"]
Result = Literal["confirmed", "false", "unreachable", "already_rescued"]


DESCRIPTION_MAX = 4000  # characters of an incident's situation description (灾情说明)
HOTLINE_MAX = 32


def _tags(values: list[str]) -> list[str]:
    # "#河南暴雨互助#", "河南暴雨互助 " and "#河南暴雨互助" are one hashtag.
    return list(dict.fromkeys(v.strip().strip("#").strip() for v in values if v.strip("# ")))


def _description(value: object) -> object:
    # Runs before the length check: a form's CRLF counts as one character, and a blank
    # description is no description (None clears it).
    if not isinstance(value, str):
        return value
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return text or None


def _hotline(value: object) -> object:
    # A published number the public may call: a hotline (12345, 0371-12345), a landline
    # or a mobile, in its normal form; a blank one is none.
    if not isinstance(value, str):
        return value
    return normalise_phone(value) if value.strip() else None


def _contact_phone(value: object) -> object:
    # A team's contact is called back: a mobile or a landline, in its normal form
    # ("139 5555 3333" → "13955553333"), like the phones of help requests.
    if not isinstance(value, str):
        return value
    return normalise_callback_phone(value) if value.strip() else None


class IncidentBase(BaseModel):
    """Fields of an incident that a dispatcher sets."""

    name: str = Field(min_length=1, max_length=128, examples=["2021河南暴雨"])
    type: IncidentType = "flood"
    regions: list[str] = Field(default_factory=list, examples=[["410000"]])
    hashtags: list[str] = Field(default_factory=list, examples=[["#河南暴雨互助#"]])
    keywords: list[str] = Field(default_factory=list, examples=[["求助", "被困"]])
    starts_at: datetime
    ends_at: datetime | None = None
    reverify_hours: float = Field(6.0, gt=0, le=168, description="re-verify after this long")
    description: str | None = Field(
        None,
        max_length=DESCRIPTION_MAX,
        description="灾情说明: what happened, where to go, official hotlines (public, masked)",
    )
    hotline: str | None = Field(
        None,
        max_length=HOTLINE_MAX,
        examples=["0371-12345"],
        description="求助热线: the published number to call (closed help form, notices), shown as is",
    )

    _clean_tags = field_validator("hashtags")(_tags)
    _clean_description = field_validator("description", mode="before")(_description)
    _clean_hotline = field_validator("hotline", mode="before")(_hotline)


class IncidentCreate(IncidentBase):
    """A new incident."""


class IncidentUpdate(BaseModel):
    """A change to an incident; absent fields stay as they are.

    Closing (``status: closed``) an incident that still has open requests is refused
    (409, with their counts by state) unless ``force`` is true and a ``reason`` is given.
    """

    name: str | None = Field(None, min_length=1, max_length=128)
    type: IncidentType | None = None
    status: Literal["active", "closed"] | None = None
    regions: list[str] | None = None
    hashtags: list[str] | None = None
    keywords: list[str] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    reverify_hours: float | None = Field(None, gt=0, le=168)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX, description="null clears it")
    hotline: str | None = Field(None, max_length=HOTLINE_MAX, description="null clears it")
    force: bool = Field(False, description="close although requests are still open (needs reason)")
    reason: str | None = Field(None, max_length=2000, description="why (audited); for force")

    _required = field_validator(
        "name",
        "type",
        "status",
        "hashtags",
        "keywords",
        "starts_at",
        "reverify_hours",
        mode="before",
    )(refuse_null)
    _clean_description = field_validator("description", mode="before")(_description)
    _clean_hotline = field_validator("hotline", mode="before")(_hotline)

    @field_validator("hashtags")
    @classmethod
    def _clean(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _tags(values)


class IncidentRead(IncidentBase):
    """An incident as stored."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    status: Literal["active", "closed"]
    created_at: datetime


class TeamFields(BaseModel):
    """The fields of a rescue team."""

    name: str = Field(min_length=1, max_length=128, examples=["郑州蓝天救援队"])
    kind: TeamKind = "ngo_rescue"
    capabilities: list[str] = Field(default_factory=list, examples=[["冲锋舟", "医疗"]])
    capacity: int = Field(1, ge=1, le=1000, description="requests it can take at once")
    area: list[str] = Field(default_factory=list, description="adcodes it covers")
    contact_name: str | None = Field(None, max_length=64)
    contact_phone: str | None = Field(None, max_length=32)


class TeamCreate(TeamFields):
    """A new rescue team; its contact phone is stored in its normal form."""

    _clean_phone = field_validator("contact_phone", mode="before")(_contact_phone)


class TeamUpdate(BaseModel):
    """A change to a team; absent fields stay as they are. ``active: false`` deactivates it
    (停用: no longer offered for dispatch, history kept), ``true`` reactivates it."""

    name: str | None = Field(None, min_length=1, max_length=128)
    kind: TeamKind | None = None
    capabilities: list[str] | None = None
    capacity: int | None = Field(None, ge=1, le=1000)
    area: list[str] | None = None
    contact_name: str | None = Field(None, max_length=64, description="null clears it")
    contact_phone: str | None = Field(None, max_length=32, description="null clears it")
    active: bool | None = None

    _required = field_validator(
        "name", "kind", "capabilities", "capacity", "area", "active", mode="before"
    )(refuse_null)
    _clean_phone = field_validator("contact_phone", mode="before")(_contact_phone)


class TeamRead(TeamFields):
    """A rescue team as stored, with its current load."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    active: bool
    load: int = 0


HELP_TEXT_MIN = 2  # characters of a help request's description, blanks not counted
HELP_PEOPLE_MAX = 100_000


class ClaimView(BaseModel):
    """A verification claim (认领核实): who is calling the people, until when."""

    by: str
    team_name: str | None
    claimed_at: datetime
    expires_at: datetime
    mine: bool = Field(description="whether the viewer holds it")


class ClaimCreate(BaseModel):
    """Claim a request for verification for ``minutes`` (default 15)."""

    minutes: int = Field(15, ge=1, le=120)


class FollowupIssued(BaseModel):
    """The follow-up link's token and the query code, shown once at submission.

    Keep them: only their hashes are stored (:mod:`zhengwu.rescue.followup`).
    """

    token: str
    code: str | None = Field(None, description="used with the phone given; None without one")
    url: str = Field(description="the private follow-up page (keep it private)")


class HelpSubmission(BaseModel):
    """A request for help sent through the public form or the JSON API."""

    text: str = Field(min_length=HELP_TEXT_MIN, max_length=4000, description="what happened")
    name: str | None = Field(None, max_length=64)
    phone: str | None = Field(
        None, max_length=32, description="a mobile, or a landline with its area code"
    )
    address: str | None = Field(None, max_length=256)
    people: int | None = Field(None, ge=1, le=HELP_PEOPLE_MAX)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        # "   " passes the length check: what counts is what is left once blanks are gone.
        text = value.strip()
        if len(text) < HELP_TEXT_MIN:
            raise ValueError(
                f"请描述情况，至少 {HELP_TEXT_MIN} 个字 / "
                f"text is blank or shorter than {HELP_TEXT_MIN} characters"
            )
        return text

    @field_validator("name", "address", mode="before")
    @classmethod
    def _optional(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: object) -> object:
        # A call-back number or nothing: "not-a-phone" would promise a call nobody can make.
        if not isinstance(value, str):
            return value
        return normalise_callback_phone(value) if value.strip() else None


class PostSubmission(BaseModel):
    """One social post sent by an API client (a crawler, a partner platform)."""

    platform: str = Field("weibo", max_length=16)
    post_id: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=1, max_length=10_000)
    posted_at: datetime | None = None
    author: str | None = Field(None, max_length=256)
    url: str | None = Field(None, max_length=2048)
    is_repost: bool = False
    root_post_id: str | None = Field(None, max_length=80)
    root_text: str | None = Field(None, max_length=10_000)


class IntakeReport(BaseModel):
    """What one intake did."""

    read: int = 0
    known: int = 0  # already taken in (idempotent re-runs)
    ignored: int = 0  # not help posts (news, prayers, notices), kept with the reason
    quarantined: int = 0  # unusable rows, kept with the reason
    new_requests: int = 0
    merged: int = 0  # posts that joined a request as a mirror (repost, copy, update)
    request_ids: list[int] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)  # taken in, but check (unknown urgency)
    # A sheet's rows quarantined (set aside), each as "where: why", in the sheet's order.
    refused: list[str] = Field(default_factory=list)
    # A sheet's 是 in 是否核实 / 是否获救 applied to requests that did not say so yet (rows
    # known or new alike): what volunteers marked, so a re-import says what it changed.
    marked_verified: int = 0
    marked_rescued: int = 0
    dry_run: bool = False  # a check (检查): what the import would do, nothing kept


class SetAsideView(BaseModel):
    """An input intake did not take as a request (未受理), with the reason."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str  # ignored (not help, outside the regions) | quarantined (unusable row)
    channel: str
    platform: str
    post_id: str
    reason: str
    text: str
    # The post's link, author (handle or user id; a sheet row: the sheet) and post time,
    # None when not recorded (set aside before 0027) or not for this viewer to see.
    url: str | None = None
    author: str | None = None
    posted_at: datetime | None = None
    created_at: datetime


class SetAsidePage(BaseModel):
    """One page of an incident's set-aside inputs, newest first."""

    total: int
    items: list[SetAsideView]


class VerificationCreate(BaseModel):
    """A verifier's finding."""

    method: Method
    result: Result
    note: str | None = Field(None, max_length=2000)


class AssignmentCreate(BaseModel):
    """Assign a request to a team; ``expected_version`` guards against a stale screen."""

    team_id: int
    expected_version: int | None = Field(None, description="the version the dispatcher saw")
    note: str | None = Field(None, max_length=2000)


class FulfilmentCreate(BaseModel):
    """People helped in one go ("5 evacuated")."""

    people: int = Field(ge=1, le=100_000)
    outcome: Literal["rescued", "relocated"] = "rescued"
    note: str | None = Field(None, max_length=2000)


class ResolveCreate(BaseModel):
    """Close a request with its outcome (queues the closing notices).

    Closing as rescued or relocated while fewer people were helped than the request
    lists is refused (409) unless ``confirm_partial`` is true and a ``partial_reason`` is
    given: the notice then says how many may still be waiting.
    """

    outcome: Outcome
    note: str | None = Field(None, max_length=2000)
    people_helped: int | None = Field(
        None, ge=0, le=HELP_PEOPLE_MAX,
        description="people rescued or relocated in all, when more than recorded: "
        "the difference is recorded now (rescued or relocated only)",
    )  # fmt: skip
    confirm_partial: bool = Field(False, description="close although people may still wait")
    partial_reason: str | None = Field(
        None, max_length=2000, description="why, for a partial close"
    )

    @field_validator("note", "partial_reason", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value


class PeopleCorrection(BaseModel):
    """Correct the number of people a request is for (更正人数), with the reason."""

    people_total: int = Field(ge=1, le=HELP_PEOPLE_MAX)
    reason: Reason


class RequestEdit(BaseModel):
    """Correct the facts the extractor read from a request (更正求助信息), with the reason.

    Only the fields sent change; an empty ``address`` or ``hazard`` clears it. ``needs``
    and ``vulnerabilities`` are codes (:mod:`zhengwu.rescue.labels`); ``text`` is the
    request's description (the sources keep what was posted).
    """

    address: str | None = Field(None, max_length=256)
    people_total: int | None = Field(None, ge=1, le=HELP_PEOPLE_MAX)
    phones: list[str] | None = Field(None, max_length=10)
    urgency: Literal["critical", "urgent", "normal"] | None = None
    needs: list[str] | None = None
    vulnerabilities: list[str] | None = None
    hazard: str | None = Field(None, max_length=128)
    text: str | None = Field(None, min_length=HELP_TEXT_MIN, max_length=4000)
    reason: Reason
    expected_version: int | None = None


class RequestMerge(BaseModel):
    """Merge another request into this one (人工合并), with the reason.

    ``people_total``: the survivor's count after the merge; the larger of the two when
    not given.
    """

    other_id: int = Field(description="the request merged away; it points to the survivor")
    people_total: int | None = Field(None, ge=1, le=HELP_PEOPLE_MAX)
    reason: Reason


class TransitionCreate(BaseModel):
    """Move a request to a state by hand (on_scene, or back after a team is released)."""

    to: State
    reason: str | None = Field(None, max_length=2000)


class ReasonCreate(BaseModel):
    """An action that needs a reason (unmerge a source, release a team)."""

    reason: Reason


class PriorityView(BaseModel):
    """The triage score and the parts it adds up from (never engagement)."""

    score: float
    parts: dict[str, float]


class SourceView(BaseModel):
    """One mirror of a request."""

    id: int
    channel: str
    platform: str
    post_id: str | None
    url: str | None
    author: str | None
    text: str
    posted_at: datetime
    kind: str
    merged_by: str | None
    score: float
    notified_at: datetime | None


class VerificationView(BaseModel):
    """One verification."""

    method: str
    result: str
    verifier: str | None
    note: str | None
    at: datetime


class FulfilmentView(BaseModel):
    """One fulfilment event, with the team's field note (None where the data is masked)."""

    people: int
    outcome: str
    team_id: int | None
    team_name: str | None = None
    note: str | None = None
    recorded_by: str | None = None
    at: datetime


class HelpRequestView(BaseModel):
    """A request as one principal may see it: full for those who act on it, masked otherwise."""

    id: int
    incident_id: int
    masked: bool
    state: State
    outcome: str | None
    version: int
    name: str | None
    age: int | None
    phones: list[str]
    address: str | None
    adcode: str | None
    area: str | None = Field(description="county (区县) name")
    lon: float | None
    lat: float | None
    people_total: int | None
    people_helped: int
    people_remaining: int | None = Field(
        description="people listed but not (yet) helped; None when the count is unknown"
    )
    fulfilment: Literal["none", "partial", "complete"]
    vulnerabilities: list[str]
    needs: list[str]
    hazard: str | None
    urgency: str
    urgency_reasons: list[str]
    completeness: float
    missing: list[str]
    text: str
    additions: list[str] = Field(
        default_factory=list,
        description="what copies of the post added that its text does not say (转发补充)",
    )
    priority: PriorityView
    flags: list[str]
    verification: str
    verified_at: datetime | None
    reverify_due_at: datetime | None
    reported_at: datetime
    reported_rescued_at: datetime | None
    team_id: int | None
    team_name: str | None
    dispatched_at: datetime | None
    on_scene_at: datetime | None
    resolved_at: datetime | None
    announced_at: datetime | None
    merged_into_id: int | None = None  # state merged: the request it was merged into
    mirrors: int
    sources: list[SourceView]
    verifications: list[VerificationView]
    fulfilments: list[FulfilmentView]
    claim: ClaimView | None = Field(
        None, description="who is verifying it now (认领核实), shown to rescue staff"
    )
    followup: FollowupIssued | None = Field(
        None, description="only in the answer to a submission: the private follow-up key"
    )


class QueuePage(BaseModel):
    """The dispatcher queue: requests by priority, highest first."""

    total: int
    items: list[HelpRequestView]


class Durations(BaseModel):
    """Median and 90th percentile of one step, in minutes (None without data)."""

    count: int
    median_minutes: float | None
    p90_minutes: float | None
    # Requests that took the step but were left out: their report time is unknown (a
    # sheet row without a 时间), so a step from the report has no length.
    left_out: int = 0


class BoardView(BaseModel):
    """The public board of an incident: counts, areas, closing notices, masked requests."""

    incident: IncidentRead
    total: int
    by_state: dict[str, int]
    by_area: dict[str, dict[str, int]]
    people_total: int
    people_helped: int
    response_times: dict[str, Durations]
    notices: list[dict[str, str | int | bool | None]]
    requests: list[HelpRequestView]
    # The two lists are pages: their totals, where each page starts, and the page size.
    requests_total: int = 0
    requests_offset: int = 0
    notices_total: int = 0
    notices_offset: int = 0
    page_size: int = 50
