"""The sandbox usage summary: the body of GET /api/v1/usage/summary, derived from the ledger's events.

Owns the billing-period arithmetic, the running tallies behind every figure, the plan size and the
two published spellings of the access block. Tallies only move forward: each event of the current
period is scanned once, and after an append only the new events are, so a million-event ledger is
read in full at most once per billing period.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from bot.sandbox import wire

ORGANIZATION_ID = "org_sandbox"
TIERS = (100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000)
RATE_LIMITS = {
    "policy": "standard",
    "reads_per_minute": 120,
    "job_reads_per_minute": 1200,
    "max_jobs_in_flight": 50,
}
# The plan is sized so the projected month uses at most 1/1.15 of it: consumption sits partway in.
_HEADROOM = 1.15
_OUTPUTS_PER_RENDER = 4  # a generation or regeneration returns 4 staged images


class LedgerView(Protocol):
    """What the summary needs from a SandboxLedger."""

    access_enabled: bool
    initial_state: tuple[int, int]

    def state(self) -> tuple[int, int]: ...
    def index_at(self, ms: int, count: int) -> int: ...
    def scan(self, lo: int, hi: int) -> Iterator[tuple[int, bool, str, bool]]: ...


@dataclass
class Tally:
    """Counts over the events of one billing period, from its first event up to `scanned_to`."""

    period_start: int
    scanned_to: int
    consumed: int = 0
    jobs: int = 0
    failed: int = 0
    renders_ok: int = 0  # generation + regeneration events of jobs that did not fail
    regenerations: int = 0
    cache_hits: int = 0

    def add(self, facts: Iterable[tuple[int, bool, str, bool]]) -> None:
        """Fold events into the counts; locals because this loop runs a million times."""
        consumed = jobs = failed_jobs = renders_ok = regenerations = cache_hits = 0
        for position, failed, usage, billable in facts:
            consumed += billable
            if position == 0:  # a job counts in the period where its first event falls
                jobs += 1
                failed_jobs += failed
            if usage == "regeneration":
                regenerations += 1
            elif usage == "cache_hit":
                cache_hits += 1
            if not failed and usage in ("generation", "regeneration"):
                renders_ok += 1
        self.consumed += consumed
        self.jobs += jobs
        self.failed += failed_jobs
        self.renders_ok += renders_ok
        self.regenerations += regenerations
        self.cache_hits += cache_hits


class SummaryBook:
    """Keeps one ledger's tallies and renders its summary; thread-safe."""

    def __init__(self, ledger: LedgerView, included: int | None) -> None:
        self._ledger = ledger
        self._included = included
        self._lock = threading.Lock()
        self._tally: Tally | None = None

    def set_included(self, included: int) -> None:
        with self._lock:
            self._included = included

    def body(self) -> dict[str, Any]:
        """The summary as of the ledger's present."""
        with self._lock:
            if self._included is None:
                self._included = self._plan()
            count, now = self._ledger.state()
            start, end = wire.month_bounds(now)
            tally = self._advance(start, count)
            return _render(self._ledger.access_enabled, tally, (start, end), self._included)

    def _advance(self, period_start: int, count: int) -> Tally:
        """The tally of `period_start`'s period up to `count`, scanning only events not yet seen."""
        tally = self._tally
        if tally is None or tally.period_start != period_start:
            tally = Tally(period_start, self._ledger.index_at(period_start, count))
        tally.add(self._ledger.scan(tally.scanned_to, count))
        tally.scanned_to = count
        self._tally = tally
        return tally

    def _plan(self) -> int:
        """The smallest tier covering the projected month, sized once from the ledger as constructed."""
        # Fixed at first use so appends never resize the plan mid-period, as a real plan would not be.
        count, now = self._ledger.initial_state
        start, end = wire.month_bounds(now)
        consumed = self._advance(start, count).consumed
        elapsed = now - start
        projected = consumed * (end - start) / elapsed if elapsed > 0 else consumed
        return next((tier for tier in TIERS if tier >= projected * _HEADROOM), TIERS[-1])


def _render(access: bool, tally: Tally, period: tuple[int, int], included: int) -> dict[str, Any]:
    consumed = tally.consumed
    return {
        "organization_id": ORGANIZATION_ID,
        "access": {"enabled": access},
        "billing_period": {"start_at": wire.iso_z(period[0]), "end_at": wire.iso_z(period[1])},
        "usage": {
            "included": included,
            "consumed": consumed,
            "overage": max(0, consumed - included),
            "remaining": max(0, included - consumed),
        },
        "jobs": {
            "total": tally.jobs,
            "succeeded": tally.jobs - tally.failed,
            "failed": tally.failed,
            "outputs_returned": _OUTPUTS_PER_RENDER * tally.renders_ok,
            "regenerate_count": tally.regenerations,
            "cache_hit_count": tally.cache_hits,
        },
        "rate_limits": dict(RATE_LIMITS),
    }


def docs_variant(body: dict[str, Any]) -> dict[str, Any]:
    """The same summary as docs.katalo.ai spells it: `entitlement` in place of `access`."""
    enabled = bool(body.get("access", {}).get("enabled"))
    entitlement = {"api_access_enabled": enabled, "status": "active" if enabled else "disabled"}
    # Rebuilt key by key so `entitlement` sits where `access` was.
    return {
        ("entitlement" if k == "access" else k): (entitlement if k == "access" else v)
        for k, v in body.items()
    }
