"""Plain data the builders show, handed up by the stores and services that gather it.

Ledger figures (`Tally`, `WindowTotals`, `JobTotal`, spend's `SpendTotals`, `SpendRow`, `DaySpend`)
and how fresh they are (`Freshness`), a
digest's figures (`DigestFigures`), and a channel's digest subscription (`Subscription`,
`PostedDigest`). Frozen records with no I/O: the Block Kit builders take them without importing the
ledger, the database or the digest services (tests/test_layers.py keeps it so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.katalo.cache import Fetched
from bot.katalo.errors import KataloError
from bot.katalo.models import UsageSummary


@dataclass(frozen=True)
class Freshness:
    """How current the mirror is after `ensure_fresh`."""

    complete: bool  # the mirror caught up with the ledger within the time limit
    synced_at: datetime | None  # when a sync last caught up
    complete_through: datetime | None  # the newest event the mirror knows to be complete up to
    error: KataloError | None = None  # why it could not catch up, when Katalo failed


@dataclass(frozen=True)
class Tally:
    """How many events, and their exact amount in dollars."""

    events: int
    amount_usd: Decimal


@dataclass(frozen=True)
class WindowTotals:
    start: datetime
    end: datetime
    overall: Tally
    by_usage_type: dict[str | None, Tally]
    by_billable: dict[bool | None, Tally]


@dataclass(frozen=True)
class JobTotal:
    job_id: str
    events: int
    amount_usd: Decimal


@dataclass(frozen=True)
class LedgerCheck:
    """The digest's one-line reconciliation: the usage summary it read against the mirror's period.

    It costs no Katalo request of its own; the previous difference is the one the last
    `/katalo reconcile` recorded for the period (bot/db/reconcile_checks.py), None before any.
    """

    consumed: Decimal  # the summary's usage.consumed
    billable_events: int  # the mirror's billable events of the billing period created before `counted_before`
    amount_usd: Decimal  # their amount, with the period's unbilled events
    previous_difference: Decimal | None
    previous_at: datetime | None
    counted_before: datetime | None = None  # when Katalo's figures were read (the summary's fetched_at)
    mirror_through: datetime | None = None  # the mirror holds every event created before this (its last sync)

    @property
    def difference(self) -> Decimal:
        """Consumed units minus billable events, as `/katalo reconcile` computes it."""
        return self.consumed - self.billable_events

    @property
    def mirror_behind(self) -> timedelta | None:
        """How far the mirror's completeness trails Katalo's figures; None when it covers their moment.

        Only then do the two sides count the same events; before, the difference means nothing.
        """
        if self.counted_before is None or (
            self.mirror_through is not None and self.mirror_through >= self.counted_before
        ):
            return None
        return self.counted_before - self.mirror_through if self.mirror_through else timedelta.max


@dataclass(frozen=True)
class Projection:
    per_day: Decimal  # billable events a day over the trailing week
    run_out: date | None  # local date the included units run out at that pace; None: not this period


@dataclass(frozen=True)
class DigestFigures:
    local_date: date
    zone: tzinfo
    window: tuple[datetime, datetime]
    day: WindowTotals
    jobs: int
    top_jobs: list[JobTotal]
    summary: Fetched[UsageSummary] | None
    summary_error: KataloError | None
    projection: Projection | None
    freshness: Freshness
    as_of: datetime
    set_aside: int = 0  # ledger records the mirror could not store (kept in ledger_set_aside)
    ledger_check: LedgerCheck | None = None  # None: no summary or no billing period to check against

    @property
    def provisional(self) -> bool:
        """True when the mirror may not yet hold all of the day's events."""
        synced = self.freshness.synced_at
        return not self.freshness.complete or synced is None or synced < self.window[1]


@dataclass(frozen=True)
class Subscription:
    channel_id: str
    local_time: time
    zone: ZoneInfo
    enabled: bool
    failing_since: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class PostedDigest:
    local_date: date
    message_ts: str | None
    posted_at: datetime | None
    late: bool


@dataclass(frozen=True)
class SpendTotals:
    amount_usd: Decimal
    billable_events: int
    unbilled_events: int  # billable false, or not stated
    jobs: int  # distinct jobs with at least one event

    @property
    def events(self) -> int:
        return self.billable_events + self.unbilled_events


@dataclass(frozen=True)
class SpendRow:
    """One row of a breakdown: its key (None when the ledger left it empty), amount and event count."""

    key: str | None
    amount_usd: Decimal
    events: int


@dataclass(frozen=True)
class DaySpend:
    day: date
    amount_usd: Decimal
    events: int


@dataclass(frozen=True)
class ChangedEvent:
    """An event Katalo now serves differently from the mirror's copy: which fields differ."""

    event_id: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Reread:
    """The newest ledger pages read again from Katalo, compared with the stored events."""

    events: int  # events on the pages re-read
    oldest: datetime | None  # created_at of the oldest of them
    newest: datetime | None
    missing: tuple[str, ...]  # on Katalo's pages, absent from the mirror though it claims them complete
    not_yet_mirrored: int  # on Katalo's pages, newer than the mirror's completeness time
    changed: tuple[ChangedEvent, ...]
    extra: tuple[str, ...]  # in the mirror, within the pages' span, but not on Katalo's pages

    @property
    def agrees(self) -> bool:
        return not (self.missing or self.changed or self.extra)


@dataclass(frozen=True)
class Reconciliation:
    """What `/katalo reconcile` found for the current billing period."""

    period: tuple[datetime, datetime] | None  # the summary's billing period; None when it names none
    mirror: SpendTotals | None  # the mirror's figures for the period
    consumed: Decimal  # the summary's usage.consumed
    previous_difference: Decimal | None  # consumed - billable events at the last check of the period
    previous_at: datetime | None
    complete_through: datetime | None
    synced_at: datetime | None
    last_error: str | None
    reread: Reread
    set_aside: int
    as_of: datetime
    counted_before: datetime | None = None  # the summary's fetched_at: events are counted up to it
    caught_up: bool = True  # the mirror, with the re-read pages, holds every event created before it
    from_pages: int = 0  # of the billable events counted, those only on the re-read pages (not yet mirrored)

    @property
    def difference(self) -> Decimal | None:
        """Consumed units minus the billable events before the summary's moment; None when not judged."""
        if self.mirror is None or not self.caught_up:
            return None
        return self.consumed - self.mirror.billable_events

    @property
    def difference_changed(self) -> bool:
        return (
            self.previous_difference is not None
            and self.difference is not None
            and self.difference != self.previous_difference
        )
