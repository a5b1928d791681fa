"""The Bolt app: `create_app(settings, deps)` registers the listeners and the one error handler.

What the listeners need comes from the composition root (bot/wiring/root.py). Nothing here runs at
import time.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltError

from bot.answer_pool import AnswerPool
from bot.blocks.replies import build_internal_error
from bot.config import ConfigError, Settings
from bot.listeners import register
from bot.wiring.deps import Deps

log = logging.getLogger(__name__)


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
            listener_executor=AnswerPool(),  # bounded: a question starts now or says it cannot
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
