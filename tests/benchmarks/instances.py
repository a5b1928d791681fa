"""What several processes on one database cost, and whether they keep Katalo's limits (issue 14).

    .venv/bin/python -m tests.benchmarks.instances      # about 2 minutes; writes bench-results/instances.json

Every process is `katalo-bot serve` (or `clock`, `sync`) as deployed, with default settings except
where Slack, Katalo and the database are: the shared budget and the shared cache are always on.
PostgreSQL is KATALO_TEST_POSTGRES_URL (default 127.0.0.1:5432/test), in a schema of its own,
dropped afterwards. Katalo (the sandbox, a 20,000-event ledger) and Slack (the stand-in) run in this
process, which is also the load generator; all of it shares the machine's 2 cores. Everything is on
127.0.0.1.

1. Upstream requests for 60 simultaneous `/katalo usage` (cold caches) spread round-robin over 3
   `serve` instances on PostgreSQL; the sandbox takes 0.2 s a request, as a network would.
2. Warm-cache throughput and ack latency: `--requests` signed `/katalo usage` from 16 keep-alive
   connections, closed-loop on the ack (as tests/benchmarks/serve.py), on one `serve` with SQLite
   (the single-process figures), one `serve` with PostgreSQL, and three `serve` on PostgreSQL with
   the connections spread over them.
3. Katalo's busiest minute: the 3 instances, `katalo-bot clock` and a full `katalo-bot sync` run
   together for `--seconds` while questions arrive at 2 a second, spread over the instances: every
   other one a Refresh (which must ask Katalo), the rest `/katalo usage`. Every request the sandbox
   receives is timed; the figure is the most in any 60 s, against KATALO_REQUESTS_PER_MINUTE (60).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.blocks.limits import displayed_texts
from bot.db.engine import make_engine
from bot.db.schema import katalo_budget
from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.server import SUMMARY_PATH
from bot.sandbox.slack_driver import SlackDriver
from tests.benchmarks.budget import postgres_url
from tests.benchmarks.harness import (
    BOT_TOKEN,
    SIGNING_SECRET,
    Commander,
    RawClient,
    Server,
    at_once,
    bot_command,
    clean_environment,
    closed_loop,
    percentile,
    start_bot,
)
from tests.benchmarks.serve import answered, ms, note, warm_up
from tests.stand_ins.katalo import KataloDouble
from tests.stand_ins.slack import SlackDouble, buttons

LEDGER_EVENTS = 20_000  # 200 pages: more than a minute of the budget for a full sync
PER_MINUTE = 60  # KATALO_REQUESTS_PER_MINUTE's default
BURST = 60
INSTANCES = 3


class TimedKatalo(KataloDouble):
    """The sandbox, noting when each request arrived (time.time(): the clock the budget's slots are on,
    PostgreSQL's, which is this machine's)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.arrivals: list[float] = []
        super().__init__(*args, **kwargs)

    def _handle(self, request: Any) -> None:
        self.arrivals.append(time.time())  # list.append is atomic: handler threads may race
        super()._handle(request)


@contextmanager
def instances(
    count: int, workdir: Path, slack: SlackDouble, katalo: str, database: str
) -> Iterator[list[Server]]:
    """`count` `katalo-bot serve` on one database, started one after the other, stopped at the end."""
    with ExitStack() as stack:
        servers = []
        for n in range(count):
            home = workdir / f"serve-{n}"
            home.mkdir(parents=True, exist_ok=True)
            server = start_bot({}, home, slack, katalo, database)
            stack.callback(server.stop)
            servers.append(server)
        yield servers


def burst(servers: list[Server], slack: SlackDouble, katalo: TimedKatalo) -> dict[str, Any]:
    """60 `/katalo usage` released together, round-robin over the instances, on cold caches."""
    katalo.latency = 0.2
    katalo.reset_requests()
    slack.reset()
    commanders = [Commander(s.url, slack) for s in servers]
    sent = at_once(BURST, lambda client, i: commanders[i % len(commanders)].send(client, "usage"), timeout=30)
    posted = answered(slack, BURST, timeout=30)
    katalo.latency = 0.0
    return {
        "instances": len(servers),
        "questions": BURST,
        "acks_200": sum(1 for s in sent if s is not None and s.status == 200),
        "answers_posted": posted,
        "upstream_summary_requests": katalo.request_count(SUMMARY_PATH),
    }


def throughput(servers: list[Server], slack: SlackDouble, requests: int) -> dict[str, Any]:
    """Warm-cache throughput from 16 connections spread over `servers`; ack p50/p99."""
    commanders = [Commander(s.url, slack) for s in servers]
    for commander in commanders:
        warm_up(commander, 10)
    slack.reset()
    prepared = [commanders[i % len(servers)].request("usage") for i in range(requests)]
    clients = iter(range(10_000))

    def client() -> RawClient:
        return RawClient(servers[next(clients) % len(servers)].url)

    def task(connection: RawClient, i: int) -> tuple[int, float]:
        body, headers, _ = prepared[i]
        started = time.perf_counter()
        return connection.post("/slack/events", body, headers), time.perf_counter() - started

    # Each connection sends to one instance, and request i was signed for instance i % n: both are
    # signed with the same secret, so any instance may answer any of them.
    started = time.perf_counter()
    sent, _ = closed_loop(requests, 16, task, timeout=120, client=client)
    posted = answered(slack, requests, timeout=60)
    wall = time.perf_counter() - started
    acks = [seconds for _, seconds in sent]
    return {
        "instances": len(servers),
        "requests": requests,
        "acks_200": sum(1 for status, _ in sent if status == 200),
        "answers_posted": posted,
        "requests_per_s": round(posted / wall, 1),
        "ack_p50_ms": ms(percentile(acks, 50)),
        "ack_p99_ms": ms(percentile(acks, 99)),
    }


def busiest_minute(
    servers: list[Server],
    slack: SlackDouble,
    katalo: TimedKatalo,
    database: str,
    workdir: Path,
    seconds: float,
) -> dict[str, Any]:
    """The instances, a clock and a full sync together under questions: Katalo's busiest 60 s."""
    drivers = [SlackDriver(bot_url=s.url, slack=slack, secret=SIGNING_SECRET) for s in servers]
    [first] = slack.wait_for_posts(drivers[0].command("usage")[1], timeout=15)
    refresh = buttons(first)["Refresh"]
    slack.reset()
    katalo.reset_requests()
    katalo.arrivals.clear()
    env = clean_environment(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        KATALO_API_URL=katalo.url,
        DATABASE_URL=database,
    )
    started, cutoff = time.monotonic(), time.time()
    slots = Slots(database)
    with (workdir / "clock.log").open("wb") as clock_log, (workdir / "sync.log").open("wb") as sync_log:
        sync = subprocess.Popen(
            bot_command("sync", "--max-seconds", f"{seconds:g}"),
            env=env,
            stdout=sync_log,
            stderr=subprocess.STDOUT,
        )
        time.sleep(1.0)  # the sync claims the mirror first; the clock's own sync then finds it running
        clock = subprocess.Popen(bot_command("clock"), env=env, stdout=clock_log, stderr=subprocess.STDOUT)
        urls = ask(drivers, refresh, started, seconds)
        posted = answered(slack, len(urls), timeout=30)
        clock.terminate()
        clock.wait(timeout=60)
        sync.wait(timeout=60)
    replies = ["\n".join(displayed_texts(m)) for url in urls for m in slack.posts(url)[:1]]
    taken = [moment for moment in slots.stop() if moment >= cutoff]
    return {
        "seconds": round(time.monotonic() - started, 1),
        "questions": len(urls),
        "answers_posted": posted,
        "answered_with_figures": sum("of plan used" in r and "*Stale*" not in r for r in replies),
        "answered_stale": sum("*Stale*" in r for r in replies),
        "told_to_try_again": sum("Try again in" in r for r in replies),
        "upstream_requests": len(katalo.arrivals),
        "upstream_summary_requests": katalo.request_count(SUMMARY_PATH),
        "max_in_any_60_s": most_in_a_window(katalo.arrivals, 60.0),
        "slots_taken": len(taken),
        "max_slots_in_any_60_s": most_in_a_window(taken, 60.0),
        "slot_to_arrival": send_delays(taken, katalo.arrivals),
        "sync": last_line(workdir / "sync.log"),
    }


class Slots:
    """Every slot the shared budget handed out, read from `katalo_budget` twice a second."""

    def __init__(self, database: str) -> None:
        self._engine = make_engine(database)
        self.times: set[float] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(0.5):
            with self._engine.connect() as connection:
                spent = connection.execute(select(katalo_budget.c.spent)).scalar_one()
            self.times.update(float(moment) for moment in spent.split())

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join()
        self._engine.dispose()
        return sorted(self.times)


def send_delays(slots: list[float], arrivals: list[float]) -> dict[str, float]:
    """Seconds from a slot being taken to its request reaching Katalo, pairing the two in time order."""
    delays = [arrived - slot for slot, arrived in zip(slots, sorted(arrivals), strict=False)]
    return {
        "p50_ms": ms(percentile(delays, 50)),
        "p99_ms": ms(percentile(delays, 99)),
        "max_ms": ms(max(delays)),
    }


def ask(drivers: list[SlackDriver], refresh: dict[str, Any], started: float, seconds: float) -> list[str]:
    """Questions at 2 a second, round-robin over the instances: every other one a Refresh."""
    urls: list[str] = []
    for i in range(int(seconds * 2)):
        time.sleep(max(0.0, started + i / 2 - time.monotonic()))
        driver = drivers[i % len(drivers)]
        _, url = driver.press(refresh) if i % 2 else driver.command("usage")
        urls.append(url)
    return urls


def most_in_a_window(arrivals: list[float], window: float) -> int:
    """The most arrivals in any `window` seconds (each window starting at an arrival)."""
    times = sorted(arrivals)
    most, end = 0, 0
    for start, moment in enumerate(times):
        while end < len(times) and times[end] < moment + window:
            end += 1
        most = max(most, end - start)
    return most


def last_line(path: Path) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def run(requests: int, seconds: float, workdir: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    ledger = SandboxLedger(events=LEDGER_EVENTS)
    with TimedKatalo(ledger) as katalo, SlackDouble(token=BOT_TOKEN) as slack:
        with instances(1, workdir / "sqlite", slack, katalo.url, f"sqlite:///{workdir / 'one.db'}") as one:
            figures["throughput_1_sqlite"] = throughput(one, slack, requests)
            note(f"1 instance, SQLite: {figures['throughput_1_sqlite']}")
        with (
            postgres_url() as database,
            instances(INSTANCES, workdir / "pg", slack, katalo.url, database) as three,
        ):
            figures["burst"] = burst(three, slack, katalo)
            note(f"burst: {figures['burst']}")
            figures["throughput_1_postgresql"] = throughput(three[:1], slack, requests)
            note(f"1 instance, PostgreSQL: {figures['throughput_1_postgresql']}")
            figures["throughput_3_postgresql"] = throughput(three, slack, requests)
            note(f"3 instances, PostgreSQL: {figures['throughput_3_postgresql']}")
            figures["busiest_minute"] = busiest_minute(three, slack, katalo, database, workdir, seconds)
            note(f"busiest minute: {figures['busiest_minute']}")
    return figures


def table(figures: dict[str, Any]) -> str:
    rows = ["| figure | measured | target |", "| --- | --- | --- |"]
    for key, label in (
        ("throughput_1_sqlite", "1 `serve`, SQLite"),
        ("throughput_1_postgresql", "1 `serve`, PostgreSQL"),
        ("throughput_3_postgresql", "3 `serve`, PostgreSQL"),
    ):
        t = figures[key]
        rows.append(
            f"| warm-cache throughput, {label} ({t['requests']} requests, 16 connections) "
            f"| {t['requests_per_s']:g} req/s, ack p50 {t['ack_p50_ms']:g} ms, p99 {t['ack_p99_ms']:g} ms "
            f"({t['answers_posted']} answered) | |"
        )
    b = figures["burst"]
    rows.append(
        f"| upstream requests for {b['questions']} simultaneous `/katalo usage`"
        f" over {b['instances']} `serve` "
        f"| {b['upstream_summary_requests']} ({b['answers_posted']} answered) | 1 |"
    )
    m = figures["busiest_minute"]
    rows.append(
        f"| most Katalo requests in any 60 s: 3 `serve`, `clock` and a full `sync`,"
        f" {m['questions']} questions "
        f"in {m['seconds']:g} s | {m['max_in_any_60_s']} ({m['upstream_requests']} in all; "
        f"{m['answered_with_figures']} answered with figures, {m['answered_stale']} stale, "
        f"{m['told_to_try_again']} told to try again) | ≤ {PER_MINUTE} |"
    )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="throughput requests per row")
    parser.add_argument("--seconds", type=float, default=75.0, help="length of the busiest-minute run")
    parser.add_argument("--json", default="bench-results/instances.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = run(args.requests, args.seconds, Path(tmp))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(figures, indent=2))
    print(table(figures))


if __name__ == "__main__":
    main()
