"""Keeps the ledger mirror current: one full walk the first time, then only what is new.

Katalo does not document its page order, so the first walk detects it from `created_at`:

- Oldest-first: follow `next_cursor` from where the last sync stopped. The cursor of the last page
  is kept, so the next sync re-reads that page (harmless: upserts) and finds what was appended.
- Newest-first: walk from the head down to `complete_through`, the newest event of the last
  complete sync (the first walk goes to the end). Stopping at "an event already stored" would not
  be safe: a sync killed halfway stores the newest events but not those just below them, and the
  next sync would stop at its own top page and leave that gap for ever. Every walk saves its cursor,
  its top event and its floor with each page, so an interrupted walk resumes where it stopped: the
  next run first catches up with the head (down to the walk's top), then goes on from the cursor.

A cursor that Katalo no longer accepts (404 or 400) restarts the walk from the head; what is stored
stays. Each page is stored with the new state in one transaction (see store.py).

Odd ledgers must neither poison, blind nor hold the mirror:

- A record that cannot be stored is set aside with its reason (records.py); the rest of its page is
  stored, and the summary and `last_error` name it.
- Time is not trusted blindly: an event dated after now (beyond FUTURE_SKEW) is stored and counted,
  but never becomes a walk's top or the watermark, and `complete_through` never passes now. A
  newest-first walk ends on reaching events that were already stored and lie at or below the
  watermark, not on dates alone.
- A ledger that never ends (repeated or empty pages under fresh cursors) is stopped (guard.py).
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.katalo.client import MAX_PAGE_LIMIT, WALK_RETRY, KataloClient
from bot.katalo.deadline import until
from bot.katalo.errors import KataloBadResponse, KataloError, KataloNotFound, KataloOutOfTime, KataloRejected
from bot.katalo.models import BillingEvent, EventsPage, PageOrder, order_between
from bot.katalo.transport import RetryPolicy
from bot.ledger.guard import WalkGuard
from bot.ledger.lock import SyncLock
from bot.ledger.queries import LedgerQueries
from bot.ledger.records import SetAside, describe, sort_page
from bot.ledger.store import LedgerStore, OwnershipLost

ANALYZE_AFTER = 10_000  # new events after which a sync refreshes the planner's statistics, then 2x, 4x…
VACUUM_ROOM = 10.0  # seconds a deadline-bound sync must have left to VACUUM (6 s at 1,000,000 events)
log = logging.getLogger(__name__)
# Clocks differ a little; an event dated further ahead of ours than this is "from the future".
FUTURE_SKEW = timedelta(minutes=5)
_EXAMPLES = 3  # set-aside records a report names; the rest are counted

PAGE_GRACE = 1.0  # seconds a page in flight at a sync's deadline may take to finish arriving


@dataclass
class SyncReport:
    """What one sync did; `complete` is True when the mirror caught up with the ledger."""

    pages: int = 0
    events_seen: int = 0
    events_new: int = 0
    complete: bool = False
    restarts: int = 0
    reached: datetime | None = None  # created_at of the last event walked, for progress displays
    skipped: str | None = None  # why the sync did nothing
    error: KataloError | None = None
    seconds: float = 0.0
    set_aside: int = 0  # records that could not be stored, kept aside (records.py)
    set_aside_examples: list[SetAside] = field(default_factory=list)
    future_dated: int = 0  # events dated after now: stored, never trusted as a watermark


ProgressCallback = Callable[[SyncReport], None]


class _Restart(Exception):
    """The walk's cursor expired: start the walk again from the beginning."""


class _Redispatch(Exception):
    """The page order was learnt mid-run: run again with the right walk."""


class _OutOfTime(Exception):
    """The caller's deadline passed between two pages."""


class LedgerSync:
    """Runs syncs of the billing ledger into the mirror."""

    def __init__(
        self,
        client: KataloClient,
        store: LedgerStore,
        *,
        page_limit: int = MAX_PAGE_LIMIT,
        retry: RetryPolicy = WALK_RETRY,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`monotonic` is the clock deadlines are read on (a test passes a fake one)."""
        self._client = client
        self._store = store
        self._limit = page_limit
        self._retry = retry
        self._lock = SyncLock(store.engine)
        self._now = now
        self._monotonic = monotonic

    def run(
        self,
        *,
        deadline: float | None = None,
        progress: ProgressCallback | None = None,
        retry: RetryPolicy | None = None,
        maintain: bool = False,
    ) -> SyncReport:
        """One sync; stops between pages once `deadline` (on the `monotonic` clock) has passed.

        `retry` bounds each page's waits (budget, 429s, backoff): a caller with a deadline passes one
        that fits it, since the deadline is only checked between pages. `maintain` (the clock's and the
        command's syncs, never a question's) also looks after the tables once caught up (`_maintain`).
        """
        started = self._monotonic()
        report = SyncReport()
        owner = uuid.uuid4().hex
        if not self._lock.try_acquire():
            report.skipped = "another sync is running"
            return report
        try:
            self._store.take_ownership(owner, self._now())
            # A page in flight at the deadline may finish within PAGE_GRACE (a healthy one takes ~0.1 s):
            # the request is paid for, and every run makes progress. A Katalo slower than that is cut.
            with until(None if deadline is None else deadline + PAGE_GRACE, clock=self._monotonic):
                _Walk(self, owner, report, deadline, progress or (lambda _: None), retry or self._retry).run()
            if maintain:
                self._maintain(report, deadline)
            if report.set_aside:  # the sync caught up, but the mirror's state must name what it left out
                sentence = describe(report.set_aside, report.set_aside_examples)
                with contextlib.suppress(OwnershipLost):  # a sync that took over will name them itself
                    self._store.update_state(owner, last_error=sentence[:300])
        except _OutOfTime:
            log.info("ledger sync stopped at its deadline after %d pages", report.pages)
        except OwnershipLost:
            report.skipped = "another sync took over"
        except KataloError as error:
            report.error = error
            log.warning("ledger sync failed after %d pages: %s", report.pages, error)
            with contextlib.suppress(OwnershipLost):  # the sync that took over will record its own
                self._store.update_state(owner, last_error=error.user_message[:300])
        finally:
            try:
                self._store.give_up_ownership(owner)
            finally:  # whatever the database did, the lock must not outlive this run
                self._lock.release()
                report.seconds = self._monotonic() - started
        return report

    def _maintain(self, report: SyncReport, deadline: float | None) -> None:
        """With the lock held, best effort (a failure is logged; the sync itself succeeded): the hour
        buckets checked against the day buckets (0.1 s on 1,000,000 events), and on PostgreSQL, after a
        sync that stored ANALYZE_AFTER events or more, a VACUUM, if VACUUM_ROOM seconds are left."""
        try:
            _repair_hours(self._store)
            room = deadline is None or deadline - self._monotonic() >= VACUUM_ROOM
            if report.events_new >= ANALYZE_AFTER and room:
                self._store.refresh_statistics(vacuum=True)
        except SQLAlchemyError as error:
            log.warning("looking after the ledger tables after the sync failed: %s", type(error).__name__)


def _repair_hours(store: LedgerStore) -> None:
    repaired = store.repair_hour_rollups()
    if repaired:  # not expected in a steady state: say so, with the days, so it can be traced
        days = ", ".join(f"{day:%Y-%m-%d}" for day in repaired[:10]) + (" …" if len(repaired) > 10 else "")
        log.warning(
            "the hour buckets of %d UTC day(s) did not add up to their day buckets (events stored by a "
            "version without them, during an upgrade?); summed again from the quarter hours: %s",
            len(repaired),
            days,
        )


class _Walk:
    """One run: which pages to read, and what state to write with each."""

    def __init__(
        self,
        sync: LedgerSync,
        owner: str,
        report: SyncReport,
        deadline: float | None,
        progress: ProgressCallback,
        retry: RetryPolicy,
    ) -> None:
        self.sync = sync
        self.retry = retry
        self.store = sync._store
        self.owner = owner
        self.report = report
        self.deadline = deadline
        self.progress = progress
        self.analyze_at = ANALYZE_AFTER  # doubled at each refresh: a long sync refreshes log2(n) times
        self.order: PageOrder | None = None

    def run(self) -> None:
        for _ in range(4):  # restarts and redispatches are rare; four rounds bound a pathological ledger
            state = self.store.state()
            self.order = state.page_order
            try:
                if self.order == "oldest_first":
                    self._walk(state.walk_cursor, state.walk_top, floor=None)
                elif state.walk_top is not None:  # an unfinished walk: first the new head, then go on
                    top = self._catch_up(state.walk_top) or state.walk_top
                    self._save(None, walk_top=top)
                    self._walk(state.walk_cursor, top, floor=state.walk_floor, resuming=True)
                else:  # a new walk from the head: down to the watermark, or (first time) the whole ledger
                    self._walk(None, None, floor=state.complete_through if state.backfill_done else None)
            except _Restart:
                self.report.restarts += 1
                # Only the walk starts over; a finished backfill stays finished, the watermark stands.
                self._save(
                    None,
                    walk_cursor=None,
                    walk_top=None,
                    walk_floor=None,
                    walks_restarted=state.walks_restarted + 1,
                )
                continue
            except _Redispatch:
                continue
            self.report.complete = True
            return
        raise KataloBadResponse(code="cursor_expired_repeatedly")

    def _walk(
        self, cursor: str | None, top: datetime | None, *, floor: datetime | None, resuming: bool = False
    ) -> None:
        """Follow cursors from `cursor`, saving where the walk is after every page, until it is done.

        Newest-first, it is done on reaching `floor` (the last complete sync's newest event) or the
        end; oldest-first, at the last page, whose cursor is kept for the next sync to re-read.
        """
        if resuming and cursor is None:  # the unfinished walk had already read its last page
            self._save(
                None,
                walk_cursor=None,
                walk_top=None,
                walk_floor=None,
                backfill_done=True,
                **self._success(top),
            )
            return
        for page, fetched_with in self._pages(cursor):
            trusted = self._trusted(page)
            if top is None and trusted:
                top = trusted[0].created_at
            self._learn_order(page, top)
            last = page.next_cursor is None
            if self.order == "oldest_first":
                newest = trusted[-1].created_at if trusted and last else None
                done = self._success(newest) if last else {}
                # At the last page, keep its cursor: the next sync re-reads it and finds what was appended.
                self._save(
                    page,
                    walk_cursor=page.next_cursor or fetched_with,
                    walk_top=top,
                    page_order=self.order,
                    **done,
                )
            elif last or (floor is not None and self._reaches(page, floor)):
                self._save(
                    page,
                    walk_cursor=None,
                    walk_top=None,
                    walk_floor=None,
                    page_order=self.order,
                    backfill_done=True,
                    **self._success(top),
                )
                return
            else:
                self._save(
                    page,
                    walk_cursor=page.next_cursor,
                    walk_top=top,
                    walk_floor=floor,
                    page_order=self.order,
                )

    def _catch_up(self, boundary: datetime) -> datetime | None:
        """From the head down to `boundary` (the unfinished walk's top), saving only events.

        It covers what arrived since the last run, which is small; its progress is not saved.
        Returns the newest event's time.
        """
        top: datetime | None = None
        for page, _ in self._pages(None):
            trusted = self._trusted(page)
            if top is None and trusted:
                top = trusted[0].created_at
            if self.order is None and self._learn_order(page, top) == "oldest_first":
                self._save(page, page_order=self.order, walk_cursor=None)
                raise _Redispatch  # a ledger too small to tell before turned out oldest-first
            reached = self._reaches(page, boundary)  # asked before this page is stored
            self._save(page)
            if reached:
                break
        return top

    def _trusted(self, page: EventsPage) -> list[BillingEvent]:
        """The page's events that are not dated in the future: only these may set a top or watermark."""
        horizon = self.sync._now() + FUTURE_SKEW
        return [event for event in page.events if event.created_at <= horizon]

    def _reaches(self, page: EventsPage, floor: datetime) -> bool:
        """Whether the page reaches what is already stored: an event at or below `floor` that the mirror
        holds. A date alone is not trusted: a wrong one must not end a walk above a gap."""
        below = [event.event_id for event in page.events if event.created_at <= floor]
        return bool(below) and self.store.stored_among(below)

    def _learn_order(self, page: EventsPage, top: datetime | None) -> PageOrder | None:
        """The ledger's order, from this page or, failing that, from the walk's first event."""
        if self.order is None:
            self.order = page.order
        if self.order is None and top is not None and page.events:
            self.order = order_between(top, page.events[-1].created_at)
        return self.order

    def _success(self, newest: datetime | None) -> dict[str, object]:
        """State of a sync that caught up; `newest` None (an empty last page) keeps complete_through."""
        now = self.sync._now()
        state: dict[str, object] = {"last_success_at": now, "last_error": None}
        if newest is not None:
            state["complete_through"] = min(newest, now)  # the watermark never runs ahead of now
        return state

    def _pages(self, cursor: str | None) -> Iterator[tuple[EventsPage, str | None]]:
        """Pages from `cursor`, each with the cursor that fetched it; an expired cursor restarts the walk."""
        pages = self.sync._client.iter_pages(cursor, limit=self.sync._limit, retry=self.retry)
        guard = WalkGuard(LedgerQueries(self.store.engine).event_count)
        while True:
            if self.deadline is not None and self.sync._monotonic() > self.deadline:
                raise _OutOfTime
            try:
                page = next(pages)
            except StopIteration:
                return
            except KataloOutOfTime:  # the deadline passed during a request: the same as between pages
                raise _OutOfTime from None
            except (KataloNotFound, KataloRejected) as error:
                if cursor is None:
                    raise
                log.warning("ledger cursor no longer accepted (%s); restarting the walk", error.code)
                raise _Restart from None
            self.report.pages += 1
            self.report.events_seen += len(page.events)
            self._note_future(page)
            if page.events:
                self.report.reached = page.events[-1].created_at
            new_before = self.report.events_new
            yield page, cursor
            guard.check(page, self.report.events_new - new_before)  # the caller has stored the page
            cursor = page.next_cursor

    def _note_future(self, page: EventsPage) -> None:
        future = [event for event in page.events if event.created_at > self.sync._now() + FUTURE_SKEW]
        if future:
            self.report.future_dated += len(future)
            log.warning(
                "ledger sync: %d event(s) dated in the future (%s at %s): stored, not trusted as a watermark",
                len(future),
                future[0].event_id,
                future[0].created_at.isoformat(),
            )

    def _save(self, page: EventsPage | None, **state: object) -> None:
        storable, aside = sort_page(page) if page is not None else ([], [])
        saved = self.store.save_page(self.owner, storable, self.sync._now(), aside=aside, **state)
        self.report.events_new += saved.new
        if self.report.events_new >= self.analyze_at:
            # Also during a long first sync: without statistics, PostgreSQL reads all of ledger_jobs
            # for each page's look-up of its jobs (a seq scan, 0.4 s a page at 800,000 events).
            self.store.refresh_statistics()
            self.analyze_at *= 2
        if saved.set_aside:
            self.report.set_aside += len(saved.set_aside)
            room = _EXAMPLES - len(self.report.set_aside_examples)
            self.report.set_aside_examples.extend(saved.set_aside[:room])
            for record in saved.set_aside:
                log.warning(
                    "ledger record %s set aside: %s", record.event_id or record.record_key, record.reason
                )
        self.progress(self.report)
