"""The four alert buttons: ack at once, then record the press and edit the alert in place.

The presser is checked against the allowlists (not whoever the alert was posted for); a refused
presser hears so privately and the alert stays as it was. The edit keeps every other block of the
message Slack sent with the press and rebuilds its status lines above the buttons from the store
(bot/blocks/alert_status.py, as the runner renders them), through the press's response_url with
replace_original, so it needs no extra scope.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import slack_ids
from bot.blocks._kit import message, section
from bot.blocks.alert_settings import build_stale_press
from bot.blocks.alert_status import status_lines, with_status
from bot.blocks.replies import build_refusal
from bot.listeners.actions import clicker_allowed
from bot.listeners.alert_answers import alert_presses
from bot.listeners.guard import apologise_on_error
from bot.services.alert_presses import NotRecorded
from bot.wiring.deps import Deps


def register(app: App, deps: Deps) -> None:
    def ack_press(ack: Ack) -> None:
        ack()  # within Slack's 3 seconds; the store and Katalo (for a mute) come after

    def press(body: dict[str, Any], respond: Respond) -> None:
        with apologise_on_error(
            "answering an alert button",
            lambda m: respond(replace_original=False, response_type="ephemeral", **m),
        ):
            handle_press(deps, body, respond)

    for action_id in slack_ids.ALERT_ACTION_IDS:
        app.action(action_id)(ack=ack_press, lazy=[press])


def handle_press(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    """Record Acknowledge, Snooze or Mute for the alert pressed, and show it on the alert."""
    if not clicker_allowed(deps, body):
        respond(replace_original=False, response_type="ephemeral", **build_refusal())
        return
    shown = body.get("message") or {}
    channel = str(
        (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
    )
    ts = str((body.get("container") or {}).get("message_ts") or shown.get("ts") or "")
    action_id = str(((body.get("actions") or [{}])[0]).get("action_id") or "")
    outcome = alert_presses(deps).press(action_id, channel, ts, body["user"]["id"])
    if isinstance(outcome, NotRecorded):
        respond(replace_original=False, response_type="ephemeral", **build_stale_press(outcome.sentence))
    elif shown.get("blocks"):
        respond(replace_original=True, **with_status(shown, outcome.status))
    else:  # Slack sent no copy of the message to edit: the press is recorded, say so privately
        said = "\n".join(status_lines(outcome.status))
        respond(replace_original=False, response_type="ephemeral", **message(said, [section(said)]))
