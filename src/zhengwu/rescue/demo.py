"""The emergency-help step of ``zhengwu demo``: an incident for the simulated flood.

Everything runs on the simulated clock, never today's, like the service desk's step
(:func:`zhengwu.servicedesk.demo.run`): the incident and its teams are set up when the
incident starts, the day before the flood, and the help posts are taken in hour by hour
as they were posted, up to the end of the period
(:func:`~zhengwu.rescue.channels.intake_from_posts` with ``as_of``). Requests, sources,
merges, their audit entries and any closing notice carry the period's times.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.channels import intake_from_posts
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate
from zhengwu.servicedesk.demo import period_end


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
    existing = [i for i in rescue_service.list_incidents(session) if i.name == f"{short}暴雨"]
    if existing:
        incident = existing[0]
    else:
        incident = rescue_service.create_incident(
            session,
            data=IncidentCreate.model_validate(
                {"name": f"{short}暴雨", "type": "flood", "regions": [city],
                 "hashtags": [hashtag], "keywords": ["求助", "被困", "救援"],
                 "starts_at": starts.isoformat()}
            ),
            actor=rescue_service.SYSTEM,
            now=starts,
        )  # fmt: skip
        for team in (
            TeamCreate(name=f"{short}消防救援支队", kind="fire_brigade", capabilities=["boat"],
                       capacity=5, area=[city]),
            TeamCreate(name=f"{short}蓝天救援队", kind="ngo_rescue", capabilities=["boat", "medical"],
                       capacity=3, area=[city]),
            TeamCreate(name=f"{short}医疗救护队", kind="medical", capabilities=["medical"],
                       capacity=2, area=[city]),
        ):  # fmt: skip
            rescue_service.create_team(session, data=team, actor=rescue_service.SYSTEM, now=starts)
    report = intake_from_posts(
        session, analytics, incident=incident, actor=rescue_service.SYSTEM, as_of=as_of
    )
    return {
        "incident": incident.name,
        **{k: v for k, v in vars(report).items() if isinstance(v, int)},
    }
