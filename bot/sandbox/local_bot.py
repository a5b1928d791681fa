"""The real bot (create_app + the same WSGI app `serve` runs) on a local port, in this process.

For the demo and the end-to-end tests: requests reach exactly the code production runs, only
served by a threaded wsgiref server instead of waitress.
"""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from typing import Any, Self
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.app import create_app
from bot.config import Settings, load_settings
from bot.sandbox import SANDBOX_API_KEY
from bot.serve import wsgi_app
from bot.wiring.deps import Deps
from bot.wiring.root import build_deps


def local_settings(
    *, token: str, secret: str, slack_api_url: str, katalo_url: str, database_url: str, **extra: str
) -> Settings:
    """Settings for a bot wired to local stand-ins; `extra` adds or overrides environment variables."""
    return load_settings(
        {
            "SLACK_BOT_TOKEN": token,
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": slack_api_url,
            "KATALO_API_URL": katalo_url,
            "KATALO_API_KEY": SANDBOX_API_KEY,
            "DATABASE_URL": database_url,
            "KATALO_REQUESTS_PER_MINUTE": "10000",
            **extra,
        }
    )


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass  # the demo's terminal and the test output stay readable


class LocalBot:
    def __init__(self, settings: Settings, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.deps: Deps = build_deps(settings)
        app = create_app(settings, self.deps)  # refuses to start without a signing secret
        assert settings.slack_signing_secret is not None
        application = wsgi_app(app, settings.slack_signing_secret.get_secret_value())
        self._server = make_server(
            host, port, application, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> Self:
        # A short poll: stop() waits up to one poll interval for the loop to notice (0.5 s by default).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="local-bot"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
