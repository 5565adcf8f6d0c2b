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
      weibo/comments-YYYY-MM.jsonl MediaCrawler Weibo comment rows under the government
                                   statuses of the month: citizens' comments and the
                                   replying accounts' own replies (weibo_comments.py)
      weibo/hot-search/YYYY-MM-DD.json  the day's Weibo hot-search archive (热搜, a JSON
                                   array as justjavac/weibo-trending-hot-search keeps it),
                                   the rainstorm's hashtag on its days (hotsearch.py)
      wechat/articles.jsonl        wechat_spider export rows (one per article)
      douyin/aweme.jsonl           MediaCrawler aweme rows (+ play_count)
      douyin/creators.jsonl        MediaCrawler creator rows
      requests/                    citizens' requests to the struck city's accounts
                                   (Weibo statuses, 12345 and form CSVs, handling events,
                                   their own truth.jsonl) — zhengwu.simulate.requests
      help/posts.jsonl, truth.jsonl  help posts (求助, #<city>暴雨互助#) during the
                                   rainstorm; official notices among them are posted by
                                   the city's own 发布 and 应急管理 Weibo accounts
                                   — zhengwu.simulate.helpposts
      truth.json                   ground truth: window, scope, rainstorm and its posters,
                                   dormant (no post in the last 14 days), never-posting,
                                   zombie and replying accounts, counts per platform
                                   (and of comments and own replies), hot-search days
                                   and entries

Runs are deterministic: the same arguments give the same bytes (every random draw comes
from ``numpy.random.PCG64`` keyed by the seed and a label; times derive from
``--start``/``--days``, never from the clock; worker processes render independent chunks
and change nothing). Counts are observed at the window end. A new stream is a class with
``name`` and ``write(ctx: StreamContext)``, added with
:func:`zhengwu.simulate.streams.register_stream`; it runs after the built-in ones.
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
from zhengwu.simulate import citizens as _citizens  # noqa: F401 - registers streams
