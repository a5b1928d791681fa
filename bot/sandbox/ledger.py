"""The sandbox's data: a deterministic Katalo billing ledger, computed on demand.

Owns what the sandbox says is true: every event (ids, job, usage type, price, time) as a pure function
of (seed, index), how events group into jobs and which jobs failed, and appends. Tests can make one
record odd (`override`: an amount of 1e30, a date in 2099, a field that is not an event's) to see
how the bot copes with poisoned or future-dated records (the summary still counts it as it was).
Nothing is stored per event, so a ledger of a million events costs a few hundred bytes; the usage
summary is derived in summary.py and the HTTP side lives in server.py.

Layout: indices are cut into blocks of 3; a block's hash picks how it splits into jobs (AAA, AAB, ABB or
ABC), so an index alone tells its job, and a job's first index (its "start") names it.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.sandbox import wire
from bot.sandbox.summary import SummaryBook

UNIT_PRICES = {
    "generation": Decimal("0.40"),
    "regeneration": Decimal("0.20"),
    "upscale": Decimal("0.10"),
    "cache_hit": Decimal("0.00"),
}
_PRICE_TEXT = {kind: f"{price:.2f}" for kind, price in UNIT_PRICES.items()}
_ZERO_TEXT = "0.00"
# For each split pattern (AAA, AAB, ABB, ABC), the slot at which the job of each slot starts.
_OWNERS = ((0, 0, 0), (0, 0, 2), (0, 1, 1), (0, 1, 2))
_FAIL_BELOW = 10  # of 256 per job: ~3.9% of jobs fail
_CREDIT_BELOW = 1966  # of 65536 per event: ~3% of chargeable events are credited
_FINGERPRINTS = 6  # distinct job configurations per seed
_DAY_MS = 86_400_000

# What scan() yields per event: (position in its job, job failed, usage type, billable).
UsageFacts = tuple[int, bool, str, bool]


class SandboxLedger:
    """A deterministic ledger of `events` usage events spread over the `days` before `now`."""

    def __init__(
        self,
        seed: int = 7,
        events: int = 2000,
        now: datetime | None = None,
        days: float = 40.0,
        included: int | None = None,
        *,
        access_enabled: bool = True,
    ) -> None:
        if events < 0 or days <= 0 or (included is not None and included < 0):
            raise ValueError("events and included must be >= 0 and days > 0")
        if now is None:
            now = datetime.now(UTC).replace(second=0, microsecond=0)
        if now.tzinfo is None or now.utcoffset():
            raise ValueError("now must be a timezone-aware UTC datetime")
        self.seed = seed
        self.access_enabled = access_enabled
        self._prefix = f"katalo-sandbox:{seed}:".encode()
        now_ms = self._lay_out_time(events, round(days * _DAY_MS), wire.to_ms(now))
        self._fingerprints = [self._hash(b"cfg:", k, 8).hex() for k in range(_FINGERPRINTS)]
        self._lock = threading.Lock()
        self._job_names: dict[int, tuple[str, str]] = {}  # start -> (job id, asset id), a bounded cache
        self._overrides: dict[int, dict[str, Any]] = {}  # index -> fields served instead (odd records)
        self._count, self._now_ms = events, now_ms
        self.initial_state = (events, now_ms)
        self._summary = SummaryBook(self, included)

    # --- state -----------------------------------------------------------------------------------

    @property
    def event_count(self) -> int:
        """How many events exist now."""
        return self._count

    @property
    def now(self) -> datetime:
        """The ledger's present: the construction time, or the newest appended event's time."""
        return wire.from_ms(self._now_ms)

    def state(self) -> tuple[int, int]:
        """(event_count, now in ms), read together so an append cannot land between them."""
        with self._lock:
            return self._count, self._now_ms

    def append(self, n: int) -> None:
        """Add `n` events after the newest one; existing events never change."""
        if n < 0:
            raise ValueError("n must be >= 0")
        with self._lock:
            self._count += n
            if self._count:
                self._now_ms = max(self._now_ms, self.time_ms(self._count - 1))

    def set_plan(self, included: int) -> None:
        """Change the plan's included units from now on (an upgrade or downgrade mid-period)."""
        if included < 0:
            raise ValueError("included must be >= 0")
        self._summary.set_included(included)

    def override(self, i: int, **fields: Any) -> None:
        """Serve event `i` with `fields` replaced or added (a value of None removes the field)."""
        if not 0 <= i < self._count:
            raise IndexError(f"event index {i} out of range")
        with self._lock:
            self._overrides[i] = fields

    # --- events ----------------------------------------------------------------------------------

    def event(self, i: int) -> dict[str, Any]:
        """The wire form of event `i` (0 is the oldest), money as 2-place decimal strings."""
        if not 0 <= i < self._count:
            raise IndexError(f"event index {i} out of range")
        digest = self._hash(b"evt:", i, 16)
        start, position, _, cfg = self._job_of(i)
        usage, billable = self._usage(position, digest)
        created = self.time_ms(i, digest)
        job_id, asset_id = self._names(start)
        event = {
            "event_id": wire.ulid("evt_", created, digest[6:]),
            "job_id": job_id,
            "source_asset_id": asset_id,
            "usage_type": usage,
            "config_fingerprint": "cfg_" + self._fingerprints[cfg],
            "billable": billable,
            "unit_price_usd": _PRICE_TEXT[usage],
            "amount_usd": _PRICE_TEXT[usage] if billable else _ZERO_TEXT,
            "created_at": wire.iso_z(created, millis=self._quantum == 1),
        }
        odd = self._overrides.get(i)
        if odd:
            event.update(odd)
            for key in [key for key, value in odd.items() if value is None]:
                del event[key]
        return event

    def iter_events(self) -> Iterator[dict[str, Any]]:
        """Every event that exists when iteration starts, oldest first."""
        for i in range(self._count):
            yield self.event(i)

    def time_ms(self, i: int, digest: bytes | None = None) -> int:
        """When event `i` was recorded, in ms: its slot in the span plus a jitter in [0, 0.9) slots."""
        digest = digest or self._hash(b"evt:", i, 16)
        jitter = int.from_bytes(digest[:2], "big") / 65536 * 0.9
        return self._start_ms + self._quantum * int((i + jitter) * self._spacing)

    def index_at(self, ms: int, count: int) -> int:
        """The first index below `count` recorded at or after `ms` (times only grow with the index)."""
        return bisect.bisect_left(range(count), ms, key=self.time_ms)

    def scan(self, lo: int, hi: int) -> Iterator[UsageFacts]:
        """(position, job failed, usage type, billable) of events lo..hi-1: the summary's input."""
        block_no, block = -1, b""
        for i in range(lo, hi):
            if i // 3 != block_no:
                block_no, block = i // 3, self._hash(b"blk:", i // 3, 8)
            _, position, failed, _ = self._job_of(i, block)
            usage, billable = self._usage(position, self._hash(b"evt:", i, 16))
            yield position, failed, usage, billable

    def summary(self) -> dict[str, Any]:
        """The wire body of GET /api/v1/usage/summary, every figure traceable to the events."""
        return self._summary.body()

    # --- jobs ------------------------------------------------------------------------------------

    def job_ids(self, k: int) -> list[str]:
        """Up to `k` distinct job ids, newest first (for the demo to print)."""
        found: list[str] = []
        i = self._count - 1
        while i >= 0 and len(found) < k:
            start = self._job_of(i)[0]
            found.append(self._job_id(start))
            i = start - 1
        return found

    def events_of_job(self, job_id: str) -> list[dict[str, Any]]:
        """The wire events of one job (oldest first), or [] for an unknown job."""
        start = self._find_job(job_id)
        if start is None:
            return []
        end = min(start - start % 3 + 3, self._count)
        return [self.event(i) for i in range(start, end) if self._job_of(i)[0] == start]

    def failed(self, job_id: str) -> bool:
        """Whether the job failed; KeyError for a job this ledger does not hold."""
        start = self._find_job(job_id)
        if start is None:
            raise KeyError(job_id)
        return self._job_of(start)[2]

    def _find_job(self, job_id: str) -> int | None:
        # The id's ULID time is its first event's time: a binary search finds it without a scan.
        ms = wire.ulid_ms(job_id) if job_id.startswith("job_") else None
        if ms is None:
            return None
        count = self._count
        i = self.index_at(ms, count)
        if i < count and self.time_ms(i) == ms and self._job_of(i)[0] == i and self._job_id(i) == job_id:
            return i
        return None

    # --- derivation ------------------------------------------------------------------------------

    def _lay_out_time(self, events: int, span_ms: int, now_ms: int) -> int:
        """Set the time unit, spacing and start of the span; returns `now` rounded to the unit."""
        # Whole seconds unless events are too dense for seconds to stay strictly increasing: the
        # jitter leaves at least a tenth of the spacing between neighbours, which must be >= 1 unit.
        self._quantum = 1000 if events == 0 or span_ms / events >= 10_000 else 1
        if events and span_ms / events < 10:
            raise ValueError("too many events for the span: keep them at least 10 ms apart")
        now_ms = now_ms // self._quantum * self._quantum
        # An empty ledger has no span to divide: appended events then come a minute apart.
        self._spacing = (span_ms / events if events else 60_000) / self._quantum
        # int() rather than round(): the first appended event then lands at or after `now`.
        self._start_ms = now_ms - int(events * self._spacing) * self._quantum
        return now_ms

    def _hash(self, kind: bytes, n: int, size: int) -> bytes:
        return hashlib.blake2b(self._prefix + kind + n.to_bytes(8, "big"), digest_size=size).digest()

    def _job_of(self, i: int, block: bytes | None = None) -> tuple[int, int, bool, int]:
        """(job start index, position of `i` in its job, job failed, fingerprint number)."""
        block_no, slot = divmod(i, 3)
        block = block or self._hash(b"blk:", block_no, 8)
        owner = _OWNERS[block[0] & 3][slot]
        return (
            block_no * 3 + owner,
            slot - owner,
            block[1 + owner] < _FAIL_BELOW,
            block[4 + owner] % _FINGERPRINTS,
        )

    @staticmethod
    def _usage(position: int, digest: bytes) -> tuple[str, bool]:
        """(usage type, billable) of an event at `position` in its job, from the event's hash."""
        if position == 0:
            usage = "generation"
        else:
            pick = digest[2]
            usage = "regeneration" if pick < 128 else "upscale" if pick < 205 else "cache_hit"
        credited = int.from_bytes(digest[3:5], "big") < _CREDIT_BELOW
        return usage, usage != "cache_hit" and not credited

    def _job_id(self, start: int) -> str:
        return self._names(start)[0]

    def _names(self, start: int) -> tuple[str, str]:
        """(job id, source asset id) of the job starting at `start`; ULID time = the job's first event."""
        names = self._job_names.get(start)
        if names is None:
            # Consecutive events share jobs, so a small cache spares a page a third of its id work.
            if len(self._job_names) >= 1024:
                self._job_names.clear()
            created = self.time_ms(start)
            names = (
                wire.ulid("job_", created, self._hash(b"job:", start, 10)),
                wire.ulid("ast_", created, self._hash(b"ast:", start, 10)),
            )
            self._job_names[start] = names
        return names
