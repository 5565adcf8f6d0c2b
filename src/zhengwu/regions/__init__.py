"""Administrative divisions (行政区划) and location text → adcode.

Importing this package is cheap: the tables load on first use and stay cached.
"""

from zhengwu.regions.address import AddressMatch, resolve_address
from zhengwu.regions.changes import Change, changes, successor
from zhengwu.regions.codes import Level, normalize_code
from zhengwu.regions.table import (
    Division,
    RegionDataError,
    ancestors,
    children,
    current_adcode,
    divisions,
    get,
)
from zhengwu.regions.weibo import resolve_location, resolve_weibo_user, weibo_province

__all__ = [
    "AddressMatch",
    "Change",
    "Division",
    "Level",
    "RegionDataError",
    "ancestors",
    "changes",
    "children",
    "current_adcode",
    "divisions",
    "get",
    "normalize_code",
    "resolve_address",
    "resolve_location",
    "resolve_weibo_user",
    "successor",
    "weibo_province",
]
