"""The registry of metrics an indicator can use: named SQL over an account's window of data.

A metric is an SQL expression over *base aggregates*. Base aggregates of the ``posts``
source are computed for every account in ONE ``GROUP BY platform, account_uid`` pass over
the posts of the window; metrics only combine them, so ten metrics over reads, likes and
posts still cost one scan and the few aggregates they share. Two other sources are joined
per account: ``followers`` (one pass over ``account_snapshots``) and ``service`` (the
service-desk rates of the account's organisation, see :mod:`zhengwu.index.service_source`).

NULL means *no data* (for example reads per post of an account that published nothing, or
reads on a platform that does not show them); zero means *measured and zero*. An
indicator whose metric is NULL for an account is left out of that account's dimension and
the remaining weights are re-normalised (the result records it).

Own replies (互动力): an account's own replies are

* its posts whose text starts with ``回复@`` — Weibo's form of a reply that is also posted
  to the timeline (同时转发), seen in every timeline import; plus
* the rows in the window of ``account_replies(platform VARCHAR, account_uid VARCHAR,
  created_at TIMESTAMP)``, one row per reply the account wrote as a comment. The analytics
  store defines it as a view over the ``comments`` table (filled by the ``weibo-comments``
  importer): every comment whose author uid is the account's uid, except those the
  account also posted to its timeline as a ``回复@`` post (same author, same reply text,
  created within 10 minutes of each other), which are already counted as posts. A store
  may instead hold a table of that name from another source.

A comment author who is not an account of the index (a citizen) is no account's reply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from zhengwu.content.store import REPLIES_VIEW
from zhengwu.content.store import REPLY_PREFIX as REPLY_PREFIX
from zhengwu.errors import NotFoundError, did_you_mean
from zhengwu.index.dialect import DUCKDB, Dialect

Source = Literal["posts", "followers", "service"]
REPLIES_TABLE = REPLIES_VIEW  # the own-reply extension point (see the module docstring)
# Service hashtags (without #); a trailing * matches any topic starting with the rest.
DEFAULT_SERVICE_TOPICS: tuple[str, ...] = (
    "马上办",
    "马上就办",
    "接诉即办",
    "你好，我是*",
    "12345*",
    "我为群众办实事",
)
COUNT_FIELDS = ("reads", "plays", "views", "reposts", "comments", "likes", "shares", "zaikan")
_FIELD_ZH = {
    "reads": "阅读",
    "plays": "播放",
    "views": "阅读或播放",
    "reposts": "转发",
    "comments": "评论",
    "likes": "点赞",
    "shares": "分享",
    "zaikan": "在看",
}


@dataclass(frozen=True, slots=True)
class Metric:
    """A named per-account measure of a window: SQL over base aggregates of one source."""

    name: str
    title_zh: str
    meaning: str
    source: Source
    needs: tuple[str, ...]  # base aggregates the expression reads
    # Expression over the base columns; ``{days}`` is the window length, ``{active_days}``
    # the number of days with a post (see :mod:`zhengwu.index.dialect`).
    sql: str
    # The meaning in Chinese, the language of reports and the console (``meaning`` is the
    # English one, for ``--lang en``). A plugin metric without it shows ``meaning`` as given.
    meaning_zh: str = ""

    def meaning_in(self, lang: str = "zh") -> str:
        """Return the meaning in ``lang`` (``zh`` or ``en``); Chinese falls back to English."""
        return self.meaning if lang == "en" else (self.meaning_zh or self.meaning)

    def expression(self, days: int, dialect: Dialect = DUCKDB) -> str:
        """Return the SQL expression for ``dialect`` with the window length filled in."""
        sql = dialect.portable(self.sql, f"指标度量 / metric {self.name!r}")
        return sql.replace("{days}", dialect.days(days)).replace(
            "{active_days}", dialect.active_days("day_bits")
        )


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def service_topic_filter(topics: Iterable[str], dialect: Dialect = DUCKDB) -> str:
    """Return the SQL condition "the post carries one of these service topics"."""
    exact = [t for t in topics if not t.endswith("*")]
    prefixes = [t[:-1] for t in topics if t.endswith("*")]
    # One list_contains per exact topic: measured on 10 M posts it costs a third of one
    # list_has_any (which builds a set per row); OR skips the later tests for rows already
    # true, so the prefix lambda runs only for posts without an exact service topic.
    parts = [dialect.list_contains("topics", _sql_str(t)) for t in exact]
    if prefixes:
        test = " OR ".join(dialect.starts_with("t", _sql_str(p)) for p in prefixes)
        parts.append(dialect.list_any("topics", "t", test))
    # CASE evaluates the list tests only for posts that have topics (most have none).
    return (
        f"CASE WHEN {dialect.list_len('topics')} > 0 THEN {' OR '.join(parts)} ELSE false END"
        if parts
        else "false"
    )


def _value(field: str) -> str:
    # "views" is reads where the platform shows reads and plays where it shows plays.
    return "coalesce(reads, plays)" if field == "views" else field


def posts_base_aggregates(
    days: int, service_topics: Iterable[str], dialect: Dialect = DUCKDB
) -> dict[str, str]:
    """Return every base aggregate of the posts source as name → SQL aggregate."""
    reply = dialect.starts_with("text", _sql_str(REPLY_PREFIX))
    base = {
        "n_posts": "count(*)",
        "n_original": "count(*) FILTER (WHERE coalesce(is_original, NOT coalesce(is_repost, false)))",
        # The days with a post (``day_index``: filled in by the caller).
        "day_bits": dialect.day_bits("day_index", days),
        "own_replies": f"count(*) FILTER (WHERE {reply})",
        "service_posts": f"count(*) FILTER (WHERE {service_topic_filter(service_topics, dialect)})",
    }
    for field in COUNT_FIELDS:
        value = _value(field)
        base[f"{field}_sum"] = f"sum({value})"
        base[f"{field}_max"] = f"max({value})"
        base[f"{field}_n"] = f"count({value})"
    return base


FOLLOWER_BASES = ("followers_end", "followers_start")
SERVICE_BASES = (
    "response_rate",
    "resolution_rate",
    "ontime_rate",
    "satisfaction_rate",
    "service_requests",
)


def _counts(field: str) -> list[Metric]:
    zh = _FIELD_ZH[field]
    # No post → 0 (measured: nothing published); posts without the count → NULL (unseen).
    total = f"CASE WHEN n_posts = 0 THEN 0 ELSE {field}_sum END"
    return [
        Metric(f"{field}_sum", f"{zh}总数", f"total {field} of the window's posts", "posts",
               ("n_posts", f"{field}_sum"), total,
               meaning_zh=f"窗口内发文的{zh}数之和"),
        Metric(f"{field}_per_day", f"日均{zh}", f"total {field} divided by the days of the window",
               "posts", ("n_posts", f"{field}_sum"), f"({total}) / {{days}}",
               meaning_zh=f"{zh}总数除以窗口天数"),
        Metric(f"{field}_per_post", f"篇均{zh}", f"mean {field} per post that shows the count",
               "posts", (f"{field}_sum", f"{field}_n"), f"{field}_sum / nullif({field}_n, 0)",
               meaning_zh=f"显示该计数的发文平均每篇的{zh}数"),
        Metric(f"{field}_peak", f"单篇最高{zh}", f"largest {field} of a single post", "posts",
               ("n_posts", f"{field}_max"), f"CASE WHEN n_posts = 0 THEN 0 ELSE {field}_max END",
               meaning_zh=f"窗口内单篇发文的最高{zh}数"),
    ]  # fmt: skip


def _builtin() -> list[Metric]:
    metrics = [
        Metric("posts", "发文数", "posts published in the window (reposts included)", "posts",
               ("n_posts",), "n_posts",
               meaning_zh="窗口内发布的发文数（含转发）"),
        Metric("posts_per_day", "日均发文", "posts divided by the days of the window", "posts",
               ("n_posts",), "n_posts / {days}",
               meaning_zh="发文数除以窗口天数"),
        Metric("original_ratio", "原创率",
               "share of posts that are original (WeChat 原创 mark; on other platforms: not a repost)",
               "posts", ("n_posts", "n_original"), "n_original / nullif(n_posts, 0)",
               meaning_zh="原创发文所占比例（微信按“原创”标记；其他平台按非转发计）"),
        Metric("active_days", "活跃天数", "days (China time) with at least one post", "posts",
               ("day_bits",), "coalesce({active_days}, 0)",
               meaning_zh="有发文的天数（北京时间）"),
        Metric("active_ratio", "活跃天数占比", "active days divided by the days of the window",
               "posts", ("day_bits",), "coalesce({active_days}, 0) / {days}",
               meaning_zh="活跃天数除以窗口天数"),
        Metric("interactions_per_post", "篇均互动",
               "reposts + comments + likes per post", "posts",
               ("n_posts", "reposts_sum", "comments_sum", "likes_sum"),
               "(coalesce(reposts_sum, 0) + coalesce(comments_sum, 0) + coalesce(likes_sum, 0))"
               " / nullif(n_posts, 0)",
               meaning_zh="平均每篇的转发 + 评论 + 点赞数"),
        # Only when every post shows its reads or plays: a ratio over a partial sum would
        # inflate it (and a separate filtered sum would cost one more aggregate per post).
        Metric("likes_per_read", "阅读点赞率",
               "likes per read (per play on video platforms); no data unless every post of "
               "the window shows its reads or plays", "posts",
               ("n_posts", "views_n", "likes_sum", "views_sum"),
               "CASE WHEN views_n = n_posts THEN likes_sum / nullif(views_sum, 0) END",
               meaning_zh="每次阅读（视频平台为每次播放）的点赞数；窗口内须每篇发文都显示阅读或播放数，否则无数据"),
        Metric("own_replies", "自身回复数",
               f"the account's own replies: posts whose text starts with {REPLY_PREFIX}, plus "
               f"the comments it wrote ({REPLIES_TABLE}: imported weibo-comments, a comment "
               f"also posted as a {REPLY_PREFIX} post counted once)", "posts",
               ("own_replies",), "own_replies",
               meaning_zh=f"账号自身的回复：正文以 {REPLY_PREFIX} 开头的发文，加上账号所写的评论（{REPLIES_TABLE}：导入的微博评论；同时以 {REPLY_PREFIX} 发文的评论只计一次）"),
        Metric("own_replies_per_day", "日均自身回复", "own replies divided by the days of the window",
               "posts", ("own_replies",), "own_replies / {days}",
               meaning_zh="自身回复数除以窗口天数"),
        Metric("service_posts", "服务类发文数",
               "posts carrying a service hashtag (#马上办#, #你好，我是…# …)", "posts",
               ("service_posts",), "service_posts",
               meaning_zh="带服务类话题（#马上办#、#你好，我是…# 等）的发文数"),
        Metric("service_posts_per_day", "日均服务类发文",
               "service-hashtag posts divided by the days of the window", "posts",
               ("service_posts",), "service_posts / {days}",
               meaning_zh="服务类话题发文数除以窗口天数"),
        Metric("followers", "粉丝数", "followers at the end of the window (last snapshot)",
               "followers", ("followers_end",), "followers_end",
               meaning_zh="窗口结束时的粉丝数（最后一次快照）"),
        Metric("follower_growth", "粉丝增量",
               "followers at the end minus followers at the start (last snapshot before the "
               "window, else the first inside it)", "followers",
               ("followers_end", "followers_start"), "followers_end - followers_start",
               meaning_zh="窗口结束时的粉丝数减去开始时的粉丝数（取窗口前最后一次快照，没有时取窗口内第一次）"),
        Metric("follower_growth_rate", "粉丝增长率", "follower growth divided by the start count",
               "followers", ("followers_end", "followers_start"),
               "(followers_end - followers_start) / nullif(followers_start, 0)",
               meaning_zh="粉丝增量除以开始时的粉丝数"),
        Metric("response_rate", "回应率", "service desk: share of requests answered", "service",
               ("response_rate",), "response_rate",
               meaning_zh="政务服务台：已回应诉求所占比例"),
        Metric("resolution_rate", "办结率", "service desk: share of requests resolved", "service",
               ("resolution_rate",), "resolution_rate",
               meaning_zh="政务服务台：已办结诉求所占比例"),
        Metric("ontime_rate", "按时办结率", "service desk: share resolved within the deadline",
               "service", ("ontime_rate",), "ontime_rate",
               meaning_zh="政务服务台：在期限内办结的诉求所占比例"),
        Metric("satisfaction_rate", "满意率", "service desk: share of follow-ups satisfied",
               "service", ("satisfaction_rate",), "satisfaction_rate",
               meaning_zh="政务服务台：回访中表示满意的比例"),
        Metric("service_requests", "诉求量", "service desk: requests handled in the window",
               "service", ("service_requests",), "service_requests",
               meaning_zh="政务服务台：窗口内受理的诉求数"),
    ]  # fmt: skip
    for field in COUNT_FIELDS:
        metrics.extend(_counts(field))
    return metrics


_REGISTRY: dict[str, Metric] = {m.name: m for m in _builtin()}
METRICS: Mapping[str, Metric] = _REGISTRY


def get_metric(name: str) -> Metric:
    """Return the metric called ``name``; the error lists the known names."""
    try:
        return _REGISTRY[name]
    except KeyError:
        close_zh, close_en = did_you_mean(name, sorted(_REGISTRY))
        raise NotFoundError(
            f"未知指标度量 {name!r}{close_zh}；可用：{', '.join(sorted(_REGISTRY))}",
            f"unknown metric {name!r}{close_en}; known metrics: {', '.join(sorted(_REGISTRY))}",
        ) from None


def register_metric(metric: Metric) -> None:
    """Add a metric to the registry (for plugins); an existing name is refused."""
    known_bases = set(posts_base_aggregates(1, ())) | set(FOLLOWER_BASES) | set(SERVICE_BASES)
    unknown = [b for b in metric.needs if b not in known_bases]
    if metric.name in _REGISTRY or unknown:
        raise ValueError(f"cannot register metric {metric.name!r} (duplicate or bases {unknown})")
    _REGISTRY[metric.name] = metric
