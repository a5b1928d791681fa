"""Buttons: Refresh and paging replace the private message; Share posts a copy in the channel."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import slack_ids
from bot.blocks._kit import Message, escape, message, section
from bot.blocks.replies import build_refusal
from bot.listeners.guard import apologise_on_error
from bot.services.spend_chart import post_chart
from bot.wiring.deps import Deps

log = logging.getLogger(__name__)

_CANNOT_POST = {
    "not_in_channel": "I am not in this channel: invite me with `/invite @Katalo`, then share again.",
    "channel_not_found": "I cannot post here (a private channel or a DM I am not part of). Invite me first.",
}


def register(app: App, deps: Deps) -> None:
    def ack_button(ack: Ack) -> None:
        ack()

    def replace(body: dict[str, Any], respond: Respond) -> None:
        with apologise_on_error("answering a button", _privately(respond)):
            handle_replace(deps, body, respond)

    def share(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        with apologise_on_error("sharing to a channel", _privately(respond)):
            handle_share(deps, body, respond, client)

    for action_id in (
        slack_ids.REFRESH_USAGE,
        slack_ids.EVENTS_OLDER,
        slack_ids.EVENTS_NEWER,
        slack_ids.JOB_EVENTS_PAGE,
    ):
        app.action(action_id)(ack=ack_button, lazy=[replace])
    app.action(slack_ids.SHARE_TO_CHANNEL)(ack=ack_button, lazy=[share])


def handle_replace(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    """Refresh or page: the same private message, replaced with the new answer."""
    if not clicker_allowed(deps, body):
        respond(replace_original=False, response_type="ephemeral", **build_refusal())
        return
    respond(replace_original=True, **deps.answers.answer_button(_value(body)))


def handle_share(deps: Deps, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
    """Post the same answer in the channel for everyone, marked with who shared it."""
    if not clicker_allowed(deps, body):
        respond(replace_original=False, response_type="ephemeral", **build_refusal())
        return
    user, channel = body["user"]["id"], _channel(body)
    shared = deps.answers.for_channel(_value(body), shared_by=user)
    if not shared.worth_sharing:  # an error or help is for the one who pressed, not for the channel
        respond(replace_original=False, response_type="ephemeral", **shared.message)
        return
    try:
        posted = client.chat_postMessage(channel=channel, **shared.message)
    except SlackApiError as error:
        reason = error.response.get("error")
        log.warning("sharing to %s failed: %s", channel, reason)
        text = _CANNOT_POST.get(reason, "Slack would not take the message just now. Try again in a minute.")
        respond(replace_original=False, response_type="ephemeral", **message(text, []))
        return
    # The text is out; a spend answer's chart follows in its thread, best effort (spend_chart).
    note = post_chart(client, shared, channel=channel, thread_ts=str(posted["ts"]))
    if note is not None:
        respond(
            replace_original=False,
            response_type="ephemeral",
            **message(escape(note), [section(escape(note))]),
        )


def _privately(respond: Respond) -> Callable[[Message], Any]:
    return lambda m: respond(replace_original=False, response_type="ephemeral", **m)


def clicker_allowed(deps: Deps, body: dict[str, Any]) -> bool:
    # The clicker is checked, not whoever the message was first shown to: a button payload can be
    # replayed by another user.
    return deps.settings.allowlist.allows(body.get("user", {}).get("id"), _channel(body))


def _channel(body: dict[str, Any]) -> str:
    """The channel the button was pressed in; "" when the payload names none (Slack: channel_not_found)."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return str(channel or "")


def _value(body: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
