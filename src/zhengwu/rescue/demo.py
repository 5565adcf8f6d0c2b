"""The emergency-help step of ``zhengwu demo``: an incident for the simulated flood.

Everything runs on the simulated clock, never today's, like the service desk's step
(:func:`zhengwu.servicedesk.demo.run`): the incident and its teams are set up when the
incident starts, the day before the flood, and the help posts are taken in hour by hour
as they were posted, up to the end of the period
(:func:`~zhengwu.rescue.channels.intake_from_posts` with ``as_of``). Requests, sources,
merges, their audit entries and any closing notice carry the period's times.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from zhengwu.db.base import utcnow
from zhengwu.rescue import clock, lookup, priority
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.channels import intake_from_posts
from zhengwu.rescue.models import HelpRequest, HelpSource
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate
from zhengwu.servicedesk.demo import period_end


def incident_name(truth: dict[str, Any]) -> str:
    """Return the name of the incident the demo opens for its simulated city (郑州暴雨):
    :mod:`zhengwu.rescue.clock` knows the demo's own incident by it."""
    return f"{truth['event']['city_name'].removesuffix('市')}暴雨"


def run(
    session: Session, analytics: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> dict[str, Any]:
    """Open an incident for the simulated city, register teams, take in the help posts."""
    help_truth = truth.get("help") or {}
    event = truth["event"]
    if not help_truth:
        return {"help posts": 0}
    city, name = event["city"], event["city_name"]
    short = name.removesuffix("市")
    # The hashtag the help posts carry (older runs' truth lacks it: the same name then).
    hashtag = help_truth.get("hashtag") or f"#{short}暴雨互助#"
    starts = datetime.fromisoformat(event["days"][0] + "T00:00:00+08:00") - timedelta(days=1)
    as_of = period_end(truth)
    existing = [i for i in rescue_service.list_incidents(session) if i.name == incident_name(truth)]
    if existing:
        incident = existing[0]
    else:
        incident = rescue_service.create_incident(
            session,
            data=IncidentCreate.model_validate(
                {"name": incident_name(truth), "type": "flood", "regions": [city],
                 "hashtags": [hashtag], "keywords": ["求助", "被困", "救援"],
                 "starts_at": starts.isoformat()}
            ),
            actor=rescue_service.SYSTEM,
            now=starts,
        )  # fmt: skip
        for team in (
            TeamCreate(name=f"{short}消防救援支队", kind="fire_brigade", capabilities=["冲锋舟"],
                       capacity=5, area=[city]),
            TeamCreate(name=f"{short}蓝天救援队", kind="ngo_rescue", capabilities=["冲锋舟", "医疗"],
                       capacity=3, area=[city]),
            TeamCreate(name=f"{short}医疗救护队", kind="medical", capabilities=["医疗"],
                       capacity=2, area=[city]),
        ):  # fmt: skip
            rescue_service.create_team(session, data=team, actor=rescue_service.SYSTEM, now=starts)
    clock.start_demo_clock(incident, period_end=as_of, made=_made(truth))
    session.flush()
    report = intake_from_posts(
        session, analytics, incident=incident, actor=rescue_service.SYSTEM, as_of=as_of
    )
    return {
        "incident": incident.name,
        # The counts (read, known, ignored …), not the report's dry_run flag (a bool is an int).
        **{k: v for k, v in vars(report).items() if type(v) is int},
    }


def _made(truth: dict[str, Any]) -> datetime:
    """Return when the demo made its data: its ``truth.json``'s modification time (kept
    by a run of the demo again: :func:`zhengwu.cli.demo.keep_demo_clock`); now, for a
    truth read from elsewhere. The incident's clock starts there and is kept in the
    database (:func:`zhengwu.rescue.clock.start_demo_clock`), so that one more run, or
    one that crashed after deleting the file, does not start it over."""
    folder = truth.get("_input_dir")
    try:
        made = (Path(str(folder)) / "truth.json").stat().st_mtime if folder else None
    except OSError:
        made = None
    return utcnow() if made is None else datetime.fromtimestamp(made, UTC)


# -- many requests at once (tests, benchmarks) ----------------------------------------------

_COUNTIES = ("410102", "410103", "410104", "410105", "410122", None)
_STATE_MIX = (("new", 40), ("verified", 20), ("dispatched", 10), ("on_scene", 5),
              ("resolved", 15), ("announced", 10))  # fmt: skip
_GROUPS = ("elderly", "child", "pregnant", "infant", "ill", "disabled", "injured", "on_medication")


def simulate_requests(
    session: Session, *, incident_id: int, count: int, now: datetime,
    team_ids: Sequence[int] = (), seed: int = 1,
) -> list[int]:  # fmt: skip
    """Insert ``count`` varied help requests (and one post each) into an incident at once.

    What a long flood leaves in the queue, without running the extraction: every state,
    urgency, vulnerable group, need, people count and verification result, reported over
    the two days before ``now`` (on the hour, some at the same time: ties), with a name,
    a phone and a house-level address to mask. Dispatched and later requests go to
    ``team_ids`` in turn. Deterministic for a ``seed``; returns the new ids, in order.
    """
    rng = random.Random(seed)
    states = [s for s, weight in _STATE_MIX for _ in range(weight)]
    # Numbered here: one executemany without RETURNING (far faster for many rows).
    first = (session.scalar(select(func.max(HelpRequest.id))) or 0) + 1
    rows: list[dict[str, Any]] = []
    for i in range(count):
        state = rng.choice(states)
        reported = now - timedelta(hours=rng.randrange(0, 48))
        total = rng.choice((None, 1, 2, 3, 5, 8, 12))
        closed = state in ("resolved", "announced")
        helped = (total or 1) if closed else rng.choice((0, 0, 0, 1))
        phone = f"13{rng.randrange(10**9):09d}"
        name = rng.choice("张王李赵刘陈杨黄") + rng.choice(("建国", "秀英", "伟", "芳", "强"))
        groups = rng.sample(_GROUPS, rng.choice((0, 0, 1, 1, 2, 3)))
        if rng.random() < 0.02:
            groups.append("unknown_group")  # a code the score does not know weighs 4
        address = f"郑州市金水区文化路{i % 300 + 1}号院{rng.randrange(1, 20)}号楼"
        rows.append({
            "id": first + i, "incident_id": incident_id, "state": state, "name": name,
            "phones": [phone] if rng.random() < 0.9 else [], "address": address,
            "adcode": rng.choice(_COUNTIES), "people_total": total, "people_helped": helped,
            "vulnerabilities": groups, "needs": rng.sample(("trapped", "medical", "supplies"),
                                                           rng.choice((0, 1, 2))),
            "hazard": rng.choice((None, None, "水位上涨", "")),
            "urgency": rng.choice(("critical", "urgent", "normal", "normal")),
            "completeness": rng.choice((0.3, 0.6, 1.0)),
            "text": f"求助！{address}，{name}，电话{phone}，共{total or '几'}人被困，水已到二楼。",
            "reported_at": reported, "created_at": reported,
            "verification": rng.choice(("unverified", "unverified", "confirmed", "unreachable",
                                        "false", "already_rescued")),
            "reported_rescued_at": reported if rng.random() < 0.05 else None,
            "team_id": team_ids[i % len(team_ids)] if team_ids and state not in ("new", "verified")
            else None,
            "dispatched_at": reported + timedelta(hours=1) if state not in ("new", "verified")
            else None,
            "resolved_at": reported + timedelta(hours=rng.randrange(2, 12)) if closed else None,
            "outcome": "rescued" if closed else None,
        })  # fmt: skip
    for row in rows:  # an insert() passes no flush: the stored priority is computed here
        row["urgency_reasons"] = []
        row["priority_base"], row["priority_fresh"] = priority.stored(HelpRequest(**row))
        row["search_words"], row["search_digits"] = lookup.index_texts(
            [row["text"], row["text"]], address=row["address"], adcode=row["adcode"],
            name=row["name"], phones=row["phones"])  # its text, and its one post's  # fmt: skip
    session.execute(insert(HelpRequest), rows)
    ids = [row["id"] for row in rows]
    if session.get_bind().dialect.name == "postgresql":  # the next request gets the next id
        session.execute(text(
            "SELECT setval(pg_get_serial_sequence('help_requests', 'id'), "
            "(SELECT max(id) FROM help_requests))"
        ))  # fmt: skip
    session.execute(insert(HelpSource), [
        {"incident_id": incident_id, "request_id": rid, "channel": "post", "platform": "weibo",
         "post_id": f"sim-{seed}-{rid}", "text": row["text"], "posted_at": row["reported_at"],
         "kind": "original", "created_at": row["reported_at"]}
        for rid, row in zip(ids, rows, strict=True)
    ])  # fmt: skip
    return ids
