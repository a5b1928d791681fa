"""`/katalo alerts` and `/katalo budget` end to end: signed commands and mentions into the running bot.

The alert store is read back from the bot's own database, so "changed" means stored, not just said.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

import pytest

from bot.alert_kinds import KINDS
from bot.blocks.limits import displayed_texts
from bot.db import open_database
from bot.db.alert_store import AlertStore
from tests.e2e.conftest import Bot

ALLOWED = "U0ALICE"


@pytest.fixture
def database(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'alerts.db'}"


# The bot runs on the wall clock: its Katalo sandbox lives in the present too, so the billing period
# Katalo names is the current one (a period already over is not shown as this one).
PRESENT = datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture
def bot(make_bot, database) -> Bot:
    return make_bot({"DATABASE_URL": database, "ALLOWED_USER_IDS": ALLOWED}, now=PRESENT)


@pytest.fixture
def store(bot, database) -> AlertStore:
    return AlertStore(open_database(database))


def shown(message: dict) -> str:
    return "\n".join(displayed_texts({"text": message["text"], "blocks": message.get("blocks", [])}))


def ask(bot: Bot, text: str, *, user: str | None = None) -> dict:
    _, url = bot.command(text, user=user)
    [reply] = bot.slack.wait_for_posts(url, timeout=15)
    return reply


def test_alerts_lists_every_kind_and_how_to_change_them(bot):
    """A channel without a digest gets no alerts yet: each kind is listed off, with its description."""
    reply = shown(ask(bot, "alerts"))
    assert all(f"*{kind}* (off)" in reply for kind in KINDS)
    assert "a day whose spend is far above the usual day" in reply
    assert "`/katalo alerts on|off KIND…` (or `all`) changes them." in reply


def test_turning_kinds_on_and_off_is_stored_and_said(bot, store):
    """`alerts on spike pace`, then `alerts off pace`: the store and the reply agree on what is on."""
    on = shown(ask(bot, "alerts on spike pace"))
    assert "Turned on *spike*, *pace*." in on
    assert store.enabled_kinds(bot.channel) >= {"spike", "pace"}
    off = shown(ask(bot, "alerts off pace"))
    assert "Turned off *pace*." in off and "pace" not in store.enabled_kinds(bot.channel)
    assert "*pace* (off)" in shown(ask(bot, "alerts")) and "*spike* (on)" in shown(ask(bot, "alerts"))


def test_all_turns_every_kind_off(bot, store):
    ask(bot, "alerts on all")
    assert store.enabled_kinds(bot.channel) == frozenset(KINDS)
    assert "No alerts are on in this channel now." in shown(ask(bot, "alerts off all"))
    assert store.enabled_kinds(bot.channel) == frozenset()


def test_an_unknown_kind_is_named_back_escaped_with_the_known_ones(bot, store):
    reply = shown(ask(bot, "alerts on <!channel>"))
    assert "`&lt;!channel&gt;` is not a kind of alert" in reply and "<!channel>" not in reply
    assert all(f"`{kind}`" in reply for kind in KINDS)
    assert store.enabled_kinds(bot.channel) == frozenset()


def test_someone_not_allowed_cannot_change_alerts(bot, store):
    """The allowlists guard changes as they guard billing data: a refusal, and nothing stored."""
    response, _ = bot.command("alerts on all", user="U0MALLORY")
    assert "limited to certain people" in response.text
    assert store.enabled_kinds(bot.channel) == frozenset()


def test_alerts_show_silences_and_the_last_alert_with_a_link(bot, store):
    """A snooze (by whom, until when) and the last alert, linked through chat.getPermalink."""
    now = datetime.now(UTC)
    store.set_enabled(bot.channel, ["spike"], True, by_user=ALLOWED, at=now)
    store.silence(bot.channel, "spike", mode="snooze", until=now + timedelta(days=1), by_user="U0BOB", at=now)
    store.record_post(
        bot.channel,
        "spike",
        "spike:2026-12-05",
        ts="1764000000.000900",
        headline="Spend spike",
        level="",
        at=now,
    )
    reply = shown(ask(bot, "alerts"))
    assert "Snoozed by <@U0BOB> until " in reply
    assert re.search(
        r"Last: <https://katalo-test\.slack\.com/archives/C0BILLING/p1764000000000900\|[^>]+>: Spend spike",
        reply,
    )


def test_without_a_permalink_the_last_alert_shows_its_time(bot, store):
    """Slack refusing chat.getPermalink costs the link only."""
    now = datetime.now(UTC)
    store.record_post(
        bot.channel, "plan", "plan:80", ts="1764000000.000900", headline="Plan at 80%", level="80", at=now
    )
    bot.slack.inject("chat.getPermalink", error="message_not_found")
    reply = shown(ask(bot, "alerts"))
    assert re.search(r"Last: \w{3} \w{3} \d+, \d\d:\d\d: Plan at 80%", reply)


def test_a_mention_asks_the_same(bot):
    bot.mention("<@UBOT> which alerts are on here?")
    [call] = bot.slack.wait_for_calls("chat.postMessage")
    assert "Alerts in this channel" in call.params["text"]


# --- budgets ---------------------------------------------------------------------------------------


def billed(reply: dict) -> Decimal:
    """The total a spend answer shows: `*$1,234.56* billed`."""
    match = re.search(r"\*\$([\d,]+\.\d\d)\* billed", shown(reply))
    assert match, shown(reply)
    return Decimal(match[1].replace(",", ""))


def test_a_budget_is_set_and_shows_what_is_spent_exactly_as_spend_does(bot, store):
    """`budget set $1,250.50`, then `budget`: the spend of this billing period, to the cent."""
    assert "*$1,250.50* per billing period" in shown(ask(bot, "budget set $1,250.50"))
    assert store.budget(bot.channel).amount == Decimal("1250.50")  # type: ignore[union-attr]
    status = shown(ask(bot, "budget"))
    spent = billed(ask(bot, "spend this period"))
    share = (spent / Decimal("1250.50") * 100).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
    assert f"Spent so far: *${spent:,.2f}* · *{share}%* used" in status
    assert "per billing period, this one " in status and "From the ledger mirror" in status
    assert "Set by <@U0ALICE>" in status


def test_a_monthly_budget_covers_the_calendar_month(bot, store):
    assert "*$200.00* per calendar month" in shown(ask(bot, "budget set 200 monthly"))
    assert store.budget(bot.channel).scope == "monthly"  # type: ignore[union-attr]
    status = shown(ask(bot, "budget"))
    today = datetime.now(UTC).date()
    assert "per calendar month, this one " in status and f"{today.replace(day=1):%a 1 %b}" in status


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("0", "above $0"),
        ("-5", "above $0"),
        ("abc", "`abc` is not an amount"),
        ("NaN", "`NaN` is not an amount"),
        ("12.345", "two decimals"),
        ("20000000", "at most $10,000,000"),
        ("<@U0EVE>", "`&lt;@U0EVE&gt;` is not an amount"),
    ],
)
def test_a_bad_amount_gets_one_sentence_and_stores_nothing(bot, store, typed, words):
    reply = shown(ask(bot, f"budget set {typed}"))
    assert words in reply and "`/katalo budget set 500`" in reply
    assert "<@U0EVE>" not in reply
    assert store.budget(bot.channel) is None


def test_budget_off_removes_it(bot, store):
    ask(bot, "budget set 500")
    assert "budget is removed" in shown(ask(bot, "budget off"))
    assert store.budget(bot.channel) is None
    assert "This channel has no budget." in shown(ask(bot, "budget"))
    assert "This channel had no budget." in shown(ask(bot, "budget off"))


def test_someone_not_allowed_cannot_set_a_budget(bot, store):
    response, _ = bot.command("budget set 500", user="U0MALLORY")
    assert "limited to certain people" in response.text
    assert store.budget(bot.channel) is None


def test_a_mention_asks_for_the_budget(bot):
    ask(bot, "budget set 500")
    bot.mention("<@UBOT> how much of the budget is left?")
    [call] = bot.slack.wait_for_calls("chat.postMessage")
    assert call.params["text"].startswith("Budget $500.00 per billing period")


def test_a_period_budget_while_katalo_cannot_name_the_period_gets_a_sentence(bot):
    """The summary failing (and nothing cached): no window, so one sentence, not a guess or a traceback."""
    ask(bot, "budget set 500")
    bot.katalo.inject("/api/v1/usage/summary", status=500, times=None)
    reply = shown(ask(bot, "budget"))
    assert "The billing period is not known just now" in reply and "monthly" in reply


def test_a_monthly_budget_needs_no_katalo_summary(bot):
    """A calendar month is known without Katalo: the status comes even while the summary fails."""
    ask(bot, "budget set 200 monthly")
    bot.katalo.inject("/api/v1/usage/summary", status=500, times=None)
    assert "per calendar month, this one " in shown(ask(bot, "budget"))


def test_the_configured_budget_thresholds_are_the_ones_named(make_bot):
    """BUDGET_ALERT_THRESHOLDS=25,75: setting a budget says it alerts at 25% and 75%, as the runner will."""
    bot = make_bot({"BUDGET_ALERT_THRESHOLDS": "25,75"}, now=PRESENT)
    assert "It alerts here at 25%, 75%." in shown(ask(bot, "budget set 500"))
    assert "Alerts at 25%, 75%:" in shown(ask(bot, "budget"))


def test_alerts_name_the_configured_thresholds_of_each_kind(make_bot):
    """ALERT_THRESHOLDS=90, BUDGET_ALERT_THRESHOLDS=75,25: `/katalo alerts` names those, not the defaults."""
    bot = make_bot({"ALERT_THRESHOLDS": "90", "BUDGET_ALERT_THRESHOLDS": "75,25"})
    reply = shown(ask(bot, "alerts"))
    assert "*plan* (off): the plan's included units crossing 90%\n" in reply
    assert "*budget* (off): a budget in dollars crossing 25% and 75%\n" in reply
    assert "50%" not in reply and "80%" not in reply


def test_the_budget_kind_says_when_no_budget_is_set(bot):
    """Budget alerts on, but no budget here: the list and the change both say how to set one."""
    assert "No budget is set here: `/katalo budget set 500` sets one." in shown(ask(bot, "alerts on budget"))
    assert "No budget is set here" in shown(ask(bot, "alerts"))
    ask(bot, "budget set 500")
    assert "No budget is set here" not in shown(ask(bot, "alerts"))
