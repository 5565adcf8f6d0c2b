"""Douyin (抖音): videos, image notes and creators from crawler exports and the web API."""

from zhengwu.platforms.douyin import importers as importers
