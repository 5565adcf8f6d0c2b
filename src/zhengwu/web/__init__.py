"""The ASGI app: JSON API, console, public pages and Open311 under one server."""
