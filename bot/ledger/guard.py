"""Walks that end: a ledger that never stops handing out pages is stopped with a sentence.

A cursor Katalo repeats is caught by the client. What is caught here, page by page within one walk:

- the same page again (the same events in the same order) under a fresh cursor;
- more than EMPTY_PAGES_ALLOWED empty pages in a row that still carry a next cursor;
- pages that brought nothing new to the mirror, holding more events than it has stored: a walk may
  re-read what is stored (after an expired cursor, or the page an oldest-first sync re-reads), but
  once pages that store nothing have served more events than the mirror holds, plus SLACK_PAGES
  pages' worth for overlapping page boundaries, they are not the stored ledger being re-read.

A ledger of genuinely new events is never stopped: each of its pages stores something.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from bot.katalo.errors import KataloBadResponse
from bot.katalo.models import EventsPage

EMPTY_PAGES_ALLOWED = 3
SLACK_PAGES = 10


class EndlessLedger(KataloBadResponse):
    """Katalo's ledger did not end as a ledger must; `user_message` says how."""

    def __init__(self, sentence: str) -> None:
        self.sentence = sentence  # set first: KataloError's __init__ reads user_message
        super().__init__(status=200, code="endless_ledger")

    @property
    def user_message(self) -> str:
        return self.sentence


class WalkGuard:
    """Checks each page of one walk after it was stored; raises EndlessLedger to stop the walk."""

    def __init__(self, stored_events: Callable[[], int]) -> None:
        self._stored_events = stored_events
        self._seen: set[bytes] = set()  # 16 bytes a page: 10,000 pages cost well under 1 MB
        self._empty_run = 0
        self._stale_pages = 0
        self._stale_events = 0
        self._largest_page = 1
        self._stored: int | None = None  # counted once, and only when a walk looks suspicious

    def check(self, page: EventsPage, new_events: int) -> None:
        """`new_events`: how many of the page's events the mirror did not hold before."""
        if page.events or page.rejected:
            self._empty_run = 0
            self._largest_page = max(self._largest_page, len(page.events) + len(page.rejected))
            self._check_repeat(page)
        elif page.next_cursor is not None:
            self._empty_run += 1
            if self._empty_run > EMPTY_PAGES_ALLOWED:
                raise EndlessLedger(
                    f"Katalo sent {self._empty_run} empty ledger pages in a row, each with a next cursor; "
                    "the sync stopped there rather than follow them for ever."
                )
        if new_events == 0:
            self._stale_pages += 1
            self._stale_events += len(page.events) + len(page.rejected)
            self._check_explained()

    def _check_repeat(self, page: EventsPage) -> None:
        ids = "\n".join(event.event_id for event in page.events) + f"\n{len(page.rejected)}"
        fingerprint = hashlib.blake2b(ids.encode(), digest_size=16).digest()
        if fingerprint in self._seen:
            first = page.events[0].event_id if page.events else "records set aside"
            raise EndlessLedger(
                f"Katalo sent the same ledger page twice in one walk ({len(page.events)} events from "
                f"{first}) under a new cursor; the sync stopped there rather than loop for ever."
            )
        self._seen.add(fingerprint)

    def _check_explained(self) -> None:
        slack = SLACK_PAGES * self._largest_page
        if self._stale_events <= slack:
            return
        if self._stored is None:
            self._stored = self._stored_events()
        if self._stale_events > self._stored + slack:
            raise EndlessLedger(
                f"Katalo sent {self._stale_pages:,} ledger pages that held nothing new in one walk "
                f"({self._stale_events:,} events), more than the {self._stored:,} events stored can explain; "
                "the sync stopped rather than walk for ever."
            )
