"""`katalo-bot serve` (HTTP mode under gunicorn) and `katalo-bot socket` (Socket Mode).

HTTP mode answers `POST /slack/events` (commands, events, buttons) and `GET /healthz`. It runs one
gunicorn worker with threads: the bot waits on Slack and Katalo, not on the CPU, and one process
keeps the cache and its single flight whole (N workers would ask Katalo up to N times as often).
The worker builds the app itself, so no HTTP client or database connection crosses a fork.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.errors import SlackApiError

from bot.app import create_app
from bot.config import ConfigError, Settings
from bot.wiring.root import build_deps, slack_client

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_app(app: App) -> WSGIApp:
    """Bolt at /slack/events, plus a health check that touches nothing but this process."""
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "3")])
            return [b"ok\n"]
        return bolt(environ, start_response)

    return application


class _Gunicorn(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped: its base class is Any
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self._settings = settings
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        settings = self._settings
        return wsgi_app(create_app(settings, build_deps(settings)))


def serve(settings: Settings, *, host: str = "0.0.0.0", threads: int = 8) -> None:  # noqa: S104 -- a server
    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    check_token(settings)  # in the master, so a bad token is one line, not a worker crash loop
    options = {
        "bind": f"{host}:{settings.port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": None,
        "loglevel": settings.log_level.lower(),
    }
    log.info("serving Slack requests on %s%s", options["bind"], EVENTS_PATH)
    _Gunicorn(settings, options).run()


def socket(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    assert settings.slack_app_token is not None
    app = create_app(settings, build_deps(settings), socket_mode=True)
    try:
        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
    except SlackApiError as error:  # apps.connections.open refused the app-level token
        reason = error.response.get("error")
        raise ConfigError(
            f"SLACK_APP_TOKEN was rejected by Slack ({reason}): check the app-level token"
        ) from None


def check_token(settings: Settings) -> None:
    try:
        slack_client(settings).auth_test()
    except SlackApiError as error:
        raise ConfigError(f"SLACK_BOT_TOKEN was rejected by Slack ({error.response.get('error')})") from None
