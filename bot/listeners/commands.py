"""`/katalo ...`: ack within Slack's 3 seconds, then answer privately through response_url."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import slack_ids
from bot.blocks.replies import build_refusal
from bot.listeners.alert_answers import answer_channel_settings
from bot.listeners.guard import apologise_on_error
from bot.parsing import ChartIntent, DigestIntent, ExportIntent, ReconcileIntent, parse_command
from bot.services.chart_command import ChannelCharts
from bot.services.export import LedgerExports
from bot.wiring.deps import Deps


def register(app: App, deps: Deps) -> None:
    def ack_command(ack: Ack, body: dict[str, Any]) -> None:
        handle_ack(deps, ack, body)

    def answer_command(body: dict[str, Any], respond: Respond) -> None:
        with apologise_on_error("answering /katalo", lambda m: respond(response_type="ephemeral", **m)):
            handle_command(deps, body, respond)

    app.command(slack_ids.COMMAND)(ack=ack_command, lazy=[answer_command])


def handle_ack(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """Acknowledge at once: a refusal right away when not allowed, otherwise an empty ack."""
    if not deps.settings.allowlist.allows(body.get("user_id"), body.get("channel_id")):
        ack(response_type="ephemeral", **build_refusal())
        return
    ack()


def handle_command(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    """Parse, answer and respond; runs after the ack, so Katalo may take its time."""
    if not deps.settings.allowlist.allows(body.get("user_id"), body.get("channel_id")):
        return  # the ack already said no
    intent = parse_command(body.get("text") or "")
    channel_answer = answer_channel_settings(deps, intent, body["channel_id"], body.get("user_id") or "")
    if channel_answer is not None:  # /katalo alerts …, /katalo budget …: this channel's
        message = channel_answer
    elif isinstance(intent, DigestIntent):
        message = deps.digests.answer(intent, body["channel_id"], body.get("user_id"))
    elif isinstance(intent, ChartIntent):  # posted in the channel: a private answer cannot carry files
        charts = ChannelCharts(
            deps.client, deps.mirror, deps.slack, zone=deps.settings.report_zone, now=deps.now
        )
        message = charts.post(intent, body["channel_id"], body.get("user_id"))
    elif isinstance(intent, ExportIntent):  # sent in a DM: a private answer cannot carry files
        exports = LedgerExports(
            deps.client, deps.mirror, deps.slack, zone=deps.settings.report_zone, now=deps.now
        )
        # One "still exporting" note when it takes long; the file's own line follows when it is out.
        message = exports.send(
            intent, body["user_id"], interim=lambda note: respond(response_type="ephemeral", **note)
        )
    elif isinstance(intent, ReconcileIntent):  # private, with Share to channel (answers.shareable)
        message = deps.answers.reconcile()
    else:
        message = deps.answers.answer(intent)
    respond(response_type="ephemeral", **message)
