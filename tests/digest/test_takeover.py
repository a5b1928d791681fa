"""A take-over finds a crashed poster's digest within Slack's history limits, or says what it risks."""

from __future__ import annotations

import contextlib
import logging
from datetime import date, time

import pytest
from slack_sdk import WebClient

from bot.blocks.limits import displayed_texts
from bot.digest.commands import DigestCommands
from bot.digest.store import STALE_POSTING
from bot.parsing import DigestStatus
from tests.digest.conftest import BERLIN, CHANNEL, TOKEN

TODAY = date(2026, 11, 24)


def crash_after_slack_took_it(rig, monkeypatch) -> None:
    """The first runner posts the digest, then dies before recording it."""
    rig.clock.advance(30 * 60)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rig.store, "mark_posted", crash)
    with contextlib.suppress(KeyboardInterrupt):
        rig.poster.run_due()
    monkeypatch.undo()
    assert len(rig.slack.messages(CHANNEL)) == 1


def chatter(rig, count: int) -> None:
    """People talk in the channel after the digest went out."""
    web = WebClient(token=TOKEN, base_url=rig.slack.api_url)
    for n in range(count):
        rig.clock.advance(5)
        web.chat_postMessage(channel=CHANNEL, text=f"message {n}")


def test_the_crashed_post_is_found_reading_at_most_15_messages_after_200_others(rig, monkeypatch):
    crash_after_slack_took_it(rig, monkeypatch)
    chatter(rig, 200)  # 200 * 5 s: the take-over comes long after the claim went stale
    [outcome] = rig.another_poster().run_due()
    assert outcome.status == "found_posted"
    assert len([m for m in rig.slack.messages(CHANNEL) if "metadata" in m]) == 1
    assert len(rig.slack.messages(CHANNEL)) == 201  # no second copy
    history = rig.slack.calls("conversations.history")
    assert len(history) == 1 and int(history[0].params["limit"]) <= 15
    assert rig.store.history_access(CHANNEL) == "read"


def test_the_window_is_paged_with_the_cursor_a_bounded_number_of_times(rig, monkeypatch):
    """Many messages right after the digest: pages of 15, following the cursor, until it is found."""
    crash_after_slack_took_it(rig, monkeypatch)
    web = WebClient(token=TOKEN, base_url=rig.slack.api_url)
    for n in range(20):  # within a second of the digest: inside the dead poster's window
        web.chat_postMessage(channel=CHANNEL, text=f"reply {n}")
    rig.clock.advance(STALE_POSTING.total_seconds() + 60)
    [outcome] = rig.another_poster().run_due()
    assert outcome.status == "found_posted"
    calls = rig.slack.calls("conversations.history")
    assert len(calls) == 2 and calls[1].params["cursor"]
    assert len(rig.slack.messages(CHANNEL)) == 21


@pytest.mark.parametrize(
    "error",
    ["missing_scope", "not_in_channel"],  # a DM without im:history; a public channel, not a member
)
def test_unreadable_history_posts_and_logs_that_a_duplicate_is_possible(rig, monkeypatch, caplog, error):
    crash_after_slack_took_it(rig, monkeypatch)
    rig.slack.inject("conversations.history", error=error, times=None)
    rig.clock.advance(STALE_POSTING.total_seconds() + 60)
    with caplog.at_level(logging.WARNING, logger="bot.digest.deliver"):
        [outcome] = rig.another_poster().run_due()
    assert outcome.status == "posted"
    assert len(rig.slack.messages(CHANNEL)) == 2  # the rule: a visible copy rather than a silent gap
    assert any(error in r.getMessage() and "duplicate is possible" in r.getMessage() for r in caplog.records)
    assert rig.store.history_access(CHANNEL) == error


def test_a_rate_limited_history_posts_logs_it_and_learns_nothing_lasting(rig, monkeypatch, caplog):
    """Slack allows conversations.history once a minute: a second look within the minute is refused."""
    crash_after_slack_took_it(rig, monkeypatch)
    rig.slack.history_clock = rig.clock.monotonic
    WebClient(token=TOKEN, base_url=rig.slack.api_url).conversations_history(channel=CHANNEL, limit=1)
    rig.clock.advance(STALE_POSTING.total_seconds() + 60)
    WebClient(token=TOKEN, base_url=rig.slack.api_url).conversations_history(channel=CHANNEL, limit=1)
    with caplog.at_level(logging.WARNING, logger="bot.digest.deliver"):
        [outcome] = make_no_retry_poster(rig).run_due()  # the same minute as the call above
    assert outcome.status == "posted"
    assert len(rig.slack.messages(CHANNEL)) == 2
    assert any("ratelimited" in r.getMessage() and "duplicate" in r.getMessage() for r in caplog.records)
    assert rig.store.history_access(CHANNEL) is None


def make_no_retry_poster(rig):
    """A runner whose Slack client gives up on a 429 at once (the real one waits out Retry-After)."""
    poster = rig.another_poster()
    poster._slack = WebClient(token=TOKEN, base_url=rig.slack.api_url)
    return poster


def status_text(rig) -> str:
    commands = DigestCommands(rig.poster, rig.poster._slack, time(9), BERLIN, now=rig.clock.now)
    return "\n".join(displayed_texts(commands.answer(DigestStatus(), CHANNEL, "U0ALICE")))


def test_status_says_exactly_once_where_the_last_take_over_read_the_history(rig, monkeypatch):
    crash_after_slack_took_it(rig, monkeypatch)
    rig.clock.advance(STALE_POSTING.total_seconds() + 60)
    rig.another_poster().run_due()
    rig.slack.reset()
    assert "Delivered *exactly once*" in status_text(rig)
    assert rig.slack.calls("conversations.history") == []  # known from the take-over: no call spent


def test_status_says_possibly_duplicated_where_the_last_take_over_could_not_read(rig, monkeypatch):
    crash_after_slack_took_it(rig, monkeypatch)
    rig.slack.inject("conversations.history", error="missing_scope", times=None)
    rig.clock.advance(STALE_POSTING.total_seconds() + 60)
    rig.another_poster().run_due()
    text = status_text(rig)
    assert "*Possibly duplicated after a crash*" in text and "`missing_scope`" in text
    assert "im:history" in text  # and how to get exactly once


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({}, "Delivered *exactly once*"),
        ({"error": "not_in_channel"}, "/invite @Katalo"),
        ({"status": 429, "retry_after": 60}, "not known right now"),
    ],
)
def test_without_a_take_over_status_looks_once_with_limit_1(rig, fault, expected):
    if fault:
        rig.slack.inject("conversations.history", **fault)
    assert expected in status_text(rig)
    [call] = rig.slack.calls("conversations.history")
    assert int(call.params["limit"]) == 1


def test_the_slack_stand_in_reads_history_as_slack_does_for_this_app(rig):
    """At most 15 a call whatever `limit` asks, newest first within `oldest`..`latest`, then the cursor."""
    chatter(rig, 40)  # 5 s apart
    web = WebClient(token=TOKEN, base_url=rig.slack.api_url)
    first = web.conversations_history(channel=CHANNEL, limit=200)
    assert [m["text"] for m in first["messages"]] == [f"message {n}" for n in range(39, 24, -1)]
    assert first["has_more"] is True
    second = web.conversations_history(
        channel=CHANNEL, limit=200, cursor=first["response_metadata"]["next_cursor"]
    )
    assert second["messages"][0]["text"] == "message 24"
    ts = [float(m["ts"]) for m in first["messages"]]
    window = web.conversations_history(channel=CHANNEL, oldest=f"{ts[-1]:.6f}", latest=f"{ts[0]:.6f}")
    assert [m["text"] for m in window["messages"]] == [f"message {n}" for n in range(38, 25, -1)]
    assert window["has_more"] is False
