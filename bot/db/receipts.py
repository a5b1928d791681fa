"""Exactly-once handling of Slack Events API deliveries: the database decides who answers.

Bolt acknowledges events but does not de-duplicate them, and Slack re-sends an event up to three
times when it thinks the first went unanswered. Inserting the event_id is the claim: the unique key
lets exactly one delivery through, even when several processes share the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete

from bot.db.claims import insert_if_absent
from bot.db.schema import slack_event_receipts

KEEP_FOR = timedelta(days=1)  # Slack's last retry comes about 5 minutes after the first delivery


class EventReceipts:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._claims = 0

    def first_delivery(self, event_id: str, now: datetime) -> bool:
        """True exactly once per event_id: for the delivery that gets to answer it."""
        with self._engine.begin() as connection:
            claimed = insert_if_absent(connection, slack_event_receipts, event_id=event_id, received_at=now)
            self._claims += 1
            if self._claims % 500 == 0:  # prune now and then, not on every event
                connection.execute(
                    delete(slack_event_receipts).where(slack_event_receipts.c.received_at < now - KEEP_FOR)
                )
        return claimed
