"""The simulated help-post stream: real Weibo shapes, a truth row per post, determinism."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson

from zhengwu.ingest.registry import get_importer
from zhengwu.platforms.records import PostRecord
from zhengwu.simulate.helpposts import write_help_posts

START = datetime(2021, 7, 20, tzinfo=UTC)


def _write(out: Path, seed: int = 3, n: int = 400) -> dict[str, object]:
    summary: dict[str, object] = write_help_posts(out, rng=np.random.default_rng(seed), city_adcode="410100",
                            start=START, n_posts=n)  # fmt: skip
    return summary


def test_stream_has_every_kind_and_a_truth_row_per_post(tmp_path: Path) -> None:
    summary = _write(tmp_path)
    posts = (tmp_path / "help" / "posts.jsonl").read_bytes().splitlines()
    truth = [
        orjson.loads(line) for line in (tmp_path / "help" / "truth.jsonl").read_bytes().splitlines()
    ]
    assert summary["posts"] == len(posts) == len(truth) == 400
    kinds = Counter(row["kind"] for row in truth)
    assert {"original", "repost", "copy", "update", "prayer", "news"} <= set(kinds)
    assert all(
        (row["request"] is None) == (row["kind"] in {"prayer", "news", "notice", "notice_repost"})
        for row in truth
    )
    statuses = [orjson.loads(line) for line in posts]
    assert [s["idstr"] for s in statuses] == [row["id"] for row in truth]
    reposts = [s for s in statuses if "retweeted_status" in s]
    assert reposts
    assert all("user" in s and "user" in s["retweeted_status"] for s in reposts)


def test_stream_goes_through_the_weibo_importer(tmp_path: Path) -> None:
    _write(tmp_path, n=200)
    items = list(get_importer("weibo-api").read(tmp_path / "help" / "posts.jsonl"))
    primaries = [i.primary for i in items]
    assert len(primaries) == 200
    assert all(isinstance(p, PostRecord) for p in primaries)
    assert any(isinstance(p, PostRecord) and p.is_repost and p.root_post_id for p in primaries)


def test_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    _write(tmp_path / "a", seed=9, n=150)
    _write(tmp_path / "b", seed=9, n=150)
    for name in ("posts.jsonl", "truth.jsonl"):
        assert (tmp_path / "a" / "help" / name).read_bytes() == (
            tmp_path / "b" / "help" / name
        ).read_bytes()


def test_notices_come_from_the_given_government_accounts_only(tmp_path: Path) -> None:
    official = {"id": 2418542712, "idstr": "2418542712", "screen_name": "郑州发布",
                "name": "郑州发布", "verified": True, "verified_type": 1}  # fmt: skip
    summary = write_help_posts(tmp_path / "with", rng=np.random.default_rng(3),
                               city_adcode="410100", start=START, n_posts=400,
                               officials=[official])  # fmt: skip
    assert summary["hashtag"] == "#郑州暴雨互助#"
    statuses = [
        orjson.loads(line)
        for line in (tmp_path / "with" / "help" / "posts.jsonl").read_bytes().splitlines()
    ]
    verified = [s["user"] for s in statuses if s["user"]["verified"]]
    assert verified and all(user == official for user in verified)
    _write(tmp_path / "without")
    truth = (tmp_path / "without" / "help" / "truth.jsonl").read_bytes()
    assert b'"notice' not in truth
    posts = (tmp_path / "without" / "help" / "posts.jsonl").read_bytes()
    assert b'"verified":true' not in posts
