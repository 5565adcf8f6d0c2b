"""Pydantic schemas of the service desk: intake, actions, and the views of a request."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from zhengwu.servicedesk.models import SOCIAL_SOURCES

Source = Literal[
    "weibo", "wechat", "douyin", "form", "csv", "api", "open311", "12345", "letter", "visit", "sms"
]  # models.SOURCES
# A request's text: generous (real 12345 messages run to 7,000 characters and more); longer
# texts are refused with a clear error, not cut. Open311 keeps its own 4,000 (the spec's).
MAX_TEXT = 20_000
OPEN311_MAX_TEXT = 4000
# A handling body's public reply (答复意见): as long as a request may be, the limit a hotline
# export's reply column has on import (csvimport) — the API, the console form and the
# import accept the same replies.
MAX_REPLY = MAX_TEXT
MAX_REASON = 2000  # a reason, note or citizen's feedback
MAX_POST_ID = 64  # a social post's id (source_ref without "weibo:"), as the request keeps it


class RequestIntake(BaseModel):
    """A request as it arrives from any channel."""

    source: Source
    source_ref: str | None = Field(
        None, max_length=160, description="platform:post_id or the external id; idempotency key"
    )
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    category_code: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=256)
    region: str | None = Field(
        None, max_length=64,
        description="the region a hotline export files it under (所属区域: 长沙市, 岳麓区 or a "
        "code): authoritative, the text may only refine it to a division inside it",
    )  # fmt: skip
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    adcode: str | None = Field(None, pattern=r"^\d{6}$")
    citizen_name: str | None = Field(None, max_length=64)
    citizen_phone: str | None = Field(None, max_length=32)
    citizen_email: str | None = Field(None, max_length=128)
    citizen_uid: str | None = Field(
        None, max_length=64, description="the citizen's platform account (social sources)"
    )
    account_uid: str | None = Field(
        None, max_length=64, description="the matrix account the citizen addressed (@mention)"
    )
    root_ref: str | None = Field(
        None, max_length=160, description="source_ref of the post this one reposts"
    )
    attributes: dict[str, Any] = Field(default_factory=dict)
    media_url: str | None = Field(None, max_length=512)
    submitted_at: AwareDatetime | None = None
    public: bool = Field(
        True, description="shown (masked) on the public board and in Open311 GET requests"
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("诉求内容不能为空白 / text is blank")
        return value.strip()

    @field_validator("source_ref")
    @classmethod
    def _post_id_fits(cls, ref: str | None, info: ValidationInfo) -> str | None:
        # A social post's source_ref is its platform post id (with or without "weibo:"),
        # kept on the request to reply under the post: at most MAX_POST_ID characters.
        source = info.data.get("source")
        if source in SOCIAL_SOURCES and ref:
            post_id = ref.removeprefix(f"{source}:")
            if len(post_id) > MAX_POST_ID:
                raise ValueError(
                    f"{source} 帖子编号最多 {MAX_POST_ID} 个字符（收到 {len(post_id)} 个） / "
                    f"a {source} post id has at most {MAX_POST_ID} characters "
                    f"(got {len(post_id)})"
                )
        return ref


class IntakeReceipt(BaseModel):
    """What a citizen gets back: the request id, and a token to reopen or rate it later."""

    public_id: str
    status: Literal["created", "merged", "existing"]
    citizen_token: str | None = Field(
        None, description="shown once, only for a new request; keep it to reopen or rate"
    )
    state: str
    category_code: str | None
    organization_id: int | None


class StaffIntakeReceipt(IntakeReceipt):
    """What staff get back when they register a request (``POST /api/desk/requests``, or
    ``POST /api/requests`` logged in): the receipt, the queue it is on, and what a matrix
    office must know about it."""

    matrix_id: int | None = Field(None, description="the matrix whose queue holds the request")
    kept_in_office_queue: bool = Field(
        False,
        description="a matrix office's new request that routing would have placed outside "
        "its matrix (no place or rule, or another matrix's body): kept in its own matrix "
        "queue, unassigned (未派单), for it to dispatch; ``warnings`` says why",
    )
    merged_outside_scope: bool = Field(
        False,
        description="a matrix office's call merged into an open request outside its matrix "
        "(same caller, same problem): the office reads that request read-only, masked",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="what the caller should know (Chinese / English): kept in the office's "
        "queue and why, merged into a request outside its matrix (read-only for it), or "
        "on file as a request the caller cannot see",
    )


class ActionInput(BaseModel):
    """The body of a workflow action; which fields count depends on the action."""

    reason: str | None = Field(
        None, max_length=MAX_REASON, description="why (退单/转办/延期… need it)"
    )
    organization_id: int | None = Field(None, description="assign/transfer: the new lead body")
    helper_organization_ids: list[int] = Field(default_factory=list, description="cohandle")
    days: int | None = Field(None, ge=1, le=60, description="request_extension: working days")
    reply_text: str | None = Field(
        None, max_length=MAX_REPLY, description="reply/resolve: public text"
    )
    satisfaction: int | None = Field(None, ge=1, le=5, description="follow_up: 1–5")
    duplicate_of: str | None = Field(None, description="duplicate: public id of the kept one")
    category_code: str | None = Field(None, description="reclassify: the new category")
    expected_version: int | None = Field(
        None, description="refuse the action if the request changed since this version"
    )


class CitizenAction(BaseModel):
    """A citizen's reopen or rating, proven by the token from the intake receipt."""

    token: str = Field(min_length=8, max_length=128)
    reason: str | None = Field(None, max_length=MAX_REASON)
    satisfaction: int | None = Field(None, ge=1, le=5)


class RequestSummary(BaseModel):
    """A request in a queue (masked text unless the reader handles it)."""

    model_config = ConfigDict(from_attributes=True)

    public_id: str
    state: str
    state_label: str
    source: str
    text: str
    category_code: str | None
    adcode: str | None
    organization_id: int | None
    matrix_id: int | None
    received_at: datetime
    response_due: datetime | None
    resolve_due: datetime | None
    overdue: bool
    supervision_count: int
    version: int


class RatingRead(BaseModel):
    """One 回访 rating the citizen gave (kept when the request is reopened)."""

    model_config = ConfigDict(from_attributes=True)

    satisfaction: int
    rated_at: datetime


class AuditRead(BaseModel):
    """One audit entry of a request."""

    model_config = ConfigDict(from_attributes=True)

    action: str
    from_state: str | None
    to_state: str | None
    actor_name: str
    reason: str | None
    data: dict[str, Any] | None
    at: datetime


class OutboxRead(BaseModel):
    """One public reply queued for the source post."""

    model_config = ConfigDict(from_attributes=True)

    kind: str
    platform: str
    target_post_id: str | None
    account_uid: str | None
    body: str
    state: str
    created_at: datetime
    attempts: int = 0
    error: str | None = None  # why it waits (no connector) or the failure that stopped it
    # The last delivery failure, kept while it waits — and once delivered (``error`` is
    # then None), an earlier attempt's: ``attempts - 1`` attempts failed before it went out.
    last_error: str | None = None
    last_error_at: datetime | None = None
    delivered_at: datetime | None = None


class SourceRead(BaseModel):
    """One source that carried the request."""

    model_config = ConfigDict(from_attributes=True)

    source: str
    source_ref: str
    kind: str
    text: str
    received_at: datetime


class RequestDetail(RequestSummary):
    """A request with everything its reader may see."""

    masked: bool
    citizen_name: str | None
    citizen_phone: str | None
    citizen_email: str | None
    address: str | None
    lat: float | None
    lon: float | None
    located_by: str | None
    classified_by: str | None
    classification_confidence: float | None
    routing_rule_id: int | None
    attributes: dict[str, Any]
    media_url: str | None
    platform: str | None
    source_post_id: str | None
    account_uid: str | None
    helper_organization_ids: list[int]
    duplicate_of: str | None
    first_response_at: datetime | None
    accepted_at: datetime | None
    resolved_at: datetime | None
    followed_up_at: datetime | None
    satisfaction: int | None
    reply_text: str | None
    extension_days: int | None
    extension_reason: str | None
    reopen_count: int
    ratings: list[RatingRead] = Field(
        default_factory=list, description="every 回访 rating, oldest first (满意率 counts each)"
    )
    allowed_actions: list[str]
    sources: list[SourceRead]
    history: list[AuditRead]
    outbox: list[OutboxRead]


class PublicRequest(BaseModel):
    """A request on the public board: personal data masked, replies shown."""

    public_id: str
    state: str
    state_label: str
    category: str | None
    region: str | None
    organization: str | None
    text: str
    reply_text: str | None
    received_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    satisfaction: int | None
    duplicate_of: str | None
