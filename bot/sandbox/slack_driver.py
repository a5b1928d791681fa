"""Talks to the bot the way Slack does: signed slash commands, Events API mentions and button presses.

Used by `katalo-bot demo` and by the end-to-end tests, so both drive the real Bolt app through the
same signed HTTP requests that production receives.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.slack import SlackStandIn

FORM = "application/x-www-form-urlencoded"


@dataclass
class SlackDriver:
    """Sends Slack's requests to `bot_url` (where POST /slack/events is served), signed with `secret`."""

    bot_url: str
    slack: SlackStandIn
    secret: str
    user: str = "U0ALICE"
    channel: str = "C0BILLING"
    _events: int = field(default=0, init=False)
    # One client for every request: building one per request costs more than the bot's own work.
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10), init=False, repr=False)

    def headers(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """Slack's headers for `body`: content type, timestamp and a signature made with `secret`."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signed = SignatureVerifier(self.secret).generate_signature(timestamp=stamp, body=body) or ""
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature if signature is not None else signed,
            **(extra or {}),
        }

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = self.headers(body, content_type, timestamp=timestamp, signature=signature, extra=headers)
        return self._http.post(self.bot_url + "/slack/events", content=body, headers=sent)

    def command_body(
        self, text: str, *, user: str | None = None, channel: str | None = None
    ) -> tuple[bytes, str]:
        """The form body of `/katalo <text>` as Slack sends it, and the response_url it carries."""
        form, response_url = self.command_form(text, user=user, channel=channel)
        return urlencode(form).encode(), response_url

    def command_form(
        self, text: str, *, user: str | None = None, channel: str | None = None
    ) -> tuple[dict[str, str], str]:
        """The fields of `/katalo <text>` (a form over HTTP, JSON in Socket Mode) and its response_url."""
        response_url = self.slack.new_response_url()
        form = {
            "token": "legacy-unused",
            "team_id": "T0TEST",
            "team_domain": "katalo-test",
            "channel_id": channel or self.channel,
            "channel_name": "billing",
            "user_id": user or self.user,
            "user_name": "alice",
            "command": "/katalo",
            "text": text,
            "response_url": response_url,
            "trigger_id": "1.2.3",
            "api_app_id": "A0KATALO",
        }
        return form, response_url

    def command(
        self, text: str, *, user: str | None = None, channel: str | None = None, **kwargs: Any
    ) -> tuple[httpx.Response, str]:
        """Send `/katalo <text>`; returns the ack response and the command's response_url."""
        body, response_url = self.command_body(text, user=user, channel=channel)
        return self.post(body, FORM, **kwargs), response_url

    def mention(
        self,
        text: str,
        *,
        event_id: str | None = None,
        thread_ts: str | None = None,
        user: str | None = None,
        channel: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Deliver an `app_mention` event, as the Events API does."""
        body = self.mention_event(text, event_id=event_id, thread_ts=thread_ts, user=user, channel=channel)
        return self.post(json.dumps(body).encode(), "application/json", headers=headers)

    def mention_event(
        self,
        text: str,
        *,
        event_id: str | None = None,
        thread_ts: str | None = None,
        user: str | None = None,
        channel: str | None = None,
    ) -> dict[str, Any]:
        """The Events API body (`event_callback`) of an `app_mention` of the bot."""
        self._events += 1
        event: dict[str, Any] = {
            "type": "app_mention",
            "user": user or self.user,
            "text": text,
            "ts": "1764000000.000100",
            "channel": channel or self.channel,
            "event_ts": "1764000000.000100",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return {
            "type": "event_callback",
            "event_id": event_id or f"Ev{self._events:06d}{int(time.time() * 1000)}",
            "event_time": int(time.time()),
            "team_id": "T0TEST",
            "api_app_id": "A0KATALO",
            "event": event,
        }

    def press(
        self,
        button: dict[str, Any],
        *,
        user: str | None = None,
        channel: str | None = None,
        message: dict[str, Any] | None = None,
    ) -> tuple[httpx.Response, str]:
        """Press a button of a message the bot sent; returns the ack and the action's response_url."""
        payload, response_url = self.press_payload(button, user=user, channel=channel, message=message)
        return self.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM), response_url

    def press_payload(
        self,
        button: dict[str, Any],
        *,
        user: str | None = None,
        channel: str | None = None,
        message: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], str]:
        """The `block_actions` payload of pressing `button`, and the action's response_url.

        `message` (with its `ts`): the channel message the button is on, sent along as Slack does;
        without it, the button is on an ephemeral reply (Slack sends no copy of those).
        """
        response_url = self.slack.new_response_url()
        where = channel or self.channel
        on_ts, ephemeral = ("1764000000.000200", True) if message is None else (str(message["ts"]), False)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user or self.user},
            "channel": {"id": where},
            "team": {"id": "T0TEST"},
            "api_app_id": "A0KATALO",
            "container": {
                "type": "message",
                "message_ts": on_ts,
                "channel_id": where,
                "is_ephemeral": ephemeral,
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
        if message is not None:
            payload["message"] = {"type": "message", **message}
        return payload, response_url
