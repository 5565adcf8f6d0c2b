"""Weibo: open API v2 statuses/users, m.weibo.cn mblogs and the common crawlers' CSV files.

Importing the package registers its importers (``weibo-api``, ``weibo-mblog``,
``weibo-crawler-csv``, ``weibo-search-csv``, ``weibospider-csv``, ``weibo-cov-csv``).
"""

from zhengwu.platforms.weibo import crawlers, importers

__all__ = ["crawlers", "importers"]
