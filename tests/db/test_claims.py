"""Insert-if-absent decides "exactly once" on both databases, even under concurrent callers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from bot.db.engine import open_database
from bot.db.receipts import EventReceipts

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)


def test_an_event_is_claimed_by_its_first_delivery_only(engine):
    """The first delivery of an event id wins; re-deliveries do not."""
    receipts = EventReceipts(engine)
    assert receipts.first_delivery("Ev1", NOW) is True
    assert receipts.first_delivery("Ev1", NOW) is False
    assert receipts.first_delivery("Ev2", NOW) is True


def test_concurrent_deliveries_from_several_processes_claim_once(engine, database_url):
    """Eight callers on four connections pools race for one event id: exactly one wins."""
    engines = [engine] + [open_database(database_url) for _ in range(3)]
    barrier = threading.Barrier(8)
    wins: list[bool] = []

    def deliver(receipts: EventReceipts) -> None:
        barrier.wait()
        wins.append(receipts.first_delivery("EvRACE", NOW))

    threads = [threading.Thread(target=deliver, args=(EventReceipts(engines[i % 4]),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in engines[1:]:
        other.dispose()
    assert sorted(wins) == [False] * 7 + [True]
