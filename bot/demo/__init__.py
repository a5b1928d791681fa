"""`katalo-bot demo`: the real bot, driven exactly as Slack drives it, with no workspace and no key.

It starts the sandbox Katalo API and a local Slack stand-in, serves the real Bolt app (the WSGI app
`serve` runs) on a local port, and sends it signed requests: slash commands, mentions, button
presses. Replies arrive where Slack would receive them (response URLs, chat.postMessage) and are
rendered in the terminal, or shown as raw Block Kit with --json.

Commands come from the prompt (a terminal), from --script FILE, or from standard input. With no
terminal and nothing on standard input, it plays a short tour. `{job}` in a command stands for a real
job id of the sandbox.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable, Iterator
from typing import TextIO

from bot.config import Settings
from bot.demo.session import DemoSession
from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.local_bot import LocalBot, local_settings
from bot.sandbox.server import SandboxServer
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack_driver import SlackDriver

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
    "@Katalo what did we spend this week?",
    "digest",
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
            session = DemoSession(driver, bot.deps, out, job_id=jobs[0], as_json=as_json, color=color)
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
