"""`/katalo`: handle_ack and handle_command called directly with a recording ack/respond."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.listeners.commands import handle_ack, handle_command
from tests.listeners.conftest import ALICE, CHANNEL, MALLORY, OTHER_CHANNEL, Recorder, everything, shown

REFUSED = "limited to certain people"


def answer(harness, text: str, **who: str) -> dict:
    """The one reply handle_command gives to `/katalo text`."""
    respond = Recorder()
    handle_command(harness.deps, harness.command(text, **who), respond)
    return respond.only


def test_an_allowed_user_gets_an_empty_ack(guarded):
    """Alice in C0BILLING: an ack with nothing in it, the answer comes later."""
    ack = Recorder()
    handle_ack(guarded.deps, ack, guarded.command("usage"))
    assert ack.only == {}


def test_an_outsider_is_refused_in_the_ack(guarded):
    """A user outside the allowlist is refused in the ack itself, privately."""
    ack = Recorder()
    handle_ack(guarded.deps, ack, guarded.command("usage", user=MALLORY))
    assert ack.only["response_type"] == "ephemeral"
    assert REFUSED in shown(ack.only)


def test_a_channel_outside_the_allowlist_is_refused_in_the_ack(guarded):
    """Alice herself is refused in a channel the allowlist does not name."""
    ack = Recorder()
    handle_ack(guarded.deps, ack, guarded.command("usage", channel=OTHER_CHANNEL))
    assert REFUSED in shown(ack.only)


def test_an_outsider_gets_no_answer_and_katalo_is_not_asked(guarded):
    """At answer time the allowlist is checked again: nothing is sent and Katalo hears nothing."""
    respond = Recorder()
    handle_command(guarded.deps, guarded.command("usage", user=MALLORY), respond)
    assert respond.calls == []
    assert guarded.katalo.request_count() == 0


def test_usage_answers_privately_with_the_sandboxs_figures(harness):
    """`usage`: an ephemeral reply carrying the plan's included and consumed figures."""
    reply = answer(harness, "usage")
    usage = harness.katalo.ledger.summary()["usage"]
    assert reply["response_type"] == "ephemeral"
    assert f"{usage['consumed']:,}" in shown(reply) and f"{usage['included']:,}" in shown(reply)


def test_events_of_a_job_list_each_event_and_the_exact_total(harness):
    """`events <job>`: every ledger event of the job and their exact sum."""
    ledger = harness.katalo.ledger
    job = next(j for j in ledger.job_ids(40) if len(ledger.events_of_job(j)) >= 2)
    events = ledger.events_of_job(job)
    reply = answer(harness, f"events {job}")
    total = sum(Decimal(e["amount_usd"]) for e in events)
    assert f"*Total: ${total:.2f}* over {len(events)} events" in shown(reply)
    assert all(e["event_id"] in shown(reply) for e in events)


def test_events_without_a_job_show_the_newest_events(harness):
    """`events`: the ledger's newest event is on the first page."""
    ledger = harness.katalo.ledger
    newest = ledger.event(ledger.event_count - 1)["event_id"]
    assert newest in shown(answer(harness, "events"))


def test_spend_answers_with_the_ledgers_exact_total(harness):
    """`spend RANGE`: the sum of the sandbox's events over those UTC days, to the cent."""
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC)
    expected = sum(
        (
            Decimal(e["amount_usd"])
            for e in harness.katalo.ledger.iter_events()
            if start <= datetime.fromisoformat(e["created_at"].replace("Z", "+00:00")) < end
        ),
        Decimal("0.00"),
    )
    reply = answer(harness, "spend 2026-11-01..2026-11-15")
    assert reply["response_type"] == "ephemeral"
    assert f"*${expected:,.2f}* billed, Sun 1 Nov – Sun 15 Nov 2026" in shown(reply)


def test_digest_commands_act_on_the_channel_they_were_typed_in(harness):
    """`digest on 07:30 Europe/Berlin` subscribes C0BILLING, by Alice, and says so."""
    reply = answer(harness, "digest on 07:30 Europe/Berlin")
    subscription = harness.deps.poster.store.subscription(CHANNEL)
    assert subscription is not None and subscription.enabled
    assert str(subscription.zone) == "Europe/Berlin" and subscription.local_time.isoformat() == "07:30:00"
    assert "07:30" in shown(reply)
    assert harness.deps.poster.store.subscription("C0ELSEWHERE") is None


@pytest.mark.parametrize("text", ["help", ""])
def test_help_lists_the_subcommands(harness, text):
    """`help`, and `/katalo` alone: the list of subcommands with examples."""
    assert "/katalo usage" in shown(answer(harness, text))


def test_an_unknown_job_gets_a_sentence_and_how_current_the_mirror_is(harness):
    """A job the ledger never saw: said plainly, with how far the mirror is complete."""
    reply = answer(harness, "events job_00000000000000000000000000")
    assert "No ledger events for job `job_00000000000000000000000000`" in shown(reply)
    assert "complete through" in shown(reply)


def test_katalo_rate_limiting_the_answer_says_when_to_try_again(harness):
    """Katalo answering 429 for longer than the bot waits: "Try again in 42 s", privately."""
    harness.katalo.inject("/api/v1/usage/summary", status=429, retry_after=42, times=None)
    reply = answer(harness, "usage")
    assert reply["response_type"] == "ephemeral" and "Try again in 42 s" in shown(reply)


def test_an_unknown_command_gets_help_naming_what_was_not_understood(harness):
    """`florp`: help that says `florp` was not understood; Katalo is not asked."""
    reply = answer(harness, "florp")
    assert "I did not understand `florp`" in shown(reply) and "/katalo usage" in shown(reply)
    assert harness.katalo.request_count() == 0


def test_a_bad_job_id_says_what_a_job_id_looks_like_and_pings_nobody(harness):
    """`events <!channel>`: escaped back, with the shape of a job id; Katalo is not asked."""
    reply = answer(harness, "events <!channel>")
    assert "A job id looks like `job_" in shown(reply)
    assert "&lt;!channel&gt;" in shown(reply) and "<!channel>" not in everything(reply)
    assert harness.katalo.request_count() == 0


def test_alice_is_answered_where_mallory_is_not(guarded):
    """The same command by the allowed user is answered: the refusal above is about the user."""
    assert "of plan used" in shown(answer(guarded, "usage", user=ALICE))
