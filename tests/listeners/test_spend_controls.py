"""The spend controls: handle_change called directly with the body Slack sends when one control changes."""

from __future__ import annotations

from typing import Any

import pytest

from bot import slack_ids
from bot.listeners.commands import handle_command
from bot.listeners.spend import handle_change
from tests.listeners.conftest import CHANNEL, MALLORY, Recorder, shown

RANGE = "2026-11-01..2026-11-15"


def ask(harness, text: str) -> dict:
    respond = Recorder()
    handle_command(harness.deps, harness.command(text), respond)
    return respond.only


def change_body(
    message: dict, action_id: str, choice: str | None, *, user: str = "U0ALICE"
) -> dict[str, Any]:
    """One control changed as Slack reports it: the action, plus every control's state in state.values."""
    [block] = [
        b for b in message["blocks"] if b.get("block_id", "").startswith(slack_ids.SPEND_CONTROLS_PREFIX)
    ]
    elements = {e["action_id"]: e for e in block["elements"]}
    state: dict[str, Any] = {}
    for key, element in elements.items():
        if element["type"] == "static_select":
            state[key] = {"type": "static_select", "selected_option": element.get("initial_option")}
        else:
            state[key] = {"type": "datepicker", "selected_date": element["initial_date"]}
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block["block_id"],
        "type": state[action_id]["type"],
    }
    if action["type"] == "static_select":
        action["selected_option"] = {"text": {"type": "plain_text", "text": str(choice)}, "value": choice}
        state[action_id]["selected_option"] = action["selected_option"]
    else:
        action["selected_date"] = choice
        state[action_id]["selected_date"] = choice
    return {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "channel_id": CHANNEL, "is_ephemeral": True},
        "state": {"values": {block["block_id"]: state}},
        "actions": [action],
    }


def change(harness, body: dict[str, Any]) -> dict:
    respond = Recorder()
    handle_change(harness.deps, body, respond)
    return respond.only


def test_the_breakdown_select_keeps_the_period_and_the_filter(harness):
    """ "By config" replaces the answer in place; the range, its total and `type:upscale` stay."""
    first = ask(harness, f"spend {RANGE} by job type:upscale")
    second = change(harness, change_body(first, slack_ids.SPEND_BREAKDOWN, "config"))
    assert second["replace_original"] is True
    assert "*By config*" in shown(second) and "Only type `upscale`" in shown(second)
    total = next(line for line in shown(first).splitlines() if "billed, Sun 1 Nov – Sun 15 Nov 2026" in line)
    assert total in shown(second)


def test_a_datepicker_keeps_the_other_date_the_breakdown_and_the_filter(harness):
    """Moving "From" to Nov 10 answers Nov 10 to 15, still by job and only upscales."""
    first = ask(harness, f"spend {RANGE} by job type:upscale")
    second = change(harness, change_body(first, slack_ids.SPEND_FROM, "2026-11-10"))
    assert second["replace_original"] is True
    assert "billed, Tue 10 Nov – Sun 15 Nov 2026" in shown(second)
    assert "*By job*" in shown(second) and "Only type `upscale`" in shown(second)


def test_the_period_select_keeps_the_breakdown_and_the_filter(harness):
    """Choosing "last period" asks about the sandbox's previous billing period, still by config, upscales."""
    first = ask(harness, f"spend {RANGE} by config type:upscale")
    second = change(harness, change_body(first, slack_ids.SPEND_PERIOD, "last period"))
    assert second["replace_original"] is True
    assert "billed, Thu 1 Oct – Sat 31 Oct 2026" in shown(second)
    assert "*By config*" in shown(second) and "Only type `upscale`" in shown(second)


def test_a_reversed_range_leaves_the_answer_and_says_why_privately(harness):
    """ "To" before "From": the answer stays (no replace) and a private sentence says why."""
    first = ask(harness, f"spend {RANGE}")
    reply = change(harness, change_body(first, slack_ids.SPEND_TO, "2026-10-20"))
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"
    assert "runs backwards" in shown(reply)


def test_a_control_changed_by_an_outsider_is_refused(guarded):
    """Alice's controls changed by Mallory: a private refusal with no figures."""
    first = ask(guarded, f"spend {RANGE}")
    reply = change(guarded, change_body(first, slack_ids.SPEND_BREAKDOWN, "job", user=MALLORY))
    assert reply["replace_original"] is False
    assert "limited to certain people" in shown(reply) and "$" not in shown(reply)


@pytest.mark.parametrize(
    ("tamper", "sentence"),
    [
        (lambda b: b["actions"][0].update(block_id="not-a-spend-block"), "out of date"),
        (lambda b: b["actions"][0]["selected_option"].update(value="fortnight"), "not one I know"),
        (lambda b: b["actions"][0].pop("selected_option"), "cannot read"),
        (lambda b: b.update(actions=[]), "cannot read"),
    ],
)
def test_a_tampered_control_gets_a_private_sentence(harness, tamper, sentence):
    """A change the controls could not have sent leaves the answer and says so privately."""
    body = change_body(ask(harness, f"spend {RANGE}"), slack_ids.SPEND_PERIOD, "last week")
    tamper(body)
    reply = change(harness, body)
    assert reply["replace_original"] is False and sentence in shown(reply)


def test_a_cleared_date_asks_for_both_dates(harness):
    """A datepicker emptied by the user: "Pick both dates of the range", privately."""
    first = ask(harness, f"spend {RANGE}")
    reply = change(harness, change_body(first, slack_ids.SPEND_FROM, None))
    assert reply["replace_original"] is False and "Pick both dates" in shown(reply)


def test_the_changed_date_comes_from_the_action_even_when_state_lags(harness):
    """A state.values still holding the old "From" does not undo the change the action reports."""
    first = ask(harness, f"spend {RANGE}")
    body = change_body(first, slack_ids.SPEND_FROM, "2026-11-10")
    block_state = body["state"]["values"][body["actions"][0]["block_id"]]
    block_state[slack_ids.SPEND_FROM]["selected_date"] = "2026-11-01"
    assert "billed, Tue 10 Nov – Sun 15 Nov 2026" in shown(change(harness, body))
