"""Spend questions end to end: signed `/katalo spend`, mentions and control changes, against the sandbox.

Expected figures are summed here from the sandbox's own events, over local days in REPORT_TIMEZONE.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from bot import slack_ids
from bot.blocks.limits import displayed_texts
from bot.sandbox.slack_driver import FORM
from tests.e2e.conftest import Bot, buttons

ZONE = "America/New_York"
RANGE = "2026-11-01..2026-11-15"


@pytest.fixture
def spend_bot(make_bot) -> Bot:
    return make_bot({"REPORT_TIMEZONE": ZONE})


def shown(message: dict) -> str:
    return "\n".join(displayed_texts({"text": message["text"], "blocks": message.get("blocks", [])}))


def spent(bot: Bot, first: date, last: date, **match: str) -> Decimal:
    """The sandbox's own sum over local days first..last in ZONE."""
    zone = ZoneInfo(ZONE)
    start = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    after = last + timedelta(days=1)
    end = datetime(after.year, after.month, after.day, tzinfo=zone).astimezone(UTC)
    total = Decimal("0.00")
    for event in bot.katalo.ledger.iter_events():
        at = datetime.fromisoformat(event["created_at"].replace("Z", "+00:00"))
        if start <= at < end and all(event[k] == v for k, v in match.items()):
            total += Decimal(event["amount_usd"])
    return total


def controls(message: dict) -> tuple[str, dict[str, dict]]:
    [block] = [
        b for b in message["blocks"] if b.get("block_id", "").startswith(slack_ids.SPEND_CONTROLS_PREFIX)
    ]
    return block["block_id"], {e["action_id"]: e for e in block["elements"]}


def change(bot: Bot, message: dict, action_id: str, choice: str, *, user: str | None = None) -> str:
    """Change one control as Slack sends it: the action, plus every control's state in state.values."""
    block_id, elements = controls(message)
    state: dict[str, Any] = {}
    for key, element in elements.items():
        if element["type"] == "static_select":
            state[key] = {"type": "static_select", "selected_option": element.get("initial_option")}
        elif element["type"] == "datepicker":
            state[key] = {"type": "datepicker", "selected_date": element["initial_date"]}
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": elements[action_id]["type"],
    }
    if action["type"] == "static_select":
        action["selected_option"] = {"text": {"type": "plain_text", "text": choice}, "value": choice}
        state[action_id]["selected_option"] = action["selected_option"]
    else:
        action["selected_date"] = choice
        state[action_id]["selected_date"] = choice
    url = bot.slack.new_response_url()
    payload = {
        "type": "block_actions",
        "user": {"id": user or bot.user},
        "channel": {"id": bot.channel},
        "team": {"id": "T0TEST"},
        "api_app_id": "A0KATALO",
        "container": {"type": "message", "channel_id": bot.channel, "is_ephemeral": True},
        "response_url": url,
        "trigger_id": "1.2.3",
        "state": {"values": {block_id: state}},
        "actions": [action],
    }
    assert bot.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM).status_code == 200
    return url


def ask(bot: Bot, text: str) -> dict:
    _, url = bot.command(text)
    [reply] = bot.slack.wait_for_posts(url)
    return reply


def test_spend_command_answers_privately_with_the_exact_total(spend_bot):
    """`/katalo spend RANGE by job`: the sandbox's exact sum over those New York days, privately."""
    reply = ask(spend_bot, f"spend {RANGE} by job")
    expected = spent(spend_bot, date(2026, 11, 1), date(2026, 11, 15))
    assert reply["response_type"] == "ephemeral"
    assert f"*${expected:,.2f}* billed, Sun 1 Nov – Sun 15 Nov 2026 ({ZONE})" in shown(reply)
    assert "*By job*" in shown(reply) and "*Per day*" in shown(reply)
    assert set(buttons(reply)) >= {"Share to channel"}


def test_a_filter_narrows_the_total(spend_bot):
    reply = ask(spend_bot, f"spend {RANGE} type:upscale")
    expected = spent(spend_bot, date(2026, 11, 1), date(2026, 11, 15), usage_type="upscale")
    assert f"*${expected:,.2f}* billed" in shown(reply)


def test_the_breakdown_select_replaces_the_message_and_keeps_the_period(spend_bot):
    """Choosing "By config" replaces the answer in place; the period and its total stay."""
    first = ask(spend_bot, f"spend {RANGE} by job")
    url = change(spend_bot, first, slack_ids.SPEND_BREAKDOWN, "config")
    [second] = spend_bot.slack.wait_for_posts(url)
    assert second["replace_original"] is True
    assert "*By config*" in shown(second) and "`cfg_" in shown(second)
    expected = spent(spend_bot, date(2026, 11, 1), date(2026, 11, 15))
    assert f"*${expected:,.2f}* billed, Sun 1 Nov – Sun 15 Nov 2026" in shown(second)


def test_a_datepicker_changes_the_range_and_keeps_the_breakdown_and_filter(spend_bot):
    """Moving "From" to Nov 10 answers Nov 10–15, still by job and still only upscales."""
    first = ask(spend_bot, f"spend {RANGE} by job type:upscale")
    url = change(spend_bot, first, slack_ids.SPEND_FROM, "2026-11-10")
    [second] = spend_bot.slack.wait_for_posts(url)
    expected = spent(spend_bot, date(2026, 11, 10), date(2026, 11, 15), usage_type="upscale")
    assert second["replace_original"] is True
    assert f"*${expected:,.2f}* billed, Tue 10 Nov – Sun 15 Nov 2026" in shown(second)
    assert "*By job*" in shown(second) and "Only type `upscale`" in shown(second)


def test_a_reversed_range_leaves_the_answer_and_says_why(spend_bot):
    first = ask(spend_bot, f"spend {RANGE}")
    url = change(spend_bot, first, slack_ids.SPEND_TO, "2026-10-20")
    [reply] = spend_bot.slack.wait_for_posts(url)
    assert reply["replace_original"] is False
    assert "runs backwards" in shown(reply)


def test_a_control_changed_by_an_outsider_is_refused(make_bot):
    """With an allowlist, another user changing the controls gets a refusal and no figures."""
    bot = make_bot({"REPORT_TIMEZONE": ZONE, "ALLOWED_USER_IDS": "U0ALICE"})
    first = ask(bot, f"spend {RANGE}")
    url = change(bot, first, slack_ids.SPEND_BREAKDOWN, "job", user="U0MALLORY")
    [reply] = bot.slack.wait_for_posts(url)
    assert "limited to certain people" in shown(reply) and "$" not in shown(reply)


def test_share_posts_the_answer_in_the_channel(spend_bot):
    reply = ask(spend_bot, f"spend {RANGE} by config")
    spend_bot.press(buttons(reply)["Share to channel"])
    [call] = spend_bot.slack.wait_for_calls("chat.postMessage")
    assert "Shared by <@U0ALICE>" in shown(call.params) and "*By config*" in shown(call.params)


def test_mention_is_answered_in_the_thread(spend_bot):
    """ "how much RANGE by job" in a mention: the same answer, in the thread."""
    spend_bot.mention(f"<@UBOT> how much {RANGE} by job?")
    [call] = spend_bot.slack.wait_for_calls("chat.postMessage")
    expected = spent(spend_bot, date(2026, 11, 1), date(2026, 11, 15))
    assert call.params["thread_ts"] == "1764000000.000100"
    assert f"*${expected:,.2f}* billed" in shown(call.params) and "*By job*" in shown(call.params)


def test_unknown_usage_type_names_the_known_ones(spend_bot):
    reply = ask(spend_bot, "spend last week type:month")
    assert "no events with usage type `month`" in shown(reply)
    assert "`generation`" in shown(reply) and "`upscale`" in shown(reply)


def test_a_period_that_cannot_be_answered_gets_a_sentence(spend_bot):
    assert "in the future" in shown(ask(spend_bot, "spend 2099-01"))
    assert "`fortnight`" in shown(ask(spend_bot, "spend fortnight"))


def test_last_period_uses_the_summarys_billing_period(spend_bot):
    """`last period` is the billing period before the summary's current one, to the instant."""
    body = spend_bot.katalo.ledger.summary()["billing_period"]
    assert body["start_at"] == "2026-11-01T00:00:00Z"  # the sandbox bills calendar months in UTC
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    expected = sum(
        (
            Decimal(e["amount_usd"])
            for e in spend_bot.katalo.ledger.iter_events()
            if start <= datetime.fromisoformat(e["created_at"].replace("Z", "+00:00")) < end
        ),
        Decimal("0.00"),
    )
    reply = ask(spend_bot, "spend last period")
    assert f"*${expected:,.2f}* billed, Wed 30 Sep – Sat 31 Oct 2026 ({ZONE})" in shown(reply)
