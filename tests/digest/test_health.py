"""The digest's Health section counts the ledger records the mirror could not store."""

from __future__ import annotations

from typing import Any

from tests.digest.conftest import CHANNEL


def _health(message: dict[str, Any]) -> str:
    """The text of the digest's Health section ("" when the digest has none)."""
    for block in message["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        if text.startswith("*Health*"):
            return str(text)
    return ""


def test_poisoned_records_are_counted_with_what_to_do(rig):
    """Two records Katalo sent that the database cannot hold: the digest says how many and what to do."""
    ledger = rig.katalo.ledger
    ledger.override(ledger.event_count - 3, amount_usd="1e30")
    ledger.override(ledger.event_count - 40, job_id="job_\x00nul")
    rig.clock.advance(30 * 60)
    [outcome] = rig.poster.run_due()
    assert outcome.status == "posted"
    health = _health(rig.slack.messages(CHANNEL)[0])
    assert "2 ledger records could not be stored and are left out of these figures" in health
    assert "send the event ids to Katalo support" in health


def test_one_poisoned_record_is_said_in_the_singular(rig):
    ledger = rig.katalo.ledger
    ledger.override(ledger.event_count - 1, event_id=None)
    rig.clock.advance(30 * 60)
    rig.poster.run_due()
    assert "1 ledger record could not be stored and is left out" in _health(rig.slack.messages(CHANNEL)[0])


def test_a_clean_ledger_says_nothing_about_set_aside_records(rig):
    rig.clock.advance(30 * 60)
    rig.poster.run_due()
    assert "could not be stored" not in str(rig.slack.messages(CHANNEL)[0]["blocks"])
