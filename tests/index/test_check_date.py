"""A compliance check date after the newest stored data is said in the run notes."""

from __future__ import annotations

from datetime import date

from zhengwu.index import results

from .conftest import World, china

NOTE_EN = "check date 2025-07-31 is after the newest data 2025-07-03"


def _two_accounts(world: World) -> None:
    for uid in ("8001", "8002"):
        world.account("weibo", uid, world.org(f"org-{uid}"))
        world.daily("weibo", uid, "2025-06-20", 14, reposts=1, comments=2, likes=3)
    # The newest post: 23:30 China time on July 3 is still July 2 in UTC.
    world.post("weibo", "8001", china("2025-07-03", 23), likes=1)


def test_default_check_date_after_the_data_is_noted(world: World) -> None:
    _two_accounts(world)
    run = world.run("2025-07", "zhengwu-4d")
    assert run.failing == 2  # the gate itself is unchanged: July 31 is still the default
    (note,) = [n for n in run.notes if NOTE_EN in n]
    assert note.startswith("检查日 2025-07-31 晚于最新数据 2025-07-03")
    assert "--check-date 2025-07-03" in note
    stored = results.get_run(world.con, run.run_id)
    assert stored["check_date"] == date(2025, 7, 31)
    assert note in stored["notes"]
    assert note.partition(" / ")[0] in stored["methodology"]  # its Chinese half, as in reports


def test_check_date_within_the_data_has_no_note(world: World) -> None:
    _two_accounts(world)
    run = world.run("2025-07", "zhengwu-4d", check_date=date(2025, 7, 3))
    assert run.failing == 0
    assert not any("newest data" in n for n in run.notes)
