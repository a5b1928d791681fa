"""The bot running as in production, talked to the way Slack talks to it.

Signed HTTP requests go into the real WSGI app (served by a threaded local server), Katalo is the
sandbox over HTTP, and Slack's Web API and response URLs are the local stand-in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.local_bot import LocalBot, local_settings
from bot.sandbox.slack_driver import SlackDriver
from tests.conftest import NOW
from tests.stand_ins.slack import SlackDouble, buttons

__all__ = ["BOT_TOKEN", "SIGNING_SECRET", "Bot", "buttons"]

SIGNING_SECRET = "e2e-signing-SECRET-0f3a9"
BOT_TOKEN = "xoxb-e2e-BOT-SECRET-77"
USER = "U0ALICE"
CHANNEL = "C0BILLING"


@dataclass
class Bot(SlackDriver):
    """A running bot, the driver that talks to it as Slack does, and the fakes around it."""

    katalo: Any = None  # KataloDouble

    @property
    def url(self) -> str:
        return self.bot_url


@pytest.fixture
def make_bot(tmp_path, start_sandbox) -> Iterator[Callable[..., Bot]]:
    """Start a bot (with its own Slack stand-in and Katalo sandbox) with extra environment variables."""
    running: list[Callable[[], None]] = []

    def make(env: dict[str, str] | None = None, **sandbox_options: Any) -> Bot:
        katalo = start_sandbox(SandboxLedger(seed=7, events=237, now=NOW), **sandbox_options)
        slack = SlackDouble(token=BOT_TOKEN).start()
        settings = local_settings(
            token=BOT_TOKEN,
            secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
            katalo_url=katalo.url,
            database_url=f"sqlite:///{tmp_path / f'bot{len(running)}.db'}",
            **(env or {}),
        )
        local = LocalBot(settings).start()
        running.append(lambda: (local.stop(), slack.stop()))
        return Bot(bot_url=local.url, slack=slack, secret=SIGNING_SECRET, katalo=katalo)

    yield make
    for stop in running:
        stop()


@pytest.fixture
def bot(make_bot) -> Bot:
    return make_bot()
