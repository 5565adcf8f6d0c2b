"""Messages zhengwu sends back to platforms: public replies, closing notices, distribution.

Everything outbound is queued in the ``outbox`` table in the same transaction as the action
that caused it, then delivered by a connector (one small class per channel, as
FixMyStreet's senders). The default connector records deliveries without sending them.
"""
