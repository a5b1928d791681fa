"""Logging set-up: one format for every entry point, and a filter that redacts configured secrets.

Secrets should never reach a log call in the first place (no module logs headers, tokens or request
bodies); the filter is the second line of defence, for a library that logs more than it should.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Replaces every known secret in a record's final message, arguments and traceback included."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.stack_info:
            message += "\n" + record.stack_info
            record.stack_info = None
        for secret in self._secrets:
            message = message.replace(secret, REDACTED)
        record.msg, record.args = message, None
        return True


def configure_logging(level: int, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`, with every configured secret redacted, from whichever logger."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO (ours are logged at DEBUG by the transport already), and
    # Alembic its plugins and "Context impl" on every start-up: noise in a bot's log.
    for chatty in ("httpx", "alembic"):
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
