"""The mirror's figures at the moment Katalo's usage summary was read, so that the two can be compared.

Katalo's `usage.consumed` is as of the summary's fetch; the mirror is complete as of its last sync.
Set side by side as they are, any event created between those two moments reads as a change in their
difference. So both are counted at one moment, the summary's `fetched_at`:

- the mirror's events of the billing period created *before* it (`start <= created_at < fetched_at`),
- and only when the mirror holds every event created before it: its last sync ended at or after it,
  or (for `/katalo reconcile`) the ledger pages read again after the summary reach down to what the
  mirror holds, so that the mirror and those pages together are complete.

What this assumes, since Katalo documents neither: that `consumed` counts exactly the billable events
created before Katalo answered (it does not lag its own ledger), and that Katalo's clock and the bot's
agree to within the fraction of a second a request takes. If either fails, the events in the gap (made
within that fraction of a second of the fetch, or not yet counted by Katalo) show as a change of that
many units between two checks, one that does not last: it moves with the events in flight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, select

from bot.db.schema import ledger_events
from bot.katalo.models import BillingEvent, PageOrder


def counted_window(start: datetime, end: datetime, moment: datetime) -> tuple[datetime, datetime]:
    """The part of the billing period [start, end) before `moment`: what Katalo had counted by then."""
    cut = min(end, moment)
    return start, max(start, cut)


def pages_cover(
    events: Sequence[BillingEvent],
    *,
    order: PageOrder | None,
    reached_end: bool,
    complete_through: datetime | None,
) -> bool:
    """Whether pages read from the head of the ledger hold every event the mirror may lack.

    True when they are the whole ledger, or, served newest first, when they reach down to the mirror's
    watermark (every event created at or before `complete_through` is stored).
    """
    if reached_end:
        return True
    if order != "newest_first" or complete_through is None or not events:
        return False
    return min(event.created_at for event in events) <= complete_through


@dataclass(frozen=True)
class PagesTally:
    """Events on re-read pages that the mirror does not hold yet, within a window."""

    billable: int = 0
    unbilled: int = 0
    amount_usd: Decimal = Decimal("0.00")


def not_yet_mirrored(
    engine: Engine,
    events: Sequence[BillingEvent],
    window: tuple[datetime, datetime],
    complete_through: datetime | None,
) -> PagesTally:
    """The re-read events in [start, end) newer than the watermark that the mirror does not hold.

    An absent event at or below the watermark is *missing* (the re-read names it), not counted here:
    the mirror claims it, so its absence is a real difference.
    """
    start, end = window
    floor = complete_through
    newer = [e for e in events if start <= e.created_at < end and (floor is None or e.created_at > floor)]
    if not newer:
        return PagesTally()
    ids = [event.event_id for event in newer]
    with engine.connect().execution_options(readonly=True) as connection:
        stored = set(
            connection.execute(
                select(ledger_events.c.event_id).where(ledger_events.c.event_id.in_(ids))
            ).scalars()
        )
    absent = {event.event_id: event for event in newer if event.event_id not in stored}.values()
    billable = sum(1 for event in absent if event.billable is True)
    amount = sum((event.amount_usd or Decimal(0) for event in absent), Decimal("0.00"))
    return PagesTally(billable, len(absent) - billable, amount)
