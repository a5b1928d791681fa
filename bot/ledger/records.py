"""Which ledger records the mirror stores, and how it keeps those it cannot: set aside, verbatim.

A record is set aside (never stored as an event, never dropped) when:

- it is not a valid event at all (no `event_id`, a `created_at` that is not a time...);
- an amount (`amount_usd`, `unit_price_usd`) is not a finite number within ±AMOUNT_LIMIT_USD
  (1,000,000 USD per event). The column holds whole micro-dollars in a BIGINT (up to about 9.2e12
  dollars); the limit is far tighter so that sums stay exact: a million events at the limit still
  add up within BIGINT, where SQLite's integer SUM would otherwise fail for every later query;
- a text field holds a NUL character, which PostgreSQL text cannot store;
- the database refuses it for any other reason (store.py then tries the page row by row).

Each set-aside record is kept as received, re-serialized to JSON without loss (numbers keep every
digit, keys their order), with its reason, keyed by a hash of that text: re-reading a page sets a
record aside once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.katalo.models import BillingEvent, EventsPage

AMOUNT_LIMIT_USD = Decimal(1_000_000)
_MONEY_FIELDS = ("amount_usd", "unit_price_usd")
_TEXT_FIELDS = ("event_id", "job_id", "usage_type", "config_fingerprint", "source_asset_id")


@dataclass(frozen=True)
class SetAside:
    """A record the mirror keeps aside: its JSON text as received, why, and its event id if any."""

    record_key: str
    event_id: str | None
    reason: str
    raw: str


def sort_page(page: EventsPage) -> tuple[list[tuple[BillingEvent, Any]], list[SetAside]]:
    """(event, record) pairs fit to store, and the page's records set aside with their reasons."""
    storable: list[tuple[BillingEvent, Any]] = []
    aside = [set_aside(record, reason) for record, reason in page.rejected]
    for event, record in zip(page.events, _records_of(page), strict=True):
        reason = unstorable(event)
        if reason is None:
            storable.append((event, record))
        else:
            aside.append(set_aside(record, reason))
    return storable, aside


def unstorable(event: BillingEvent) -> str | None:
    """Why the mirror cannot store `event` as an event, or None when it can."""
    for field in _MONEY_FIELDS:
        amount: Decimal | None = getattr(event, field)
        if amount is not None and (not amount.is_finite() or abs(amount) > AMOUNT_LIMIT_USD):
            return f"{field} {amount} is outside the range the mirror keeps (±{AMOUNT_LIMIT_USD:,} USD)"
    for field in _TEXT_FIELDS:
        value: str | None = getattr(event, field)
        if value is not None and "\x00" in value:
            return f"{field} holds a NUL character, which the database cannot store"
    return None


def set_aside(record: Any, reason: str) -> SetAside:
    """A record kept aside with `reason`; its event id is taken when it has a usable one."""
    raw = dump_record(record)
    event_id = record.get("event_id") if isinstance(record, dict) else None
    usable_id = event_id if isinstance(event_id, str) and "\x00" not in event_id else None
    key = hashlib.sha256(raw.encode()).hexdigest()
    return SetAside(key, usable_id, reason[:300], raw)


def dump_record(value: Any) -> str:
    """JSON text of a record as the transport parsed it (decimals as Decimal), without losing a digit."""
    return "".join(_dump(value))


def describe(count: int, examples: list[SetAside]) -> str:
    """One sentence naming the records set aside, for the sync summary and `last_error`."""
    names = ", ".join(f"{r.event_id or 'a record without an event id'} ({r.reason})" for r in examples)
    more = f" and {count - len(examples):,} more" if count > len(examples) else ""
    records = "1 record" if count == 1 else f"{count:,} records"
    return f"{records} set aside, kept in ledger_set_aside: {names}{more}"


def _records_of(page: EventsPage) -> tuple[Any, ...]:
    # A page built in code rather than parsed from Katalo's answer has no records: use the events.
    return page.records or tuple(event.model_dump(mode="json") for event in page.events)


def _dump(value: Any) -> Iterator[str]:
    if isinstance(value, Decimal):
        # str() of a Decimal is a JSON number (1E+30, 0.40) except NaN/Infinity, which json.loads reads.
        yield str(value)
    elif isinstance(value, dict):
        yield "{"
        for n, (key, item) in enumerate(value.items()):
            yield ("," if n else "") + json.dumps(str(key)) + ":"
            yield from _dump(item)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for n, item in enumerate(value):
            yield "," if n else ""
            yield from _dump(item)
        yield "]"
    else:
        yield json.dumps(value)
