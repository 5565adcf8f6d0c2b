"""清博 data conventions: "10万+" read counts, Sunday-to-Saturday weeks, 7th-day reads.

Times are 北京时间 (UTC+8, no daylight saving since 1991) because 清博's lists are; a naive
datetime is taken to be 北京时间 already, an aware one is converted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

from zhengwu.errors import InvalidInputError

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
CAPPED_READS_SHOWN = "10万+"
CAPPED_READS_STORED = 100_001  # 清博 stores the capped display as one more than 100 000
SEVENTH_DAY = timedelta(days=7)


def qingbo_read_count(shown: str | int) -> int:
    """Return the read count 清博 stores for a displayed count ("10万+" → 100001)."""
    if isinstance(shown, bool) or not isinstance(shown, int | str):
        raise InvalidInputError(
            f"阅读数必须是整数或显示文本，收到 {shown!r}",
            f"a read count must be an int or its displayed text, got {shown!r}",
        )
    if isinstance(shown, str):
        text = shown.strip()
        if text == CAPPED_READS_SHOWN:
            return CAPPED_READS_STORED
        # isascii: str.isdigit also accepts "²" and full-width digits, which int() mishandles.
        if not (text.isascii() and text.isdigit()):
            raise InvalidInputError(
                f"无法识别的阅读数 {shown!r}（应为整数或“10万+”）",
                f"unrecognised read count {shown!r} (expected digits or '10万+')",
            )
        shown = int(text)
    if shown < 0:
        raise InvalidInputError(
            f"阅读数不能为负数，收到 {shown}", f"a read count must not be negative, got {shown}"
        )
    return shown


def _beijing(moment: datetime) -> datetime:
    """Return ``moment`` as an aware 北京时间 datetime (naive means 北京时间 already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=BEIJING)
    return moment.astimezone(BEIJING)


def qingbo_week(day: date | datetime) -> tuple[date, date]:
    """Return the 清博 week holding ``day``: (its Sunday, its Saturday)."""
    if isinstance(day, datetime):
        day = _beijing(day).date()
    since_sunday = (day.weekday() + 1) % 7  # weekday(): Monday 0 … Sunday 6
    start = day - timedelta(days=since_sunday)
    return start, start + timedelta(days=6)


def seventh_day_reads(
    snapshots: Sequence[tuple[datetime, int | str]], published_at: datetime
) -> int | None:
    """Return an article's 7th-day read count from its read-count snapshots.

    The target moment is exactly 7 × 24 h after ``published_at``. The chosen snapshot is the
    one closest to the target without being after it, i.e. the latest observed at or before
    the target: a later one would count reads 清博's monthly list did not. When no snapshot
    falls on the 7th day, that same rule falls back to the latest earlier one. Returns None
    when there is no snapshot at or before the target. Snapshots taken at the same moment
    keep the larger count (reads never go down). Reads may be ints or displayed text such
    as "10万+". A snapshot observed before publication is an error, never silently dropped.
    """
    published = _beijing(published_at)
    target = published + SEVENTH_DAY
    best: tuple[datetime, int] | None = None
    for observed_at, shown in snapshots:
        observed = _beijing(observed_at)
        if observed < published:
            raise InvalidInputError(
                f"快照时间 {observed_at.isoformat()} 早于发布时间 {published_at.isoformat()}",
                f"snapshot at {observed_at.isoformat()} precedes publication at "
                f"{published_at.isoformat()}",
            )
        if observed > target:
            continue
        reads = qingbo_read_count(shown)
        if best is None or (observed, reads) > best:
            best = (observed, reads)
    return None if best is None else best[1]
