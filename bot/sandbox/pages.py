"""Pagination of GET /api/v1/billing/events: limits, cursors and page bodies.

Owns the cursor format (base64url of `v1:<generation>:<index>`: the index of the next event to send,
so a cursor stays valid when events are appended) and which indices a page holds. A page is built
from the ledger on demand, so its cost is proportional to its size, not to the ledger's.

Ledgers that never end, for tests (`Oddity`), each handing out a fresh cursor every time:
"repeat_pages" answers every request with the first page; "empty_pages" goes on past the last page
with empty pages; "wrap_pages" goes on past the end from the start again, so pages never line up
with earlier ones. `cursor_length` pads cursors (after a ".") to test long ones.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import itertools
import re
from typing import Any, Literal

from bot.sandbox.envelope import ApiError
from bot.sandbox.ledger import SandboxLedger

Order = Literal["newest", "oldest"]
Wrapper = Literal["data", "events", "items"]
MoneyAs = Literal["string", "number"]
Oddity = Literal["repeat_pages", "empty_pages", "wrap_pages"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
_CURSOR = re.compile(r"v1:(\d{1,12}):(\d{1,12}|end)(?::\d{1,12})?")
_MONEY_KEYS = ("unit_price_usd", "amount_usd")
_FRESH = itertools.count(1)  # makes every cursor of an odd ledger new
END = -1  # the index of an "empty_pages" cursor: past the last event


def encode_cursor(generation: int, index: int, *, fresh: bool = False, length: int = 0) -> str:
    """An opaque, url-safe cursor naming the next event to return (END: past the last one).

    `fresh` makes it differ from every cursor issued before; `length` pads it to that many characters.
    """
    text = f"v1:{generation}:{'end' if index == END else index}" + (f":{next(_FRESH)}" if fresh else "")
    cursor = base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()
    return cursor + "." + "x" * (length - len(cursor) - 1) if length > len(cursor) + 1 else cursor


def decode_cursor(cursor: str) -> tuple[int, int]:
    """(generation, index) of a cursor; ApiError 400 for anything this server did not issue."""
    cursor = cursor.split(".", 1)[0]  # the padding of a long cursor
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        match = _CURSOR.fullmatch(raw.decode("ascii"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        match = None
    if match is None:
        raise ApiError(400, "cursor is not valid")
    index = END if match.group(2) == "end" else int(match.group(2))
    return int(match.group(1)), index


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
    oddity: Oddity | None = None,
    cursor_length: int = 0,
) -> dict[str, Any]:
    """The body of one GET /api/v1/billing/events answer."""
    limit = parse_limit(query.get("limit"))
    count = ledger.event_count
    start = None
    if "cursor" in query:
        cursor_generation, start = decode_cursor(query["cursor"])
        if cursor_generation > generation or start >= count or (start == END and oddity != "empty_pages"):
            raise ApiError(400, "cursor is not valid")
        if cursor_generation < generation:
            raise ApiError(404, "cursor expired; restart from the first page")
    indices, next_index = _odd_range(oddity, order, count, start, limit)
    events = [_money(ledger.event(i), money_as) for i in indices]
    body: dict[str, Any] = {wrapper: events}
    if next_index is not None:
        body["next_cursor"] = encode_cursor(
            generation, next_index, fresh=oddity is not None, length=cursor_length
        )
    return body


def _odd_range(
    oddity: Oddity | None, order: Order, count: int, start: int | None, limit: int
) -> tuple[range | list[int], int | None]:
    """page_range, bent by an oddity so that the ledger never ends."""
    if oddity == "repeat_pages":
        return page_range(order, count, None, limit)[0], 0
    if oddity == "empty_pages":
        if start == END:
            return [], END
        indices, next_index = page_range(order, count, start, limit)
        return indices, END if next_index is None else next_index
    if oddity == "wrap_pages" and count:
        first = (count - 1 if order == "newest" else 0) if start is None else start
        step = -1 if order == "newest" else 1
        return [(first + step * k) % count for k in range(limit)], (first + step * limit) % count
    return page_range(order, count, start, limit)


def _money(event: dict[str, Any], money_as: MoneyAs) -> dict[str, Any]:
    if money_as == "number":
        for key in _MONEY_KEYS:
            # An odd record (see SandboxLedger.override) is sent as it is.
            with contextlib.suppress(KeyError, TypeError, ValueError):
                event[key] = float(event[key])
    return event
