"""`katalo-bot serve` (HTTP mode) and `katalo-bot socket` (Socket Mode), and their start-up checks.

HTTP mode answers `POST /slack/events` (commands, events, buttons) and `GET /healthz`, in one process
(one cache and one single flight: N processes would ask Katalo up to N times as often) served by
bot/web/server.py, which reads whole requests before a thread sees them. Only correctly signed
requests reach Bolt (bot/web/guard.py).

Before anything is served, every required variable is checked (all missing ones named at once) and
Slack is asked who the token belongs to, so a wrong setting is one line and exit status 2.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answer_pool import AnswerPool
from bot.app import create_app
from bot.config import ConfigError, Settings
from bot.web import limits, server
from bot.web.guard import WSGIApp, signed_only
from bot.wiring.root import build_deps

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]
_SLACK_ERROR = re.compile(r"[a-z0-9_]{1,64}")


def wsgi_app(app: App, signing_secret: str) -> WSGIApp:
    """Bolt at POST /slack/events behind the signature guard, and a health check touching nothing else."""
    bolt = signed_only(SlackRequestHandler(app, path=EVENTS_PATH), signing_secret)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            start_response("200 OK", [*_TEXT, ("Content-Length", "3")])
            return [b"ok\n"]
        if path == EVENTS_PATH and method == "POST":
            return bolt(environ, start_response)
        start_response("404 Not Found", [*_TEXT, ("Content-Length", "10")])
        return [b"not found\n"]

    return application


def serve(settings: Settings, *, host: str = "0.0.0.0", threads: int = limits.THREADS) -> None:  # noqa: S104
    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "KATALO_API_KEY")
    _forget_bolt_environment()
    check_slack(settings)
    assert settings.slack_signing_secret is not None
    app = create_app(settings, build_deps(settings))
    listening = server.bind(
        wsgi_app(app, settings.slack_signing_secret.get_secret_value()), host, settings.port, threads=threads
    )
    log.info("serving Slack requests on %s:%d%s", host, settings.port, EVENTS_PATH)
    pool = app.listener_runner.listener_executor
    server.run(listening, drain=pool.drain if isinstance(pool, AnswerPool) else None)


def socket(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "KATALO_API_KEY")
    _forget_bolt_environment()
    check_slack(settings)
    assert settings.slack_app_token is not None
    app = create_app(settings, build_deps(settings), socket_mode=True)
    try:
        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
    except SlackApiError as error:  # apps.connections.open refused the app-level token
        reason = error.response.get("error")
        raise ConfigError(
            f"SLACK_APP_TOKEN was rejected by Slack ({reason}): check the app-level token"
        ) from None


def _forget_bolt_environment() -> None:
    """Bolt falls back to SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment by itself, and
    warns that its own `token` is unused when a client is given too. The settings hold both already
    (read once, validated), so the process's environment need not: no warning, and child processes
    do not inherit the secrets."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        os.environ.pop(name, None)


def check_slack(settings: Settings) -> None:
    """auth.test at SLACK_API_URL: one line for a URL that is unreachable or not Slack, or a bad token."""
    url = _shown(settings.slack_api_url)

    def not_slack(detail: str = "") -> str:
        return (
            f"SLACK_API_URL ({url}) did not answer like Slack's Web API{detail}: "
            "expected e.g. https://slack.com/api/"
        )

    # Slack's client logs every failed attempt (urllib's text, at ERROR) before it raises; at start-up
    # the one line below says all there is to say, so this client's logger is a silent one of its own.
    quiet = logging.getLogger(f"{__name__}.auth_test")
    quiet.disabled = True
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    try:
        WebClient(token=token, base_url=settings.slack_api_url, timeout=10, logger=quiet).auth_test()
    except SlackApiError as error:
        data = error.response.data
        reason = data.get("error") if isinstance(data, dict) else None
        # Slack's errors are codes like invalid_auth; slack_sdk puts its own sentence (quoting the body
        # it got) there when the answer was not JSON: then it was not Slack that answered.
        if not (isinstance(reason, str) and _SLACK_ERROR.fullmatch(reason)):
            raise ConfigError(not_slack(f" (HTTP {error.response.status_code})")) from None
        raise ConfigError(f"SLACK_BOT_TOKEN was rejected by Slack ({reason})") from None
    except (OSError, http.client.HTTPException) as error:  # refused, DNS, TLS, timeout, reset
        raise ConfigError(f"SLACK_API_URL ({url}) cannot be reached ({_cause(error)})") from None
    except (ValueError, TypeError, AttributeError):  # JSON that is not an object trips slack_sdk itself
        raise ConfigError(not_slack()) from None


def _shown(url: str) -> str:
    """The URL without any user:password part, fit for a message."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def _cause(error: BaseException) -> str:
    """The innermost reason, in a few words (urllib wraps it: URLError(reason=ConnectionRefusedError))."""
    reason = getattr(error, "reason", None)
    inner = reason if isinstance(reason, BaseException) else error
    text = getattr(inner, "strerror", None) or str(inner) or type(inner).__name__
    return " ".join(str(text).split())[:120]
