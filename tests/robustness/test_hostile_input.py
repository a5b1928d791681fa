"""Hostile text through the real app, over signed requests: never a 500, never an unescaped ping,
never beyond Slack's limits (the Slack stand-in refuses a message that breaks them)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.blocks.limits import check_message, displayed_texts
from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.local_bot import LocalBot, local_settings
from bot.sandbox.slack_driver import SlackDriver
from tests.conftest import NOW
from tests.stand_ins.slack import SlackDouble

TOKEN, SECRET = "xoxb-hostile", "hostile-signing-secret"
CONTROL = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0VICTIM>",
    "<#C0SECRET>",
    "<https://evil.example|x>",
    "&amp;",
    "&lt;",
    "*",
    "_",
    "`",
    "```",
    "\n",
    '"',
    "'",
    "\u202e",
    "\x00",
    "job_",
    "job_A",
    "events",
    "usage",
]
hostile = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(CONTROL), max_size=12).map(" ".join),
    st.text(min_size=3000, max_size=6000),
)
_UNESCAPED = re.compile(r"<[!@#]|<https?://")


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    from tests.stand_ins.katalo import KataloDouble

    tmp = tmp_path_factory.mktemp("hostile")
    with (
        KataloDouble(SandboxLedger(seed=6, events=200, now=NOW)) as katalo,
        SlackDouble(token=TOKEN) as slack,
    ):
        settings_ = local_settings(
            token=TOKEN,
            secret=SECRET,
            slack_api_url=slack.api_url,
            katalo_url=katalo.url,
            database_url=f"sqlite:///{tmp / 'h.db'}",
            KATALO_REQUESTS_PER_MINUTE="100000",
        )
        with LocalBot(settings_) as bot:
            yield SlackDriver(bot_url=bot.url, slack=slack, secret=SECRET)


def assert_safe(message: dict) -> None:
    check_message(message)
    for text in displayed_texts(message):
        assert not _UNESCAPED.search(text), text[:200]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=hostile)
def test_any_command_text_gets_a_safe_answer(driver, text):
    """Whatever follows /katalo: a 200 ack, then one answer that pings nobody and fits Slack's limits."""
    ack, url = driver.command(text)
    assert ack.status_code == 200
    [answer] = driver.slack.wait_for_posts(url, timeout=15)
    assert_safe(answer)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=hostile)
def test_any_mention_text_gets_a_safe_answer_in_the_thread(driver, text):
    before = len(driver.slack.calls("chat.postMessage"))
    assert driver.mention(f"<@UBOT> {text}").status_code == 200
    call = driver.slack.wait_for_calls("chat.postMessage", before + 1, timeout=15)[before]
    assert call.params["thread_ts"] == "1764000000.000100"
    assert_safe({"text": call.params["text"], "blocks": call.params.get("blocks", [])})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.one_of(
        st.text(max_size=300), st.dictionaries(st.text(max_size=10), st.text(max_size=50)).map(json.dumps)
    )
)
def test_any_button_value_gets_a_safe_answer(driver, value):
    """A forged or garbled button value never crashes a handler: the presser gets a safe reply."""
    assume('"kind"' not in value)  # a real value would be answered (and Share would post to the channel)
    for action in ("usage_refresh", "events_older", "job_events_page", "share_to_channel"):
        _, url = driver.press({"action_id": action, "value": value})
        [answer] = driver.slack.wait_for_posts(url, timeout=15)
        assert_safe(answer)
