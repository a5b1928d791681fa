"""Two `katalo-bot serve` processes on one database share one Katalo cache, on SQLite and PostgreSQL.

They share nothing but DATABASE_URL. Katalo is the sandbox over HTTP, which counts the requests
that reach it; a slow Katalo is a sandbox held on a Gate the test opens. Nothing here bounds a
duration: the tests wait on Slack's posts, the gate, or a process's log line.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack_driver import SlackDriver
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, buttons
from tests.e2e.processes import Served, environment, serving
from tests.e2e.test_commands import shown
from tests.fakes import Gate

SUMMARY = "/api/v1/usage/summary"
WAITING = "waiting for another process's fetch of summary"


@contextmanager
def two_instances(
    katalo_url: str, database_url: str, tmp_path: Path
) -> Iterator[tuple[list[Served], list[SlackDriver], SlackStandIn]]:
    """Two `serve` processes on one database (debug logs on, to see who waits), and a driver for each."""
    with ExitStack() as stack:
        slack = stack.enter_context(SlackStandIn(token=BOT_TOKEN))
        env = environment(slack, katalo_url, database_url, LOG_LEVEL="DEBUG")
        # One after the other: the first migrates the database, the second finds it up to date.
        served = [stack.enter_context(serving(env, tmp_path / f"serve{n}.log")) for n in range(2)]
        drivers = [SlackDriver(bot_url=s.url, slack=slack, secret=SIGNING_SECRET) for s in served]
        yield served, drivers, slack


def wait_for_line(served: list[Served], line: str, timeout: float = 15.0) -> Served:
    """The first process whose log shows `line`; AssertionError if none does within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in served:
            if line in process.output():
                return process
        time.sleep(0.02)
    raise AssertionError(f"no process logged {line!r}")


def test_a_burst_spread_over_two_processes_costs_one_request(tmp_path, start_sandbox, database_url):
    """12 `/katalo usage` at once, 6 to each process: Katalo sees one summary request, all get it."""
    gate = Gate()
    katalo = start_sandbox(sleep=gate.sleep)
    katalo.latency = 1.0  # not slept: the gate holds every request until opened
    with two_instances(katalo.url, database_url, tmp_path) as (served, drivers, slack):
        urls = [drivers[n % 2].command("usage")[1] for n in range(12)]
        gate.wait_held(1)  # one process is fetching...
        wait_for_line(served, WAITING)  # ...and the other waits for it rather than asking Katalo
        gate.open()
        replies = [shown(slack.wait_for_posts(url, timeout=15)[0]) for url in urls]
    assert katalo.request_count(SUMMARY) == 1
    assert "of plan used" in replies[0]
    assert len(set(replies)) == 1


def test_a_figure_fetched_by_one_process_is_answered_by_the_other(tmp_path, start_sandbox, database_url):
    """A asks Katalo; B, asked next, answers the same figures as of the same minute, asking nobody."""
    katalo = start_sandbox()
    with two_instances(katalo.url, database_url, tmp_path) as (_served, (a, b), slack):
        first = shown(slack.wait_for_posts(a.command("usage")[1])[0])
        second = shown(slack.wait_for_posts(b.command("usage")[1])[0])
    assert katalo.request_count(SUMMARY) == 1
    assert second == first


def test_a_leader_killed_mid_fetch_holds_the_others_up_for_its_lease_only(
    tmp_path, start_sandbox, database_url
):
    """SIGKILL to the process fetching the summary: the other's question is answered with the figures
    (not "did not finish in time") once the dead process's lease has run out."""
    gate = Gate()
    katalo = start_sandbox(sleep=gate.sleep)
    katalo.latency = 1.0
    with two_instances(katalo.url, database_url, tmp_path) as ((leader, _), (a, b), slack):
        a.command("usage")
        gate.wait_held(1)  # A holds the lease and waits on Katalo
        leader.process.send_signal(signal.SIGKILL)
        leader.process.wait(timeout=10)
        gate.open()
        _, url = b.command("usage")
        [reply] = slack.wait_for_posts(url, timeout=15)
    assert "of plan used" in shown(reply)
    assert katalo.request_count(SUMMARY) == 2


def test_an_error_is_not_shared_with_the_other_process(tmp_path, start_sandbox, database_url):
    """Katalo fails A's question (3 attempts); B, asked next, asks Katalo again and gets the figures."""
    katalo = start_sandbox()
    katalo.inject(SUMMARY, status=500, times=3)
    with two_instances(katalo.url, database_url, tmp_path) as (_served, (a, b), slack):
        failed = shown(slack.wait_for_posts(a.command("usage")[1], timeout=15)[0])
        answered = shown(slack.wait_for_posts(b.command("usage")[1], timeout=15)[0])
    assert "internal error" in failed
    assert "of plan used" in answered
    assert katalo.request_count(SUMMARY) == 4


def test_the_stale_fallback_reaches_across_processes(tmp_path, start_sandbox, database_url):
    """A answered; Katalo goes down; Refresh pressed in B (which never fetched) shows A's figures, stale."""
    katalo = start_sandbox()
    with two_instances(katalo.url, database_url, tmp_path) as (_served, (a, b), slack):
        [first] = slack.wait_for_posts(a.command("usage")[1])
        katalo.inject(SUMMARY, status=500, times=None)
        [stale] = slack.wait_for_posts(b.press(buttons(first)["Refresh"])[1], timeout=15)
    assert "*Stale*: last known figures" in shown(stale)
    assert "internal error" in shown(stale)
