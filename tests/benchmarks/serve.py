"""Benchmark of `katalo-bot serve`, the HTTP server (issue: HTTP server figures).

    .venv/bin/python -m tests.benchmarks.serve            # full: ~5 min, 1,000,000-event ledger
    .venv/bin/python -m tests.benchmarks.serve --quick    # small counts, under a minute

The bot runs as deployed: `katalo-bot serve` (waitress, one process, 8 threads) as a subprocess,
with default settings except where Slack, Katalo and the database are. Katalo is the sandbox and Slack
is the stand-in (Web API and response URLs), both served from this process on 127.0.0.1, which is also
the load generator: on a 2-core machine the bot's worker, the load generator and the stand-ins share
the two cores. The CPU each side used during the throughput runs is printed, so a saturated load
generator shows.

Figures (each is measured `--runs` times; the table shows the median of the per-run values):

- ack latency under a slow Katalo: a fresh `serve` (cold cache), the sandbox answering every request
  after 5 s; signed `/katalo usage` requests arrive open-loop (40 at 10/s; quick: 20 at 5/s), all
  while the first request's fetch is in flight, so every answer waits on Katalo. Time from sending to
  the HTTP answer; answers other than 200 are counted, and fail the figure.
- end-to-end, warm cache: 200 sequential `/katalo usage` on a warmed `serve` (sandbox latency 0);
  time from sending the request until its answer has arrived at the stand-in's response URL.
- upstream requests for 50 simultaneous `/katalo usage`: a fresh `serve` (cold cache), 50 threads
  released by a barrier; sandbox requests counted once all 50 answers were posted. The sandbox adds
  0.2 s per request, as a real network would, so the 50 overlap the one fetch.
- throughput, warm cache: `--requests` signed `/katalo usage` (prepared beforehand) from
  `--concurrency` keep-alive http.client connections, closed-loop on the ack; requests/s = answers
  posted / (first send .. last answer posted). The same load on tests/benchmarks/bare_app.py served
  by the same server with the same options (bot/web/server.py), runs alternating. The server's CPU
  per request is reported too: it compares the two without the load generator's share of the cores.
- `/katalo events <job_id>`: the mirror filled by `katalo-bot sync` (budget lifted) from an
  `--events`-event sandbox, then a `serve` on that database; sequential lookups of random jobs, time
  from sending until the answer is posted, and sandbox requests per lookup. Then (not with --quick)
  the mirror is left to age past MIRROR_MAX_AGE (60 s), 20 events are appended, and 5 more lookups
  show the sync a lookup pays for in production.
- hostile peers (tests/benchmarks/hostile.py): /healthz and signed acks while 64 slow clients are
  connected, and an unsigned 100 MB body: what it gets, how much was sent, the peak RSS after it.
- memory: VmHWM (peak RSS) of each bot process at the end of its load; the table shows the
  largest.
- start-up: wall time of `katalo-bot --help`; and from spawning `katalo-bot serve` until GET /healthz
  answers 200, over every bot spawn of the run.

Every count is fixed, every wait has a timeout, and the whole run is stopped at `--time-limit`
(SIGALRM), servers included. All traffic is to 127.0.0.1.

Writes bench-results/serve.json. Not part of the test suite (pytest collects only test_*.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.server import SUMMARY_PATH
from bot.services.answers import MIRROR_MAX_AGE
from tests.benchmarks.harness import (
    BOT_TOKEN,
    Commander,
    RawClient,
    Sent,
    Server,
    at_once,
    bot_command,
    clean_environment,
    closed_loop,
    loadavg,
    median,
    new_client,
    open_loop,
    percentile,
    start_bare,
    start_bot,
)
from tests.benchmarks.hostile import probe_under_slow_peers, send_big_body
from tests.benchmarks.ledger import timed_sync
from tests.stand_ins.katalo import KataloDouble
from tests.stand_ins.slack import SlackDouble


@dataclass(frozen=True)
class Plan:
    runs: int
    slow_requests: int  # /katalo usage sent while Katalo takes slow_katalo_s ...
    slow_rate: float  # ... at this many per second
    slow_katalo_s: float
    burst: int
    burst_latency: float
    e2e_requests: int
    requests: int  # throughput: requests per run
    concurrency: int
    events: int  # ledger size for /katalo events
    lookups: int  # /katalo events lookups per run
    aged_lookups: int  # lookups once the mirror's last sync is older than MIRROR_MAX_AGE (0: skip)
    aged_append: int  # new ledger events by then
    help_runs: int
    slow_peers: int  # hostile figure: slow connections held open ...
    peer_probes: int  # ... while /healthz and a signed ack are tried this many times each
    time_limit: float  # seconds; the whole benchmark is stopped after this


FULL = Plan(
    runs=5,
    slow_requests=40,
    slow_rate=10.0,
    slow_katalo_s=5.0,
    burst=50,
    burst_latency=0.2,
    e2e_requests=200,
    requests=2000,
    concurrency=16,
    events=1_000_000,
    lookups=200,
    aged_lookups=5,
    aged_append=20,
    help_runs=5,
    slow_peers=64,
    peer_probes=16,
    time_limit=1800.0,
)
QUICK = Plan(
    runs=1,
    slow_requests=20,
    slow_rate=5.0,
    slow_katalo_s=5.0,
    burst=50,
    burst_latency=0.2,
    e2e_requests=30,
    requests=200,
    concurrency=16,
    events=20_000,
    lookups=30,
    aged_lookups=0,
    aged_append=20,
    help_runs=3,
    slow_peers=64,
    peer_probes=16,
    time_limit=200.0,
)
SMALL_LEDGER = 2000  # events behind /katalo usage: its summary is recounted from the ledger


class BenchmarkTimeout(Exception):
    pass


def note(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@contextmanager
def fakes(events: int = SMALL_LEDGER) -> Iterator[tuple[KataloDouble, SlackDouble]]:
    with KataloDouble(SandboxLedger(events=events)) as katalo, SlackDouble(token=BOT_TOKEN) as slack:
        yield katalo, slack


@contextmanager
def running(start: Callable[..., Server], *args: Any) -> Iterator[Server]:
    server = start(*args)
    try:
        yield server
    finally:
        server.stop()


def answered(slack: SlackDouble, count: int, timeout: float) -> int:
    """How many answers were posted, waiting up to `timeout` for `count` of them."""
    try:
        return len(slack.wait_for_posts(None, count, timeout=timeout))
    except AssertionError:
        return len(slack.posts())


class Record:
    """What a run measured about every bot process: start-up time and peak RSS under load."""

    def __init__(self) -> None:
        self.startups: list[float] = []
        self.peaks: dict[str, list[float]] = {}

    def started(self, server: Server) -> None:
        self.startups.append(server.startup_s)

    def peak(self, phase: str, server: Server) -> None:
        rss = server.peak_rss_mb()
        if rss is not None:
            self.peaks.setdefault(phase, []).append(rss)


# --- figures ---------------------------------------------------------------------------------------


def measure_help(plan: Plan) -> dict[str, Any]:
    times = []
    for _ in range(plan.help_runs):
        started = time.perf_counter()
        subprocess.run(
            bot_command("--help"), env=clean_environment(), capture_output=True, check=True, timeout=30
        )
        times.append(time.perf_counter() - started)
    return {"runs_s": [round(t, 3) for t in times], "median_s": round(median(times), 3)}


def measure_slow_ack(plan: Plan, workdir: Path, record: Record) -> dict[str, Any]:
    runs = []
    for run in range(plan.runs):
        with fakes() as (katalo, slack):
            katalo.latency = plan.slow_katalo_s
            database = sqlite_url(workdir / f"slow-{run}.db")
            with running(start_bot, {}, workdir, slack, katalo.url, database) as bot:
                record.started(bot)
                commander = Commander(bot.url, slack)

                def task(_: int, commander: Commander = commander) -> Sent:
                    with new_client() as client:
                        return commander.send(client, "usage", timeout=10)

                sent: list[Sent] = open_loop(plan.slow_requests, plan.slow_rate, task, timeout=30)
                done = [s for s in sent if s is not None]
                posted = answered(slack, len(done), timeout=plan.slow_katalo_s + 20)
                record.peak("slow katalo", bot)
        latencies = [s.ack_s for s in done]
        statuses: dict[str, int] = {}
        for s in done:
            key = str(s.status) if s.status else (s.error or "no answer")
            statuses[key] = statuses.get(key, 0) + 1
        runs.append(
            {
                "requests": plan.slow_requests,
                "p50_ms": ms(percentile(latencies, 50)),
                "p99_ms": ms(percentile(latencies, 99)),
                "max_ms": ms(max(latencies, default=math.nan)),
                "over_3s": sum(1 for t in latencies if t > 3.0),
                "statuses": statuses,
                "answers_posted": posted,
            }
        )
        note(f"slow-Katalo ack run {run + 1}: {runs[-1]}")
    return summarize(runs, "p50_ms", "p99_ms", "max_ms")


def measure_hostile(plan: Plan, workdir: Path, record: Record) -> dict[str, Any]:
    """Slow peers connected while /healthz and acks are probed; then a 100 MB unsigned body."""
    runs = []
    for run in range(plan.runs):
        with fakes() as (katalo, slack):
            database = sqlite_url(workdir / f"hostile-{run}.db")
            with running(start_bot, {}, workdir, slack, katalo.url, database) as bot:
                record.started(bot)
                commander = Commander(bot.url, slack)
                result = probe_under_slow_peers(bot, commander, plan.slow_peers, plan.peer_probes)
                result["big_body"] = send_big_body(bot)
                runs.append(result)
        note(f"hostile peers run {run + 1}: {runs[-1]}")
    return summarize(runs, "health_max_ms", "ack_max_ms", "health_p50_ms", "ack_p50_ms")


def measure_burst(plan: Plan, workdir: Path, record: Record) -> dict[str, Any]:
    runs = []
    for run in range(plan.runs):
        with fakes() as (katalo, slack):
            katalo.latency = plan.burst_latency
            database = sqlite_url(workdir / f"burst-{run}.db")
            with running(start_bot, {}, workdir, slack, katalo.url, database) as bot:
                record.started(bot)
                katalo.reset_requests()
                commander = Commander(bot.url, slack)
                sent: list[Sent] = at_once(
                    plan.burst,
                    lambda client, _, commander=commander: commander.send(client, "usage", timeout=15),
                    timeout=30,
                )
                posted = answered(slack, plan.burst, timeout=30)
                record.peak("burst", bot)
                runs.append(
                    {
                        "upstream_summary_requests": katalo.request_count(SUMMARY_PATH),
                        "upstream_requests": katalo.request_count(),
                        "acks_200": sum(1 for s in sent if s is not None and s.status == 200),
                        "ack_p99_ms": ms(percentile([s.ack_s for s in sent if s is not None], 99)),
                        "answers_posted": posted,
                    }
                )
        note(f"burst run {run + 1}: {runs[-1]}")
    return summarize(runs, "upstream_summary_requests", "upstream_requests", "answers_posted")


def warm_up(commander: Commander, count: int = 40) -> None:
    closed_loop(count, 4, lambda client, _: commander.send_and_wait(client, "usage"), timeout=60)


def measure_usage_server(plan: Plan, workdir: Path, record: Record) -> tuple[dict[str, Any], dict[str, Any]]:
    """End-to-end latency and throughput on one warm `serve`, throughput also on the bare app."""
    with fakes() as (katalo, slack):
        database = sqlite_url(workdir / "usage.db")
        with (
            running(start_bot, {}, workdir, slack, katalo.url, database) as bot,
            running(start_bare, workdir, slack) as bare,
        ):
            record.started(bot)
            bot_commander, bare_commander = Commander(bot.url, slack), Commander(bare.url, slack)
            warm_up(bot_commander)
            warm_up(bare_commander)
            e2e_runs = []
            for run in range(plan.runs):
                slack.reset()
                results, _ = closed_loop(
                    plan.e2e_requests,
                    1,
                    lambda client, _: bot_commander.send_and_wait(client, "usage"),
                    timeout=120,
                )
                latencies = [e2e for _, e2e in results if not math.isnan(e2e)]
                e2e_runs.append(
                    {
                        "requests": plan.e2e_requests,
                        "answered": len(latencies),
                        "p50_ms": ms(percentile(latencies, 50)),
                        "p99_ms": ms(percentile(latencies, 99)),
                        "ack_p50_ms": ms(percentile([sent.ack_s for sent, _ in results], 50)),
                    }
                )
                note(f"end-to-end run {run + 1}: {e2e_runs[-1]}")
            throughput_runs: dict[str, list[dict[str, Any]]] = {"bot": [], "bare": []}
            for run in range(plan.runs):
                for name, server, commander in (("bot", bot, bot_commander), ("bare", bare, bare_commander)):
                    throughput_runs[name].append(throughput(plan, slack, server, commander))
                    note(f"throughput run {run + 1}, {name}: {throughput_runs[name][-1]}")
            record.peak("e2e + throughput", bot)
            bare_rss = bare.peak_rss_mb()
    e2e = summarize(e2e_runs, "p50_ms", "p99_ms", "ack_p50_ms")
    keys = ("requests_per_s", "server_cpu_ms_per_request", "loadgen_cpu_ms_per_request", "ack_p99_ms")
    bot_summary = summarize(throughput_runs["bot"], *keys)
    bare_summary = summarize(throughput_runs["bare"], *keys)
    ratio = bot_summary["median"]["requests_per_s"] / bare_summary["median"]["requests_per_s"]
    # The same comparison without the load generator: server CPU per answered request, bare / bot.
    bot_cpu = bot_summary["median"]["server_cpu_ms_per_request"]
    cpu_ratio = bare_summary["median"]["server_cpu_ms_per_request"] / bot_cpu
    return e2e, {
        "bot": bot_summary,
        "bare": bare_summary,
        "ratio": round(ratio, 2),
        "cpu_ratio": round(cpu_ratio, 2),
        "bare_peak_rss_mb": bare_rss,
    }


def throughput(plan: Plan, slack: SlackDouble, server: Server, commander: Commander) -> dict[str, Any]:
    """One throughput run: signed requests prepared first, then sent from light keep-alive clients."""
    slack.reset()
    prepared = [commander.request("usage") for _ in range(plan.requests)]

    def task(client: RawClient, i: int) -> tuple[int, float]:
        body, headers, _ = prepared[i]
        started = time.perf_counter()
        status = client.post("/slack/events", body, headers)
        return status, time.perf_counter() - started

    server_cpu, own_cpu = server.worker_cpu_seconds(), time.process_time()
    started = time.perf_counter()
    sent, ack_wall = closed_loop(
        plan.requests, plan.concurrency, task, timeout=300, client=lambda: RawClient(server.url)
    )
    posted = answered(slack, plan.requests, timeout=60)
    wall = time.perf_counter() - started
    server_cpu = server.worker_cpu_seconds() - server_cpu
    own_cpu = time.process_time() - own_cpu
    acks = [seconds for _, seconds in sent]
    return {
        "requests": plan.requests,
        "acks_200": sum(1 for status, _ in sent if status == 200),
        "answers_posted": posted,
        "seconds": round(wall, 2),
        "requests_per_s": round(posted / wall, 1),
        "acks_per_s": round(len(sent) / ack_wall, 1),
        "ack_p50_ms": ms(percentile(acks, 50)),
        "ack_p99_ms": ms(percentile(acks, 99)),
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(posted, 1), 2),
        "loadgen_cpu_s": round(own_cpu, 2),  # load generator + stand-ins, this whole process
        "loadgen_cpu_ms_per_request": round(own_cpu * 1000 / max(posted, 1), 2),
    }


def measure_events(plan: Plan, workdir: Path, record: Record) -> dict[str, Any]:
    database = sqlite_url(workdir / "events.db")
    with fakes(plan.events) as (katalo, slack):
        note(f"katalo-bot sync of a {plan.events:,}-event ledger ...")
        sync_s, sync_rss, line = timed_sync(katalo.url, database)
        synced_at = time.monotonic()
        note(f"synced in {sync_s:.1f} s: {line}")
        rng = random.Random(11)
        ledger = katalo.ledger
        with running(start_bot, {}, workdir, slack, katalo.url, database) as bot, new_client() as client:
            record.started(bot)
            commander = Commander(bot.url, slack)

            def lookup() -> dict[str, Any]:
                """One `/katalo events <job>` of a random job: end-to-end time and sandbox requests."""
                job = ledger.event(rng.randrange(ledger.event_count))["job_id"]
                katalo.reset_requests()
                sent, e2e = commander.send_and_wait(client, f"events {job}", timeout=15)
                posts = slack.posts(sent.response_url)
                text = posts[0].get("text", "") if posts else ""
                return {
                    "ok": sent.status == 200 and not math.isnan(e2e),
                    "e2e_s": e2e,
                    "upstream": katalo.request_count(),
                    "found": bool(text) and not text.startswith("No ledger events"),
                    "text": text,
                }

            runs = []
            sample_text = ""
            for run in range(plan.runs):
                results = [lookup() for _ in range(plan.lookups)]
                latencies = [r["e2e_s"] for r in results if r["ok"]]
                sample_text = sample_text or next((r["text"] for r in results if r["found"]), "")
                runs.append(
                    {
                        "lookups": plan.lookups,
                        "answered": len(latencies),
                        "jobs_found": sum(r["found"] for r in results),
                        "p50_ms": ms(percentile(latencies, 50)),
                        "p99_ms": ms(percentile(latencies, 99)),
                        "upstream_max": max(r["upstream"] for r in results),
                        "upstream_total": sum(r["upstream"] for r in results),
                    }
                )
                note(f"events run {run + 1}: {runs[-1]}")
            aged: list[dict[str, Any]] = []
            if plan.aged_lookups:
                # The mirror is synced before every answer once its last sync is MIRROR_MAX_AGE old, as
                # it usually is in production: wait for that, let a few events arrive, then look up.
                wait = synced_at + MIRROR_MAX_AGE + 2 - time.monotonic()
                note(f"waiting {max(wait, 0):.0f} s for the mirror to age past {MIRROR_MAX_AGE:g} s ...")
                time.sleep(max(wait, 0))
                ledger.append(plan.aged_append)
                for _ in range(plan.aged_lookups):
                    result = lookup()
                    aged.append(
                        {
                            "e2e_ms": ms(result["e2e_s"]),
                            "upstream": result["upstream"],
                            "found": result["found"],
                        }
                    )
                note(f"lookups after the mirror aged: {aged}")
            record.peak("events", bot)
    summary = summarize(runs, "p50_ms", "p99_ms", "upstream_max")
    summary.update(
        events=plan.events,
        sync_s=round(sync_s, 1),
        sync_peak_rss_mb=sync_rss,
        sync_line=line,
        sample_answer=sample_text[:200],
        aged_lookups=aged,
        aged_new_events=plan.aged_append if aged else 0,
        upstream_max=max([r["upstream_max"] for r in runs] + [a["upstream"] for a in aged]),
    )
    return summary


def summarize(runs: list[dict[str, Any]], *keys: str) -> dict[str, Any]:
    return {"runs": runs, "median": {key: median([r[key] for r in runs]) for key in keys}}


# --- report ----------------------------------------------------------------------------------------


def build_table(plan: Plan, figures: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def row(figure: str, value: str, target: str, met: bool | None) -> None:
        rows.append({"figure": figure, "value": value, "target": target, "met": met})

    slow = figures["slow_ack"]
    failures = sum(sum(v for k, v in r["statuses"].items() if k != "200") for r in slow["runs"])
    total = sum(r["requests"] for r in slow["runs"])
    row(
        f"ack of /katalo usage, Katalo {plan.slow_katalo_s:g} s"
        f" ({plan.slow_requests} at {plan.slow_rate:g}/s)",
        f"p50 {slow['median']['p50_ms']:g} ms / p99 {slow['median']['p99_ms']:g} ms"
        f" ({failures}/{total} not 200)",
        "p99 < 100 ms",
        slow["median"]["p99_ms"] < 100 and failures == 0,
    )
    hostile = figures["hostile"]
    probes = sum(r["probes"] for r in hostile["runs"])
    still_open = min(r["peers_open_at_end"] for r in hostile["runs"])
    for what, key in (("/healthz", "health"), ("ack of signed /katalo usage", "ack")):
        answered_all = sum(r[f"{key}_answered"] for r in hostile["runs"])
        median_of = hostile["median"]
        row(
            f"{what}, {plan.slow_peers} slow clients connected",
            f"p50 {median_of[f'{key}_p50_ms']:g} ms / max {median_of[f'{key}_max_ms']:g} ms"
            f" ({answered_all}/{probes} answered; {still_open}/{plan.slow_peers} slow clients still on)",
            "max < 1 s",
            answered_all == probes and still_open == plan.slow_peers and median_of[f"{key}_max_ms"] < 1000,
        )
    bigs = [r["big_body"] for r in hostile["runs"]]
    statuses = ", ".join(sorted({str(b["status"]) for b in bigs}))
    big_rss = max(b["peak_rss_mb"] or 0 for b in bigs)
    row(
        "unsigned 100 MB body",
        f"HTTP {statuses} after {max(b['sent_mb'] for b in bigs):g} MB sent; peak RSS {big_rss:g} MB",
        "413 before read; < 150 MB",
        all(b["status"] == 413 for b in bigs) and big_rss < 150,
    )
    e2e = figures["end_to_end"]["median"]
    row(
        "end-to-end /katalo usage, warm cache",
        f"p50 {e2e['p50_ms']:g} ms / p99 {e2e['p99_ms']:g} ms",
        "p50 < 50 ms",
        e2e["p50_ms"] < 50,
    )
    burst = figures["burst"]
    counts = [r["upstream_summary_requests"] for r in burst["runs"]]
    row(
        f"upstream requests, {plan.burst} simultaneous /katalo usage (cold)",
        f"{median(counts):g} (runs: {', '.join(map(str, counts))})",
        "exactly 1",
        all(c == 1 for c in counts) and all(r["answers_posted"] == plan.burst for r in burst["runs"]),
    )
    tput = figures["throughput"]
    bot_rps, bare_rps = tput["bot"]["median"]["requests_per_s"], tput["bare"]["median"]["requests_per_s"]
    row(
        "throughput /katalo usage, warm cache",
        f"{bot_rps:g} req/s vs bare {bare_rps:g} req/s = {tput['ratio']:g}x",
        ">= 0.8x bare app",
        tput["ratio"] >= 0.8,
    )
    events = figures["events"]
    row(
        f"end-to-end /katalo events <job>, {plan.events:,}-event mirror",
        f"p50 {events['median']['p50_ms']:g} ms / p99 {events['median']['p99_ms']:g} ms",
        "p50 < 100 ms",
        events["median"]["p50_ms"] < 100,
    )
    aged = events["aged_lookups"]
    aged_text = (
        f"; mirror aged >{MIRROR_MAX_AGE:g} s + {events['aged_new_events']} new events:"
        f" {', '.join(str(a['upstream']) for a in aged)} ({aged[0]['e2e_ms']:g} ms first)"
        if aged
        else "; aged mirror not tried (--quick)"
    )
    row(
        "upstream requests per /katalo events lookup",
        f"max {events['upstream_max']}"
        f" (warm: {sum(r['upstream_total'] for r in events['runs'])}"
        f" over {sum(r['lookups'] for r in events['runs'])}{aged_text})",
        "<= 1",
        events["upstream_max"] <= 1,
    )
    peaks = figures["memory"]["peak_rss_mb"]
    peak = max((max(v) for v in peaks.values()), default=math.nan)
    worst = max(peaks, key=lambda phase: max(peaks[phase]), default="?")
    row("peak RSS of the serve worker under load", f"{peak:g} MB ({worst})", "< 150 MB", peak < 150)
    row(
        "katalo-bot --help wall time",
        f"{figures['help']['median_s']:g} s",
        "< 0.5 s",
        figures["help"]["median_s"] < 0.5,
    )
    startup = figures["startup"]
    row(
        "serve: spawn until /healthz answers",
        f"{startup['median_s']:g} s (max {startup['max_s']:g}, {startup['spawns']} spawns)",
        "< 2 s",
        startup["median_s"] < 2,
    )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    def met(value: bool | None) -> str:
        return "n/a" if value is None else ("yes" if value else "NO")

    columns = [
        ("figure", [r["figure"] for r in rows]),
        ("value", [r["value"] for r in rows]),
        ("target", [r["target"] for r in rows]),
        ("met?", [met(r["met"]) for r in rows]),
    ]
    widths = [max(len(name), *(len(v) for v in values)) for name, values in columns]
    print(" | ".join(name.ljust(width) for (name, _), width in zip(columns, widths, strict=True)))
    print("-+-".join("-" * width for width in widths))
    for i in range(len(rows)):
        print(" | ".join(values[i].ljust(width) for (_, values), width in zip(columns, widths, strict=True)))


def print_notes(plan: Plan, figures: dict[str, Any], machine: dict[str, Any]) -> None:
    tput = figures["throughput"]
    print()
    print(
        f"machine: {machine['cpus']} CPUs, load average {machine['loadavg_before']} before,"
        f" {machine['loadavg_after']} after. The load generator and the Slack/Katalo stand-ins run in"
        " this process and share those CPUs with the server."
    )
    for name in ("bot", "bare"):
        m = tput[name]["median"]
        print(
            f"throughput {name}: {m['requests_per_s']:g} req/s, ack p99 {m['ack_p99_ms']:g} ms; CPU per"
            f" request: server worker {m['server_cpu_ms_per_request']:g} ms, load generator + stand-ins"
            f" {m['loadgen_cpu_ms_per_request']:g} ms"
            f" ({plan.requests} requests, concurrency {plan.concurrency})"
        )
    print(
        f"server CPU per request, bare / bot: {tput['cpu_ratio']:g} (the throughput ratio a server-bound"
        " load would show)"
    )
    events = figures["events"]
    print(
        f"mirror sync: {events['events']:,} events in {events['sync_s']:g} s,"
        f" peak RSS {events['sync_peak_rss_mb']} MB"
    )
    print(f"medians of {plan.runs} run(s) per figure; raw runs in the JSON")


# --- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small counts, one run, under a minute")
    parser.add_argument("--runs", type=int, help="runs per figure (default: 5, quick: 1)")
    parser.add_argument("--events", type=int, help="ledger size for /katalo events (default 1,000,000)")
    parser.add_argument("--requests", type=int, help="throughput requests per run (default 2000)")
    parser.add_argument("--concurrency", type=int, help="throughput client threads (default 16)")
    parser.add_argument("--aged-lookups", type=int, help="lookups after a 60 s wait (default 5, quick: 0)")
    parser.add_argument("--time-limit", type=float, help="stop everything after this many seconds")
    parser.add_argument("--json", default="bench-results/serve.json")
    parser.add_argument("--keep-workdir", action="store_true", help="keep the databases and server logs")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    overrides = {
        key: value
        for key in ("runs", "events", "requests", "concurrency", "aged_lookups", "time_limit")
        if (value := getattr(args, key)) is not None
    }
    plan = replace(plan, **overrides)

    def out_of_time(*_: Any) -> None:
        raise BenchmarkTimeout(f"the benchmark ran over its time limit of {plan.time_limit:g} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(math.ceil(plan.time_limit))
    machine = {"cpus": os.cpu_count(), "loadavg_before": loadavg()}
    workdir = Path(tempfile.mkdtemp(prefix="katalo-bench-serve-"))
    record = Record()
    figures: dict[str, Any] = {}
    started = time.monotonic()
    try:
        note(f"plan: {plan}")
        figures["help"] = measure_help(plan)
        note(f"--help: {figures['help']}")
        figures["burst"] = measure_burst(plan, workdir, record)
        figures["slow_ack"] = measure_slow_ack(plan, workdir, record)
        figures["hostile"] = measure_hostile(plan, workdir, record)
        figures["end_to_end"], figures["throughput"] = measure_usage_server(plan, workdir, record)
        figures["events"] = measure_events(plan, workdir, record)
    finally:
        signal.alarm(0)
        if args.keep_workdir:
            note(f"kept {workdir} (server logs: serve.log, bare.log)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    figures["memory"] = {"peak_rss_mb": record.peaks}
    figures["startup"] = {
        "spawns": len(record.startups),
        "runs_s": [round(s, 3) for s in record.startups],
        "median_s": round(median(record.startups), 3),
        "max_s": round(max(record.startups), 3),
    }
    machine["loadavg_after"] = loadavg()
    machine["wall_s"] = round(time.monotonic() - started, 1)
    rows = build_table(plan, figures)
    print_table(rows)
    print_notes(plan, figures, machine)
    result = {
        "mode": "quick" if args.quick else "full",
        "plan": asdict(plan),
        "machine": machine,
        "table": rows,
        "figures": figures,
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
