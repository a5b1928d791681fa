"""Pagination of GET /api/v1/billing/events: limits, cursors and page bodies.

Owns the cursor format (base64url of `v1:<generation>:<index>`: the index of the next event to send,
so a cursor stays valid when events are appended) and which indices a page holds. A page is built
from the ledger on demand, so its cost is proportional to its size, not to the ledger's.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Literal

from bot.sandbox.envelope import ApiError
from bot.sandbox.ledger import SandboxLedger

Order = Literal["newest", "oldest"]
Wrapper = Literal["data", "events", "items"]
MoneyAs = Literal["string", "number"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
_CURSOR = re.compile(r"v1:(\d{1,12}):(\d{1,12})")
_MONEY_KEYS = ("unit_price_usd", "amount_usd")


def encode_cursor(generation: int, index: int) -> str:
    """An opaque, url-safe cursor naming the next event to return."""
    return base64.urlsafe_b64encode(f"v1:{generation}:{index}".encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    """(generation, index) of a cursor; ApiError 400 for anything this server did not issue."""
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        match = _CURSOR.fullmatch(raw.decode("ascii"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        match = None
    if match is None:
        raise ApiError(400, "cursor is not valid")
    return int(match.group(1)), int(match.group(2))


def parse_limit(raw: str | None) -> int:
    """The page size asked for; ApiError 422 unless it is an integer in 1..100."""
    if raw is None:
        return DEFAULT_LIMIT
    # A strict pattern: int() would also take " 5", "+5" and "5_0".
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(422, f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def page_range(order: Order, count: int, start: int | None, limit: int) -> tuple[range, int | None]:
    """The indices of one page and the index its next page starts at (None on the last page)."""
    if order == "newest":
        first = count - 1 if start is None else start
        stop = max(first - limit, -1)
        return range(first, stop, -1), (stop if stop >= 0 else None)
    first = 0 if start is None else start
    stop = min(first + limit, count)
    return range(first, stop), (stop if stop < count else None)


def events_page(
    ledger: SandboxLedger,
    query: dict[str, str],
    *,
    generation: int,
    order: Order,
    wrapper: Wrapper,
    money_as: MoneyAs,
) -> dict[str, Any]:
    """The body of one GET /api/v1/billing/events answer."""
    limit = parse_limit(query.get("limit"))
    count = ledger.event_count
    start = None
    if "cursor" in query:
        cursor_generation, start = decode_cursor(query["cursor"])
        if cursor_generation > generation or start >= count:
            raise ApiError(400, "cursor is not valid")
        if cursor_generation < generation:
            raise ApiError(404, "cursor expired; restart from the first page")
    indices, next_index = page_range(order, count, start, limit)
    events = [ledger.event(i) for i in indices]
    if money_as == "number":
        for event in events:
            for key in _MONEY_KEYS:
                event[key] = float(event[key])
    body: dict[str, Any] = {wrapper: events}
    if next_index is not None:
        body["next_cursor"] = encode_cursor(generation, next_index)
    return body
