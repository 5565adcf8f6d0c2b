"""Weibo: open API v2 statuses/users, m.weibo.cn mblogs and the common crawlers' CSV files.

Importing the package registers its importers (``weibo-api``, ``weibo-mblog``,
``weibo-crawler-csv``, ``weibo-search-csv``, ``weibospider-csv``, ``weibo-cov-csv``,
``weibo-comments``, ``weibo-notes``).
"""

from zhengwu.platforms.weibo import comments, crawlers, importers, notes

__all__ = ["comments", "crawlers", "importers", "notes"]
