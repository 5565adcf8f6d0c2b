"""Open311 GeoReport v2 at ``/open311/v2/``: the interoperable citizen-request API.

Cities plug their existing apps into zhengwu through it: ``discovery``, ``services`` (the
category tree), service definitions (a category's extra questions), ``POST requests`` with
an API key, and public, masked ``GET requests``. XML (required by the spec) and JSON;
the quirks of old clients in the field are accepted (see :mod:`.views`).
"""
