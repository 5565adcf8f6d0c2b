"""Simulator (模拟数据): a realistic government account population in real platform formats.

``zhengwu simulate --scale city|province|national --days N --seed S --out DIR`` writes::

    DIR/
      orgs.csv                     org_id, name, level, sector, adcode, parent_id
      accounts.csv                 platform, uid, name, org_id, verified_type, created_at
      matrices.json                [{id, name, kind, adcode, sector, lead{platform,uid},
                                     members[{platform, uid, role}]}]
      weibo/users.jsonl            open API v2 user objects (users/show)
      weibo/statuses-YYYY-MM.jsonl open API v2 statuses with embedded user and
                                   retweeted_status (a deleted root as {"deleted":"1",…})
      wechat/articles.jsonl        wechat_spider export rows (one per article)
      douyin/aweme.jsonl           MediaCrawler aweme rows (+ play_count)
      douyin/creators.jsonl        MediaCrawler creator rows
      truth.json                   ground truth: window, rainstorm and its posters, dormant,
                                   zombie and replying accounts, counts

Runs are deterministic: the same arguments give the same bytes (every random draw comes
from ``numpy.random.PCG64`` keyed by the seed; times derive from ``--start``/``--days``).
Counts are observed at the window end. More streams (citizen requests, help posts) plug
in through :func:`zhengwu.simulate.streams.register_stream`.
"""

from zhengwu.simulate.config import SimulationConfig
from zhengwu.simulate.runner import SimulationResult, run_simulation
from zhengwu.simulate.streams import Stream, StreamContext, register_stream

__all__ = [
    "SimulationConfig",
    "SimulationResult",
    "Stream",
    "StreamContext",
    "register_stream",
    "run_simulation",
]
