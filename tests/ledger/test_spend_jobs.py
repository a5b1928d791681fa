"""Distinct jobs and the top jobs of a window, read from the per-job rollups, equal those of the events.

Jobs here cross the window's edges in every way: an event a microsecond before the start and one on
it, one a microsecond before the end and one on it, a job running through the whole window, one with
events on both sides and none inside, jobs spanning exactly a span-class limit up to an edge, and a
job spanning months. Each must count once, with only its in-window events, under every kind of filter.
The expected figures are computed here from the event rows themselves.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.figures import SpendRow
from bot.ledger.spend import SpendFilter, SpendQueries
from tests.ledger.helpers import insert_events

START = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
END = START + timedelta(days=31)
TICK = timedelta(microseconds=1)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)

# job -> [(offset from START or END, which edge, usage type, config, dollars)]
JOBS = {
    "job_start_edge": [
        (-TICK, "start", "upscale", "cfg_a", "1.10"),
        (timedelta(0), "start", "upscale", "cfg_a", "2.20"),
    ],
    "job_end_edge": [
        (-TICK, "end", "upscale", "cfg_a", "3.30"),
        (timedelta(0), "end", "upscale", "cfg_a", "4.40"),
    ],
    "job_through": [
        (-DAY, "start", "upscale", "cfg_b", "5.00"),
        (DAY, "start", "render", "cfg_b", "6.00"),
        (2 * DAY, "start", "upscale", "cfg_b", "0.25"),
        (DAY, "end", "upscale", "cfg_b", "7.00"),
    ],
    "job_around": [(-HOUR, "start", "upscale", "cfg_a", "9.00"), (HOUR, "end", "upscale", "cfg_a", "9.00")],
    # Spans of exactly a class limit (1 hour, 1 day), ending on an edge: found among the class's rows.
    "job_hour_limit": [
        (-HOUR, "start", "render", "cfg_a", "0.70"),
        (timedelta(0), "start", "render", "cfg_a", "0.80"),
    ],
    "job_day_limit": [
        (-DAY, "end", "render", "cfg_b", "0.90"),
        (timedelta(0), "end", "upscale", "cfg_b", "1.00"),
    ],
    "job_months": [
        (-90 * DAY, "start", "upscale", "cfg_a", "2.50"),
        (10 * DAY, "start", "upscale", "cfg_a", "2.50"),
    ],
    "job_mixed": [  # two types inside, one of them also before the start
        (-HOUR, "start", "render", "cfg_a", "8.00"),
        (HOUR, "start", "render", "cfg_a", "1.00"),
        (2 * HOUR, "start", "upscale", "cfg_a", "0.50"),
    ],
    "job_inside_big": [
        (5 * DAY, "start", "upscale", "cfg_a", "4.00"),
        (6 * DAY, "start", "render", "cfg_b", "3.00"),
    ],
    "job_inside_tie": [(7 * DAY, "start", "upscale", "cfg_a", "7.00")],
    "job_outside": [(-2 * DAY, "start", "upscale", "cfg_a", "50.00")],
    "job_no_type": [(3 * DAY, "start", None, None, "0.30"), (-HOUR, "end", None, None, "0.40")],
}
FILTERS = [
    SpendFilter(),
    SpendFilter(types=("upscale",)),
    SpendFilter(configs=("cfg_a",)),
    SpendFilter(types=("upscale",), configs=("cfg_b",)),
    SpendFilter(types=("upscale", "render")),  # several types: a job's rows add up
    SpendFilter(types=("render",), configs=("cfg_a", "cfg_b")),
]


def _rows() -> list[dict]:
    rows = []
    for job, events in JOBS.items():
        for n, (offset, edge, usage, config, dollars) in enumerate(events):
            at = (START if edge == "start" else END) + offset
            rows.append(
                {
                    "event_id": f"evt_{job}_{n}",
                    "job_id": job,
                    "created_at": at,
                    "usage_type": usage,
                    "billable": True,
                    "unit_price_usd": Decimal(dollars),
                    "amount_usd": Decimal(dollars),
                    "config_fingerprint": config,
                    "stored_at": at,
                }
            )
    return rows


def _expected(rows: list[dict], start: datetime, end: datetime, only: SpendFilter) -> list[SpendRow]:
    """Every job with an event in [start, end) under the filter: in-window amount and events, ranked."""
    sums: dict[str, list] = defaultdict(lambda: [Decimal(0), 0])
    for row in rows:
        if not start <= row["created_at"] < end:
            continue
        if (only.types and row["usage_type"] not in only.types) or (
            only.configs and row["config_fingerprint"] not in only.configs
        ):
            continue
        sums[row["job_id"]][0] += row["amount_usd"]
        sums[row["job_id"]][1] += 1
    ranked = sorted(sums.items(), key=lambda item: (-item[1][0], item[0]))
    return [SpendRow(job, amount, events) for job, (amount, events) in ranked]


@pytest.fixture
def stored(engine):
    rows = _rows()
    with engine.begin() as connection:
        insert_events(connection, rows)
    return SpendQueries(engine), rows


@pytest.mark.parametrize("only", FILTERS, ids=lambda f: f"{'+'.join(f.types)}/{'+'.join(f.configs)}")
def test_jobs_across_the_edges_count_once_with_their_in_window_amounts(stored, only):
    queries, rows = stored
    expected = _expected(rows, START, END, only)
    assert expected  # the filter leaves jobs to find
    with queries.snapshot() as snapshot:
        top, groups = snapshot.top(START, END, "job", only, limit=100)
        totals = snapshot.totals(START, END, only)
    assert top == expected
    assert groups == totals.jobs == len(expected)


def test_the_straddling_jobs_are_those_the_events_say(stored):
    """Spelled out for no filter: which jobs count, and with which part of their amounts."""
    queries, _ = stored
    top, groups = queries.top(START, END, "job", limit=100)
    found = {row.key: (row.amount_usd, row.events) for row in top}
    assert found["job_start_edge"] == (Decimal("2.20"), 1)  # the event on the start counts
    assert found["job_end_edge"] == (Decimal("3.30"), 1)  # the one on the end does not
    assert found["job_through"] == (Decimal("6.25"), 2)
    assert found["job_months"] == (Decimal("2.50"), 1)
    assert found["job_mixed"] == (Decimal("1.50"), 2)
    assert found["job_no_type"] == (Decimal("0.70"), 2)
    assert "job_around" not in found and "job_outside" not in found  # events around it, none inside
    assert groups == len(found) == 10


@pytest.mark.parametrize("shift", [-TICK, timedelta(0), TICK, HOUR, -DAY])
def test_any_window_near_the_edges_agrees_with_the_events(stored, shift):
    """Windows moved by a microsecond, an hour or a day: the figures still follow the events."""
    queries, rows = stored
    for only in FILTERS:
        start, end = START + shift, END + shift
        expected = _expected(rows, start, end, only)
        top, groups = queries.top(start, end, "job", only, limit=3)
        assert (top, groups) == (expected[:3], len(expected))
        assert queries.totals(start, end, only).jobs == len(expected)


@pytest.mark.parametrize(
    "window",
    [
        (START - HOUR, START + HOUR),  # shorter than a day: no whole UTC day to take start counts from
        (START, START + 2 * HOUR),
        (END - DAY, END),
        (START - 100 * DAY, END + DAY),  # holds every job whole but one
    ],
    ids=["around-start", "after-start", "last-day", "everything"],
)
def test_short_and_long_windows_agree_with_the_events(stored, window):
    queries, rows = stored
    for only in FILTERS:
        expected = _expected(rows, *window, only)
        assert queries.top(*window, "job", only, limit=100) == (expected, len(expected))
        assert queries.totals(*window, only).jobs == len(expected)
