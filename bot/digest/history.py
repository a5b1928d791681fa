"""Finding a digest a crashed poster left in Slack, within Slack's history limits.

Since 2025 Slack lets apps not approved for its Marketplace (a self-hosted bot is one) call
conversations.history about once a minute, for at most 15 messages a call. So the look is narrow: only
the window in which the dead poster could have posted (from its claim, minus a margin for clocks that
differ between machines, to STALE_POSTING after it), 15 messages a page, at most MAX_PAGES pages,
matched by the metadata every digest carries.

The answer says whether the history could be read. Where it cannot (a DM without im:history answers
missing_scope, a public channel the bot posts to without being a member answers not_in_channel, a
rate limit outlasting the retries answers ratelimited), the caller posts and says a duplicate is
possible (deliver.py): a second copy is visible, a missing digest is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
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


def find_posted(slack: WebClient, channel_id: str, local_date: date, claimed_at: datetime) -> Lookup:
    """This date's digest in the channel if a poster that claimed it at `claimed_at` posted it."""
    oldest = f"{(claimed_at - CLOCK_MARGIN).timestamp():.6f}"
    latest = f"{(claimed_at + STALE_POSTING + CLOCK_MARGIN).timestamp():.6f}"
    cursor, read = None, 0
    for _ in range(MAX_PAGES):
        try:
            page = slack.conversations_history(
                channel=channel_id,
                include_all_metadata=True,
                limit=PAGE,
                cursor=cursor,
                oldest=oldest,
                latest=latest,
            )
        except SlackApiError as error:
            reason = error.response.get("error") or f"HTTP {error.response.status_code}"
            return Lookup(error=str(reason), read=read)
        messages: list[dict[str, Any]] = page.get("messages", [])
        read += len(messages)
        for message in messages:
            if is_digest_of(message, local_date):
                return Lookup(ts=str(message["ts"]), read=read)
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            return Lookup(read=read)
    return Lookup(complete=False, read=read)


def is_digest_of(message: dict[str, Any], local_date: date) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == DIGEST_EVENT and payload.get("date") == local_date.isoformat()
