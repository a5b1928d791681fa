"""Mentions answered in threads exactly once; forged or stale requests and outsiders get nothing."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.blocks.limits import displayed_texts
from tests.e2e.conftest import buttons

JOB_QUESTION = "<@UBOT> what did {job} cost?"


def shown(params: dict) -> str:
    return "\n".join(displayed_texts({"text": params["text"], "blocks": params.get("blocks", [])}))


def test_mention_in_a_thread_is_answered_in_that_thread(bot):
    """A mention inside a thread gets its answer in the same thread."""
    response = bot.mention("<@UBOT> how much have we used?", thread_ts="1763990000.000001")
    assert response.status_code == 200
    [call] = bot.slack.wait_for_calls("chat.postMessage")
    assert call.params["thread_ts"] == "1763990000.000001"
    assert call.params["channel"] == "C0BILLING"
    assert "of plan used" in shown(call.params)


def test_mention_in_a_channel_starts_a_thread_under_it(bot):
    """A top-level mention is answered in a thread under the mention itself."""
    job = bot.katalo.ledger.job_ids(1)[0]
    bot.mention(JOB_QUESTION.format(job=job))
    [call] = bot.slack.wait_for_calls("chat.postMessage")
    assert call.params["thread_ts"] == "1764000000.000100"
    assert f"Job {job} cost $" in call.params["text"]


def test_redelivered_event_is_answered_once(bot, handled):
    """Slack's retries of the same event (X-Slack-Retry-Num) get no second answer."""
    bot.mention("<@UBOT> usage", event_id="Ev0RETRY")
    bot.slack.wait_for_calls("chat.postMessage")
    for retry in ("1", "2", "3"):
        bot.mention(
            "<@UBOT> usage",
            event_id="Ev0RETRY",
            headers={"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"},
        )
    handled.wait("handle_mention", count=4)  # every delivery has been dealt with
    assert len(bot.slack.calls("chat.postMessage")) == 1


def test_mention_is_acked_before_katalo_answers(make_bot, gate):
    """The Events API gets its 200 while Katalo's answer is still held back; the answer follows."""
    bot = make_bot(sleep=gate.sleep)
    bot.katalo.latency = 5.0  # acted out by the gate: held until opened
    assert bot.mention("<@UBOT> usage").status_code == 200
    assert gate.passed_unopened == 0  # no Katalo answer had gone out when the ack arrived
    gate.wait_held()
    gate.open()
    [call] = bot.slack.wait_for_calls("chat.postMessage")
    assert "of plan used" in shown(call.params)


@pytest.mark.parametrize(
    "tamper",
    [
        {"signature": "v0=" + "0" * 64},  # forged
        {"timestamp": int(time.time()) - 301},  # stale: Slack's window is 300 s
        {"signature": ""},  # missing
    ],
)
def test_unsigned_forged_or_stale_requests_are_rejected_before_any_handler(bot, handled, tamper):
    """Bad signatures and old timestamps get 401 and reach no handler: nothing is posted anywhere."""
    ack, _ = bot.command("usage", **tamper)
    assert ack.status_code == 401
    # A valid command sent afterwards is the barrier: by the time it is answered, the forged one
    # would have reached a handler too.
    _, valid_url = bot.command("help")
    handled.wait("handle_command")
    assert handled.count("handle_command") == 1
    assert bot.slack.posts() == bot.slack.posts(valid_url) != []
    assert bot.katalo.request_count() == 0


def test_replayed_body_with_a_new_timestamp_is_rejected(bot):
    """A captured body and signature replayed under a fresh timestamp no longer verify."""
    old = int(time.time()) - 200
    first, _ = bot.command("help", timestamp=old)
    assert first.status_code == 200
    body = b"command=%2Fkatalo&text=usage&user_id=U0ALICE&channel_id=C0BILLING&response_url=http%3A%2F%2Fx"
    captured = SignatureVerifier(bot.secret).generate_signature(timestamp=str(old), body=body)
    replay = bot.post(
        body, "application/x-www-form-urlencoded", timestamp=int(time.time()), signature=captured
    )
    assert replay.status_code == 401


@pytest.fixture
def guarded(make_bot):
    return make_bot({"ALLOWED_USER_IDS": "U0ALICE", "ALLOWED_CHANNEL_IDS": "C0BILLING"})


def test_outsider_command_is_refused_in_the_ack_with_no_data(guarded, handled):
    """A user outside the allowlist gets a polite refusal at once; Katalo is never asked."""
    ack, url = guarded.command("usage", user="U0MALLORY")
    assert ack.status_code == 200
    assert "limited to certain people" in ack.json()["text"]
    handled.wait("handle_command")  # the answer step ran, and did nothing
    assert guarded.slack.posts(url) == []
    assert guarded.katalo.request_count() == 0


def test_command_in_a_channel_outside_the_allowlist_is_refused(guarded):
    ack, _ = guarded.command("usage", channel="C0RANDOM")
    assert "limited to certain people" in ack.json()["text"]


def test_outsider_mention_gets_a_refusal_in_the_thread(guarded):
    """A mention by someone not allowed is answered with a refusal only."""
    guarded.mention("<@UBOT> usage", user="U0MALLORY")
    [call] = guarded.slack.wait_for_calls("chat.postMessage")
    assert "limited to certain people" in call.params["text"]
    assert guarded.katalo.request_count() == 0


def test_button_replayed_by_an_outsider_reveals_nothing(guarded):
    """Alice's Refresh and Share buttons pressed by Mallory: refused, nothing fetched or posted."""
    _, url = guarded.command("usage")
    [private] = guarded.slack.wait_for_posts(url)
    before = guarded.katalo.request_count()
    for label in ("Refresh", "Share to channel"):
        _, press_url = guarded.press(buttons(private)[label], user="U0MALLORY")
        [reply] = guarded.slack.wait_for_posts(press_url)
        assert "limited to certain people" in json.dumps(reply)
    assert guarded.katalo.request_count() == before
    assert guarded.slack.calls("chat.postMessage") == []


def test_health_check(bot):
    """GET /healthz answers 200 without touching Slack or Katalo."""
    assert httpx.get(bot.url + "/healthz").text == "ok\n"
    assert bot.katalo.request_count() == 0


def test_a_mention_slack_refuses_to_post_does_not_break_the_bot(bot, handled):
    """Slack failing every post for one answer: logged, no crash; the next mention is answered."""
    bot.slack.inject("chat.postMessage", status=500, times=4)  # answer and apology, each tried twice
    bot.mention("<@UBOT> usage", event_id="Ev0FAIL")
    bot.slack.wait_for_calls("chat.postMessage", count=4, timeout=10)
    bot.mention("<@UBOT> usage", event_id="Ev0NEXT")
    handled.wait("handle_mention", count=2)
    assert [m["text"][:12] for m in bot.slack.messages()] == ["Katalo usage"]


def test_an_expired_response_url_costs_the_answer_but_nothing_else(make_bot, gate, handled):
    """A response URL expired before the answer is ready: nothing crashes; later commands work."""
    bot = make_bot(sleep=gate.sleep)
    bot.katalo.latency = 0.5  # acted out by the gate: the answer waits until the URL has expired
    _, url = bot.command("usage")
    gate.wait_held()
    bot.slack.expire_response_url(url)
    gate.open()
    handled.wait("handle_command")
    assert bot.slack.posts(url) == []
    bot.katalo.latency = 0
    _, next_url = bot.command("usage")
    assert bot.slack.wait_for_posts(next_url)
