"""Handlers called directly, without HTTP into the Bolt app: a recording `ack`/`respond` and real Deps.

The Deps are built by the composition root from settings that point at a sandbox Katalo (over local
HTTP), the Slack stand-in (for handlers that call the Web API) and a SQLite file, so everything below
the handler runs as in production. Only Slack's delivery is skipped: the tests hand the handler the
body Slack would have sent. Signatures, acks in time and response URLs stay with tests/e2e.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot import slack_ids
from bot.blocks.limits import displayed_texts
from bot.sandbox.local_bot import local_settings
from bot.wiring.deps import Deps
from bot.wiring.root import build_deps
from tests.stand_ins.katalo import KataloDouble
from tests.stand_ins.slack import SlackDouble

BOT_TOKEN = "xoxb-handlers-BOT-SECRET-31"
ALICE, MALLORY = "U0ALICE", "U0MALLORY"
CHANNEL, OTHER_CHANNEL = "C0BILLING", "C0RANDOM"
GUARDED = {"ALLOWED_USER_IDS": ALICE, "ALLOWED_CHANNEL_IDS": CHANNEL}


class Recorder:
    """A stand-in for Bolt's `ack` or `respond`: a plain callable that records the kwargs of each call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)

    @property
    def only(self) -> dict[str, Any]:
        """The one call made; AssertionError when there were none or several."""
        assert len(self.calls) == 1, f"expected one call, got {len(self.calls)}"
        return self.calls[0]


@dataclass
class Harness:
    """Real Deps and the stand-ins they talk to."""

    deps: Deps
    katalo: KataloDouble
    slack: SlackDouble

    def command(self, text: str, *, user: str = ALICE, channel: str = CHANNEL) -> dict[str, Any]:
        """A slash command's body as Bolt hands it to the listener."""
        return {
            "command": slack_ids.COMMAND,
            "text": text,
            "user_id": user,
            "channel_id": channel,
            "response_url": "https://hooks.slack.invalid/commands/1",
        }

    def press(self, button: dict[str, Any], *, user: str = ALICE, channel: str = CHANNEL) -> dict[str, Any]:
        """A block_actions body for a button press, with the button's own value."""
        return {
            "type": "block_actions",
            "user": {"id": user},
            "channel": {"id": channel},
            "container": {"type": "message", "channel_id": channel, "is_ephemeral": True},
            "actions": [{"action_id": button["action_id"], "value": button["value"], "type": "button"}],
        }


@pytest.fixture
def make_harness(tmp_path, start_sandbox) -> Iterator[Callable[..., Harness]]:
    """Deps built by build_deps against a fresh sandbox, Slack stand-in and SQLite file."""
    slacks: list[SlackDouble] = []

    def make(env: dict[str, str] | None = None, **sandbox_options: Any) -> Harness:
        katalo = start_sandbox(**sandbox_options)
        slack = SlackDouble(token=BOT_TOKEN).start()
        slacks.append(slack)
        settings = local_settings(
            token=BOT_TOKEN,
            secret="handlers-signing-SECRET",
            slack_api_url=slack.api_url,
            katalo_url=katalo.url,
            database_url=f"sqlite:///{tmp_path / f'bot{len(slacks)}.db'}",
            **(env or {}),
        )
        return Harness(build_deps(settings), katalo, slack)

    yield make
    for slack in slacks:
        slack.stop()


@pytest.fixture
def harness(make_harness) -> Harness:
    return make_harness()


@pytest.fixture
def guarded(make_harness) -> Harness:
    """A bot that answers only Alice, only in C0BILLING."""
    return make_harness(GUARDED)


def shown(message: dict[str, Any]) -> str:
    """What a reader sees of a message (its fallback text and every block's text)."""
    return "\n".join(displayed_texts({"text": message["text"], "blocks": message.get("blocks", [])}))


def everything(message: dict[str, Any]) -> str:
    """The whole message as JSON, buttons' values included: for checking what must not be there."""
    return json.dumps(message)
