"""`@Katalo ...` in a channel or thread: answered once, in the thread (a spend answer with its chart)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import slack_ids
from bot.blocks._kit import context, escape, message
from bot.blocks.replies import build_refusal
from bot.listeners.alert_answers import answer_channel_settings
from bot.listeners.guard import apologise_on_error
from bot.parsing import parse_mention
from bot.services.spend_chart import ChannelAnswer, upload_chart
from bot.wiring.deps import Deps

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    def ack_mention(ack: Ack) -> None:
        ack()  # the Events API wants its 200 within 3 seconds; the answer follows

    def answer_mention(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        thread: dict[str, Any] = {
            "channel": event.get("channel"),
            "thread_ts": event.get("thread_ts") or event.get("ts"),
        }
        with apologise_on_error("answering a mention", lambda m: client.chat_postMessage(**thread, **m)):
            handle_mention(deps, body, event, client)

    app.event(slack_ids.MENTION_EVENT)(ack=ack_mention, lazy=[answer_mention])


def handle_mention(deps: Deps, body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
    # Slack re-sends an event it thinks went unanswered; the database lets one delivery through.
    event_id = body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
    if not deps.receipts.first_delivery(event_id, deps.now()):
        log.info("ignoring a re-delivery of event %s", event_id)
        return
    channel, thread_ts = event["channel"], event.get("thread_ts") or event["ts"]
    if deps.settings.allowlist.allows(event.get("user"), channel):
        intent = parse_mention(event.get("text") or "")
        settings = answer_channel_settings(deps, intent, channel, str(event.get("user") or ""))
        answered = ChannelAnswer(settings, False) if settings is not None else deps.answers.in_thread(intent)
    else:
        answered = ChannelAnswer(build_refusal(), False)
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, **answered.message)
    if answered.chart is not None:  # a spend answer of 2 days or more: its chart follows, best effort
        failure = upload_chart(client, answered.chart, channel=channel, thread_ts=thread_ts)
        if failure is not None:  # logged with its cause; the thread is told, so whoever can fix it sees it
            note = escape(f"The chart{failure}.")
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message(note, [context(note)]))
