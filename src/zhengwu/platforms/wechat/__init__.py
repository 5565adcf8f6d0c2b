"""WeChat official accounts (微信公众号): article lists, crawler exports, datacube statistics."""

from zhengwu.platforms.wechat import importers as importers
