"""媒资库 — the content library: items with files, tags and labels, shared and distributed.

An item (稿件/素材) belongs to an organisation and, usually, a matrix; its files are stored
once by SHA-256 under ``data_dir/library``; labels from the fixed set 原创 首发 独家 权威 raise
it in listings and search; distribution plans one outbox message per chosen matrix account.
"""
