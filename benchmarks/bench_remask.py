"""Re-masking every stored request after a masking-rules change, vs masking alone.

Run: ``.venv/bin/python benchmarks/bench_remask.py [--requests 50000] [--database-url URL]``.

A fresh database (SQLite file by default; ``--database-url`` for an empty PostgreSQL
database) gets ``--requests`` service requests whose texts are the real 政务留言 of
``../shared/data/citizen-messages`` (cycled; one in three with a citizen name and phone,
as a form gives them), their ``text_masked`` made **under the old rules**: the rules
before the names rule (:data:`zhengwu.privacy.MASKING_RULES_VERSION` 1), simulated by
switching off :func:`zhengwu.privacy.names._names_before_contact_cues` while populating,
and the stored version recorded as 1. Then, in the same run:

1. **baseline — masking alone**: :func:`zhengwu.servicedesk.masking.mask` of every text
   with its name and phone, in memory (what the pass can never be faster than);
2. **dry run**: :func:`zhengwu.servicedesk.remask.preview` (``zhengwu desk remask
   --dry-run``): reads and masks every request, writes nothing;
3. **worker pass**: the job ``published-numbers``' steps (:func:`remask.step`, 2,000
   requests a transaction, one commit per step) until the version is recorded;
4. **pass again** (``zhengwu desk remask --all``): nothing left to change.

Printed: wall and CPU seconds and rows/s of each, and how many texts changed. On a shared
machine compare CPU seconds; wall time moves with other load.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MESSAGES = REPO.parent / "shared" / "data" / "citizen-messages"
NAMES = ["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "赵丽华", "黄志强", "周敏", "吴磊"]


def message_texts() -> list[str]:
    """Return the real citizen messages of the shared data."""
    csv.field_size_limit(10_000_000)
    texts: list[str] = []
    for name in ("train.csv", "test.csv", "messages_with_votes.csv", "messages_with_replies.csv"):
        with (MESSAGES / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                text = (row.get("text") or row.get("留言详情") or "").strip()
                if text:
                    texts.append(text)
    assert texts, f"no messages found in {MESSAGES}"
    return texts


def requests(n: int) -> list[tuple[str, str | None, str | None]]:
    """Return ``n`` (text, citizen name, citizen phone) as intake would get them."""
    rng = random.Random(7)
    texts = message_texts()
    out: list[tuple[str, str | None, str | None]] = []
    for i in range(n):
        given = i % 3 == 0
        name = rng.choice(NAMES) if given else None
        phone = f"139{rng.randrange(10**8):08d}" if given else None
        out.append((texts[i % len(texts)], name, phone))
    return out


def populate(url: str, rows: list[tuple[str, str | None, str | None]]) -> None:
    """Create the schema and the requests, masked under the old rules (version 1)."""
    from sqlalchemy import insert

    from zhengwu.db import migrate
    from zhengwu.db.engine import make_engine
    from zhengwu.privacy import names
    from zhengwu.servicedesk import masking
    from zhengwu.servicedesk.models import MaskingState, ServiceRequest

    engine = make_engine(url)
    migrate.upgrade(engine)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    new_rule = names._names_before_contact_cues
    names._names_before_contact_cues = lambda text: iter(())  # type: ignore[assignment]
    try:
        with engine.begin() as con:
            for lo in range(0, len(rows), 20_000):
                batch = []
                for i in range(lo, min(len(rows), lo + 20_000)):
                    text, name, phone = rows[i]
                    when = start + timedelta(seconds=30 * i)
                    batch.append({
                        "public_id": f"ZW{i:010d}", "citizen_token_hash": f"{i:064x}",
                        "source": "form", "source_ref": f"bench-{i}", "text": text,
                        "text_masked": masking.mask(text, name=name, phone=phone),
                        "citizen_name": name, "citizen_phone": phone,
                        "fingerprint": f"{i:040x}", "received_at": when, "updated_at": when,
                    })  # fmt: skip
                con.execute(insert(ServiceRequest), batch)
            con.execute(insert(MaskingState), [{
                "id": 1, "numbers": [], "pending": [], "cursor": 0, "rules_version": 1,
                "rules_cursor": 0, "updated_at": start,
            }])  # fmt: skip
    finally:
        names._names_before_contact_cues = new_rule  # type: ignore[assignment]
    engine.dispose()


def timed(label: str, n: int, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` once; print its wall and CPU seconds and rows/s; return its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<36} {wall:8.2f} s wall {cpu:8.2f} CPU-s  {n / wall:9,.0f} rows/s "
          f"({n / cpu:,.0f} per CPU-s)", flush=True)  # fmt: skip
    return result


def run(url: str, n: int) -> None:
    """Populate, then time the baseline, the dry run, the pass and a second pass."""
    from contextlib import contextmanager

    from sqlalchemy.orm import Session

    from zhengwu.db.engine import make_engine
    from zhengwu.privacy import MASKING_RULES_VERSION
    from zhengwu.servicedesk import masking, remask

    rows = requests(n)
    started = time.perf_counter()
    populate(url, rows)
    chars = sum(len(t) for t, _, _ in rows) / n
    print(f"populated {n:,} requests ({chars:.0f} characters on average) under rules version 1 "
          f"in {time.perf_counter() - started:.0f} s ({url.split(':')[0]})", flush=True)  # fmt: skip
    masking.mask("我叫张伟，电话13912345678")  # the dictionaries load outside every timing
    engine = make_engine(url)

    @contextmanager
    def begin() -> Any:
        with Session(engine) as session:
            yield session
            session.commit()

    timed("baseline: masking alone", n,
          lambda: [masking.mask(t, name=m, phone=p) for t, m, p in rows])  # fmt: skip
    with Session(engine) as session:
        dry = timed("dry run (desk remask --dry-run)", n, lambda: remask.preview(session))
    first = timed(f"worker pass (steps of {remask.BATCH:,})", n, lambda: remask.run(begin))
    again = timed("pass again (desk remask --all)", n,
                  lambda: remask.run(begin, everything=True))  # fmt: skip
    with Session(engine) as session:
        assert remask.stored_version(session) == MASKING_RULES_VERSION
    assert dry.remasked == first.remasked and again.remasked == 0
    print(f"changed by the new rules: {first.remasked:,} of {first.checked:,} requests "
          f"({first.remasked / first.checked:.2%}) in {first.steps} steps; again: "
          f"{again.remasked} changed")  # fmt: skip
    engine.dispose()


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--database-url", default=None, help="an empty database (default SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.database_url or f"sqlite:///{tmp}/remask.db", args.requests)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
