"""Reports (报告): the annual / quarterly influence report of one stored index run.

:mod:`~zhengwu.reports.model` reads a stored run (and the previous period's, for movement)
into a report model; :mod:`~zhengwu.reports.html` and :mod:`~zhengwu.reports.pdf` render it
as one self-contained HTML file and as a PDF; award lists (奖项) are data
(:mod:`~zhengwu.reports.awards`). Nothing is recomputed: every list is the index's own
stored ranking.
"""
