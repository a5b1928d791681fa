"""An alert edited in place after a button press: its blocks as they were, plus who did what and when.

The lines ("Acknowledged by <@U123> at 10:42", "Snoozed by <@U123> until Sat Dec 6, 10:42", "Muted by
<@U123> until the period ends on Dec 31") gather in one context block just above the buttons, newest
last, so a second press adds a line instead of hiding the first. Every other block is kept as Slack
sent it, buttons included: an acknowledged alert can still be snoozed.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from bot import slack_ids
from bot.blocks._kit import Block, Message, context, mention, message
from bot.blocks.alert_settings import last_day, moment
from bot.blocks.limits import CONTEXT_MAX
from bot.formatting import clock_time


def acknowledged_line(user: str, at: datetime, zone: tzinfo) -> str:
    return f":white_check_mark: Acknowledged by {mention(user)} at {clock_time(at, zone)}"


def snoozed_line(user: str, until: datetime, zone: tzinfo) -> str:
    return f":zzz: Snoozed by {mention(user)} until {moment(until, zone)}"


def muted_line(user: str, until: datetime, zone: tzinfo, *, monthly: bool) -> str:
    window = "month" if monthly else "period"
    return f":no_bell: Muted by {mention(user)} until the {window} ends on {last_day(until, zone)}"


def with_status(shown: dict[str, Any], line: str) -> Message:
    """The alert message Slack showed (`text`, `blocks`), with `line` added to its status block."""
    blocks: list[Block] = [dict(block) for block in shown.get("blocks") or []]
    status = next((b for b in blocks if b.get("block_id") == slack_ids.ALERT_STATUS_BLOCK), None)
    earlier = [str(e.get("text", "")) for e in (status or {}).get("elements", []) if e.get("text")]
    lines = [*earlier, line][-CONTEXT_MAX:]  # the newest are kept when a busy alert runs out of room
    updated = {**context(*lines), "block_id": slack_ids.ALERT_STATUS_BLOCK}
    if status is not None:
        blocks[blocks.index(status)] = updated
    else:
        last_actions = max(
            (i for i, b in enumerate(blocks) if b.get("type") == "actions"), default=len(blocks)
        )
        blocks.insert(last_actions, updated)
    return message(str(shown.get("text") or "Katalo alert"), blocks)
