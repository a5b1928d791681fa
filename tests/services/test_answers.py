"""bot.services.answers: what an answer reads from Katalo and the mirror, and what becomes a sentence."""

from __future__ import annotations

import json

import pytest

from bot.blocks.events import LATEST_PER_PAGE
from bot.parsing import LatestEvents, UsageIntent
from tests.services.conftest import shown
from tests.stand_ins.slack import buttons

SUMMARY = "/api/v1/usage/summary"


def test_sharing_usage_reads_the_cached_figures_and_marks_the_sharer(parts):
    """Share shows what the user saw: no second summary request, and "Shared by" the sharer."""
    answers = parts.answers()
    answers.answer(UsageIntent())
    before = parts.katalo.request_count(SUMMARY)
    shared, worth_sharing = answers.shareable({"kind": "usage"}, shared_by="U0ALICE")
    assert worth_sharing and "Shared by <@U0ALICE>" in shown(shared)
    assert parts.katalo.request_count(SUMMARY) == before


def test_refresh_with_katalo_down_shows_the_last_figures_marked_stale(parts):
    """Katalo failing every retry: Refresh answers with the last known figures, marked stale."""
    answers = parts.answers()
    consumed = f"{parts.katalo.ledger.summary()['usage']['consumed']:,}"
    answers.answer(UsageIntent())
    parts.katalo.inject(SUMMARY, status=500, times=None)
    refreshed = answers.answer_button({"kind": "usage"})
    assert "*Stale*: last known figures" in shown(refreshed) and consumed in shown(refreshed)
    assert "internal error" in shown(refreshed)  # and why they are stale
    assert parts.clock.slept  # the retries were tried (on the fake clock) before giving up


def test_a_rejected_key_is_a_sentence_without_the_key(make_parts):
    """Katalo answering 401: "Ask an admin", and the key appears nowhere in the reply."""
    key = "kat_live_pkOTHER.not-the-bots-key"
    reply = make_parts(api_key=key).answers().answer(UsageIntent())
    assert "Ask an admin" in shown(reply)
    assert key not in json.dumps(reply) and "pkOTHER" not in json.dumps(reply)


@pytest.mark.parametrize(("events", "older"), [(LATEST_PER_PAGE, False), (LATEST_PER_PAGE + 1, True)])
def test_older_is_offered_only_when_older_events_exist(make_parts, events, older):
    """A ledger of exactly one page has no Older button; one event more and it appears."""
    first = make_parts(events=events).answers().answer(LatestEvents())
    assert ("Older ▶" in buttons(first)) is older
    assert "◀ Newer" not in buttons(first)  # the first page is the newest


def test_the_last_older_page_offers_newer_but_no_older(make_parts):
    """Paging down to the oldest events: Newer to go back, and no Older past the end."""
    parts = make_parts(events=LATEST_PER_PAGE + 3)
    answers = parts.answers()
    first = answers.answer(LatestEvents())
    last = answers.answer_button(json.loads(buttons(first)["Older ▶"]["value"]))
    assert set(buttons(last)) >= {"◀ Newer"} and "Older ▶" not in buttons(last)
    assert parts.katalo.ledger.event(0)["event_id"] in shown(last)


def test_a_page_holds_the_newest_events_and_the_next_older_one_starts_the_older_page(make_parts):
    """One event more than a page: the oldest is not on the first page; Older shows it."""
    parts = make_parts(events=LATEST_PER_PAGE + 1)
    answers = parts.answers()
    oldest, second = (parts.katalo.ledger.event(i)["event_id"] for i in (0, 1))
    first = answers.answer(LatestEvents())
    assert second in shown(first) and oldest not in shown(first)
    older = answers.answer_button(json.loads(buttons(first)["Older ▶"]["value"]))
    assert oldest in shown(older) and second not in shown(older)
