"""The bot running as in production, talked to the way Slack talks to it.

Signed HTTP requests go into the real WSGI app (served by a threaded local server), Katalo is the
sandbox over HTTP, and Slack's Web API and response URLs are the local stand-in.

No test here bounds a duration or sleeps to let something (not) happen: a slow Katalo is a sandbox
whose `sleep` waits on a Gate the test opens, and "nothing was posted" is checked once `handled` has
seen the bot's handler return.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from bot.listeners import actions, commands, mentions
from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.local_bot import LocalBot, local_settings
from bot.sandbox.slack_driver import SlackDriver
from tests.conftest import NOW
from tests.fakes import Gate
from tests.stand_ins.slack import SlackDouble, buttons

__all__ = ["BOT_TOKEN", "SIGNING_SECRET", "Bot", "Handled", "buttons"]

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

    def make(env: dict[str, str] | None = None, *, now: datetime = NOW, **sandbox_options: Any) -> Bot:
        """`now`: the ledger's present (the bot itself runs on the wall clock)."""
        katalo = start_sandbox(SandboxLedger(seed=7, events=237, now=now), **sandbox_options)
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


@pytest.fixture
def gate() -> Iterator[Gate]:
    """A Gate to pass as a sandbox's `sleep` (make_bot(sleep=gate.sleep)); opened at teardown."""
    gate = Gate()
    yield gate
    gate.open()


class Handled:
    """How many times each of the bot's handlers has returned (or raised), and a way to wait for it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._counts: Counter[str] = Counter()

    def spy(self, name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        """`handler` itself, counted when it is done."""

        def counted(*args: Any, **kwargs: Any) -> Any:
            try:
                return handler(*args, **kwargs)
            finally:
                with self._changed:
                    self._counts[name] += 1
                    self._changed.notify_all()

        return counted

    def count(self, name: str) -> int:
        with self._changed:
            return self._counts[name]

    def wait(self, name: str, count: int = 1, timeout: float = 10.0) -> None:
        """Return once `name` has finished `count` times; AssertionError after `timeout` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._counts[name] >= count, timeout):
                raise AssertionError(f"{name} finished {self._counts[name]} time(s), expected {count}")


@pytest.fixture
def handled(monkeypatch: pytest.MonkeyPatch) -> Handled:
    """Counts the bot's answers as they finish: commands, mentions, Share and the replacing buttons.

    The listeners look these functions up when they run, so the real handler runs, counted.
    """
    spy = Handled()
    for module, name in (
        (commands, "handle_command"),
        (mentions, "handle_mention"),
        (actions, "handle_share"),
        (actions, "handle_replace"),
    ):
        monkeypatch.setattr(module, name, spy.spy(name, getattr(module, name)))
    return spy
