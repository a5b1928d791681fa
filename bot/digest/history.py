"""Finding a digest (or an alert, or an alert's thread reply) a crashed poster left in Slack, within
Slack's history limits.

Since 2025 Slack lets apps not approved for its Marketplace (a self-hosted bot is one) call
conversations.history and conversations.replies about once a minute, for at most 15 messages a call.
So the look is narrow: only the window in which the dead poster could have posted (from its claim,
minus a margin for clocks that differ between machines, to STALE_POSTING after it; its first minute
first), 15 messages a page, at most MAX_PAGES pages in all, matched by the metadata every digest
(and alert, and alert reply) carries.

The answer says whether the history could be read. Where it cannot (a DM without im:history answers
missing_scope, a public channel the bot posts to without being a member answers not_in_channel, a
rate limit outlasting the retries answers ratelimited), the caller posts and says a duplicate is
possible (deliver.py): a second copy is visible, a missing digest is not.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.digest.store import STALE_POSTING

DIGEST_EVENT = "katalo_digest"
PAGE = 15  # Slack's cap per call for non-Marketplace apps
MAX_PAGES = 3  # each page may cost a minute of Slack's rate limit
CLOCK_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class Lookup:
    """`ts`: the digest found; `error`: the history could not be read (Slack's error); `complete`:
    the whole window was read (False: more than MAX_PAGES pages, the digest may be in the rest)."""

    ts: str | None = None
    error: str | None = None
    complete: bool = True
    read: int = 0  # messages read, to show the look stayed narrow
    pages: int = 0  # calls made


def find_posted(slack: WebClient, channel_id: str, local_date: date, claimed_at: datetime) -> Lookup:
    """This date's digest in the channel if a poster that claimed it at `claimed_at` posted it."""
    return find_message(slack, channel_id, claimed_at, lambda message: is_digest_of(message, local_date))


def find_message(
    slack: WebClient,
    channel_id: str,
    claimed_at: datetime,
    matches: Callable[[dict[str, Any]], bool],
    *,
    thread_ts: str | None = None,
) -> Lookup:
    """The message `matches` picks (by its metadata) if a poster that claimed it at `claimed_at` posted it.

    With `thread_ts`, the look is in that message's thread (conversations.replies, same limits).

    A poster posts right after claiming (the digest is composed before), so the minute around the
    claim is read first; the rest of the time a post could take (429s waited out) only if need be.
    Slack lists newest first, so a busy channel's later messages would otherwise fill the pages.
    """
    edges = [claimed_at - CLOCK_MARGIN, claimed_at + CLOCK_MARGIN, claimed_at + STALE_POSTING + CLOCK_MARGIN]
    pages, read = MAX_PAGES, 0
    for oldest, latest in itertools.pairwise(edges):
        lookup = _read_window(slack, channel_id, matches, (oldest, latest), pages, thread_ts)
        read += lookup.read
        if lookup.ts is not None or lookup.error is not None or not lookup.complete:
            return replace(lookup, read=read)
        pages -= lookup.pages
        if pages <= 0:
            return Lookup(complete=False, read=read)
    return Lookup(read=read)


def _read_window(
    slack: WebClient,
    channel_id: str,
    matches: Callable[[dict[str, Any]], bool],
    window: tuple[datetime, datetime],
    pages: int,
    thread_ts: str | None = None,
) -> Lookup:
    oldest, latest = (f"{edge.timestamp():.6f}" for edge in window)
    # The channel's history, or the thread of an alert: its replies (and the alert itself).
    read_page = (
        partial(slack.conversations_history, channel=channel_id)
        if thread_ts is None
        else partial(slack.conversations_replies, channel=channel_id, ts=thread_ts)
    )
    cursor, read = None, 0
    for page_number in range(1, pages + 1):
        try:
            page = read_page(
                include_all_metadata=True, limit=PAGE, cursor=cursor, oldest=oldest, latest=latest
            )
        except SlackApiError as error:
            reason = error.response.get("error") or f"HTTP {error.response.status_code}"
            return Lookup(error=str(reason), read=read)
        messages: list[dict[str, Any]] = page.get("messages", [])
        read += len(messages)
        for message in messages:
            if matches(message):
                return Lookup(ts=str(message["ts"]), read=read)
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            return Lookup(read=read, pages=page_number)
    return Lookup(complete=False, read=read, pages=pages)


def is_digest_of(message: dict[str, Any], local_date: date) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == DIGEST_EVENT and payload.get("date") == local_date.isoformat()
