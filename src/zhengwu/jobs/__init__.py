"""Periodic jobs (后台任务): search index refresh, scheduled distributions, outbox, escalation.

``registry`` declares the jobs (name, default interval, one transaction's worth of work);
``runner`` runs them — once (``zhengwu worker --once``, cron), or in a loop when due
(``zhengwu worker``, or a background thread of ``zhengwu serve``).
"""
