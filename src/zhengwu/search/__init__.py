"""Search in Chinese (中文检索) across accounts, service requests, content items and posts.

``segment`` is the one analyzer; ``indexer`` keeps an inverted index in the operational DB
(accounts, requests, content); ``posts`` scans the DuckDB analytics store; ``service``
answers queries within what the principal may see (``access``); ``views`` is the JSON API.
"""
