"""`/katalo alerts …` and `/katalo budget …` (typed, or asked in a mention) answered for their channel.

The services are built per answer from Deps, as charts and exports are: they hold no state of their own.
"""

from __future__ import annotations

from bot.alert_parsing import AlertsIntent, BudgetIntent
from bot.blocks._kit import Message
from bot.parsing import Intent
from bot.services.alert_presses import AlertPresses
from bot.services.alert_settings import ChannelAlerts, channel_zone
from bot.services.budget_status import ChannelBudget
from bot.wiring.deps import Deps


def answer_channel_settings(deps: Deps, intent: Intent, channel_id: str, user_id: str) -> Message | None:
    """The answer when `intent` is about this channel's alerts or budget; None for any other intent."""
    if isinstance(intent, AlertsIntent):
        zone = channel_zone(deps.poster.store, deps.settings.digest_timezone)
        channel_alerts = ChannelAlerts(
            deps.alert_store,
            deps.slack,
            zone,
            now=deps.now,
            plan_thresholds=deps.settings.alert_thresholds,
            budget_thresholds=deps.settings.budget_alert_thresholds,
        )
        return channel_alerts.answer(intent, channel_id, user_id)
    if isinstance(intent, BudgetIntent):
        budget = ChannelBudget(
            deps.alert_store,
            deps.client,
            deps.mirror,
            deps.slack,
            zone=deps.settings.report_zone,
            thresholds=deps.settings.budget_alert_thresholds,
            now=deps.now,
        )
        return budget.answer(intent, channel_id, user_id)
    return None


def alert_presses(deps: Deps) -> AlertPresses:
    """The button presses' service: the channel's clock for the line, the reporting zone for months."""
    zone = channel_zone(deps.poster.store, deps.settings.digest_timezone)
    return AlertPresses(
        deps.alert_store, deps.client, zone, report_zone=deps.settings.report_zone, now=deps.now
    )
