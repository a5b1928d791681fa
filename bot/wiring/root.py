"""The one place the bot is assembled: Katalo client, database, mirror, answers, stores, Slack client.

Every entry point (`serve`, `socket`, `clock`, `digest`, `sync`, the demo's local bot) and the
end-to-end tests call `build_deps(settings)` instead of assembling the parts themselves, so they all
run the same bot. Building opens the database (migrating it) but sends nothing over the network.
"""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.alerts.spike import SpikeParams
from bot.config import Settings
from bot.db import open_database
from bot.db.alert_steps import AlertSteps
from bot.db.alert_store import AlertStore
from bot.db.receipts import EventReceipts
from bot.digest.commands import DigestCommands
from bot.digest.deliver import DigestPoster
from bot.digest.store import DigestStore
from bot.katalo.client import KataloClient
from bot.katalo.shared_budget import SharedBudget
from bot.katalo.shared_cache import SharedCache
from bot.ledger.mirror import LedgerMirror
from bot.services.alert_settings import channel_zone
from bot.services.alerts.runner import AlertRules, AlertRunner
from bot.services.alerts.slack import AlertSlack
from bot.services.answers import Answers
from bot.services.reconcile import Reconciler
from bot.services.spend import Spend
from bot.wiring.deps import Deps


def build_deps(settings: Settings) -> Deps:
    """Everything listeners and jobs need, built from the settings once."""
    engine = open_database(settings.database_url)
    # One budget and one cache for every process on this database: KATALO_REQUESTS_PER_MINUTE is the
    # bot's total, and a summary fetched by one process serves them all for KATALO_CACHE_TTL.
    client = KataloClient.from_settings(
        settings,
        budget=SharedBudget(engine, settings.katalo_requests_per_minute),
        shared=SharedCache(engine),
    )
    mirror = LedgerMirror(engine, client)
    slack = slack_client(settings)
    store = DigestStore(engine)
    poster = DigestPoster(store, client, mirror, slack, allowlist=settings.allowlist)
    alert_store = AlertStore(engine)
    alerts = AlertRunner(
        alert_store,
        client,
        mirror,
        AlertSlack(alert_store, AlertSteps(engine), slack, now=_utc_now),
        rules=alert_rules(settings),
        allowlist=settings.allowlist,
        zone=settings.report_zone,
        channel_zone=channel_zone(store, settings.digest_timezone),  # as the buttons' lines
    )
    return Deps(
        settings=settings,
        client=client,
        mirror=mirror,
        answers=Answers(
            client=client,
            mirror=mirror,
            tz=settings.digest_timezone,
            spend=Spend(client, mirror, zone=settings.report_zone),
            reconciler=Reconciler(client, mirror, zone=settings.report_zone),
        ),
        receipts=EventReceipts(engine),
        slack=slack,
        poster=poster,
        digests=DigestCommands(poster, slack, settings.digest_time, settings.digest_timezone),
        alerts=alerts,
        alert_store=alert_store,
    )


def alert_rules(settings: Settings) -> AlertRules:
    """The alert rules' settings: ALERT_THRESHOLDS, SPIKE_K / SPIKE_PERCENT / SPIKE_FLOOR_USD, budgets'."""
    return AlertRules(
        plan_thresholds=settings.alert_thresholds,
        spike=SpikeParams(settings.spike_k, settings.spike_percent, settings.spike_floor_usd),
        budget_thresholds=settings.budget_alert_thresholds,
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def slack_client(settings: Settings) -> WebClient:
    """Slack's Web API at SLACK_API_URL; 429s wait Retry-After (twice at most), a 5xx is tried once more.

    Without SLACK_BOT_TOKEN the client exists but cannot post: commands that talk to Slack require
    the token first (`--dry-run` does not).
    """
    token = settings.slack_bot_token
    return WebClient(
        token=token.get_secret_value() if token else None,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )
