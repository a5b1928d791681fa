"""No configured secret survives into a log line, however it got there."""

from __future__ import annotations

import logging

from bot.logs import REDACTED, RedactSecrets

KEY = "kat_live_pkLOG.LOGSECRETVALUE"


def capture(*secrets: str) -> tuple[logging.Logger, list[str]]:
    lines: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = ListHandler()
    handler.addFilter(RedactSecrets(secrets))
    logger = logging.getLogger(f"test-redact-{len(secrets)}-{id(lines)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, lines


def test_secret_in_message_arguments_is_redacted():
    """A secret passed as a %-argument is replaced in the final line."""
    logger, lines = capture(KEY)
    logger.info("calling with %s and %r", KEY, {"auth": f"Bearer {KEY}"})
    assert KEY not in lines[0]
    assert lines[0].count(REDACTED) == 2


def test_secret_in_a_logged_traceback_is_redacted():
    """An exception whose text holds a secret is logged with the secret replaced."""
    logger, lines = capture(KEY)
    try:
        raise RuntimeError(f"header was {KEY}")
    except RuntimeError:
        logger.exception("request failed")
    assert "request failed" in lines[0] and "RuntimeError" in lines[0]
    assert KEY not in lines[0]


def test_longer_secret_is_replaced_whole():
    """When one secret contains another, the longer one is replaced first, leaving no fragment."""
    logger, lines = capture("SECRETSECRET", "SECRETSECRET-EXTENDED")
    logger.warning("value SECRETSECRET-EXTENDED")
    assert lines[0] == f"value {REDACTED}"


def test_messages_without_secrets_are_untouched():
    """Ordinary lines pass as they are."""
    logger, lines = capture(KEY)
    logger.info("synced %d events", 42)
    assert lines == ["synced 42 events"]
