"""The batch merge engine: reposts, copies and updates become one cluster; rules refuse
merges the facts contradict; the simulated stream is merged with high precision and recall."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import pytest

from zhengwu.rescue import merge, minhash
from zhengwu.rescue.labels import history_reason
from zhengwu.rescue.posts import read_help_posts
from zhengwu.simulate.helpposts import write_help_posts

from .conftest import COPY, ORIGINAL, OTHER, PRAYER, UPDATE, post, repost


def _by_post(clusters: list[merge.Cluster]) -> dict[str, tuple[int, merge.Member]]:
    return {m.post.post_id: (n, m) for n, c in enumerate(clusters) for m in c.members}


def test_reposts_copies_and_updates_join_the_original() -> None:
    posts = [
        post("1", ORIGINAL), post("2", COPY, 3), repost("3", "1", ORIGINAL),
        post("4", OTHER, 1), post("5", PRAYER, 2), post("6", UPDATE, 60),
        repost("7", "1", ORIGINAL, comment="已获救，谢谢大家！请不要再打电话了", minutes=90),
    ]  # fmt: skip
    clusters = merge.cluster(posts, workers=1)
    found = _by_post(clusters)
    assert "5" not in found  # the prayer is not a help post
    assert len(clusters) == 2
    assert len({found[i][0] for i in "12367"}) == 1
    assert found["4"][0] != found["1"][0]
    assert found["1"][1].kind == "original"
    assert found["1"][1].merged_by is None
    assert found["2"][1].kind == "copy"
    assert found["2"][1].merged_by in ("phone", "text")
    assert (found["3"][1].kind, found["3"][1].merged_by) == ("repost", "repost")
    assert found["6"][1].kind == "update"
    assert found["7"][1].kind == "update"  # a repost whose own words say "已获救"
    cluster = clusters[found["1"][0]]
    assert cluster.original.post.post_id == "1"
    assert cluster.reported_rescued


def test_same_phone_in_different_places_is_not_merged() -> None:
    # One volunteer posting for two families gives the same number twice.
    a = "求助！郑州市金水区文化路32号院3号楼 老人被困 水已到二楼 联系人志愿者13800009999"
    b = "求助！郑州市二七区大学路78号院5号楼 孩子被困 水还在上涨 联系人志愿者13800009999"
    clusters = merge.cluster([post("1", a), post("2", b, 5)], workers=1)
    assert len(clusters) == 2


def test_near_identical_text_with_other_phone_is_not_merged() -> None:
    a = "#郑州暴雨互助#【姓名】王强【所在小区】金水区文化路32号院3号楼【联系方式】13800001234【情况描述】老人被困，水已到二楼"
    b = a.replace("13800001234", "13900005678")
    clusters = merge.cluster([post("1", a), post("2", b, 5)], workers=1)
    assert len(clusters) == 2


def test_same_address_without_phones_is_merged_by_address() -> None:
    a = "求助！郑州市金水区文化路32号院3号楼，家里三位老人被困，水已到二楼，一楼已经淹了"
    b = "还没人去吗？金水区文化路32号院3号楼 老人们出不来 急急急 求救援"
    clusters = merge.cluster([post("1", a), post("2", b, 30)], workers=1)
    assert len(clusters) == 1
    assert clusters[0].members[1].merged_by == "address"


def test_repost_of_an_official_notice_stands_alone_when_it_asks_for_help() -> None:
    notice = "【郑州发布】防汛救援热线 0371-67180000，请市民注意安全，非必要不出行。"
    ask = "我家也被困了！郑州市二七区大学路78号院，三位老人，电话13900002222"
    other = "郑州市中原区桐柏路绿城小区2号楼被困四人 电话13700003333 求救援"
    posts = [repost("1", "n", notice, comment=ask), repost("2", "n", notice, comment=other)]
    clusters = merge.cluster(posts, workers=1)
    assert len(clusters) == 2  # the shared notice root must not merge the two requests


def test_minhash_is_deterministic_and_estimates_overlap() -> None:
    signatures = minhash.signatures([ORIGINAL, COPY, OTHER, ""])
    again = minhash.signatures([OTHER, ORIGINAL])
    assert (signatures[0] == again[1]).all()
    assert (signatures[2] == again[0]).all()
    assert minhash.similarity(signatures[0], signatures[1]) >= 0.7
    assert minhash.similarity(signatures[0], signatures[2]) < 0.3
    assert minhash.band_keys(signatures[3]) == []
    assert len(minhash.band_keys(signatures[0])) == minhash.BANDS


def _pairs(groups: Counter[object]) -> int:
    return sum(n * (n - 1) // 2 for n in groups.values())


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str | None]]:
    """A simulated stream of 1,500 posts and its truth."""
    out = tmp_path_factory.mktemp("help")
    start = datetime(2021, 7, 20, tzinfo=UTC)
    write_help_posts(out, rng=np.random.default_rng(7), city_adcode="410100", start=start,
                     n_posts=1500)  # fmt: skip
    truth = {}
    for line in (out / "help" / "truth.jsonl").read_bytes().splitlines():
        row = orjson.loads(line)
        truth[row["id"]] = row["request"]
    return out / "help" / "posts.jsonl", truth


def test_simulated_stream_merges_with_precision_and_recall(
    stream: tuple[Path, dict[str, str | None]],
) -> None:
    path, truth = stream
    clusters = merge.cluster(read_help_posts(path), workers=1)
    predicted = {m.post.post_id: n for n, c in enumerate(clusters) for m in c.members}
    both: Counter[object] = Counter()
    for post_id, request in truth.items():
        if request is not None and post_id in predicted:
            both[(predicted[post_id], request)] += 1
    agree = _pairs(both)
    precision = agree / _pairs(Counter(predicted.values()))
    recall = agree / _pairs(Counter(r for r in truth.values() if r is not None))
    assert precision >= 0.95
    assert recall >= 0.95
    # Help posts were told apart from prayers, news and notices.
    noise = [p for p, r in truth.items() if r is None]
    assert sum(p in predicted for p in noise) <= 0.05 * len(noise)


def test_parallel_extraction_gives_the_same_clusters(
    stream: tuple[Path, dict[str, str | None]],
) -> None:
    path, _ = stream
    posts = list(read_help_posts(path))
    one = _by_post(merge.cluster(posts, workers=1))
    two = _by_post(merge.cluster(posts, workers=2))
    assert one.keys() == two.keys()
    assert {(p, m.kind, m.merged_by) for p, (_, m) in one.items()} == {
        (p, m.kind, m.merged_by) for p, (_, m) in two.items()
    }


def test_a_history_reason_written_with_english_reads_in_chinese() -> None:
    """Entries written before the 处理记录 read in Chinese only show their Chinese."""
    assert history_reason("核实完成 verified") == "核实完成"
    assert history_reason("并入已核实的求助 #3 / merged with verified #3") == "并入已核实的求助 #3"
    assert history_reason("电话确认 verified by phone") == "电话确认 verified by phone"  # typed
    assert history_reason(None) == ""
