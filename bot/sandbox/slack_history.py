"""The Slack stand-in's reading of a channel: conversations.history and conversations.replies, as Slack
answers apps not approved for its Marketplace (since 2025): at most HISTORY_LIMIT messages a call,
`oldest` < ts < `latest`, `cursor` (from the last page's `response_metadata.next_cursor`) for the
next page, and metadata only when asked for (`include_all_metadata`).

History lists a channel's messages newest first; replies list one thread (its parent and the
messages posted with its `thread_ts`) oldest first, and answer thread_not_found for a ts that is
no message of the channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

HISTORY_LIMIT = 15  # per call for non-Marketplace apps (Slack, 2025)


def read_page(
    stored: list[dict[str, Any]],
    params: dict[str, Any],
    ts_of: Callable[[dict[str, Any]], str],
    fail: Callable[[str], Exception],
    *,
    thread: str | None = None,
) -> dict[str, Any]:
    """One page of `stored` (one channel's messages, oldest first) as Slack answers it."""
    oldest = float(params.get("oldest") or 0)
    latest = float(params.get("latest") or "inf")
    limit = min(int(params.get("limit") or 100), HISTORY_LIMIT)
    try:
        start = int(str(params.get("cursor") or "next:0").removeprefix("next:"))
    except ValueError:
        raise fail("invalid_cursor") from None
    if thread is not None:
        stored = [m for m in stored if ts_of(m) == thread or m.get("thread_ts") == thread]
        if not any(ts_of(m) == thread for m in stored):
            raise fail("thread_not_found")
    window = [m for m in stored if oldest < float(ts_of(m)) < latest]
    ordered = window if thread is not None else list(reversed(window))
    page = ordered[start : start + limit]
    with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
    shown = []
    for message in page:
        entry = {"type": "message", "ts": ts_of(message), "text": message.get("text", "")}
        if "thread_ts" in message:
            entry["thread_ts"] = message["thread_ts"]
        if with_metadata and "metadata" in message:
            entry["metadata"] = message["metadata"]
        shown.append(entry)
    has_more = start + limit < len(ordered)
    return {
        "ok": True,
        "messages": shown,
        "has_more": has_more,
        "response_metadata": {"next_cursor": f"next:{start + limit}" if has_more else ""},
    }
