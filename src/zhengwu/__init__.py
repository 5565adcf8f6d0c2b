"""zhengwu (政务): an open platform for government new-media accounts."""

__version__ = "0.1.0"
