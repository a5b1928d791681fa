"""An alert's status lines: who acknowledged it, and the snooze or mute of its kind, said once.

One builder for every rendering of an alert: the runner's (posted, updated in place for a worse
level, posted anew after its message was deleted) and the buttons' (edited in place after a press).
Both feed it the store's state (bot/services/alerts/status.py), so the message shows the current
state once: a second Acknowledge replaces the first line, it does not add one. The lines
("Acknowledged by <@U123> at 10:42", "Snoozed by <@U123> until Sat Dec 6, 10:42", "Muted by <@U123>
until the period ends on Dec 31") form one context block just above the buttons. The rest of a
message Slack sent with a press is kept as it was, buttons included: an acknowledged alert can still
be snoozed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Literal

from bot import slack_ids
from bot.blocks._kit import Block, Message, context, mention, message
from bot.blocks.alert_settings import last_day, moment
from bot.formatting import clock_time


@dataclass(frozen=True)
class AlertStatus:
    """What the alert's status lines say (plain data from the store); times on `zone`, the channel's clock.

    `silence`: the latest snooze or mute of the alert's kind in its channel since the alert was posted
    (mode, by whom, until when), kept once it is over, as the press that made it said it.
    `month_zone`: set for an alert of a monthly budget, whose mute lasts to the month's end on that clock.
    """

    zone: tzinfo
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    silence: tuple[Literal["snooze", "mute"], str, datetime] | None = None
    month_zone: tzinfo | None = None


def status_lines(status: AlertStatus) -> list[str]:
    """The acknowledgement, then the snooze or mute: at most one line of each."""
    lines: list[str] = []
    if status.acknowledged_by is not None and status.acknowledged_at is not None:
        at = clock_time(status.acknowledged_at, status.zone)
        lines.append(f":white_check_mark: Acknowledged by {mention(status.acknowledged_by)} at {at}")
    if status.silence is not None:
        mode, user, until = status.silence
        if mode == "snooze":
            lines.append(f":zzz: Snoozed by {mention(user)} until {moment(until, status.zone)}")
        else:
            window = "month" if status.month_zone is not None else "period"
            ends = last_day(until, status.month_zone or status.zone)
            lines.append(f":no_bell: Muted by {mention(user)} until the {window} ends on {ends}")
    return lines


def status_block(status: AlertStatus | None) -> Block | None:
    """The status lines as the alert's status block; None when there is nothing to say."""
    lines = [] if status is None else status_lines(status)
    return {**context(*lines), "block_id": slack_ids.ALERT_STATUS_BLOCK} if lines else None


def with_status(shown: dict[str, Any], status: AlertStatus) -> Message:
    """The alert message Slack showed (`text`, `blocks`) with its status block rebuilt from `status`."""
    status_id = slack_ids.ALERT_STATUS_BLOCK
    blocks: list[Block] = [dict(b) for b in shown.get("blocks") or [] if b.get("block_id") != status_id]
    block = status_block(status)
    if block is not None:
        buttons = [i for i, b in enumerate(blocks) if b.get("type") == "actions"]
        blocks.insert(buttons[-1] if buttons else len(blocks), block)
    return message(str(shown.get("text") or "Katalo alert"), blocks)
