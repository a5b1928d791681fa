"""Buttons: handle_replace (Refresh, paging) and handle_share called directly with a recording respond.

Share posts through the real WebClient to the Slack stand-in, as in production.
"""

from __future__ import annotations

import json

import pytest

from bot import slack_ids
from bot.listeners.actions import handle_replace, handle_share
from bot.listeners.commands import handle_command
from tests.listeners.conftest import ALICE, CHANNEL, MALLORY, OTHER_CHANNEL, Recorder, everything, shown
from tests.stand_ins.slack import buttons

REFUSED = "limited to certain people"
HELP = "I answer questions"


def first_reply(harness, text: str) -> dict:
    """Alice's private answer to `/katalo text`, with its buttons."""
    respond = Recorder()
    handle_command(harness.deps, harness.command(text), respond)
    return respond.only


def replace(harness, button: dict, **who: str) -> dict:
    respond = Recorder()
    handle_replace(harness.deps, harness.press(button, **who), respond)
    return respond.only


def share(harness, button: dict, **who: str) -> Recorder:
    respond = Recorder()
    handle_share(harness.deps, harness.press(button, **who), respond, harness.deps.slack)
    return respond


def test_refresh_replaces_the_message_after_asking_katalo_again(harness):
    """Refresh bypasses the cache (one more summary request) and replaces the message in place."""
    refresh = buttons(first_reply(harness, "usage"))["Refresh"]
    before = harness.katalo.request_count("/api/v1/usage/summary")
    reply = replace(harness, refresh)
    assert reply["replace_original"] is True and "of plan used" in shown(reply)
    assert harness.katalo.request_count("/api/v1/usage/summary") == before + 1


def test_older_then_newer_pages_back_to_the_same_events(harness):
    """Older replaces the newest page with older events; Newer on that page shows the first page again."""
    first = first_reply(harness, "events")
    newest = harness.katalo.ledger.event(harness.katalo.ledger.event_count - 1)["event_id"]
    older = replace(harness, buttons(first)["Older ▶"])
    assert older["replace_original"] is True and newest not in shown(older)
    back = replace(harness, buttons(older)["◀ Newer"])
    assert shown(back) == shown(first)


def test_a_button_pressed_by_an_outsider_is_refused_and_fetches_nothing(guarded):
    """Alice's Refresh pressed by Mallory: the clicker is checked, not whoever saw the message first."""
    refresh = buttons(first_reply(guarded, "usage"))["Refresh"]
    before = guarded.katalo.request_count()
    reply = replace(guarded, refresh, user=MALLORY)
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"
    assert REFUSED in shown(reply) and "of plan used" not in shown(reply)
    assert guarded.katalo.request_count() == before


def test_a_button_pressed_in_a_channel_outside_the_allowlist_is_refused(guarded):
    """Alice pressing her own button where the allowlist does not reach is refused too."""
    refresh = buttons(first_reply(guarded, "usage"))["Refresh"]
    assert REFUSED in shown(replace(guarded, refresh, user=ALICE, channel=OTHER_CHANNEL))


def test_share_pressed_by_an_outsider_posts_nothing(guarded):
    """Alice's Share pressed by Mallory: a private refusal and no message in the channel."""
    button = buttons(first_reply(guarded, "usage"))["Share to channel"]
    respond = share(guarded, button, user=MALLORY)
    assert REFUSED in shown(respond.only)
    assert guarded.slack.calls("chat.postMessage") == []


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        "[1, 2]",
        '{"kind": "job", "job_id": "<!channel>"}',
        '{"kind": "job", "job_id": "job_01JABCDEFGHJKMNPQRSTVWXYZ0", "page": "two"}',
        '{"kind": "latest", "before": "x"}',
        '{"kind": "latest", "after": ["not a time", "ev_1"]}',
        '{"kind": "spend", "q": 42}',
        '{"kind": "bitcoin"}',
    ],
)
def test_a_tampered_button_value_gets_help_and_asks_katalo_nothing(harness, value):
    """A value the bot never put on a button is answered with help, never a crash or a Katalo call."""
    reply = replace(harness, {"action_id": slack_ids.REFRESH_USAGE, "value": value})
    assert HELP in everything(reply) and "<!channel>" not in everything(reply)
    assert harness.katalo.request_count() == 0


def test_share_posts_the_answer_in_the_channel_marked_with_the_sharer(harness):
    """Share posts the usage answer to the channel, "Shared by @Alice", without private buttons."""
    button = buttons(first_reply(harness, "usage"))["Share to channel"]
    respond = share(harness, button)
    [posted] = harness.slack.messages(CHANNEL)
    assert "Shared by <@U0ALICE>" in shown(posted) and "of plan used" in shown(posted)
    assert buttons(posted) == {}
    assert respond.calls == []


def test_share_of_an_error_stays_private(harness):
    """Katalo rate-limiting the shared answer: the sentence goes to the sharer only, not the channel."""
    button = buttons(first_reply(harness, "events"))["Share to channel"]
    button = {**button, "value": json.dumps({"kind": "usage"})}  # usage is not cached yet
    harness.katalo.inject("/api/v1/usage/summary", status=429, retry_after=42, times=None)
    respond = share(harness, button)
    assert respond.only["response_type"] == "ephemeral" and respond.only["replace_original"] is False
    assert "Try again in 42 s" in shown(respond.only)
    assert harness.slack.calls("chat.postMessage") == []


def test_share_of_a_tampered_value_stays_private(harness):
    """A Share whose value is not a real answer gets help privately and posts nothing."""
    respond = share(
        harness, {"action_id": slack_ids.SHARE_TO_CHANNEL, "value": '{"kind": "job", "job_id": "<!x>"}'}
    )
    assert respond.only["response_type"] == "ephemeral" and HELP in everything(respond.only)
    assert harness.slack.calls("chat.postMessage") == []


def test_share_where_the_bot_is_not_a_member_says_how_to_invite_it(harness):
    """Slack's not_in_channel becomes a private sentence naming `/invite @Katalo`."""
    harness.slack.member_of = {"C0OTHER"}
    button = buttons(first_reply(harness, "usage"))["Share to channel"]
    respond = share(harness, button)
    assert "/invite @Katalo" in shown(respond.only)
    assert harness.slack.messages() == []
