"""No secret ever leaves the process: run the bot with recognisable secrets through success and every
kind of failure, and scan every log line, every request body sent to Slack and every reply.

The log is what production writes: `configure_logging` as `katalo-bot` calls it, with its redaction,
writing to a stderr the test reads.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from bot.config import Settings
from bot.logs import configure_logging
from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.local_bot import LocalBot, local_settings
from bot.sandbox.slack_driver import SlackDriver
from tests.conftest import NOW
from tests.stand_ins.slack import SlackDouble, buttons

SECRETS = {
    "KATALO_API_KEY": "kat_live_pkSCAN.KATALOSECRETVALUE9",
    "SLACK_BOT_TOKEN": "xoxb-SLACKBOTSECRETVALUE9",
    "SLACK_SIGNING_SECRET": "SIGNINGSECRETVALUE9",
}
SUMMARY = "/api/v1/usage/summary"


@pytest.fixture
def production_log() -> Iterator[Callable[[Settings], io.StringIO]]:
    """Set logging up as `katalo-bot` does, and read what it writes; the root logger is put back after.

    The handler, formatter and redaction are configure_logging's own; only the stream it writes to
    (stderr) is swapped for a buffer the test reads.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quieted = {name: logging.getLogger(name).level for name in ("httpx", "alembic")}

    def configure(settings: Settings) -> io.StringIO:
        configure_logging(settings.logging_level, settings.secrets())  # as bot.cli.main does
        [handler] = root.handlers
        assert isinstance(handler, logging.StreamHandler)
        buffer = io.StringIO()
        handler.setStream(buffer)
        return buffer

    yield configure
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, former in quieted.items():
        logging.getLogger(name).setLevel(former)


def bot_settings(slack_api_url: str, katalo_url: str, database_url: str) -> Settings:
    return local_settings(
        token=SECRETS["SLACK_BOT_TOKEN"],
        secret=SECRETS["SLACK_SIGNING_SECRET"],
        slack_api_url=slack_api_url,
        katalo_url=katalo_url,
        database_url=database_url,
        KATALO_API_KEY=SECRETS["KATALO_API_KEY"],
        LOG_LEVEL="DEBUG",
    )


@pytest.fixture
def scanned(tmp_path, start_sandbox, production_log):
    katalo = start_sandbox(SandboxLedger(seed=4, events=300, now=NOW), api_key=SECRETS["KATALO_API_KEY"])
    with SlackDouble(token=SECRETS["SLACK_BOT_TOKEN"]) as slack:
        settings = bot_settings(slack.api_url, katalo.url, f"sqlite:///{tmp_path / 's.db'}")
        log = production_log(settings)
        with LocalBot(settings) as bot:
            yield (
                SlackDriver(bot_url=bot.url, slack=slack, secret=SECRETS["SLACK_SIGNING_SECRET"]),
                katalo,
                bot,
                log,
            )


def test_no_secret_in_any_message_log_line_or_reply(scanned):
    driver, katalo, bot, written = scanned
    slack = driver.slack
    _, url = driver.command("usage")
    [usage] = slack.wait_for_posts(url)
    driver.press(buttons(usage)["Share to channel"])
    slack.wait_for_calls("chat.postMessage")
    # The 429 comes last: the pause it asks for (30 s) would keep the other faults from reaching Katalo.
    for fault in (
        {"status": 401},
        {"status": 500},
        {"drop": True},
        {"body": b"<html>" + SECRETS["KATALO_API_KEY"].encode()},
        {"status": 429, "retry_after": 30},
    ):
        katalo.inject(SUMMARY, times=None, **fault)
        asked = katalo.request_count(SUMMARY)
        bot.deps.answers.client.cache.clear()  # so the answer asks Katalo and meets the fault
        _, url = driver.command("usage")
        slack.wait_for_posts(url, timeout=20)
        assert katalo.request_count(SUMMARY) > asked, fault
        katalo.clear_faults()
    job = katalo.ledger.job_ids(1)[0]
    driver.mention(f"<@UBOT> what did {job} cost?")
    slack.wait_for_calls("chat.postMessage", count=2)
    bot.deps.digests.poster.post("C0SCAN", NOW.tzinfo, NOW.date(), force=True)
    captured = [
        *(json.dumps(call.params) for call in slack.calls()),
        *(json.dumps(post) for post in slack.posts()),
        log := written.getvalue(),
    ]
    # The scan reads the bot's real log, as production formats it: its requests, and the failures'.
    assert " DEBUG bot.katalo.transport: " in log and " WARNING bot.katalo.transport: " in log
    assert len(slack.posts()) == 6  # usage, then one reply per Katalo failure
    assert len(slack.calls("chat.postMessage")) == 3  # the share, the mention's answer, the digest
    for name, secret in SECRETS.items():
        leaks = [text[:200] for text in captured if secret in text]
        assert leaks == [], f"{name} leaked"


def test_a_library_that_logs_a_secret_is_redacted_by_the_real_set_up(production_log, tmp_path):
    """The second line of defence, as `katalo-bot` sets it up: whatever a library logs (a message, an
    argument, a traceback), the line written to stderr has every configured secret replaced."""
    settings = bot_settings("http://127.0.0.1:9/api/", "http://127.0.0.1:9", f"sqlite:///{tmp_path / 's.db'}")
    written = production_log(settings)
    chatty = logging.getLogger("slack_sdk.web.base_client")
    chatty.debug("headers: %s", {"Authorization": f"Bearer {SECRETS['SLACK_BOT_TOKEN']}"})
    chatty.info(f"signing with {SECRETS['SLACK_SIGNING_SECRET']}")
    try:
        raise RuntimeError(f"GET failed with key {SECRETS['KATALO_API_KEY']}")
    except RuntimeError:
        logging.getLogger("httpcore").exception("request failed")
    log = written.getvalue()
    assert "ERROR httpcore: request failed" in log and "RuntimeError" in log
    assert log.count("[redacted]") == 3
    for name, secret in SECRETS.items():
        assert secret not in log, f"{name} leaked"
