"""Rate limits (限流) shared by every server process: login attempts and public submissions.

``service`` counts events per (scope, key) in windows of the ``rate_limit_windows`` table,
so that ``zhengwu serve --workers N`` and several servers behind a proxy share one limit;
with ``ZHENGWU_RATE_LIMIT_STORE=memory`` each process counts on its own.
"""
