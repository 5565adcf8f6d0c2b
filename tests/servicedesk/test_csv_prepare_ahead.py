"""The hotline CSV import with its text work done ahead in a worker process (csvprep) leaves
what the import without it leaves, and what taking the rows in one by one leaves: the same
requests (masked texts, places, routing, deadlines), sources, audit trail, replies, ratings
and quarantine."""

from __future__ import annotations

import csv
import logging
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts import phones as published_phones
from zhengwu.accounts.models import Organization
from zhengwu.config import get_settings
from zhengwu.servicedesk import csvbatch, csvprep, dedup, masking
from zhengwu.servicedesk.csvimport import import_csv
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World
from .test_csv_batches import _dump

HEADER = ["工单编号", "受理时间", "标题", "诉求内容", "问题分类", "区划代码", "所属区域", "事发地址",
          "联系人", "联系电话", "答复意见", "答复时间", "办理状态", "办结时间", "满意度"]  # fmt: skip
OFFICE = "0371-12345678"  # the hotline's published number: stays readable in a masked text
REGIONS = ("郑州市", "金水区", "410105", "", "")
CATEGORIES = ("噪声污染", "物业管理", "市政设施", "", "")


def _export(shared_data: Path, n: int, seed: int) -> list[list[str]]:
    """Hotline rows from the real messages: repeat callers and near-copies, tickets exported
    twice, published and private numbers in the text, regions, addresses, replies and
    closings, unusable rows; not in time order."""
    source = shared_data / "citizen-messages" / "messages_with_replies.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        messages = list(csv.DictReader(fh))[:n]
    rng = random.Random(seed)
    phones = [f"139{i:08d}" for i in range(max(n // 4, 2))]
    rows: list[list[str]] = []
    for i, m in enumerate(messages):
        roll = rng.random()
        callers = [r for r in rows if r[9] and not r[12]]  # with a phone, open
        if callers and roll < 0.08:  # the same caller again a day later, a few words added
            old = callers[rng.randrange(len(callers))]
            try:
                when = datetime.strptime(old[1], "%Y/%m/%d %H:%M:%S") + timedelta(days=1)
            except ValueError:
                when = datetime(2019, 1, 1)
            rows.append([f"R{i}", f"{when:%Y/%m/%d %H:%M:%S}", old[2], old[3] + "，还没人管吗？",
                         *old[4:10], *(("已并案", f"{when + timedelta(days=2):%Y-%m-%d}")
                                       if roll < 0.04 else ("", "")), "", "", ""])  # fmt: skip
            continue
        if rows and roll < 0.11:  # a ticket exported twice
            rows.append(list(rows[rng.randrange(len(rows))]))
            continue
        text = m["留言详情"]
        if roll < 0.2:
            text += f"。请联系我{phones[i % len(phones)]}，或拨打热线{OFFICE}"
        reply, replied = m["答复意见"], m["答复时间"]
        closing = (
            ["已办结", "", rng.choice(("满意", "一般", ""))]
            if reply and roll < 0.5
            else ["", "", ""]
        )
        row = [f"T{i}", m["留言时间"], m["留言主题"], text, rng.choice(CATEGORIES),
               rng.choice(("410105", "410102", "", "")), rng.choice(REGIONS),
               rng.choice(("经三路12号", "", "")), m["留言用户"],
               phones[rng.randrange(len(phones))] if roll < 0.8 else "", reply, replied, *closing]  # fmt: skip
        if roll > 0.97:  # unusable
            row[1] = "待补录"
        rows.append(row)
    return rows


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def _imports(
    session: Session, paths: list[Path], *, batch_rows: int, ahead: bool
) -> dict[str, Any]:
    runs = [
        import_csv(session, p, actor=SYSTEM, batch_rows=batch_rows, prepare_ahead=ahead)
        for p in paths
    ]
    counts = [{k: v for k, v in r.to_dict().items() if k != "run_id"} for r in runs]
    return {"counts": counts, **_dump(session, [r.run_id for r in runs], False)}


@pytest.fixture
def files(session: Session, world: World, shared_data: Path, tmp_path: Path) -> list[Path]:
    """Two exports of the test city: the first rows without replies, then all with them."""
    hotline = session.get(Organization, world.orgs["hotline"])
    assert hotline is not None
    hotline.public_phones = [OFFICE]
    session.flush()
    full = _export(shared_data, 360, 2)
    return [
        _write(tmp_path / "first.csv", [[*r[:10], "", "", "", "", ""] for r in full[:150]]),
        _write(tmp_path / "second.csv", full),
    ]


def test_the_worker_leaves_what_the_import_without_it_leaves(
    session: Session, files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    masked_here = [0]
    mask = masking.mask

    def counted(*args: Any, **kwargs: Any) -> str:
        masked_here[0] += 1  # in this process only: the worker counts in its own memory
        return mask(*args, **kwargs)

    monkeypatch.setattr(masking, "mask", counted)
    results = {}
    for name, batch_rows, ahead in (("per-row", 0, False), ("batched", 40, False),
                                    ("ahead", 40, True)):  # fmt: skip
        savepoint = session.begin_nested()
        masked_here[0] = 0
        results[name] = _imports(session, files, batch_rows=batch_rows, ahead=ahead)
        results[name]["masked_here"] = masked_here[0]
        savepoint.rollback()
    ahead, batched, per_row = results["ahead"], results["batched"], results["per-row"]
    for key in ("counts", "quarantine", "sources", "audit", "ratings", "requests"):
        assert ahead[key] == batched[key], key
        assert ahead[key] == per_row[key], key
    # The worker did the masking: none here with it, one per new request without it.
    created = sum(c["created"] for c in ahead["counts"])
    assert (ahead["masked_here"], batched["masked_here"]) == (0, created)
    # The scenario reaches what the worker prepares and what depends on it.
    second = ahead["counts"][1]
    assert second["created"] > 100 and second["merged"] > 5 and second["existing"] > 100
    assert second["replies"] > 50 and second["closed"] > 20 and second["quarantined"] > 0
    texts = [r["text_masked"] for r in ahead["requests"].values()]
    assert sum(OFFICE in t for t in texts) > 10  # the published number stays readable
    assert not any("13900000" in t for t in texts)  # the callers' numbers do not
    assert {r["located_by"] for r in ahead["requests"].values()} >= {"form", "region", "text"}


def _broken(jobs: Any, context: Any) -> Any:
    raise RuntimeError("worker broke")


def test_a_failing_worker_leaves_the_work_to_the_importer(
    session: Session, files: list[Path], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    savepoint = session.begin_nested()
    without = _imports(session, files, batch_rows=40, ahead=False)
    savepoint.rollback()

    monkeypatch.setattr(csvprep, "prepare", _broken)  # the forked worker runs this one
    with caplog.at_level(logging.ERROR):
        failed = _imports(session, files, batch_rows=40, ahead=True)
    assert "the text work worker failed" in caplog.text
    for key in ("counts", "quarantine", "sources", "audit", "ratings", "requests"):
        assert failed[key] == without[key], key


def test_masks_and_places_made_for_other_published_numbers_are_not_used(
    session: Session, world: World
) -> None:
    rows: list[csvbatch.Row] = [
        (RequestIntake(source="12345", source_ref=f"12345:P{i}", text=f"金水区第{i}号路灯不亮，电话1391234567{i}",
                       citizen_phone=f"1391234567{i}"), None, None)
        for i in range(2)
    ]  # fmt: skip
    fake = [
        csvprep.Prepared(dedup.normalise(i.text), dedup.fingerprint(i.text), "假的", "410102", "form")
        for i, _, _ in rows
    ]  # fmt: skip
    keep, home = published_phones.directory(session), get_settings().desk_home_adcode
    stale = csvprep.Context(keep | {"0371-99999999"}, home)
    csvbatch.take_in(session, rows[:1], actor=SYSTEM, prepared=(stale, fake[:1]))
    current = csvprep.Context(keep, home)
    csvbatch.take_in(session, rows[1:], actor=SYSTEM, prepared=(current, fake[1:]))
    found = {
        r.source_ref: (r.text_masked, r.adcode, r.located_by)
        for r in session.scalars(select(ServiceRequest).where(ServiceRequest.source_ref.like("12345:P%")))
    }  # fmt: skip
    # Made with other published numbers: computed again here. Made with these: taken as given.
    text = rows[0][0].text
    assert found["12345:P0"][0] == masking.mask(text, phone="13912345670", keep=keep)
    assert found["12345:P0"][0].endswith("电话139******70")
    assert found["12345:P0"][1:] == ("410105", "text")
    assert found["12345:P1"] == ("假的", "410102", "form")


_GRAMS = st.text(st.sampled_from([*"路灯不亮金水区ab1", "\U00020000", "\U0010ffff"]), max_size=9)


@settings(max_examples=500, deadline=None)
@given(_GRAMS, _GRAMS)
def test_gram_codes_compare_as_the_grams_do(a: str, b: str) -> None:
    ga, gb = dedup.grams(a), dedup.grams(b)
    expected = len(ga & gb) / len(ga | gb) if ga and gb else 0.0
    assert dedup.jaccard(ga, gb) == expected
    assert dedup.jaccard(dedup.gram_codes(a), dedup.gram_codes(b)) == expected
    assert len(dedup.gram_codes(a)) == len(ga)
