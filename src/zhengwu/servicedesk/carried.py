"""What an export of this desk carries to a new desk beyond a hotline's own columns.

A hotline's columns (:mod:`.csvimport`) hold one handling: its reply, its 办结 and its one
回访 rating. A request of the desk can hold more, and the rates count it: every rating the
citizen gave (a request reopened after a 不满意 and rated again counts both in 满意率), a
first response that was only the 受理 (counted in 回应率, with no reply to show it), and how
often it was reopened (重启), a deadline extended (延期) and where an open request stands
(已受理, 办理中, 重办). :mod:`.export` writes them as 历次满意度 (the ratings before the latest
handling's: ``1分 2025-07-05 10:00:00；3分 2025-07-09 11:00:00``), 首次响应时间, 重启次数,
办理期限 and 办理状态, so that a migration to a new desk (``desk export``, then ``desk
import-csv`` there) keeps 回应率, 按时办结率 and 满意率 as they were.

The import records them on the requests it creates, once (a row found ``existing`` adds
nothing, but for a 退回原因 an earlier import lacked: :func:`record_return_reasons`): each earlier rating as a :class:`~.models.RequestRating` with an audit entry
``follow_up`` (reason :data:`IMPORTED_EARLIER_RATING`), an earlier first response, the
reopen count, a 办理期限 later than the one the new desk computes (an extension), and the
open state of :data:`STATES` (已受理, 办理中, 重办, 已转办, 已退回; audited with reason
:data:`IMPORTED_STATE`). It keeps each request's handling as well, from the export's
来源渠道, 承办单位, 签收时间, 协办单位, 督办次数, 督办时间 and 所属矩阵: the channel, the
handling body and the co-handling bodies (by name), the 签收 time, the 督办 (audited with
reason :data:`IMPORTED_HANDLING`) and the matrix whose queue holds it (a request 已退回
waits there, with no body; its return entry names the body of its 退回单位), so the rates
by organisation stay the same too. A handling
body or matrix the new desk does not have (by that name) leaves the new desk's routing in
place: :func:`apply` counts those requests and :func:`routed_instead_notice` tells the
import's reader. An export written before these columns imports as it did.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, get_args

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Matrix, Organization
from zhengwu.audit import service as audit_service
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import Principal
from zhengwu.servicedesk import actions
from zhengwu.servicedesk.models import (
    RequestHelper,
    RequestRating,
    RequestSource,
    ServiceRequest,
)
from zhengwu.servicedesk.schemas import ActionInput, Source
from zhengwu.servicedesk.workflow import next_state

if TYPE_CHECKING:
    from zhengwu.servicedesk.access import OfficeQueue

CHINA = timezone(timedelta(hours=8))
COLUMNS: dict[str, tuple[str, ...]] = {
    "earlier_ratings": ("历次满意度",),
    "first_response_at": ("首次响应时间",),
    "reopen_count": ("重启次数",),
    "resolve_due": ("办理期限",),
    # Read from every row: a hotline export's own channel column (来源 微博, 受理渠道 电话 …)
    # or a desk's export's (来源渠道 weibo): see CHANNEL_WORDS.
    "channel": ("来源渠道", "受理渠道", "诉求渠道", "诉求来源", "工单来源", "信息来源", "反映渠道",
                "来源方式", "渠道", "来源", "channel"),
    # Read from a desk's export only (a row with its 首次响应时间 or its 诉求编号):
    "organization": ("承办单位",),
    "accepted_at": ("签收时间",),
    "helpers": ("协办单位",),
    "supervision_count": ("督办次数",),
    "supervised_at": ("督办时间",),
    "matrix": ("所属矩阵",),
    "returned_by": ("退回单位", "退单单位"),
    "return_reason": ("退回原因", "退单原因"),
    "returned_at": ("退回时间", "退单时间"),
}  # fmt: skip
CHANNELS = frozenset(get_args(Source))  # a 来源渠道 the export writes (the request's source)
# What a hotline's channel column says (lower case, spaces out) → the desk's channel. A
# hotline's 12345 app sends its requests as a program does: 接口 (api). Letters (信件),
# walk-in visits (来访) and text messages (短信) are channels of their own. Another value
# (传真, 其他 …) keeps the import's source, and the import warns
# (:func:`unknown_channels_notice`).
CHANNEL_WORDS: dict[str, str] = {
    **{c: c for c in CHANNELS},
    **dict.fromkeys(("微博", "新浪微博", "政务微博"), "weibo"),
    **dict.fromkeys(("微信", "微信公众号", "公众号", "微信小程序", "小程序"), "wechat"),
    **dict.fromkeys(("抖音",), "douyin"),
    **dict.fromkeys(("网站", "网页", "网上", "网络", "网站留言", "网上留言", "网上信箱", "网络问政",
                     "市长信箱", "领导信箱", "书记信箱", "门户网站", "政府网站", "网页表单", "表单"), "form"),
    **dict.fromkeys(("电话", "热线", "热线电话", "来电", "12345热线", "市民热线", "政务热线",
                     "便民热线", "服务热线"), "12345"),
    **dict.fromkeys(("app", "手机app", "移动app", "客户端", "手机客户端", "接口"), "api"),
    **dict.fromkeys(("批量导入",), "csv"),
    **dict.fromkeys(("信件", "来信", "书信", "群众来信", "人民来信", "信函", "邮寄", "写信"), "letter"),
    **dict.fromkeys(("来访", "群众来访", "现场来访", "来人来访", "当面", "现场", "窗口", "接访"),
                    "visit"),
    **dict.fromkeys(("短信", "手机短信", "短消息", "sms", "12345短信"), "sms"),
}  # fmt: skip


def channel_of(text: str) -> str | None:
    """Return the desk's channel a channel cell names (微博 → weibo …), None when none."""
    return CHANNEL_WORDS.get("".join(text.split()).lower())


# The channels whose 工单编号 is the hotline's or file's own number (``<channel>:<number>``
# is the source_ref): a request imported with another source keeps the import's, so the
# export writes its number again (export.ticket_number).
TICKET_CHANNELS = ("12345", "csv")
IMPORTED_HANDLING = "导入的办理记录 / handling imported from an export"
IMPORTED_EARLIER_RATING = "导入的历次回访 / earlier follow-up imported from an export"
IMPORTED_STATE = "导入的办理状态 / state imported from an export"
# 办理状态 words of an export (export.STATUS_WORDS) that say more than "open": the state a
# created request takes, the action that leads there (its audit entry) and the states the
# import may have left it in (a received request, or one answered by the row's reply).
STATES: dict[str, tuple[str, str, frozenset[str]]] = {
    "已受理": ("accepted", "accept", frozenset({"received"})),
    "办理中": ("in_progress", "start", frozenset({"received", "replied"})),
    "重办": ("reopened", "reopen", frozenset({"received", "replied"})),
    "已转办": ("assigned", "assign", frozenset({"received"})),
    "已退回": ("returned", "return", frozenset({"received", "replied"})),
}
_RATING = re.compile(r"([1-5])\s*分?\s+(\S.*)")
_SEPARATOR = re.compile(r"[；;]")

Cell = tuple[str, str]  # the file's column and the cell's text
# What an imported return is dated at when its row has no 退回时间 (an export written before
# the column, another hotline's): the latest time the row shows before the return — it
# cannot have been returned earlier — said in its entry's reason (``dated_by`` in its data).
RETURN_DATED_BY = {
    "accepted_at": "退回时间不详，按签收时间记 / return time unknown: dated at the 签收 time",
    "first_response_at": "退回时间不详，按首次响应时间记 / return time unknown: dated at the "
                         "first response",
    "received_at": "退回时间不详，按受理时间记 / return time unknown: dated at the request's "
                   "receipt",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Carried:
    """A row's earlier ratings (1–5, when), its first response and its reopen count; its
    channel, handling body, 签收, co-handling bodies and 督办 (a desk's export)."""

    ratings: tuple[tuple[int, datetime], ...] = ()
    first_response_at: datetime | None = None
    reopen_count: int = 0
    resolve_due: datetime | None = None
    state: str | None = None  # a word of STATES
    channel: str | None = None  # a word of CHANNELS
    organization: str | None = None  # the 承办单位's name
    accepted_at: datetime | None = None
    helpers: tuple[str, ...] = ()  # the 协办单位' names
    supervision_count: int = 0
    supervised_at: datetime | None = None
    matrix: str | None = None  # the name of the matrix whose queue holds it
    returned_by: str | None = None  # the name of the body that returned it (已退回)
    return_reason: str | None = None  # why it was returned (退回原因), as the 退单 said
    returned_at: datetime | None = None  # when it was returned (退回时间)
    unknown_channel: tuple[str, str] | None = None  # a channel cell of no desk channel

    def __bool__(self) -> bool:
        return bool(
            self.ratings or self.first_response_at or self.reopen_count or self.resolve_due
            or self.state or self.channel or self.organization or self.accepted_at
            or self.helpers or self.supervision_count or self.supervised_at or self.matrix
            or self.returned_by or self.return_reason or self.returned_at
            or self.unknown_channel
        )  # fmt: skip


def ratings_text(ratings: Iterable[tuple[int, datetime]]) -> str:
    """Return the 历次满意度 cell: ``1分 2025-07-05 10:00:00；3分 …`` (China time)."""
    return "；".join(f"{s}分 {at.astimezone(CHINA):%Y-%m-%d %H:%M:%S}" for s, at in ratings)


def _count(found: Cell | None) -> int:
    """Read a count cell (重启次数, 督办次数): 0 when absent; ValueError naming the column."""
    if found is None:
        return 0
    column, text = found
    if not text.isdigit() or int(text) > 1000:
        raise ValueError(
            f"「{column}」应为 0 或正整数：{text!r} / column '{column}' should be a count "
            f"(0, 1, 2 …): {text!r}"
        )
    return int(text)


def read(
    cells: dict[str, Cell | None], time: Callable[[Cell, str], datetime],
    answered: datetime | None, status: str | None, *, desk: bool = False,
    received: datetime | None = None,
) -> Carried | None:  # fmt: skip
    """Return what a row carries (None: nothing), from its cells by field; ValueError with
    a bilingual reason naming the column when a cell cannot be read.

    ``time`` reads a time cell as the import does; ``answered`` is the first response the
    import records anyway (the reply's time, else the 办结's): a 首次响应时间 not before it
    carries nothing. ``desk``: the row has a 诉求编号 of a desk (an export of ours, even
    of a request never answered). ``received``: the row's 受理时间, which a 退回时间 may not
    precede.
    """
    ratings: list[tuple[int, datetime]] = []
    found = cells.get("earlier_ratings")
    if found is not None:
        column, text = found
        for part in filter(None, (p.strip() for p in _SEPARATOR.split(text))):
            m = _RATING.fullmatch(part)
            if m is None:
                raise ValueError(
                    f"「{column}」无法识别：{part!r}（应为「评分 时间」，以；分隔，如 1分 2025-07-05 "
                    f"10:00:00）/ unreadable earlier rating {part!r} in column '{column}': give "
                    "'rating time' pairs separated by ；, such as 1分 2025-07-05 10:00:00"
                )
            ratings.append((int(m[1]), time((column, m[2]), "earlier rating time")))
    first = cells.get("first_response_at")
    first_at = time(first, "first response time") if first is not None else None
    if first_at is not None and answered is not None and first_at >= answered:
        first_at = None
    count = _count(cells.get("reopen_count"))
    channel = cells.get("channel")
    known = channel_of(channel[1]) if channel is not None else None
    unknown = channel if channel is not None and known is None else None
    # Only a desk's export (a row with its 首次响应时间 or its 诉求编号) says where an open
    # request stands, what its deadline is, who handles it and how: another hotline's 已受理
    # stays an open ticket, as it always was, and its 办理期限 (5个工作日, say) or 承办单位
    # are not read. Its channel (来源 微博, 受理渠道 电话 …) is, by CHANNEL_WORDS.
    ours = first is not None or desk
    if not ours:
        carried = Carried(tuple(ratings), first_at, count, channel=known, unknown_channel=unknown)
        return carried if carried else None
    due = cells.get("resolve_due")
    accepted = cells.get("accepted_at")
    supervised = cells.get("supervised_at")
    organization = cells.get("organization")
    helpers = cells.get("helpers")
    matrix = cells.get("matrix")
    returned_by = cells.get("returned_by")
    return_reason = cells.get("return_reason")
    returned = cells.get("returned_at")
    returned_at = None
    if returned is not None:
        returned_at = time(returned, "return time")
        if received is not None and returned_at < received:
            raise ValueError(
                f"「{returned[0]}」早于受理时间：{returned[1]!r} / return time {returned[1]!r} "
                f"in column '{returned[0]}' before the request time"
            )
    carried = Carried(
        tuple(ratings), first_at, count,
        resolve_due=time(due, "deadline") if due is not None else None,
        state=status if status in STATES else None,
        channel=known, unknown_channel=unknown,
        organization=organization[1] if organization is not None else None,
        accepted_at=time(accepted, "accepted time") if accepted is not None else None,
        helpers=tuple(filter(None, (h.strip() for h in _SEPARATOR.split(helpers[1]))))
        if helpers is not None else (),
        supervision_count=_count(cells.get("supervision_count")),
        supervised_at=time(supervised, "supervision time") if supervised is not None else None,
        matrix=matrix[1] if matrix is not None else None,
        returned_by=returned_by[1] if returned_by is not None else None,
        return_reason=return_reason[1] if return_reason is not None else None,
        returned_at=returned_at,
    )  # fmt: skip
    return carried if carried else None


@dataclass(slots=True)
class Report:
    """What :func:`apply` could not carry, for the import's warnings.

    ``routed`` counts the requests whose exported 承办单位 or 所属矩阵 the new desk does not
    have (by that name, or two of its bodies or matrices share it): the new desk's routing
    stays; ``names`` the first few such names. ``unknown_channels`` counts the requests by
    a channel cell no desk channel matches (信件 …), read from ``channel_column``; they keep
    the import's source, ``kept_source``.
    """

    routed: int = 0
    names: list[str] = field(default_factory=list)  # the first few names, each once
    unknown_channels: dict[str, int] = field(default_factory=dict)
    channel_column: str = ""
    kept_source: str = ""

    def add_routed(self, names: Iterable[str]) -> None:
        """Count one request, keeping the first :data:`NAMES_SHOWN` names it brings."""
        self.routed += 1
        self._keep(names)

    def _keep(self, names: Iterable[str]) -> None:
        for name in names:
            if name not in self.names and len(self.names) < NAMES_SHOWN:
                self.names.append(name)

    def merge(self, other: Report) -> None:
        """Add ``other``'s counts (a later batch of the same import)."""
        self.routed += other.routed
        self._keep(other.names)
        for value, n in other.unknown_channels.items():
            self.unknown_channels[value] = self.unknown_channels.get(value, 0) + n
        self.channel_column = self.channel_column or other.channel_column
        self.kept_source = self.kept_source or other.kept_source


NAMES_SHOWN = 5


def unknown_channels_notice(report: Report) -> str:
    """Return the import's warning for the requests whose channel cell names no channel."""
    n = sum(report.unknown_channels.values())
    counts = sorted(report.unknown_channels.items(), key=lambda kv: (-kv[1], kv[0]))
    zh = "、".join(f"{value}（{k} 件）" for value, k in counts[:NAMES_SHOWN])
    en = ", ".join(f"{value} ({k})" for value, k in counts[:NAMES_SHOWN])
    more = len(counts) > NAMES_SHOWN
    column, kept = report.channel_column, report.kept_source
    return (
        f"「{column}」列中有 {n} 件新诉求的渠道本平台没有对应的来源渠道：{zh}{'等' if more else ''}"
        f"——已记为导入的来源 {kept}，请核对（可识别：微博、微信、抖音、网站/信箱、电话/热线、APP、"
        "信件、来访、短信）/ "
        f"{n} new request(s) name an unknown channel in column '{column}': {en}"
        f"{' …' if more else ''} — recorded as the import's source {kept}; check them (known: "
        "微博 weibo, 微信 wechat, 抖音 douyin, 网站/信箱 form, 电话/热线 12345, APP api, "
        "信件 letter, 来访 visit, 短信 sms)"
    )


def routed_instead_notice(count: int, names: Iterable[str]) -> str:
    """Return the import's warning for ``count`` requests routed by the new desk instead."""
    shown = "、".join(names)
    return (
        f"{count} 件诉求导出记录中的承办单位或所属矩阵在本系统中不存在（{shown}）：已按本系统的"
        f"派单规则派单（原名称保存在诉求的 source_organization / source_matrix 属性中），请核对 / "
        f"{count} request(s) name a handling body or matrix this desk does not have ({shown}): "
        "the new desk's routing placed them instead (the exported names are kept in the "
        "request's source_organization / source_matrix attributes); check them"
    )


class OfficeScope:
    """What a matrix office's import may carry: a 所属矩阵 of its own scope only.

    A desk's export names the matrix whose queue holds each request. An office may not put
    a request in another matrix's queue, and moving it into its own would misplace it (the
    other matrix's office would never see it, both matrices' rates would be wrong): such a
    row is refused with :meth:`refusal`'s reason (quarantined with its raw row, for an admin
    or that matrix's office to import). A matrix this desk does not have by that name is not
    refused: the routing places the request and the import warns, as for an admin.
    """

    def __init__(self, session: Session, office: OfficeQueue) -> None:
        self.session, self.office = session, office
        self._ids: dict[tuple[str, str], int | None] = {}
        self._office_name: str | None = None

    def _id(self, model: type[Organization | Matrix], name: str) -> int | None:
        key = (model.__tablename__, name)
        if key not in self._ids:
            self._ids[key] = _by_name(self.session, model, {name}).get(name)
        return self._ids[key]

    def refusal(self, what: Carried) -> str | None:
        """Return why the office's import refuses a row carrying ``what`` (else None): its
        所属矩阵 is a matrix of this desk outside the office's, and its 承办单位 is not a
        body the office oversees (which would keep the request in the office's sight)."""
        if not what.matrix:
            return None
        matrix_id = self._id(Matrix, what.matrix)
        if matrix_id is None or self.office.has_matrix(matrix_id):
            return None
        org_id = self._id(Organization, what.organization) if what.organization else None
        if org_id is not None and self.office.covers(None, org_id):
            return None
        if self._office_name is None:
            own = self.session.get(Matrix, self.office.matrix_id)
            self._office_name = own.name if own is not None else f"#{self.office.matrix_id}"
        mine = self._office_name
        return (
            f"所属矩阵「{what.matrix}」不在本账号管理的矩阵（{mine}及其下级矩阵）之内：该行未导入——"
            f"矩阵管理员不能把诉求放入其他矩阵的队列，也不改放本矩阵。请由平台管理员或该矩阵的管理员"
            f"导入此行 / matrix '{what.matrix}' (所属矩阵) is outside your matrix ({mine} and "
            "the matrices below it): row not imported — a matrix office may not put a request "
            "in another matrix's queue, nor is it moved into yours. An admin or that matrix's "
            "office imports it"
        )


def apply(
    session: Session, carried: dict[str, Carried], *, actor: Principal,
    office: OfficeQueue | None = None,
) -> Report:  # fmt: skip
    """Record on each request created by a row (its source ref → what it carries) the
    earlier ratings, the earlier first response and the reopen count, its handling and its
    matrix; return what it could not carry (:class:`Report`).

    ``office``: a matrix office's import, which carries a matrix only within its scope (its
    requests stay in its sight, :class:`~zhengwu.servicedesk.access.OfficeQueue`)."""
    report = Report()
    if not carried:
        return report
    session.flush()
    query = select(RequestSource.source_ref, RequestSource.request_id).where(
        RequestSource.source_ref.in_(carried)
    )
    ids: dict[str, int] = dict(session.execute(query).all())
    names = {
        n for what in carried.values()
        for n in (what.organization, *what.helpers, what.returned_by) if n
    }  # fmt: skip
    orgs = _by_name(session, Organization, names)
    matrices = _by_name(session, Matrix, {w.matrix for w in carried.values() if w.matrix})
    for ref, what in carried.items():
        request = session.get(ServiceRequest, ids[ref]) if ref in ids else None
        if request is None:
            continue
        entries = _carry_handling(session, request, what, orgs)
        _carry_matrix(request, what, matrices, office)
        kept = request.attributes or {}
        unknown = [kept.get(k) for k in ("source_organization", "source_matrix")]
        if any(unknown):
            report.add_routed(str(n) for n in unknown if n)
        if what.unknown_channel is not None:
            column, value = what.unknown_channel
            report.unknown_channels[value] = report.unknown_channels.get(value, 0) + 1
            report.channel_column = report.channel_column or column
            report.kept_source = report.kept_source or request.source
        if what.first_response_at is not None and (
            request.first_response_at is None or what.first_response_at < request.first_response_at
        ):
            request.first_response_at = what.first_response_at
        request.reopen_count = max(request.reopen_count, what.reopen_count)
        if what.resolve_due is not None and (
            request.resolve_due is None or what.resolve_due > request.resolve_due
        ):
            request.resolve_due = what.resolve_due
        # The history reads by time, then as recorded: at the same 签收 time the 受理 (办理中
        # …) comes before the 协办 and 督办 it allows, a 退单 after what it ends.
        returned = what.state == "已退回"
        if returned:
            _record_handling(session, request, entries, actor)
        if what.state is not None:
            _carry_state(session, request, what, orgs, actor)
        if not returned:
            _record_handling(session, request, entries, actor)
        for satisfaction, at in what.ratings:
            session.add(
                RequestRating(request_id=request.id, satisfaction=satisfaction, rated_at=at)
            )
            audit_service.record(
                session, entity_type="request", entity_id=request.id, action="follow_up",
                actor=actor, reason=IMPORTED_EARLIER_RATING,
                data={"satisfaction": satisfaction, "earlier": True}, at=at,
            )  # fmt: skip
    session.flush()
    return report


def _record_handling(
    session: Session, request: ServiceRequest, entries: list[dict[str, Any]], actor: Principal
) -> None:
    """Record the 协办 and 督办 entries :func:`_carry_handling` returned."""
    for entry in entries:
        audit_service.record(
            session, entity_type="request", entity_id=request.id, actor=actor,
            reason=IMPORTED_HANDLING, **entry,
        )  # fmt: skip


def _on_file(
    refs: Iterable[str], *where: ColumnElement[bool]
) -> Select[str, ServiceRequest]:  # fmt: skip
    """Return the query of the requests on file of the tickets ``refs`` (source ref,
    request) that match ``where``, in the order their tickets were taken in."""
    return (
        select(RequestSource.source_ref, ServiceRequest)
        .join(ServiceRequest, ServiceRequest.id == RequestSource.request_id)
        .where(RequestSource.source_ref.in_(refs), *where)
        .order_by(RequestSource.id)
    )


def imported_return_reason(why: str) -> str:
    """Return the reason of the note recording a 退回原因 a re-import brings."""
    return f"导入的退回原因：{why} / return reason imported from an export: {why}"


def record_return_reasons(
    session: Session, carried: dict[str, Carried], *, actor: Principal,
    office: OfficeQueue | None = None,
) -> int:  # fmt: skip
    """Record the 退回原因 a re-import brings for requests on file (its source ref → what its
    row carries) that an earlier import returned without one (an export written before the
    column); return how many were recorded.

    A request on file keeps its state and history (the import moves nothing on): only a
    request 已退回 whose latest return was imported with no reason, and that no earlier
    re-import gave one, gets a ``note`` entry (:func:`imported_return_reason`) with
    the reason in its data (``return_reason``, ``return_entry_id``): the request's history
    shows it and the next export's 退回原因 says it. ``office``: a matrix office's import
    records it only on a request it reads."""
    wanted = {ref: w.return_reason for ref, w in carried.items()
              if w.state == "已退回" and w.return_reason}  # fmt: skip
    if not wanted:
        return 0
    session.flush()
    query = _on_file(wanted, ServiceRequest.state == "returned")
    found = {request.id: (request, wanted[ref]) for ref, request in session.execute(query).all()}
    if not found:
        return 0
    entries = (
        select(AuditEntry)
        .where(AuditEntry.entity_type == "request", AuditEntry.entity_id.in_(found),
               AuditEntry.action.in_(("return", "note")))
        .order_by(AuditEntry.entity_id, AuditEntry.at, AuditEntry.id)
    )  # fmt: skip
    latest: dict[int, AuditEntry] = {}  # the latest return, or a note giving its reason
    for found_entry in session.scalars(entries):
        if found_entry.action == "return" or "return_reason" in (found_entry.data or {}):
            latest[found_entry.entity_id] = found_entry
    recorded = 0
    for request_id, (request, why) in found.items():
        entry = latest.get(request_id)
        if entry is None or entry.action != "return" or "returned_by" not in (entry.data or {}):
            continue  # a return of this desk, or one whose reason is on file already
        data = entry.data or {}
        if data.get("return_reason"):
            continue
        if office is not None and not office.reads(
            request.id, request.matrix_id, request.organization_id
        ):
            continue
        audit_service.record(
            session, entity_type="request", entity_id=request.id, action="note", actor=actor,
            from_state="returned", to_state="returned",
            reason=imported_return_reason(why),
            data={"return_reason": why, "return_entry_id": entry.id},
        )  # fmt: skip
        recorded += 1
    return recorded


def _by_name(
    session: Session, model: type[Organization | Matrix], names: set[str]
) -> dict[str, int]:
    """Return the organisations or matrices of the new desk by name (a name two of them
    share: none)."""
    if not names:
        return {}
    rows = session.execute(select(model.name, model.id).where(model.name.in_(sorted(names)))).all()
    found: dict[str, list[int]] = {}
    for name, row_id in rows:
        found.setdefault(name, []).append(row_id)
    return {name: ids[0] for name, ids in found.items() if len(ids) == 1}


def _carry_matrix(
    request: ServiceRequest, what: Carried, matrices: dict[str, int],
    office: OfficeQueue | None,
) -> None:  # fmt: skip
    """Put a created request in the queue of its export's matrix (所属矩阵) when the new desk
    has that matrix (and an office's import oversees it); otherwise the routing's stays and
    the name is kept in the request's attributes (``source_matrix``) — also for a matrix
    outside an office's scope, which :class:`OfficeScope` refuses before the row is taken
    in (so the import's warning counts it, never silently)."""
    if not what.matrix:
        return
    matrix_id = matrices.get(what.matrix)
    if matrix_id is not None and (
        office is None or office.covers(matrix_id, request.organization_id)
    ):
        request.matrix_id = matrix_id
    else:
        request.attributes = {**(request.attributes or {}), "source_matrix": what.matrix}


def _carry_handling(
    session: Session, request: ServiceRequest, what: Carried, orgs: dict[str, int]
) -> list[dict[str, Any]]:  # fmt: skip
    """Record on a created request its export's channel (来源渠道; a hotline's or a file's
    ticket keeps the import's source, :data:`TICKET_CHANNELS`), handling body (承办单位),
    签收 time, co-handling bodies (协办单位) and 督办. A body the new desk does not know by
    that name is kept in the request's attributes (``source_organization``,
    ``source_helpers``), never dropped: the routing's body stays. Return the audit entries
    of the 协办 and 督办 (action, time, data), which :func:`apply` records after the state's."""
    if what.channel is not None and what.channel not in TICKET_CHANNELS:
        request.source = what.channel
    unknown: dict[str, object] = {}
    if what.organization:
        org_id = orgs.get(what.organization)
        if org_id is None:
            unknown["source_organization"] = what.organization
        elif org_id != request.organization_id:
            request.organization_id, request.routing_rule_id = org_id, None
    if what.accepted_at is not None:
        request.accepted_at = what.accepted_at
    at = request.accepted_at or request.first_response_at or request.received_at
    helpers = [orgs[n] for n in what.helpers if n in orgs and orgs[n] != request.organization_id]
    if missing := [n for n in what.helpers if n not in orgs]:
        unknown["source_helpers"] = missing
    for org_id in dict.fromkeys(helpers):
        if session.get(RequestHelper, (request.id, org_id)) is None:
            session.add(RequestHelper(request_id=request.id, organization_id=org_id, added_at=at))
    entries: list[dict[str, Any]] = []
    if helpers:
        entries.append({"action": "cohandle", "at": at,
                        "data": {"helper_organization_ids": list(dict.fromkeys(helpers))}})  # fmt: skip
    if what.supervision_count > request.supervision_count:
        request.supervision_count = what.supervision_count
        request.supervised_at = what.supervised_at or request.supervised_at
        entries.append({"action": "supervise", "at": request.supervised_at or at,
                        "data": {"supervision_count": request.supervision_count}})  # fmt: skip
    if unknown:
        request.attributes = {**(request.attributes or {}), **unknown}
    return entries


def return_time(request: ServiceRequest, what: Carried) -> tuple[datetime, str]:
    """Return when an imported return happened and what says so: the row's 退回时间
    (``returned_at``), else the latest of the request's 签收 (``accepted_at``), first
    response (``first_response_at``) and receipt (``received_at``) — the earliest the return
    can have been (:data:`RETURN_DATED_BY`)."""
    if what.returned_at is not None:
        return what.returned_at, "returned_at"
    known = [(request.received_at, "received_at")]
    known += [(t, k) for t, k in ((request.first_response_at, "first_response_at"),
                                  (request.accepted_at, "accepted_at")) if t is not None]  # fmt: skip
    return max(known, key=lambda found: found[0])


def _carry_state(
    session: Session, request: ServiceRequest, what: Carried, orgs: dict[str, int],
    actor: Principal,
) -> None:  # fmt: skip
    """Put a created request in the open state its export's 办理状态 says (已受理, 已转办,
    已退回 …), when the import left it where that state comes from and a body handles it;
    a request 已退回 goes back to the office's queue (no handling body), as a return does.

    The return entry names the body that returned it as the export does (退回单位:
    ``from_organization_id`` when this desk has that body, ``returned_by`` its name), never
    the body this desk's routing gave the request at import; a body this desk does not have
    is kept in the request's attributes (``source_returned_by``). Its reason is the 退单's
    (退回原因, also kept as ``return_reason`` for the next export) when the export has one.
    It is dated at the 退回时间 when the export has one; else (an older export, a hotline's)
    at the latest time the row shows before the return (:func:`return_time`), which its data
    names (``dated_by``) and its reason says."""
    assert what.state is not None
    state, action, before = STATES[what.state]
    returner = orgs.get(what.returned_by) if what.returned_by else None
    if request.state not in before:  # the import moved it on: nothing carried, nothing changed
        return
    if state == "returned" and returner is not None:
        request.organization_id, request.routing_rule_id = returner, None
    if request.organization_id is None:
        return
    at = request.accepted_at or request.first_response_at or request.received_at
    reason, data = IMPORTED_STATE, None
    if state == "accepted":
        request.accepted_at = request.accepted_at or at
        request.first_response_at = request.first_response_at or at
    if state == "returned":
        at, dated_by = return_time(request, what)
        reason, data = _give_back(session, request, what, returner, at, dated_by)
    audit_service.record(
        session, entity_type="request", entity_id=request.id, action=action, actor=actor,
        from_state=request.state, to_state=state, reason=reason, data=data, at=at,
    )  # fmt: skip
    request.state = state


def _give_back(
    session: Session, request: ServiceRequest, what: Carried, returner: int | None,
    at: datetime, dated_by: str,
) -> tuple[str, dict[str, object]]:  # fmt: skip
    """Apply an imported return to ``request`` (back to the office's queue, no
    handling body, as a 退单 does) and return its entry's reason and data: the body that
    returned it (``from_organization_id`` when this desk has it, ``returned_by`` its name;
    an unknown one kept as ``source_returned_by``), the 退回原因, and what dates it."""
    actions.EFFECTS["return"](session, request, ActionInput(), at)
    data: dict[str, object] = {"from_organization_id": returner,
                               "returned_by": what.returned_by, "dated_by": dated_by}  # fmt: skip
    if what.return_reason:
        data["return_reason"] = what.return_reason
    reason = IMPORTED_STATE
    if what.returned_by:
        reason = (f"导入的办理状态：由{what.returned_by}退回 / state imported from an "
                  f"export: returned by {what.returned_by}")  # fmt: skip
        if returner is None:
            request.attributes = {
                **(request.attributes or {}), "source_returned_by": what.returned_by,
            }  # fmt: skip
    reason = what.return_reason or reason
    if dated_by != "returned_at":
        reason = f"{reason}（{RETURN_DATED_BY[dated_by]}）"
    return reason, data


# What moves a request on (to a state, or to another body): a return dated before the
# latest of these on file is older than the request's handling on this desk, and stale.
MOVES = frozenset({"accept", "assign", "transfer", "return", "start", "reply", "resolve",
                   "follow_up", "reopen", "duplicate", "invalid"})  # fmt: skip


def return_key(ref: str, at: datetime) -> str:
    """Return the event key of an imported return of the ticket ``ref`` dated ``at``."""
    return f"{ref}#return@{at.astimezone(UTC):%Y-%m-%dT%H:%M:%S}"


def apply_returns(
    session: Session, carried: dict[str, Carried], *, actor: Principal,
    office: OfficeQueue | None = None,
) -> int:  # fmt: skip
    """Apply the returns (已退回) a re-import brings to the open requests on file (its source
    ref → what its row carries) that a body still handles; return how many were applied.

    As a 退单 on the desk does: the request goes back to the office's (dispatcher's) queue
    with no handling body, 已退单, with a ``return`` entry dated at the 退回时间 (else at the
    latest time the row shows before it, :func:`return_time`), its reason the 退回原因, and
    ``event_key`` :func:`return_key` — so importing the file again applies nothing. Left as
    they are: a request whose state allows no 退单 (closed, 已退单 already: its missing
    reason is :func:`record_return_reasons`'), one now handled by another body than the
    退回单位 (transferred since), one moved on on this desk after the return's time
    (:data:`MOVES`: the export is older than that), and for a matrix office's import one it
    does not read."""
    wanted = {ref: w for ref, w in carried.items() if w.state == "已退回"}
    if not wanted:
        return 0
    session.flush()
    query = _on_file(wanted, ServiceRequest.organization_id.is_not(None))
    found = [(ref, r) for ref, r in session.execute(query).all()
             if next_state(r.state, "return") is not None]  # fmt: skip
    if not found:
        return 0
    latest: dict[int, datetime] = {}
    keys: dict[int, set[str]] = {}
    entries = select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.at, AuditEntry.data).where(
        AuditEntry.entity_type == "request", AuditEntry.entity_id.in_({r.id for _, r in found})
    )  # fmt: skip
    for request_id, action, at, data in session.execute(entries):
        if action in MOVES and (request_id not in latest or at > latest[request_id]):
            latest[request_id] = at
        key = (data or {}).get(actions.EVENT_KEY)
        if isinstance(key, str):
            keys.setdefault(request_id, set()).add(key)
    orgs = _by_name(
        session, Organization, {w.returned_by for _, w in wanted.items() if w.returned_by}
    )
    applied = 0
    for ref, request in found:
        what = wanted[ref]
        before, body = request.state, request.organization_id
        if next_state(before, "return") is None or body is None:
            continue  # returned by another row of this file already
        returner = orgs.get(what.returned_by) if what.returned_by else body
        if returner is not None and returner != body:
            continue  # another body handles it now: that body's, not a stale 退单's
        if office is not None and not office.reads(request.id, request.matrix_id, body):
            continue
        at, dated_by = return_time(request, what)
        key = return_key(ref, at)
        if (request.id in latest and at < latest[request.id]) or key in keys.get(request.id, ()):
            continue
        reason, data = _give_back(session, request, what, returner, at, dated_by)
        request.state = "returned"
        audit_service.record(
            session, entity_type="request", entity_id=request.id, action="return", actor=actor,
            from_state=before, to_state="returned", reason=reason,
            data={**data, actions.EVENT_KEY: key}, at=at,
        )  # fmt: skip
        applied += 1
    session.flush()
    return applied
