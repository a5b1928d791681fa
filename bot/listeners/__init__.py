"""Slack surfaces: one module per surface, each with `register(app, deps)`.

Handlers ack at once (Slack allows 3 seconds), then do the slow work in a lazy listener that answers
through `response_url` or in the thread. They know Slack; the answers come from bot.services.
"""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, alert_actions, commands, mentions, spend
from bot.wiring.deps import Deps


def register(app: App, deps: Deps) -> None:
    commands.register(app, deps)
    mentions.register(app, deps)
    actions.register(app, deps)
    spend.register(app, deps)
    alert_actions.register(app, deps)
