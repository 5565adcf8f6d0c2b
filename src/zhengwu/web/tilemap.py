"""Tile-grid map layout: one square tile per county, neighbours next to each other, no gaps.

A tile-grid map is not a projection: every county gets the same tile, so a small urban
district is as readable as a large rural county. The layout keeps what a reader checks
first — which county is north, south, east or west of which — and has no holes.

How (:func:`layout`):

1. Each county's centroid becomes a target point in tile units: longitude scaled by the
   cosine of the latitude (so east–west and north–south distances compare), the scale
   chosen so that the targets' bounding box holds as many tiles as there are counties.
2. A compact start: for each column count near the targets' width, the counties sorted north to south fill rows
   of that width (each row sorted west to east), the one short row at the top or the
   bottom; the start nearest the targets wins.
3. Local search: swap two counties, move one to a free tile along the edge, or move one
   there and slide a neighbour into the tile it left, whenever that lowers the score and
   the layout stays gap-free. The score (:class:`_Score`) is the sum of squared distances
   between tiles and targets (after the best shift of the whole layout) plus a penalty for
   each pair of counties clearly north–south or east–west of each other on the ground
   but placed level or the wrong way round on the map.

"Gap-free" (:func:`gap_free`) means the tiles are connected side by side and every row
and every column is one unbroken run, so no empty tile lies between two counties. A round of
local search tries about n² moves, so beyond ``LOCAL_SEARCH_MAX`` counties only the start
is used; scoring a start counts its order violations in O(n·k) for k rows or columns
(:func:`_order_violations`), so the national map of about 3,000 counties takes half a
second (it took more than a minute when every pair was visited).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache

import numpy as np

Tile = tuple[int, int]  # (column, row): column 0 is west, row 0 is north
LOCAL_SEARCH_MAX = 60
CLEAR = 0.5  # tiles apart on the ground for "north of" to be kept on the map
VIOLATION = 1.0
_ROUNDS = 30
_EPS = 1e-9


def targets(points: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Return each key's (lon, lat) as (x east, y south) in tile units (see the module)."""
    if not points:
        return {}
    mid_lat = math.radians(sum(lat for _, lat in points.values()) / len(points))
    shrink = math.cos(mid_lat)
    xs = {k: lon * shrink for k, (lon, _) in points.items()}
    ys = {k: -lat for k, (_, lat) in points.items()}
    west, north = min(xs.values()), min(ys.values())
    width, height = max(xs.values()) - west, max(ys.values()) - north
    n = len(points)
    # Tiles along each side are span/unit + 1; choose the unit so that their product is n.
    if width * height > _EPS:
        b = width + height
        per_unit = (-b + math.sqrt(b * b + 4 * width * height * (n - 1))) / (2 * width * height)
    elif width + height > _EPS:
        per_unit = (n - 1) / (width + height)
    else:
        per_unit = 1.0
    return {k: ((xs[k] - west) * per_unit, (ys[k] - north) * per_unit) for k in points}


def gap_free(tiles: Collection[Tile]) -> bool:
    """Return whether ``tiles`` are connected and each row and column is one unbroken run."""
    occupied = set(tiles)
    if not occupied:
        return True
    rows: dict[int, list[int]] = {}
    cols: dict[int, list[int]] = {}
    for col, row in occupied:
        rows.setdefault(row, []).append(col)
        cols.setdefault(col, []).append(row)
    for runs in (rows, cols):
        if any(max(v) - min(v) + 1 != len(v) for v in runs.values()):
            return False
    start = next(iter(occupied))
    seen, stack = {start}, [start]
    while stack:
        col, row = stack.pop()
        for near in ((col + 1, row), (col - 1, row), (col, row + 1), (col, row - 1)):
            if near in occupied and near not in seen:
                seen.add(near)
                stack.append(near)
    return len(seen) == len(occupied)


class _Score:
    """The layout's distance from the targets: squared distances plus order violations.

    Squared distances are taken after the best shift of the whole layout (sum of squared
    deviations from their mean). An order violation is a pair of counties that lie clearly
    (``CLEAR`` tiles or more) north–south or east–west of each other but are placed level,
    or the wrong way round; each costs ``VIOLATION`` (as much as a tile off). Both parts
    are kept as sums, so a change of one or two counties is scored in O(n).
    """

    def __init__(self, placed: Mapping[str, Tile], want: Mapping[str, tuple[float, float]]):
        self.want = want
        self._count(placed)

    def _count(self, placed: Mapping[str, Tile]) -> None:
        """Take ``placed`` as the layout and count its sums from scratch (O(n·k))."""
        self.placed = dict(placed)
        self.sx = sum(placed[k][0] - self.want[k][0] for k in placed)
        self.sy = sum(placed[k][1] - self.want[k][1] for k in placed)
        self.s2 = sum(self._d2(k, placed[k]) for k in placed)
        keys = list(placed)
        self.violations = sum(
            _order_violations([self.want[k][axis] for k in keys], [placed[k][axis] for k in keys])
            for axis in (0, 1)
        )

    def _d2(self, key: str, tile: Tile) -> float:
        return (tile[0] - self.want[key][0]) ** 2 + (tile[1] - self.want[key][1]) ** 2

    def _violation(self, a: str, ta: Tile, b: str, tb: Tile) -> int:
        (ax, ay), (bx, by) = self.want[a], self.want[b]
        dx, dy = ax - bx, ay - by
        ex, ey = ta[0] - tb[0], ta[1] - tb[1]
        return int((dx >= CLEAR and ex < 1) or (dx <= -CLEAR and ex > -1)) + int(
            (dy >= CLEAR and ey < 1) or (dy <= -CLEAR and ey > -1)
        )

    def value(self) -> float:
        """Return the score (lower is nearer the ground)."""
        n = len(self.placed)
        spread = self.s2 - (self.sx * self.sx + self.sy * self.sy) / n
        return spread + VIOLATION * self.violations

    def change(self, moves: Mapping[str, Tile]) -> float:
        """Return the score change if ``moves`` (county → new tile) were made."""
        sx, sy, s2 = self.sx, self.sy, self.s2
        for key, tile in moves.items():
            old, goal = self.placed[key], self.want[key]
            sx += (tile[0] - goal[0]) - (old[0] - goal[0])
            sy += (tile[1] - goal[1]) - (old[1] - goal[1])
            s2 += self._d2(key, tile) - self._d2(key, old)
        changed = 0
        placed, violation = self.placed, self._violation
        for key, tile in moves.items():
            old = placed[key]
            for other, there in placed.items():
                if other in moves:
                    if other <= key:
                        continue  # each affected pair once
                    changed += violation(key, tile, other, moves[other])
                else:
                    changed += violation(key, tile, other, there)
                changed -= violation(key, old, other, there)
        n = len(self.placed)
        spread = s2 - (sx * sx + sy * sy) / n
        return spread + VIOLATION * (self.violations + changed) - self.value()

    def apply(self, moves: Mapping[str, Tile]) -> None:
        """Make ``moves`` (and recount from scratch: accepted moves are few)."""
        self._count(self.placed | dict(moves))


def _order_violations(ground: Sequence[float], tiles: Sequence[int]) -> int:
    """Count the order violations along one axis, in O(n·k) for k distinct tiles.

    The pairs counted are those of :meth:`_Score._violation` along this axis: ordered
    pairs (p, q) with ``ground[p] - ground[q] >= CLEAR`` (p clearly east of, or south of,
    q) but ``tiles[p] <= tiles[q]`` (placed level or the wrong way round). At most one
    order of a pair can be clear, so this is the pairwise sum without visiting n² pairs
    — a national map's 2,700 counties were 3.7 million pairs for each start, a minute
    and more in all. The same floating-point comparison as the pairwise test decides
    each pair, so the count is exactly the same.
    """
    n = len(ground)
    if n < 2:
        return 0
    w = np.asarray(ground, dtype=np.float64)
    order = np.argsort(w, kind="stable")
    ws = w[order]
    # j[p]: how many of the sorted points q have w[p] - ws[q] >= CLEAR (a prefix, as the
    # difference only falls as ws[q] grows); searchsorted guesses, the exact test settles.
    j = np.searchsorted(ws, w - CLEAR, side="right")
    while (low := (j > 0) & ~(w - ws[np.maximum(j - 1, 0)] >= CLEAR)).any():
        j[low] -= 1
    while (high := (j < n) & (w - ws[np.minimum(j, n - 1)] >= CLEAR)).any():
        j[high] += 1
    t = np.asarray(tiles, dtype=np.int64)
    t = t - t.min()
    # at_least[k, c]: how many of the first k sorted points have a tile >= c.
    hits = np.zeros((n + 1, int(t.max()) + 1), dtype=np.int64)
    hits[np.arange(1, n + 1), t[order]] = 1
    at_least = hits.cumsum(axis=0)[:, ::-1].cumsum(axis=1)[:, ::-1]
    return int(at_least[j, t].sum())


def _starts(want: Mapping[str, tuple[float, float]]) -> list[dict[str, Tile]]:
    """Return the compact row-by-row layouts of every width (short row on top or below)."""
    keys = sorted(want, key=lambda k: (want[k][1], want[k][0], k))
    n = len(keys)
    natural = max(x for x, _ in want.values()) + 1  # the targets' width in tiles
    found: list[dict[str, Tile]] = []
    for cols in range(max(1, math.floor(natural) - 2), min(n, math.ceil(natural) + 2) + 1):
        rows = math.ceil(n / cols)
        short = n - (rows - 1) * cols  # tiles in the short row (== cols when none is short)
        if rows > 1 and short < 1:
            continue
        for short_row in {0, rows - 1}:
            for left in sorted({0, (cols - short) // 2, cols - short}):
                sizes = [cols] * rows
                sizes[short_row] = short
                placed: dict[str, Tile] = {}
                at = 0
                for row, size in enumerate(sizes):
                    band = sorted(keys[at : at + size], key=lambda k: (want[k][0], k))
                    offset = left if row == short_row else 0
                    placed.update({k: (offset + i, row) for i, k in enumerate(band)})
                    at += size
                found.append(placed)
    return found


def layout(points: Mapping[str, tuple[float, float]]) -> dict[str, Tile]:
    """Return a gap-free tile for each key's (lon, lat), neighbours placed as on the ground.

    Columns and rows start at 0 (west, north). Ties are broken by key, so the same
    counties always get the same map; it is cached, as a city's map is drawn again and
    again (a 20-county city takes a few hundred milliseconds the first time).
    """
    return dict(_layout(tuple(sorted(points.items()))))


@lru_cache(maxsize=256)
def _layout(points: tuple[tuple[str, tuple[float, float]], ...]) -> tuple[tuple[str, Tile], ...]:
    if not points:
        return ()
    want = targets(dict(points))
    scored = [(_Score(p, want).value(), sorted(p.items()), p) for p in _starts(want)]
    best = min(scored, key=lambda s: (round(s[0], 9), s[1]))[2]
    if len(best) <= LOCAL_SEARCH_MAX:
        best = _improve(best, want)
    west = min(c for c, _ in best.values())
    north = min(r for _, r in best.values())
    return tuple(sorted((k, (c - west, r - north)) for k, (c, r) in best.items()))


def _edge(occupied: Collection[Tile]) -> list[Tile]:
    """Return the free tiles next to ``occupied``, in a fixed order."""
    taken = set(occupied)
    near = {(c + dc, r + dr) for c, r in taken for dc, dr in ((1, 0), (-1, 0), (0, 1), (0, -1))}
    return sorted(near - taken)


def _improve(start: Mapping[str, Tile], want: Mapping[str, tuple[float, float]]) -> dict[str, Tile]:
    """Return ``start`` improved by swaps, moves and chains while the score drops."""
    score = _Score(start, want)
    keys = sorted(start)
    for _ in range(_ROUNDS):
        better = False
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                swap = {a: score.placed[b], b: score.placed[a]}
                if score.change(swap) < -_EPS:
                    score.apply(swap)
                    better = True
        for a in keys:
            for tile in _edge(score.placed.values()):
                here = score.placed[a]
                # Alone, or with a neighbour sliding into the tile it leaves (a chain).
                options: list[dict[str, Tile]] = [{a: tile}]
                options += [{a: tile, b: here} for b in keys
                            if b != a and abs(score.placed[b][0] - here[0])
                            + abs(score.placed[b][1] - here[1]) == 1]  # fmt: skip
                for moves in options:
                    if score.change(moves) >= -_EPS:
                        continue
                    after = score.placed | moves
                    if gap_free(after.values()):
                        score.apply(moves)
                        better = True
                        break
        if not better:
            break
    return score.placed
