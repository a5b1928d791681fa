"""No secret ever leaves the process: run the bot with recognisable secrets through success and every
kind of failure, and scan every log line, every request body sent to Slack and every reply."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logs import RedactSecrets
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
def scanned(tmp_path, start_sandbox, caplog):
    katalo = start_sandbox(SandboxLedger(seed=4, events=300, now=NOW), api_key=SECRETS["KATALO_API_KEY"])
    with SlackDouble(token=SECRETS["SLACK_BOT_TOKEN"]) as slack:
        settings = local_settings(
            token=SECRETS["SLACK_BOT_TOKEN"],
            secret=SECRETS["SLACK_SIGNING_SECRET"],
            slack_api_url=slack.api_url,
            katalo_url=katalo.url,
            database_url=f"sqlite:///{tmp_path / 's.db'}",
            KATALO_API_KEY=SECRETS["KATALO_API_KEY"],
            LOG_LEVEL="DEBUG",
        )
        caplog.set_level(logging.DEBUG)
        # What configure_logging installs in production; caplog's handler sits beside it.
        caplog.handler.addFilter(RedactSecrets(settings.secrets()))
        with LocalBot(settings) as bot:
            yield (
                SlackDriver(bot_url=bot.url, slack=slack, secret=SECRETS["SLACK_SIGNING_SECRET"]),
                katalo,
                bot,
            )


def test_no_secret_in_any_message_log_line_or_reply(scanned, caplog):
    driver, katalo, bot = scanned
    slack = driver.slack
    _, url = driver.command("usage")
    [usage] = slack.wait_for_posts(url)
    driver.press(buttons(usage)["Share to channel"])
    slack.wait_for_calls("chat.postMessage")
    for fault in (
        {"status": 401},
        {"status": 429, "retry_after": 30},
        {"status": 500},
        {"drop": True},
        {"body": b"<html>" + SECRETS["KATALO_API_KEY"].encode()},
    ):
        katalo.inject(SUMMARY, times=None, **fault)
        _, url = driver.command("usage")
        bot.deps.answers.client.cache.clear()
        slack.wait_for_posts(url, timeout=20)
        katalo.clear_faults()
    job = katalo.ledger.job_ids(1)[0]
    driver.mention(f"<@UBOT> what did {job} cost?")
    slack.wait_for_calls("chat.postMessage", count=2)
    bot.deps.digests.poster.post("C0SCAN", NOW.tzinfo, NOW.date(), force=True)
    captured = [
        *(json.dumps(call.params) for call in slack.calls()),
        *(json.dumps(post) for post in slack.posts()),
        *(record.getMessage() for record in caplog.records),
        caplog.text,
    ]
    assert len(slack.posts()) == 6  # usage, then one reply per Katalo failure
    assert len(slack.calls("chat.postMessage")) == 3  # the share, the mention's answer, the digest
    for name, secret in SECRETS.items():
        leaks = [text[:200] for text in captured if secret in text]
        assert leaks == [], f"{name} leaked"
