"""`/katalo events` through Slack while the ledger holds a record the mirror cannot store."""

from __future__ import annotations

from tests.e2e.test_commands import shown


def test_old_jobs_are_still_answered_after_a_poisoned_record_arrives(bot):
    """Once an amount of 1e30 reached the ledger, every `/katalo events` said "Something went wrong",
    even for jobs stored long ago. The record is set aside and the answer comes as before."""
    ledger = bot.katalo.ledger
    ledger.override(ledger.event_count - 2, amount_usd="1e30")
    job = ledger.job_ids(150)[-1]
    _, url = bot.command(f"events {job}")
    [reply] = bot.slack.wait_for_posts(url)
    for event in ledger.events_of_job(job):
        assert event["event_id"] in shown(reply)
    assert "Something went wrong" not in shown(reply)
