"""The Bolt app: `create_app(settings, deps)` registers the listeners and the one error handler.

`build_deps(settings)` makes what the listeners need (database, Katalo client, mirror) and is what
the entry points call. Nothing here runs at import time.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.blocks.replies import build_internal_error
from bot.config import ConfigError, Settings
from bot.db import open_database
from bot.db.receipts import EventReceipts
from bot.digest.commands import DigestCommands
from bot.digest.deliver import DigestPoster
from bot.digest.store import DigestStore
from bot.katalo.client import KataloClient
from bot.ledger.mirror import LedgerMirror
from bot.listeners import Deps, register
from bot.services.answers import Answers
from bot.services.spend import Spend

log = logging.getLogger(__name__)

ANSWER_THREADS = 32  # answers mostly wait (on Katalo, the mirror or Slack), and share single flights


def build_deps(settings: Settings) -> Deps:
    engine = open_database(settings.database_url)
    client = KataloClient.from_settings(settings)
    mirror = LedgerMirror(engine, client)
    slack = slack_client(settings)
    poster = DigestPoster(
        DigestStore(engine), client, mirror, slack, allowed_channels=settings.allowed_channel_ids
    )
    digests = DigestCommands(poster, slack, settings.digest_time, settings.digest_timezone)
    return Deps(
        settings=settings,
        answers=Answers(
            client=client,
            mirror=mirror,
            tz=settings.digest_timezone,
            spend=Spend(client, mirror, zone=settings.report_zone),
        ),
        receipts=EventReceipts(engine),
        slack=slack,
        digests=digests,
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


def create_app(settings: Settings, deps: Deps, *, socket_mode: bool = False) -> App:
    """The app for HTTP mode (requests verified with the signing secret) or Socket Mode."""
    settings.require("SLACK_BOT_TOKEN", *(() if socket_mode else ("SLACK_SIGNING_SECRET",)))
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    try:
        app = App(
            client=deps.slack,
            signing_secret=secret,
            request_verification_enabled=not socket_mode,
            # Acks run inline in the request's own thread; answers run in lazy listeners on a pool of
            # their own. With acks on the shared pool, answers waiting on a slow Katalo would hold
            # every thread and the acks would queue past Slack's 3 seconds (dispatch_failed).
            process_before_response=True,
            listener_executor=ThreadPoolExecutor(
                max_workers=ANSWER_THREADS, thread_name_prefix="katalo-answer"
            ),
            raise_error_for_unhandled_request=False,
            logger=logging.getLogger("slack_bolt"),
        )
    except BoltError:
        # Bolt checks the token with auth.test at start-up; its error text is not needed to act on it.
        raise ConfigError(
            "SLACK_BOT_TOKEN was rejected by Slack (auth.test failed): check the token"
        ) from None
    register(app, deps)
    app.error(_handle_error)
    return app


def _handle_error(error: Exception, body: dict[str, Any], respond: Any) -> BoltResponse | None:
    """What an ack (not an answer: see listeners/guard.py) did not expect: logged, and a sentence."""
    log.exception("unhandled error in a Slack listener (%s)", type(error).__name__, exc_info=error)
    if body.get("response_url"):
        try:
            respond(response_type="ephemeral", replace_original=False, **build_internal_error())
        except Exception:  # noqa: BLE001 -- the apology is best effort; the error is already logged
            log.warning("could not tell the user about the error")
    return None
