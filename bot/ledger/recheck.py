"""Katalo's newest ledger pages, read again, against the events the mirror stored: what differs.

The pages are compared by event_id. An event on them that the mirror lacks is *missing* when it is
older than the mirror's completeness time (the mirror claims it), and merely *not yet mirrored* when
newer. A stored event is *extra* when it lies inside the span the pages cover but is not on them; at
a span's cut (where a further page goes on) events sharing the cut's instant may sit on the next page,
so the cut itself is left out. Which end of the span is open depends on the order Katalo serves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, select

from bot.db.schema import ledger_events
from bot.figures import ChangedEvent, Reread
from bot.katalo.models import BillingEvent, PageOrder

COMPARED = ("amount_usd", "billable", "usage_type", "config_fingerprint", "job_id")
_E = ledger_events.c


def compare_pages(
    engine: Engine,
    events: Sequence[BillingEvent],
    *,
    order: PageOrder | None,
    reached_end: bool,
    complete_through: datetime | None,
) -> Reread:
    """Compare the re-read `events` (first pages in Katalo's `order`) with the stored ones."""
    if not events:
        return Reread(0, None, None, (), 0, (), ())
    oldest, newest = min(e.created_at for e in events), max(e.created_at for e in events)
    # The pages start at one end of the ledger: that side is open. The other is a cut unless the
    # pages reached the ledger's end, in which case both are.
    low_open = order == "oldest_first" or (order == "newest_first" and reached_end)
    high_open = order == "newest_first" or (order == "oldest_first" and reached_end)
    read = {event.event_id: event for event in events}
    with engine.connect().execution_options(readonly=True) as connection:
        stored_rows = connection.execute(select(*_COLUMNS).where(_E.event_id.in_(list(read)))).all()
        window = select(_E.event_id)
        if not low_open:
            window = window.where(_E.created_at > oldest)
        if not high_open:
            window = window.where(_E.created_at < newest)
        in_window = [row.event_id for row in connection.execute(window.order_by(_E.created_at))]
    stored = {row.event_id: BillingEvent.model_validate(dict(row._mapping)) for row in stored_rows}
    absent = [event for event in events if event.event_id not in stored]
    claimed = [e for e in absent if complete_through is not None and e.created_at <= complete_through]
    changed = [
        ChangedEvent(event_id, fields)
        for event_id, event in read.items()
        if event_id in stored and (fields := _differing(event, stored[event_id]))
    ]
    return Reread(
        events=len(events),
        oldest=oldest,
        newest=newest,
        missing=tuple(e.event_id for e in claimed),
        not_yet_mirrored=len(absent) - len(claimed),
        changed=tuple(changed),
        extra=tuple(event_id for event_id in in_window if event_id not in read),
    )


_COLUMNS = [column for column in ledger_events.c if column.name != "stored_at"]


def _differing(served: BillingEvent, stored: BillingEvent) -> tuple[str, ...]:
    return tuple(name for name in COMPARED if getattr(served, name) != getattr(stored, name))
