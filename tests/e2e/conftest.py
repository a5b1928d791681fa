"""The bot running as in production, talked to the way Slack talks to it.

Signed HTTP requests go into the real WSGI app (served by a threaded local server), Katalo is the
sandbox over HTTP, and Slack's Web API and response URLs are the local stand-in.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.app import build_deps, create_app
from bot.config import load_settings
from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.slack import SlackStandIn
from bot.serve import wsgi_app
from tests.conftest import NOW

SIGNING_SECRET = "e2e-signing-SECRET-0f3a9"
BOT_TOKEN = "xoxb-e2e-BOT-SECRET-77"
USER = "U0ALICE"
CHANNEL = "C0BILLING"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Bot:
    """A running bot and the fakes around it."""

    url: str
    slack: SlackStandIn
    katalo: Any  # SandboxServer
    secret: str = SIGNING_SECRET

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signed = SignatureVerifier(self.secret).generate_signature(timestamp=stamp, body=body)
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature if signature is not None else signed,
            **(headers or {}),
        }
        return httpx.post(self.url + "/slack/events", content=body, headers=sent, timeout=10)

    def command(
        self, text: str, *, user: str = USER, channel: str = CHANNEL, **kwargs: Any
    ) -> tuple[httpx.Response, str]:
        """Send `/katalo <text>`; returns the ack response and the command's response_url."""
        response_url = self.slack.new_response_url()
        form = {
            "token": "legacy-unused",
            "team_id": "T0TEST",
            "team_domain": "katalo-test",
            "channel_id": channel,
            "channel_name": "billing",
            "user_id": user,
            "user_name": "alice",
            "command": "/katalo",
            "text": text,
            "response_url": response_url,
            "trigger_id": "1.2.3",
            "api_app_id": "A0KATALO",
        }
        return self.post(
            urlencode(form).encode(), "application/x-www-form-urlencoded", **kwargs
        ), response_url

    def mention(
        self,
        text: str,
        *,
        event_id: str = "Ev0001",
        thread_ts: str | None = None,
        user: str = USER,
        channel: str = CHANNEL,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        event = {
            "type": "app_mention",
            "user": user,
            "text": text,
            "ts": "1764000000.000100",
            "channel": channel,
            "event_ts": "1764000000.000100",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        body = {
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1764000000,
            "team_id": "T0TEST",
            "api_app_id": "A0KATALO",
            "event": event,
        }
        return self.post(json.dumps(body).encode(), "application/json", headers=headers)

    def press(
        self, button: dict[str, Any], *, user: str = USER, channel: str = CHANNEL
    ) -> tuple[httpx.Response, str]:
        """Press a button from a message the bot sent; returns the ack and the action's response_url."""
        response_url = self.slack.new_response_url()
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "channel": {"id": channel},
            "team": {"id": "T0TEST"},
            "api_app_id": "A0KATALO",
            "container": {
                "type": "message",
                "message_ts": "1764000000.000200",
                "channel_id": channel,
                "is_ephemeral": True,
            },
            "response_url": response_url,
            "trigger_id": "1.2.3",
            "actions": [
                {
                    "action_id": button["action_id"],
                    "block_id": "katalo_actions",
                    "value": button["value"],
                    "type": "button",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded"), response_url


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The buttons of a message, by their visible text."""
    return {
        e["text"]["text"]: e
        for b in message.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    }


@pytest.fixture
def make_bot(tmp_path, start_sandbox) -> Iterator[Callable[..., Bot]]:
    """Start a bot (with its own Slack stand-in and Katalo sandbox) with extra environment variables."""
    running: list[Callable[[], None]] = []

    def make(env: dict[str, str] | None = None, **sandbox_options: Any) -> Bot:
        katalo = start_sandbox(SandboxLedger(seed=7, events=237, now=NOW), **sandbox_options)
        slack = SlackStandIn(token=BOT_TOKEN).start()
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "KATALO_API_URL": katalo.url,
                "KATALO_REQUESTS_PER_MINUTE": "10000",
                "DATABASE_URL": f"sqlite:///{tmp_path / f'bot{len(running)}.db'}",
                **(env or {}),
            }
        )
        server = make_server(
            "127.0.0.1",
            0,
            wsgi_app(create_app(settings, build_deps(settings))),
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        running.append(lambda: (server.shutdown(), server.server_close(), slack.stop()))
        return Bot(url=f"http://127.0.0.1:{server.server_port}", slack=slack, katalo=katalo)

    yield make
    for stop in running:
        stop()


@pytest.fixture
def bot(make_bot) -> Bot:
    return make_bot()
