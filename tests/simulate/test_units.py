"""Small pieces of the simulator: settings, ids, times, templates, parallel rendering."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from zhengwu.errors import InvalidInputError
from zhengwu.simulate.config import SimulationConfig, Window, parse_platforms, parse_start, rng
from zhengwu.simulate.event import Rainstorm, participation
from zhengwu.simulate.parallel import Part, ordered_map, write_rendered
from zhengwu.simulate.population import Account
from zhengwu.simulate.posts import _strictly_increasing
from zhengwu.simulate.scope import CityUnit, Place
from zhengwu.simulate.templates import compile_template
from zhengwu.simulate.weibo_format import api_time, json_bytes, status_id


def test_bad_settings_are_refused_in_both_languages() -> None:
    with pytest.raises(InvalidInputError, match="--days"):
        SimulationConfig(days=0)
    with pytest.raises(InvalidInputError, match="scale"):
        SimulationConfig(scale="town")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="foo"):
        parse_platforms("weibo,foo")
    with pytest.raises(InvalidInputError, match="YYYY-MM-DD"):
        parse_start("2025/07/01")
    assert parse_platforms("douyin, weibo") == ("weibo", "douyin")
    assert parse_start("2025-07-01") == date(2025, 7, 1)


def test_random_streams_are_keyed_by_their_labels() -> None:
    assert rng(1, "weibo", 3).integers(1 << 30) == rng(1, "weibo", 3).integers(1 << 30)
    assert rng(1, "weibo", 3).integers(1 << 30) != rng(1, "weibo", 4).integers(1 << 30)
    assert rng(1, "weibo").integers(1 << 30) != rng(2, "weibo").integers(1 << 30)


def test_window_months_split_at_month_boundaries() -> None:
    window = Window(date(2025, 7, 20), 20)
    months = list(window.months())
    assert [m.tag for m in months] == ["2025-07", "2025-08"]
    assert (months[0].first_day, months[0].stop_day, months[1].stop_day) == (0, 12, 20)
    assert window.observed_at.isoformat() == "2025-08-09T00:00:00+08:00"


def test_status_ids_carry_their_time_and_api_times_are_china_time() -> None:
    ts = 1_751_338_664  # 2025-07-01 10:57:44 +0800
    sid = status_id(ts, 77)
    assert (sid >> 22) + 515_483_463 == ts
    assert sid & 0x3FFFFF == 77
    assert api_time(ts) == "Tue Jul 01 10:57:44 +0800 2025"


def test_same_second_posts_of_one_account_are_pushed_apart() -> None:
    acct = np.array([1, 1, 1, 2, 2], dtype=np.int64)
    ts = np.array([100, 100, 100, 100, 105], dtype=np.int64)
    assert _strictly_increasing(acct, ts).tolist() == [100, 101, 102, 100, 105]


def test_templates_compile_and_refuse_unknown_fields() -> None:
    render = compile_template("#{topic}# {date}，{place}民警帮助群众{n}人。{link}")
    text = render("金水", "郑州", "7月3日", 9, 5, "平安郑州", "郑州暴雨", "http://t.cn/A6x", "")
    assert text == "#平安郑州# 7月3日，金水民警帮助群众5人。http://t.cn/A6x"
    with pytest.raises(InvalidInputError):
        compile_template("{__import__}")
    with pytest.raises(InvalidInputError):
        compile_template("quote ' inside")


def test_json_escaping_only_when_needed() -> None:
    assert json_bytes("郑州发布") == "郑州发布".encode()
    assert json_bytes('他说"好"\\') == b'\xe4\xbb\x96\xe8\xaf\xb4\\"\xe5\xa5\xbd\\"\\\\'


@dataclass
class _Rendered:
    data: bytes | Part


def _lines(n: int) -> bytes:
    return f"line {n} 郑州\n".encode() * n


def _render(n: int) -> _Rendered:
    return _Rendered(_lines(n))


def test_worker_parts_are_appended_in_task_order(tmp_path: Path) -> None:
    expected = b"".join(_lines(n) for n in range(30))
    for workers in (1, 2):
        out = tmp_path / f"out-{workers}"
        with out.open("wb") as fh:
            for result in ordered_map(_render, range(30), workers, spill_dir=tmp_path / "parts"):
                assert isinstance(result.data, Part if workers > 1 else bytes)
                write_rendered(fh, result.data)
        assert out.read_bytes() == expected
    assert list((tmp_path / "parts").iterdir()) == []


def _account(unit: str, province: str, level: str, sector: str, org: int = 1) -> Account:
    return Account(
        platform="weibo", uid="1", name="x", org=org, kind="gov" if org >= 0 else "user",
        verified_type=1, verified_reason="", description="", created="2012-01-01", level=level,
        sector=sector, place="x", adcode=unit, unit=unit, province=province,
    )  # fmt: skip


def test_the_struck_city_takes_part_far_more_than_elsewhere() -> None:
    zhengzhou = Place("410100", "郑州市", "郑州")
    henan = Place("410000", "河南省", "河南")
    event = Rainstorm(
        CityUnit(zhengzhou, henan, "city", (), None, None), (3, 4, 5), (1.0, 2.2, 1.0)
    )
    accounts = [
        _account("410100", "410000", "市", "应急"),
        _account("410100", "410000", "县", "教育"),
        _account("410200", "410000", "县", "教育"),
        _account("440100", "440000", "县", "教育"),
    ]
    p = participation(event, accounts).tolist()
    assert p[0] > p[1] > p[2] > p[3] == 0.0
    assert event.hashtag == "#郑州暴雨#"
