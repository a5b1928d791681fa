"""Keeps the ledger mirror current: one full walk the first time, then only what is new.

Katalo does not document its page order, so the first walk detects it from `created_at`:

- Oldest-first: follow `next_cursor` from where the last sync stopped. The cursor of the last page
  is kept, so the next sync re-reads that page (harmless: upserts) and finds what was appended.
- Newest-first: walk from the start until a page reaches `complete_through`, the newest event of the
  last complete sync; everything older is stored. Stopping at "an event already stored" would not be
  safe: a sync killed halfway stores the newest events but not those just below them, and the next
  sync would stop at its own top page and leave that gap for ever. The first (backfill) walk keeps
  its cursor and its top event, so a killed backfill first catches up with the head, then goes on.

A cursor that Katalo no longer accepts (404 or 400) restarts the walk from the beginning; what is
stored stays. Each page is stored with the new state in one transaction (see store.py).
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.katalo.client import MAX_PAGE_LIMIT, WALK_RETRY, KataloClient
from bot.katalo.errors import KataloBadResponse, KataloError, KataloNotFound, KataloRejected
from bot.katalo.models import BillingEvent, EventsPage, PageOrder, order_between
from bot.katalo.transport import RetryPolicy
from bot.ledger.lock import SyncLock
from bot.ledger.store import LedgerStore, OwnershipLost

log = logging.getLogger(__name__)


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
    ) -> None:
        self._client = client
        self._store = store
        self._limit = page_limit
        self._retry = retry
        self._lock = SyncLock(store.engine)
        self._now = now

    def run(
        self,
        *,
        deadline: float | None = None,
        progress: ProgressCallback | None = None,
        retry: RetryPolicy | None = None,
    ) -> SyncReport:
        """One sync; stops between pages once `deadline` (time.monotonic()) has passed.

        `retry` bounds each page's waits (budget, 429s, backoff): a caller with a deadline passes one
        that fits it, since the deadline is only checked between pages.
        """
        started = time.monotonic()
        report = SyncReport()
        owner = uuid.uuid4().hex
        if not self._lock.try_acquire():
            report.skipped = "another sync is running"
            return report
        try:
            self._store.take_ownership(owner, self._now())
            _Walk(self, owner, report, deadline, progress or (lambda _: None), retry or self._retry).run()
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
                report.seconds = time.monotonic() - started
        return report


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
        self.order: PageOrder | None = None

    def run(self) -> None:
        for _ in range(4):  # restarts and redispatches are rare; four rounds bound a pathological ledger
            state = self.store.state()
            self.order = state.page_order
            try:
                if self.order == "oldest_first":
                    self._forward(state.walk_cursor, state.walk_top)
                elif state.backfill_done:
                    self._catch_up(state.complete_through, backfill_done=True)
                elif state.walk_top is not None:  # an unfinished backfill: first the head, then go on
                    top = self._catch_up(state.walk_top, backfill_done=False)
                    self._forward(state.walk_cursor, top or state.walk_top)
                else:
                    self._forward(None, None)
            except _Restart:
                self.report.restarts += 1
                self._save(
                    [],
                    walk_cursor=None,
                    walk_top=None,
                    backfill_done=False,
                    walks_restarted=state.walks_restarted + 1,
                )
                continue
            except _Redispatch:
                continue
            self.report.complete = True
            return
        raise KataloBadResponse(code="cursor_expired_repeatedly")

    def _forward(self, cursor: str | None, top: datetime | None) -> None:
        """Follow cursors to the last page (the first walk, a backfill, or an oldest-first sync)."""
        for page, fetched_with in self._pages(cursor):
            if top is None and page.events:
                top = page.events[0].created_at
            self._learn_order(page, top)
            if page.next_cursor is not None:
                self._save(page.events, walk_cursor=page.next_cursor, walk_top=top, page_order=self.order)
            elif self.order == "oldest_first":
                # Keep the last page's cursor: the next sync re-reads it and finds what was appended.
                newest = page.events[-1].created_at if page.events else None
                self._save(
                    page.events,
                    walk_cursor=fetched_with,
                    walk_top=top,
                    page_order=self.order,
                    **self._success(newest),
                )
            else:
                self._save(
                    page.events,
                    walk_cursor=None,
                    walk_top=top,
                    page_order=self.order,
                    backfill_done=True,
                    **self._success(top),
                )

    def _catch_up(self, boundary: datetime | None, *, backfill_done: bool) -> datetime | None:
        """Newest-first: walk from the start until a page reaches `boundary`; returns the newest time."""
        top: datetime | None = None
        for page, _ in self._pages(None):
            if top is None and page.events:
                top = page.events[0].created_at
            if self.order is None and self._learn_order(page, top) == "oldest_first":
                self._save(page.events, page_order=self.order, walk_cursor=None)
                raise _Redispatch  # a ledger too small to tell before turned out oldest-first
            connected = boundary is not None and any(e.created_at <= boundary for e in page.events)
            if not (connected or page.next_cursor is None):
                self._save(page.events)
            elif backfill_done:
                self._save(page.events, **self._success(top or boundary))
            else:
                self._save(page.events, walk_top=top or boundary)
            if connected:
                break
        return top

    def _learn_order(self, page: EventsPage, top: datetime | None) -> PageOrder | None:
        """The ledger's order, from this page or, failing that, from the walk's first event."""
        if self.order is None:
            self.order = page.order
        if self.order is None and top is not None and page.events:
            self.order = order_between(top, page.events[-1].created_at)
        return self.order

    def _success(self, newest: datetime | None) -> dict[str, object]:
        """State of a sync that caught up; `newest` None (an empty last page) keeps complete_through."""
        state: dict[str, object] = {"last_success_at": self.sync._now(), "last_error": None}
        if newest is not None:
            state["complete_through"] = newest
        return state

    def _pages(self, cursor: str | None) -> Iterator[tuple[EventsPage, str | None]]:
        """Pages from `cursor`, each with the cursor that fetched it; an expired cursor restarts the walk."""
        pages = self.sync._client.iter_pages(cursor, limit=self.sync._limit, retry=self.retry)
        while True:
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise _OutOfTime
            try:
                page = next(pages)
            except StopIteration:
                return
            except (KataloNotFound, KataloRejected) as error:
                if cursor is None:
                    raise
                log.warning("ledger cursor no longer accepted (%s); restarting the walk", error.code)
                raise _Restart from None
            self.report.pages += 1
            self.report.events_seen += len(page.events)
            if page.events:
                self.report.reached = page.events[-1].created_at
            yield page, cursor
            cursor = page.next_cursor

    def _save(self, events: Sequence[BillingEvent], **state: object) -> None:
        self.report.events_new += self.store.save_page(self.owner, events, self.sync._now(), **state)
        self.progress(self.report)
