"""Backtest of the spike rule (issue 13): how often it alerts over 180 days of synthetic spend.

    .venv/bin/python -m tests.benchmarks.backtest [--seeds 20] [--grid]

For each seed, a generator writes a 180-day ledger as billing events (one per job: time, usage type,
config fingerprint, job id, USD amount): weekdays around $120, weekends 30% lower, each day's level
with log-normal noise (sigma 0.10). The events are summed per local day in America/New_York (DST
included), and bot.alerts.spike.check_day runs day by day as the clock will: each complete day
against the days before it, the episode carried from one day to the next.

- (a) steady: that ledger alone; every alert is a false one (target: 0 or 1).
- (b) injected: the same ledger plus six one-day spikes of +60, +100, +150, +200, +250 and +300% of
  that day's expected amount (a burst of one usage type from a new config fingerprint, on random days
  including weekends) and, from day 140 to the end, a lasting level shift of +80% (a new workload).
  Reported: spikes of +100% or more caught (target: all), the +60% one, whether the cause names the
  burst's fingerprint first, alerts for the level shift (target: at most 1), false alerts (at most 2).

Worst case over the seeds, per setting. `--grid` tries k, percent and floor around the defaults and
prints each setting's worst case, which is how the defaults in bot.alerts.spike were chosen.
Not part of the test suite; writes bench-results/backtest.json.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.alerts.cause import DayBreakdown, explain
from bot.alerts.spike import WINDOW_DAYS, Episode, SpikeParams, check_day
from bot.digest.schedule import day_window

ZONE = ZoneInfo("America/New_York")
FIRST_DAY = date(2026, 5, 28)  # 180 days to Nov 23: over the end of DST on Nov 1 (a 25-hour day)
DAYS = 180
WEEKDAY_USD, WEEKEND_FACTOR, NOISE_SIGMA = 120.0, 0.7, 0.10
SPIKES = (60, 100, 150, 200, 250, 300)  # % of the day's expected amount
SHIFT_FROM, SHIFT = 140, 0.8  # day index, +80% from then on
PRICES = {"generation": Decimal("0.40"), "regeneration": Decimal("0.20"), "upscale": Decimal("0.10")}
TYPE_WEIGHTS = (6, 3, 1)
CONFIGS = tuple(f"cfg-{n}" for n in range(6))


@dataclass(frozen=True)
class Event:
    at: datetime
    usage_type: str
    config_fingerprint: str
    job_id: str
    amount: Decimal


@dataclass(frozen=True)
class Ledger:
    events: list[Event]
    spikes: dict[date, int]  # day -> injected % (empty for the steady ledger)
    shift_from: date | None


def _jobs(rng: random.Random, day: date, usd: float, prefix: str, config: str | None = None) -> list[Event]:
    """Jobs at random instants of the local `day` until they add up to about `usd`."""
    start, end = day_window(day, ZONE)
    seconds = (end - start).total_seconds()  # 23, 24 or 25 hours
    events: list[Event] = []
    total = Decimal(0)
    while total < Decimal(str(round(usd, 2))):
        kind = rng.choices(tuple(PRICES), TYPE_WEIGHTS)[0] if config is None else "upscale"
        amount = PRICES[kind] * rng.randint(5, 20)
        at = start + timedelta(seconds=rng.uniform(0, seconds))
        job = f"{prefix}-{day:%m%d}-{len(events)}"
        events.append(Event(at, kind, config or rng.choice(CONFIGS), job, amount))
        total += amount
    return events


def generate(seed: int, *, inject: bool) -> Ledger:
    """The steady ledger of `seed`; with `inject`, plus the spikes and the level shift (same base days)."""
    rng, extra = random.Random(seed), random.Random(seed * 7919 + 1)
    days = [FIRST_DAY + timedelta(days=i) for i in range(DAYS)]
    events: list[Event] = []
    expected = {}
    for day in days:
        level = WEEKDAY_USD * (WEEKEND_FACTOR if day.weekday() >= 5 else 1.0)
        expected[day] = level
        events += _jobs(rng, day, level * math.exp(rng.gauss(0, NOISE_SIGMA) - NOISE_SIGMA**2 / 2), "job")
    if not inject:
        return Ledger(events, {}, None)
    candidates = days[WINDOW_DAYS + 7 : SHIFT_FROM - 3]
    chosen: list[date] = []
    while len(chosen) < len(SPIKES):  # at least 10 days apart, so each is its own episode
        day = extra.choice(candidates)
        if all(abs((day - other).days) >= 10 for other in chosen):
            chosen.append(day)
    spikes = dict(zip(chosen, extra.sample(SPIKES, len(SPIKES)), strict=True))
    for day, pct in spikes.items():
        events += _jobs(extra, day, expected[day] * pct / 100, "burst", f"burst-{day:%m%d}")
    for day in days[SHIFT_FROM:]:
        events += _jobs(extra, day, expected[day] * SHIFT, "shift", "cfg-new-workload")
    return Ledger(events, spikes, days[SHIFT_FROM])


def per_day(events: Sequence[Event]) -> dict[date, DayBreakdown]:
    """Each local day's spend per usage type, config fingerprint and job, as the ledger queries will."""
    sums: dict[date, tuple[dict[str, Decimal], dict[str, Decimal], dict[str, Decimal]]] = {}
    for event in events:
        day = event.at.astimezone(ZONE).date()
        maps = sums.setdefault(day, ({}, {}, {}))
        for mapping, key in zip(
            maps, (event.usage_type, event.config_fingerprint, event.job_id), strict=True
        ):
            mapping[key] = mapping.get(key, Decimal(0)) + event.amount
    return {day: DayBreakdown(*maps) for day, maps in sorted(sums.items())}


@dataclass(frozen=True)
class Score:
    """One seed under one setting."""

    steady_alerts: int  # (a): all false
    alerts: int  # (b): in all
    big_caught: int  # (b): injected spikes of +100% or more that alerted on their day
    big_injected: int
    small_caught: int  # (b): the +60% spike
    shift_alerts: int  # (b): alerts from the level shift's first day on
    false_alerts: int  # (b): alerts on days before the shift that are not injected spikes
    cause_named: int  # (b): caught spikes whose first-named config fingerprint is the burst's
    explained: Decimal  # (b): the least share of a caught spike's rise its named fingerprints explain
    missed: tuple[str, ...]  # (b): the +100%-or-more spikes not caught, described


def replay(days: dict[date, DayBreakdown], params: SpikeParams, *, episodes: bool = True) -> list[date]:
    """The days that alerted, checking each complete day against the ones before it, as the clock does.

    Without `episodes`, each day is judged alone (what the episode rule saves).
    """
    ordered = sorted(days)
    totals = [sum(days[day].by_type.values(), Decimal(0)) for day in ordered]
    episode: Episode | None = None
    alerts = []
    for i, day in enumerate(ordered):
        check = check_day(day, totals[i], totals[:i], episode, params)
        episode = check.episode if episodes else None
        if check.alert:
            alerts.append(day)
    return alerts


def score(
    steady: dict[date, DayBreakdown], injected: Ledger, days: dict[date, DayBreakdown], params: SpikeParams
) -> Score:
    alerts = replay(days, params)
    assert injected.shift_from is not None
    caught = [day for day in alerts if day in injected.spikes]
    ordered = sorted(days)
    named, explained = 0, Decimal(1)
    for day in caught:
        i = ordered.index(day)
        cause = explain(days[day], [days[d] for d in ordered[max(0, i - WINDOW_DAYS) : i]]).by_config
        named += bool(cause.named) and cause.named[0].key == f"burst-{day:%m%d}"
        explained = min(explained, cause.explained or Decimal(0))
    missed = tuple(
        f"{day:%a %b %-d} +{pct}%: ${sum(days[day].by_type.values())}"
        for day, pct in sorted(injected.spikes.items())
        if pct >= 100 and day not in caught
    )
    return Score(
        steady_alerts=len(replay(steady, params)),
        alerts=len(alerts),
        big_caught=sum(injected.spikes[day] >= 100 for day in caught),
        big_injected=sum(pct >= 100 for pct in injected.spikes.values()),
        small_caught=sum(injected.spikes[day] < 100 for day in caught),
        shift_alerts=sum(day >= injected.shift_from for day in alerts),
        false_alerts=sum(day not in injected.spikes and day < injected.shift_from for day in alerts),
        cause_named=named,
        explained=explained,
        missed=missed,
    )


def worst(scores: Sequence[Score]) -> dict[str, object]:
    """The worst case over seeds, and in how many seeds the targets were met."""
    shift, n = [s.shift_alerts for s in scores], len(scores)
    return {
        "(a) alerts": max(s.steady_alerts for s in scores),
        "(b) +100%+ caught": f"{min(s.big_caught for s in scores)}/{scores[0].big_injected}",
        "+60% caught": f"{sum(s.small_caught for s in scores)}/{n} seeds",
        "alerts in all": max(s.alerts for s in scores),
        "level shift": f"{min(shift)}-{max(shift)}",
        "false": max(s.false_alerts for s in scores),
        "cause named": f"{sum(s.cause_named == s.big_caught + s.small_caught for s in scores)}/{n} seeds",
        "explained": f"{min(s.explained for s in scores):.0%}",
        "targets met": f"{sum(_meets(s) for s in scores)}/{n} seeds",
    }


def _meets(s: Score) -> bool:
    return (
        s.steady_alerts <= 1
        and s.big_caught == s.big_injected
        and s.shift_alerts <= 1
        and s.false_alerts <= 2
    )


def table(rows: list[dict[str, object]]) -> str:
    heads = list(rows[0])
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in heads]
    line = lambda cells: " | ".join(str(c).rjust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join(
        [line(heads), "-+-".join("-" * w for w in widths), *(line([r[h] for h in heads]) for r in rows)]
    )


def settings(grid: bool) -> list[SpikeParams]:
    """The defaults, and with `grid` each setting moved alone around them."""
    default = SpikeParams()
    if not grid:
        return [default]
    return [
        default,
        *(replace(default, k=Decimal(k)) for k in (2, 4, 5)),
        *(replace(default, percent=Decimal(p)) for p in (25, 30, 35, 50)),
        *(replace(default, floor=Decimal(f)) for f in (0, 30, 50)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--grid", action="store_true", help="also try settings around the defaults")
    parser.add_argument("--json", default="bench-results/backtest.json")
    args = parser.parse_args()
    ledgers = []
    for seed in range(1, args.seeds + 1):
        steady, injected = generate(seed, inject=False), generate(seed, inject=True)
        ledgers.append((per_day(steady.events), injected, per_day(injected.events)))
    rows, missed = [], []
    for n, params in enumerate(settings(args.grid)):
        scores = [score(steady, injected, days, params) for steady, injected, days in ledgers]
        head = {"setting": "default" if n == 0 else "", "k": params.k, "%": params.percent}
        rows.append(head | {"floor $": params.floor} | worst(scores))
        if n == 0:
            missed = [f"seed {seed}: {m}" for seed, s in enumerate(scores, 1) for m in s.missed]
    print(f"Spike rule backtest: {args.seeds} seeds x {DAYS} days, worst case over the seeds\n")
    print(table(rows))
    print("\n+100%-or-more spikes the defaults missed:", "; ".join(missed) or "none")
    alone = [
        sum(day >= injected.shift_from for day in replay(days, SpikeParams(), episodes=False))
        for _, injected, days in ledgers
        if injected.shift_from is not None
    ]
    print(f"Level-shift alerts with each day judged alone (no episodes): {min(alone)}-{max(alone)}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    report = {"seeds": args.seeds, "rows": rows, "missed": missed}
    Path(args.json).write_text(json.dumps(report, default=str, indent=1))


if __name__ == "__main__":
    main()
