"""Platform payloads (Weibo, WeChat, Douyin …) turned into typed records at the edge.

Each platform is a package (``weibo/``, ``wechat/``, ``douyin/``) whose parsers turn one
payload into :mod:`zhengwu.platforms.records`; nothing past this package sees platform JSON.
"""
