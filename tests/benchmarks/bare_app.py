"""A bare Bolt app: the throughput baseline of `tests.benchmarks.serve`.

It does what the bot does for `/katalo usage`, minus the bot: verify the signature, ack at once, then
`respond()` a small static Block Kit message from a lazy listener through `response_url`. Same Bolt
settings as bot/app.py (WebClient base_url, token, retry handlers, `process_before_response=False`) and
the same WSGI surface as bot/serve.py (`/healthz`, `/slack/events` behind the signature guard). Served
the way `katalo-bot serve` serves the bot (bot/web/server.py: waitress, 8 threads, the same limits):

    SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... SLACK_API_URL=http://127.0.0.1:PORT/api/ PORT=3001 \\
        .venv/bin/python -m tests.benchmarks.bare_app

Importing this module does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.serve import wsgi_app

COMMAND = "/katalo"

MESSAGE: dict[str, Any] = {
    "text": "Plan usage: 42% used",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Plan usage*\n42% of plan used"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "as of 14:02"}]},
    ],
}


def create_app(environ: Mapping[str, str] = os.environ) -> App:
    client = WebClient(
        token=environ["SLACK_BOT_TOKEN"],
        base_url=environ.get("SLACK_API_URL") or "https://slack.com/api/",
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )
    app = App(
        client=client,
        signing_secret=environ["SLACK_SIGNING_SECRET"],
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    def ack_command(ack: Ack) -> None:
        ack()

    def answer_command(respond: Respond) -> None:
        respond(response_type="ephemeral", **MESSAGE)

    app.command(COMMAND)(ack=ack_command, lazy=[answer_command])
    return app


def create_application() -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """The WSGI app: the very wrapper bot/serve.py uses (Bolt at /slack/events, /healthz)."""
    return wsgi_app(create_app(), os.environ["SLACK_SIGNING_SECRET"])


if __name__ == "__main__":
    from bot.web import server

    server.run(server.bind(create_application(), "127.0.0.1", int(os.environ["PORT"])))
