"""`katalo-bot demo`: the real bot, driven exactly as Slack drives it, with no workspace and no key.

It starts the sandbox Katalo API and a local Slack stand-in, serves the real Bolt app (the WSGI app
`serve` runs) on a local port, and sends it signed requests: slash commands, mentions, button
presses. Replies arrive where Slack would receive them (response URLs, chat.postMessage) and are
rendered in the terminal, or shown as raw Block Kit with --json.

Commands come from the prompt (a terminal), from --script FILE, or from standard input. With no
terminal and nothing on standard input, it plays a short tour. `{job}` in a command stands for a real
job id of the sandbox, and `{budget}` for a budget the sandbox has spent 50-80% of this billing
period, so that the tour's `alerts` has a budget alert to post whatever the day of the month.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable, Iterator
from decimal import ROUND_DOWN, Decimal
from typing import TextIO

from bot.config import Settings
from bot.demo.session import DemoSession
from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.local_bot import LocalBot, local_settings
from bot.sandbox.server import SandboxServer
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack_driver import SlackDriver
from bot.sandbox.wire import month_bounds

# Demo-only credentials: they open nothing but the stand-ins this process starts.
DEMO_TOKEN = "xoxb-demo-local-only"  # noqa: S105 -- a stand-in's token, not a secret
DEMO_SECRET = "demo-signing-secret-local-only"  # noqa: S105 -- signs requests to this process only
DEMO_CHANNEL = "C0DEMO"

TOUR = [
    "/katalo usage",
    "/katalo events {job}",
    "@Katalo what did {job} cost?",
    "/katalo events",
    "press 1",
    "/katalo spend last 7 days by config",
    "press 1",  # Share to channel: the answer, then its daily chart in the thread
    "@Katalo what did we spend last week?",  # answered in the thread, its chart under it
    "digest",
    "/katalo budget set {budget}",
    "alerts",  # the alert checks once: the budget alert is posted, with its four buttons
    "press 1",  # Acknowledge: the alert is edited in place
]


def run_demo(
    settings: Settings,
    *,
    events: int,
    seed: int,
    out: TextIO,
    script: TextIO | None = None,
    as_json: bool = False,
    stdin: TextIO | None = None,
) -> int:
    color = out.isatty() and not as_json
    with (
        tempfile.TemporaryDirectory(prefix="katalo-demo-") as workdir,
        SandboxServer(SandboxLedger(seed=seed, events=events)) as katalo,
        SlackStandIn(token=DEMO_TOKEN) as slack,
    ):
        demo_settings = local_settings(
            token=DEMO_TOKEN,
            secret=DEMO_SECRET,
            slack_api_url=slack.api_url,
            katalo_url=katalo.url,
            database_url=f"sqlite:///{workdir}/demo.db",
            KATALO_REQUESTS_PER_MINUTE="600",
            LOG_LEVEL=settings.log_level,
        )
        with LocalBot(demo_settings) as bot:
            driver = SlackDriver(bot_url=bot.url, slack=slack, secret=DEMO_SECRET, channel=DEMO_CHANNEL)
            jobs = _featured_jobs(katalo.ledger)
            session = DemoSession(
                driver,
                bot.deps,
                out,
                job_id=jobs[0],
                budget=lambda: _half_spent_budget(katalo.ledger),
                as_json=as_json,
                color=color,
            )
            session.intro(katalo.ledger.event_count, jobs)
            for line in _commands(script, stdin or sys.stdin, out):
                if not session.handle(line):
                    break
    return 0


def _featured_jobs(ledger: SandboxLedger) -> list[str]:
    """Three recent job ids, one with several events first: the more telling answer to "what did it cost"."""
    recent = ledger.job_ids(40)
    several = [job for job in recent if len(ledger.events_of_job(job)) > 1]
    return ([*several[:1], *recent] if several else recent)[:3]


def _half_spent_budget(ledger: SandboxLedger) -> str:
    """A budget this billing period's spend has passed half of, not 80%: its alert is the 50% one."""
    start, _ = month_bounds(ledger.state()[1])  # the sandbox bills by UTC calendar month
    count = ledger.event_count
    spent = sum(Decimal(ledger.event(i)["amount_usd"]) for i in range(ledger.index_at(start, count), count))
    budget = spent * Decimal("1.6")  # spent is 62.5% of it
    whole = budget.to_integral_value(rounding=ROUND_DOWN)
    return str(whole) if whole >= 1 else str(budget.quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def _commands(script: TextIO | None, stdin: TextIO | None, out: TextIO) -> Iterable[str]:
    if script is not None:
        return script
    if stdin is None:  # standard input closed altogether (as some CI runners start processes)
        out.write("(No standard input: playing the tour.)\n")
        return TOUR
    if stdin.isatty():
        return _prompt(out)
    return _or_tour(stdin, out)


def _prompt(out: TextIO) -> Iterator[str]:
    while True:
        try:
            yield input("katalo> ")
        except EOFError:
            out.write("\n")
            return


def _or_tour(stdin: TextIO, out: TextIO) -> Iterator[str]:
    given = False
    for line in stdin:
        given = True
        yield line
    if not given:
        out.write("(No terminal and no commands on standard input: playing the tour.)\n")
        yield from TOUR
