"""The county tile map: gap-free, and neighbours where they are on the ground (许昌 first)."""

from __future__ import annotations

import random

import pytest

from zhengwu.regions.table import divisions
from zhengwu.web import charts, tilemap
from zhengwu.web.console.places import counted_cells


def _tiles(area: str) -> dict[str, tuple[int, int]]:
    """Return each county name of ``area`` and its tile on the console's county map."""
    cells = counted_cells(area, {}, {})
    positions = charts._grid_positions(cells)
    return {c.name: positions[c.adcode] for c in cells}


def test_xuchang_is_laid_out_as_on_the_ground() -> None:
    tiles = _tiles("411000")  # 许昌: 魏都 建安 禹州 长葛 鄢陵 襄城
    assert set(tiles) == {"魏都", "建安", "禹州", "长葛", "鄢陵", "襄城"}
    jr = tiles["建安"][1]
    (xc, xr), (wc, wr) = tiles["襄城"], tiles["魏都"]
    assert jr < xr  # 建安 (许昌县's seat, 34.12°N) lies north of 襄城
    assert jr < wr  # and of 魏都 (34.03°N), the city's core it surrounds
    assert xr >= wr and xc < wc  # 襄城 lies west of 魏都, not north of it
    assert tiles["禹州"][0] < wc  # 禹州 west of 魏都
    assert tiles["长葛"][1] < wr  # 长葛 north of 魏都
    assert tiles["鄢陵"][0] > wc  # 鄢陵 east of 魏都
    assert tilemap.gap_free(tiles.values())
    assert len(set(tiles.values())) == 6


def test_a_district_without_centroid_is_placed_at_its_city() -> None:
    cells = {c.name: c for c in counted_cells("320800", {}, {})}  # 淮安
    # 清江浦区 (清河区 and 清浦区, 2016): the 2020 table lists neither predecessor.
    qjp = cells["清江浦"]
    assert (qjp.lon, qjp.lat, qjp.approximate) == (119.113185, 33.551052, True)  # 淮安市's
    assert cells["淮安"].lon == 119.141099  # its own where the table has one
    jianan = {c.name: c for c in counted_cells("411000", {}, {})}["建安"]
    # 建安区 takes 许昌县's centroid (2016 rename), not 许昌市's approximate one.
    assert (jianan.lon, jianan.lat, jianan.approximate) == (113.822983, 34.12466, False)


def test_renamed_districts_are_laid_out_by_their_old_counties() -> None:
    """孟津区 and 偃师区 take 孟津县's and 偃师市's centroids: north and east, as on the ground."""
    tiles = _tiles("410300")  # 洛阳
    assert tiles["孟津"][1] == min(r for _, r in tiles.values())  # the northernmost row
    assert tiles["偃师"][0] == max(c for c, _ in tiles.values())  # the easternmost column
    assert tiles["孟津"][1] < tiles["老城"][1] or tiles["孟津"][0] < tiles["老城"][0]
    assert not any(c.approximate for c in counted_cells("410300", {}, {}))


@pytest.mark.parametrize("area", ["410100", "410300", "410000", "420100", "510100", "110000"])
def test_every_map_is_gap_free_and_keeps_clear_directions(area: str) -> None:
    cells = [c for c in counted_cells(area, {}, {}) if c.lon is not None and c.lat is not None]
    tiles = tilemap.layout({c.adcode: (c.lon, c.lat) for c in cells if c.lon and c.lat})
    assert tilemap.gap_free(tiles.values())
    assert len(set(tiles.values())) == len(cells)
    assert min(c for c, _ in tiles.values()) == 0 and min(r for _, r in tiles.values()) == 0
    # Two counties a whole degree of latitude apart are never level or upside down.
    for a in cells:
        for b in cells:
            if a.lat is not None and b.lat is not None and a.lat - b.lat >= 1.0:
                assert tiles[a.adcode][1] < tiles[b.adcode][1], (a.name, b.name)


def test_gap_free_means_no_empty_tile_between_counties() -> None:
    assert tilemap.gap_free([(0, 0), (1, 0), (1, 1), (2, 1)])  # a staircase
    assert not tilemap.gap_free([(0, 0), (2, 0)])  # a hole in the row
    assert not tilemap.gap_free([(0, 0), (1, 0), (0, 2), (1, 2), (1, 1)])  # a hole in column 0
    assert not tilemap.gap_free([(0, 0), (1, 1)])  # corners only: not connected
    assert tilemap.gap_free([])


def test_the_same_counties_always_get_the_same_map() -> None:
    points = {"a": (113.0, 34.0), "b": (113.0, 34.0), "c": (114.0, 34.5)}
    first = tilemap.layout(points)
    assert tilemap.layout(dict(reversed(list(points.items())))) == first
    assert tilemap.gap_free(first.values()) and len(set(first.values())) == 3
    assert first["c"][0] > max(first["a"][0], first["b"][0])  # c lies east


def _pairwise_violations(score: tilemap._Score) -> int:
    """Count order violations pair by pair, as the score defines them."""
    keys = sorted(score.placed)
    return sum(
        score._violation(a, score.placed[a], b, score.placed[b])
        for i, a in enumerate(keys)
        for b in keys[i + 1 :]
    )


def test_order_violations_are_counted_exactly_as_pair_by_pair() -> None:
    rnd = random.Random(20261124)
    # Coordinates on and around the CLEAR boundary (0.5 apart, 0.1 + 0.2 …) and ties.
    choices = [0.0, 0.5, 1.0, 0.25, 1.5, 0.1 + 0.2, 0.3, 0.8, 2.0]
    for _ in range(300):
        n = rnd.randint(0, 40)
        want = {
            str(i): (rnd.choice(choices) if rnd.random() < 0.7 else rnd.random() * 3,
                     rnd.choice(choices) if rnd.random() < 0.7 else rnd.random() * 3)
            for i in range(n)
        }  # fmt: skip
        placed = {k: (rnd.randint(-3, 3), rnd.randint(-3, 3)) for k in want}
        score = tilemap._Score(placed, want)
        assert score.violations == _pairwise_violations(score)


def test_the_national_county_map_is_laid_out_whole() -> None:
    """Every county with a centroid gets its own tile; this took more than a minute before."""
    points = {
        code: (d.lon, d.lat)
        for code, d in divisions().items()
        if d.level == "county" and d.lon is not None and d.lat is not None
    }
    assert len(points) > 2_500
    tiles = tilemap.layout(points)
    assert set(tiles) == set(points)
    assert len(set(tiles.values())) == len(points)
    assert tilemap.gap_free(tiles.values())
    # 塔河 (far north) is above 三亚's districts; 喀什 (far west) is left of 上海's.
    assert tiles["232722"][1] < tiles["460202"][1]
    assert tiles["653101"][0] < tiles["310101"][0]
