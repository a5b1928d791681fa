"""The one place the bot is assembled: Katalo client, database, mirror, answers, stores, Slack client.

Every entry point (`serve`, `socket`, `clock`, `digest`, `sync`, the demo's local bot) and the
end-to-end tests call `build_deps(settings)` instead of assembling the parts themselves, so they all
run the same bot. Building opens the database (migrating it) but sends nothing over the network.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.db import open_database
from bot.db.alert_store import AlertStore
from bot.db.receipts import EventReceipts
from bot.digest.alerts import AlertChecker
from bot.digest.commands import DigestCommands
from bot.digest.deliver import DigestPoster
from bot.digest.store import DigestStore
from bot.katalo.client import KataloClient
from bot.katalo.shared_budget import SharedBudget
from bot.ledger.mirror import LedgerMirror
from bot.services.answers import Answers
from bot.services.reconcile import Reconciler
from bot.services.spend import Spend
from bot.wiring.deps import Deps


def build_deps(settings: Settings) -> Deps:
    """Everything listeners and jobs need, built from the settings once."""
    engine = open_database(settings.database_url)
    # One budget for every process on this database: KATALO_REQUESTS_PER_MINUTE is the bot's total.
    client = KataloClient.from_settings(
        settings, budget=SharedBudget(engine, settings.katalo_requests_per_minute)
    )
    mirror = LedgerMirror(engine, client)
    slack = slack_client(settings)
    store = DigestStore(engine)
    poster = DigestPoster(store, client, mirror, slack, allowlist=settings.allowlist)
    alerts = AlertChecker(
        store,
        client,
        slack,
        thresholds=settings.alert_thresholds,
        allowlist=settings.allowlist,
        tz=settings.digest_timezone,
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
        alert_store=AlertStore(engine),
    )


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
