"""How the sandbox writes Katalo's ids and timestamps on the wire: ULID-style ids, UTC timestamps.

(The bot's own Slack ids, the slash command and action ids, are bot/slack_ids.py.)

Owns how the sandbox writes an id (`job_` + 26 Crockford base32 characters, the shape Katalo's ids
have) and a timestamp (`2026-11-24T09:12:33Z`), so the ledger only deals in integers.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Every 10-bit value as its two Crockford characters: 13 look-ups spell a 130-bit ULID.
_PAIRS = [a + b for a in CROCKFORD for b in CROCKFORD]
_SHIFTS = range(120, -1, -10)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def ulid(prefix: str, ms: int, rand80: bytes) -> str:
    """A ULID-shaped id: a 48-bit millisecond time then 80 random bits, as 26 Crockford characters."""
    # Real ULIDs put the time first, so ids sort by creation like Katalo's do.
    value = ((ms & 0xFFFF_FFFF_FFFF) << 80) | int.from_bytes(rand80[:10], "big")
    # Pages spell three ids per event: pair look-ups are ~3x faster than 26 divmods.
    return prefix + "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])


def ulid_ms(public_id: str) -> int | None:
    """The millisecond time inside a ULID-shaped id (after its `xxx_` prefix), or None if malformed."""
    _, _, body = public_id.partition("_")
    if len(body) != 26 or any(c not in CROCKFORD for c in body):
        return None
    value = 0
    for c in body[:10]:
        value = value * 32 + CROCKFORD.index(c)
    # The first 10 characters hold 50 bits of which the time is the low 48.
    return value & 0xFFFF_FFFF_FFFF


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime, exactly (no float rounding)."""
    return (moment - EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    """The aware UTC datetime of a millisecond timestamp."""
    return EPOCH + timedelta(milliseconds=ms)


def iso_z(ms: int, *, millis: bool = False) -> str:
    """`2026-11-24T09:12:33Z`, or with `.123` milliseconds when the ledger is dense enough to need them."""
    seconds, rest = divmod(ms, 1000)
    # time.gmtime + strftime is several times faster than datetime formatting, and pages call it a lot.
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{stamp}.{rest:03d}Z" if millis else f"{stamp}Z"


def month_bounds(ms: int) -> tuple[int, int]:
    """Start and end (exclusive), in ms, of the UTC calendar month containing `ms`."""
    moment = from_ms(ms)
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return to_ms(start), to_ms(end)
