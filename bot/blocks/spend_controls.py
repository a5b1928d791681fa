"""The controls under a spend answer: a period select, a breakdown select and a from/to date pair.

Their block's id carries the question shown (`slack_ids.SPEND_CONTROLS_PREFIX` + its `/katalo spend`
arguments), so a change can keep every other choice, filters included, however the message is shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import slack_ids
from bot.blocks._kit import Block
from bot.periods import Period
from bot.spend_parsing import SpendQuestion

BLOCK_ID_MAX = 255
PERIOD_CHOICES = (
    "today", "yesterday", "this week", "last week", "this month", "last month", "this period",
    "last period", "last 7 days", "last 30 days", "last 90 days",
)  # fmt: skip
BREAKDOWN_CHOICES = {"type": "By usage type", "config": "By config", "job": "By job", "day": "By day"}


def controls(question: SpendQuestion, period: Period, now: datetime) -> list[Block]:
    """One actions block with the four controls, or none when the question is too long to carry."""
    block_id = slack_ids.SPEND_CONTROLS_PREFIX + question.text
    if len(block_id) > BLOCK_ID_MAX:
        return []  # many long filters: the answer stands, without controls to vary it
    shown = question.period.text if question.period else "this period"
    today = now.astimezone(period.zone).date().isoformat()
    elements = [
        _select(slack_ids.SPEND_PERIOD, "Period", {c: c.capitalize() for c in PERIOD_CHOICES}, shown),
        _select(slack_ids.SPEND_BREAKDOWN, "Breakdown", BREAKDOWN_CHOICES, question.breakdown),
        _datepicker(slack_ids.SPEND_FROM, "From", min(period.first_day.isoformat(), today)),
        _datepicker(slack_ids.SPEND_TO, "To", min(period.last_day.isoformat(), today)),
    ]
    return [{"type": "actions", "block_id": block_id, "elements": elements}]


def question_from_block(block_id: str) -> str | None:
    """The `/katalo spend` arguments a controls block carries, or None for any other block."""
    if not block_id.startswith(slack_ids.SPEND_CONTROLS_PREFIX):
        return None
    return block_id.removeprefix(slack_ids.SPEND_CONTROLS_PREFIX)


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def _select(action_id: str, placeholder: str, choices: dict[str, str], current: str) -> Block:
    element: Block = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": {"type": "plain_text", "text": placeholder},
        "options": [_option(value, text) for value, text in choices.items()],
    }
    if current in choices:  # a custom range or a month is not among the choices: none is selected
        element["initial_option"] = _option(current, choices[current])
    return element


def _datepicker(action_id: str, placeholder: str, initial: str) -> Block:
    return {
        "type": "datepicker",
        "action_id": action_id,
        "initial_date": initial,
        "placeholder": {"type": "plain_text", "text": placeholder},
    }
