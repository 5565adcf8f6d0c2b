"""Settings of one simulation run, the observation window and deterministic random streams.

Every random draw of the simulator comes from a :func:`rng` keyed by the run's seed and a
tuple of labels ("weibo", month, chunk …). Two runs with the same arguments therefore
write the same bytes, and one part of the output can be regenerated without the others.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np

from zhengwu.errors import InvalidInputError

Scale = Literal["city", "province", "national"]
SCALES: tuple[Scale, ...] = ("city", "province", "national")
PLATFORMS: tuple[str, ...] = ("weibo", "wechat", "douyin")
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
MAX_DAYS = 3660

# Target number of government Weibo accounts per scale. WeChat and Douyin follow from
# per-organisation opening rates (about 60 % and 40 % of organisations), so the city
# scale lands near 500 accounts over the three platforms and the province near 8,000.
WEIBO_TARGETS: dict[str, int] = {"city": 200, "province": 3_300, "national": 180_000}


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """What one ``zhengwu simulate`` run produces."""

    scale: Scale = "city"
    days: int = 30
    seed: int = 0
    out: Path = Path("simulated")
    start: date = date(2025, 7, 1)
    platforms: tuple[str, ...] = PLATFORMS
    region: str | None = None  # adcode of the city (city scale) or province (province scale)
    workers: int = 0  # rendering processes; 0 = all cores when the run is large

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise InvalidInputError(
                f"未知的规模 {self.scale!r}，可选 city / province / national",
                f"unknown scale {self.scale!r}; choose city, province or national",
            )
        if not 1 <= self.days <= MAX_DAYS:
            raise InvalidInputError(
                f"天数必须在 1 到 {MAX_DAYS} 之间，收到 {self.days}",
                f"--days must be between 1 and {MAX_DAYS}, got {self.days}",
            )
        if self.workers < 0:
            raise InvalidInputError("进程数不能为负数", "--workers must not be negative")
        if self.seed < 0:
            raise InvalidInputError("随机种子不能为负数", "--seed must not be negative")
        unknown = [p for p in self.platforms if p not in PLATFORMS]
        if unknown or not self.platforms:
            raise InvalidInputError(
                f"未知的平台 {', '.join(unknown) or '（空）'}，可选 weibo,wechat,douyin",
                f"unknown platforms {', '.join(unknown) or '(none)'}; choose from weibo,wechat,douyin",
            )


def parse_platforms(text: str) -> tuple[str, ...]:
    """Split ``"weibo,wechat"`` into platform names in the canonical order."""
    wanted = {p.strip().lower() for p in text.split(",") if p.strip()}
    unknown = sorted(wanted - set(PLATFORMS))
    if unknown or not wanted:
        raise InvalidInputError(
            f"未知的平台 {', '.join(unknown) or '（空）'}，可选 weibo,wechat,douyin",
            f"unknown platforms {', '.join(unknown) or '(none)'}; choose from weibo,wechat,douyin",
        )
    return tuple(p for p in PLATFORMS if p in wanted)


def parse_start(text: str) -> date:
    """Parse ``--start YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"开始日期应为 YYYY-MM-DD，收到 {text!r}", f"--start must be YYYY-MM-DD, got {text!r}"
        ) from None


def rng(seed: int, *labels: str | int) -> np.random.Generator:
    """Return the random generator for one labelled part of a run (PCG64)."""
    words = [seed & 0xFFFFFFFF, seed >> 32]
    for label in labels:
        if isinstance(label, int):
            words.append(label & 0xFFFFFFFF)
        else:
            # A stable hash: Python's str hash is salted per process.
            digest = hashlib.blake2b(label.encode(), digest_size=4).digest()
            words.append(int.from_bytes(digest, "little"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))


@dataclass(frozen=True, slots=True)
class Month:
    """One calendar month of the window: its file tag and its day range in the window."""

    tag: str  # "2025-07"
    first_day: int  # index into the window
    stop_day: int  # exclusive


@dataclass(frozen=True)
class Window:
    """The observation window: ``days`` whole days from ``start`` (China time)."""

    start: date
    days: int
    _dates: list[date] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_dates", [self.start + timedelta(days=i) for i in range(self.days)]
        )

    @property
    def dates(self) -> list[date]:
        """Return the dates of the window in order."""
        return self._dates

    @property
    def end(self) -> date:
        """Return the first day after the window (the observation day)."""
        return self.start + timedelta(days=self.days)

    @cached_property
    def start_ts(self) -> int:
        """Return the unix time of the window start (00:00 China time)."""
        return int(datetime(*self.start.timetuple()[:3], tzinfo=CHINA_TZ).timestamp())

    @property
    def end_ts(self) -> int:
        """Return the unix time of the observation (the window end, 00:00 China time)."""
        return self.start_ts + self.days * 86_400

    @property
    def observed_at(self) -> datetime:
        """Return the observation time: every count in the output is as seen then."""
        return datetime.fromtimestamp(self.end_ts, CHINA_TZ)

    def months(self) -> Iterator[Month]:
        """Yield the calendar months the window touches, in order."""
        first = 0
        while first < self.days:
            day = self._dates[first]
            stop = first
            while stop < self.days and self._dates[stop].month == day.month:
                stop += 1
            yield Month(f"{day.year:04d}-{day.month:02d}", first, stop)
            first = stop

    def iso(self) -> dict[str, str]:
        """Return the window as ISO strings for the ground truth."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "observed_at": self.observed_at.isoformat(),
            "observed_at_utc": datetime.fromtimestamp(self.end_ts, UTC).isoformat(),
        }


class Draws:
    """Buffered uniform draws: cheap scalar randomness inside Python loops.

    Calling a numpy Generator for one number costs about a microsecond; population
    building draws millions, so numbers are drawn in blocks and handed out one by one.
    """

    __slots__ = ("_buffer", "_gen", "_pos")

    def __init__(self, gen: np.random.Generator) -> None:
        self._gen = gen
        self._buffer: list[float] = []
        self._pos = 0

    def random(self) -> float:
        """Return a uniform float in [0, 1)."""
        if self._pos >= len(self._buffer):
            self._buffer = self._gen.random(1 << 16).tolist()
            self._pos = 0
        value = self._buffer[self._pos]
        self._pos += 1
        return value

    def integers(self, low: int, high: int) -> int:
        """Return a uniform integer in [low, high)."""
        return low + int(self.random() * (high - low))

    def index(self, cumulative: Sequence[float]) -> int:
        """Return an index drawn with the given cumulative weights (last = total)."""
        target = self.random() * cumulative[-1]
        return bisect.bisect_right(cumulative, target)

    def normal(self, mean: float, sd: float) -> float:
        """Return a normal draw (Box–Muller on two buffered uniforms)."""
        u1 = max(self.random(), 1e-12)
        return mean + sd * math.sqrt(-2.0 * math.log(u1)) * math.cos(2 * math.pi * self.random())
