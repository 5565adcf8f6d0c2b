"""Service desk (诉求办理): citizens' requests from posts, forms, CSV and Open311.

Intake, de-duplication with provenance, personal-data masking, classification into the
category tree, jurisdiction, routing as data, the workflow (受理 转办 退单 协办 延期 督办
办结 回访 and citizen reopen) on a working-day calendar, public replies through the outbox,
rates (回应率 办结率 按时办结率 满意率) and the public board.
"""
