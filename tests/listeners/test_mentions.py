"""`@Katalo ...`: handle_mention called directly, posting through the real WebClient to the Slack stand-in."""

from __future__ import annotations

from typing import Any

from bot.listeners.mentions import handle_mention
from tests.listeners.conftest import ALICE, CHANNEL, MALLORY, shown

TOP_TS = "1764000000.000100"


def mention(harness, text: str, *, event_id: str = "Ev0ONE", user: str = ALICE, **event: str) -> None:
    """Hand handle_mention an app_mention event as the Events API delivers it."""
    body: dict[str, Any] = {"type": "event_callback", "event_id": event_id}
    body["event"] = {
        "type": "app_mention",
        "user": user,
        "channel": CHANNEL,
        "ts": TOP_TS,
        "text": text,
        **event,
    }
    handle_mention(harness.deps, body, body["event"], harness.deps.slack)


def test_a_mention_in_a_thread_is_answered_in_that_thread(harness):
    """A mention inside a thread is answered in the same thread of the same channel."""
    mention(harness, "<@UBOT> how much have we used?", thread_ts="1763990000.000001")
    [posted] = harness.slack.messages()
    assert posted["channel"] == CHANNEL and posted["thread_ts"] == "1763990000.000001"
    assert "of plan used" in shown(posted)


def test_a_top_level_mention_starts_a_thread_under_it(harness):
    """A mention in the channel is answered in a new thread under the mention itself."""
    job = harness.katalo.ledger.job_ids(1)[0]
    mention(harness, f"<@UBOT> what did {job} cost?")
    [posted] = harness.slack.messages()
    assert posted["thread_ts"] == TOP_TS
    assert f"Job {job} cost $" in posted["text"]


def test_a_redelivered_mention_is_answered_once(harness):
    """The same event delivered three times gets one answer."""
    for _ in range(3):
        mention(harness, "<@UBOT> usage", event_id="Ev0RETRY")
    assert len(harness.slack.calls("chat.postMessage")) == 1


def test_a_redelivery_without_an_event_id_is_answered_once(harness):
    """Without an event id, the channel and message ts identify the mention."""
    for _ in range(2):
        mention(harness, "<@UBOT> usage", event_id="")
    assert len(harness.slack.calls("chat.postMessage")) == 1


def test_two_different_mentions_are_both_answered(harness):
    """Claiming an event id does not swallow the next, different event."""
    mention(harness, "<@UBOT> usage", event_id="Ev0FIRST")
    mention(harness, "<@UBOT> usage", event_id="Ev0SECOND")
    assert len(harness.slack.calls("chat.postMessage")) == 2


def test_an_outsiders_mention_gets_a_refusal_in_the_thread_and_asks_katalo_nothing(guarded):
    """Mallory mentioning the bot: a refusal in the thread, no figures, no Katalo request."""
    mention(guarded, "<@UBOT> usage", user=MALLORY)
    [posted] = guarded.slack.messages()
    assert posted["thread_ts"] == TOP_TS and "limited to certain people" in shown(posted)
    assert guarded.katalo.request_count() == 0
