"""`/katalo reconcile` end to end: signed commands, the sandbox Katalo over HTTP, the mirror's database.

The mirror is synced first by `/katalo events` (reconcile itself never syncs); then the sandbox or the
mirror's table is altered the way a real disagreement would look, and the private answer must name it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, select, update

from bot.db.schema import ledger_events, ledger_sync_state
from bot.katalo.errors import KataloServerError
from tests.e2e.conftest import Bot, buttons
from tests.e2e.test_spend import ask, shown

SUMMARY = "/api/v1/usage/summary"
EVENTS = "/api/v1/billing/events"


@pytest.fixture
def synced(bot: Bot) -> Bot:
    ask(bot, "events")  # brings the mirror up to date
    return bot


def billable_in_period(bot: Bot) -> int:
    start = bot.katalo.ledger.summary()["billing_period"]["start_at"][:19]
    return sum(1 for e in bot.katalo.ledger.iter_events() if e["billable"] and e["created_at"] >= start)


def test_a_synced_mirror_agrees_with_katalo_in_three_requests(synced):
    consumed = synced.katalo.ledger.summary()["usage"]["consumed"]
    before = (synced.katalo.request_count(SUMMARY), synced.katalo.request_count(EVENTS))
    reply = ask(synced, "reconcile")
    text = shown(reply)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == "Katalo reconciliation: The mirror agrees with Katalo."
    assert f"Katalo reports *{consumed}* units consumed" in text
    assert f"the mirror holds *{billable_in_period(synced)} billable events*" in text
    assert "Difference: *0*" in text and "The first check this period" in text
    assert "Read again, the newest 200 events Katalo serves" in text and "match the mirror." in text
    assert "The last sync ended without an error." in text
    assert "No ledger records were set aside." in text and "What you can do" not in text
    assert set(buttons(reply)) == {"Share to channel"}
    after = (synced.katalo.request_count(SUMMARY), synced.katalo.request_count(EVENTS))
    assert after == (before[0] + 1, before[1] + 2)  # the summary and the newest two pages


def test_an_event_changed_at_katalo_is_named_with_its_fields(synced):
    ledger = synced.katalo.ledger
    i = ledger.event_count - 5
    ledger.override(i, amount_usd="9.99", usage_type="upscale_xl")
    reply = ask(synced, "reconcile")
    event_id = ledger.event(i)["event_id"]
    assert f"Changed at Katalo since stored: `{event_id}` (amount_usd, usage_type)" in shown(reply)
    assert "Missing from the mirror" not in shown(reply) and "What you can do" in shown(reply)
    assert reply["text"].endswith("The mirror and Katalo differ: see what you can do.")


def test_an_event_missing_from_the_mirror_is_named(synced, tmp_path: Path):
    ledger = synced.katalo.ledger
    gone = ledger.event(ledger.event_count - 1)["event_id"]  # the newest: at complete_through itself
    engine = create_engine(f"sqlite:///{tmp_path / 'bot0.db'}")
    with engine.begin() as connection:
        assert connection.execute(delete(ledger_events).where(ledger_events.c.event_id == gone)).rowcount == 1
    engine.dispose()
    reply = ask(synced, "reconcile")
    assert f"Missing from the mirror: `{gone}`" in shown(reply)
    assert "Changed at Katalo" not in shown(reply)


def test_a_change_in_the_difference_is_flagged_on_the_next_check(synced):
    body = synced.katalo.ledger.summary()
    first, second = ask(synced, "reconcile"), ask(synced, "reconcile")
    assert "The first check this period" in shown(first)
    assert "The difference is unchanged since the check of" in shown(second)
    body["usage"]["consumed"] += 7  # Katalo counts 7 more units; the ledger shows no more events
    synced.katalo.inject(SUMMARY, status=200, body=json.dumps(body).encode())
    third = shown(ask(synced, "reconcile"))
    assert "Difference: *7*" in third
    assert "The difference *changed* since the check of" in third and "it was 0, it is 7." in third
    assert "The plan units and the ledger no longer move together" in third


def test_a_record_set_aside_is_counted(bot):
    ledger = bot.katalo.ledger
    ledger.override(ledger.event_count - 2, amount_usd="1e30")
    ask(bot, "events")
    text = shown(ask(bot, "reconcile"))
    assert "Set aside: 1 ledger record could not be stored." in text
    assert "`katalo-bot sync` names the records set aside" in text


def test_katalo_failing_gives_the_usual_sentence(synced):
    synced.katalo.inject(SUMMARY, status=500, times=None)
    reply = ask(synced, "reconcile")
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == KataloServerError(status=500).user_message and "reconciliation" not in shown(
        reply
    )


def test_share_posts_the_reconciliation_in_the_channel(synced):
    reply = ask(synced, "reconcile")
    synced.press(buttons(reply)["Share to channel"])
    [call] = synced.slack.wait_for_calls("chat.postMessage")
    text = shown(call.params)
    assert "Shared by <@U0ALICE>" in text and "match the mirror." in text and "Share to channel" not in text


def age_last_sync(path: Path, seconds: float) -> None:
    """Move the mirror's last sync back in time, as if it had been `seconds` ago."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        synced = connection.execute(select(ledger_sync_state.c.last_success_at)).scalar_one()
        connection.execute(
            update(ledger_sync_state).values(last_success_at=synced - timedelta(seconds=seconds))
        )
    engine.dispose()


def test_the_digest_says_in_one_line_whether_the_mirror_and_katalo_agree(make_bot, tmp_path: Path):
    """`/katalo reconcile` finds them level; the digest preview agrees; Katalo then counts 7 more units
    and the next preview flags it against that check, with what to do."""
    bot = make_bot({"KATALO_CACHE_TTL": "0"})
    ask(bot, "events")
    ask(bot, "reconcile")
    billable = billable_in_period(bot)
    age_last_sync(tmp_path / "bot0.db", 300)  # the digest's own sync runs, after it reads the summary
    before = bot.katalo.request_count(EVENTS)
    agreeing = shown(ask(bot, "digest preview"))
    assert (
        f"Reconcile: the mirror and Katalo agree ({billable:,} billable events, {billable:,} units"
        in agreeing
    )
    assert bot.katalo.request_count(EVENTS) == before + 1  # the sync's one page; none for the line
    body = bot.katalo.ledger.summary()
    body["usage"]["consumed"] += 7
    bot.katalo.inject(SUMMARY, status=200, body=json.dumps(body).encode(), times=None)
    age_last_sync(tmp_path / "bot0.db", 300)
    differing = shown(ask(bot, "digest preview"))
    assert (
        ":warning: Reconcile: the mirror and Katalo differ by 7 units, 7 more than at the check of "
        in differing
    )
    assert f"({billable:,} billable events, {billable + 7:,} units consumed, $" in differing
    assert differing.count("run `/katalo reconcile`") == 1


def test_the_digest_syncs_a_mirror_synced_before_katalos_figures_and_judges(make_bot):
    """Synced just before the preview read the summary: the digest syncs once more (one page), so the
    line compares both at the summary's moment instead of waiting for the clock's next sync."""
    bot = make_bot({"KATALO_CACHE_TTL": "0"})
    ask(bot, "events")
    ask(bot, "reconcile")
    billable = billable_in_period(bot)
    before = (bot.katalo.request_count(SUMMARY), bot.katalo.request_count(EVENTS))
    text = shown(ask(bot, "digest preview"))
    assert f"Reconcile: the mirror and Katalo agree ({billable:,} billable events" in text
    assert "not checked" not in text
    assert (bot.katalo.request_count(SUMMARY), bot.katalo.request_count(EVENTS)) == (
        before[0] + 1,
        before[1] + 1,
    )
