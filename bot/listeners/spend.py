"""The controls under a spend answer: period and breakdown selects, and a from/to pair of datepickers.

A change asks the question again with that one choice changed and every other kept: the question
shown travels in the controls block's id, the other datepicker's date comes from `state.values`. The
answer replaces the message in place; a question that cannot be answered (a reversed range, say)
leaves it as it is and says why privately. The user who changes a control is checked against the
allowlists, not whoever the message was first shown to.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import slack_ids
from bot.blocks._kit import Message
from bot.blocks.replies import build_refusal
from bot.blocks.spend_controls import question_from_block
from bot.listeners.actions import clicker_allowed
from bot.listeners.guard import apologise_on_error
from bot.periods import PeriodSpec, read_period
from bot.spend_parsing import BadSpend, SpendIntent, SpendQuestion, parse_spend
from bot.wiring.deps import Deps


def register(app: App, deps: Deps) -> None:
    def ack_control(ack: Ack) -> None:
        ack()

    def change(body: dict[str, Any], respond: Respond) -> None:
        def privately(reply: Message) -> None:
            respond(replace_original=False, response_type="ephemeral", **reply)

        with apologise_on_error("changing a spend control", privately):
            handle_change(deps, body, respond)

    for action_id in slack_ids.SPEND_ACTION_IDS:
        app.action(action_id)(ack=ack_control, lazy=[change])


def handle_change(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    """Answer the changed question in place, or say privately why it cannot be answered."""
    if not clicker_allowed(deps, body):
        respond(replace_original=False, response_type="ephemeral", **build_refusal())
        return
    question = question_after_change(body)
    if isinstance(question, BadSpend):
        answer, answered = deps.answers.answer(question), False
    else:
        answer, answered = deps.answers.spend_answer(question)
    if answered:
        respond(replace_original=True, **answer)
    else:
        respond(replace_original=False, response_type="ephemeral", **answer)


def question_after_change(body: dict[str, Any]) -> SpendIntent:
    """The question the controls now ask: the one shown, with the changed control's choice."""
    try:
        action = body["actions"][0]
        block_id = str(action["block_id"])
        state = ((body.get("state") or {}).get("values") or {}).get(block_id) or {}
        shown = question_from_block(block_id)
        asked = parse_spend(shown) if shown is not None else BadSpend("That control is out of date.")
        if isinstance(asked, BadSpend):
            return asked
        return _changed(asked, action, state)
    except (KeyError, IndexError, TypeError, ValueError):
        return BadSpend("That control sent something I cannot read: ask again with `/katalo spend`.")


def _changed(asked: SpendQuestion, action: dict[str, Any], state: dict[str, Any]) -> SpendIntent:
    action_id = action["action_id"]
    if action_id == slack_ids.SPEND_PERIOD:
        period = read_period(str(action["selected_option"]["value"]))
        if period is None:
            return BadSpend("That period is not one I know.")
        return replace(asked, period=period)
    if action_id == slack_ids.SPEND_BREAKDOWN:
        return parse_spend(replace(asked, breakdown=str(action["selected_option"]["value"])).text)
    # A datepicker: the changed date from the action, the other one as the message shows it now.
    dates = {
        key: (state.get(key) or {}).get("selected_date") for key in (slack_ids.SPEND_FROM, slack_ids.SPEND_TO)
    }
    dates[action_id] = action.get("selected_date")
    if not all(dates.values()):
        return BadSpend("Pick both dates of the range.")
    first, last = (date.fromisoformat(str(dates[key])) for key in (slack_ids.SPEND_FROM, slack_ids.SPEND_TO))
    return replace(asked, period=PeriodSpec("range", first=first, last=last))
