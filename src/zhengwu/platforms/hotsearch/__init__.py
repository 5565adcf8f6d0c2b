"""Weibo hot search (微博热搜): daily archives of the trending list."""

from zhengwu.platforms.hotsearch import importers as importers
