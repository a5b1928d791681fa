"""Alert messages (issue 13): the headline, the figures, what drove a spike, and the four buttons.

Pure: an AlertView (plain data the alert runner fills from the usage summary and the ledger mirror)
in, a message out. Every text from the ledger (usage types, config fingerprints, job ids) is escaped;
amounts are Decimal, shown by bot.formatting. The status lines (acknowledged, snoozed, muted) come
from the one builder the buttons use too (alert_status.py), fed from the store's state by the runner.
Thread replies (worse, cleared) are one section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal

from bot.alert_kinds import Kind
from bot.blocks._kit import Block, Message, actions, button, code, context, escape, message, section
from bot.blocks.alert_status import AlertStatus, status_block
from bot.formatting import clock_time, percent, usd
from bot.slack_ids import (
    ALERT_ACKNOWLEDGE,
    ALERT_ACTIONS_BLOCK,
    ALERT_MUTE_PERIOD,
    ALERT_SNOOZE_DAY,
    ALERT_SNOOZE_WEEK,
)

EMOJI: dict[Kind, str] = {
    "plan": ":rotating_light:",
    "access": ":red_circle:",
    "spike": ":chart_with_upwards_trend:",
    "pace": ":hourglass_flowing_sand:",
    "budget": ":moneybag:",
}
BUTTONS = (
    ("Acknowledge", ALERT_ACKNOWLEDGE),
    ("Snooze 1 day", ALERT_SNOOZE_DAY),
    ("Snooze 1 week", ALERT_SNOOZE_WEEK),
    ("Mute for this period", ALERT_MUTE_PERIOD),
)
MAX_KEY = 60  # a driver's key (a job id, a fingerprint) is cut to this in the message


@dataclass(frozen=True)
class DriverRow:
    """One usage type, config or job: its amount on the day and its usual amount per day."""

    key: str
    amount: Decimal
    usual: Decimal


@dataclass(frozen=True)
class DriverGroup:
    title: str  # "Usage types", "Configs", "Jobs"
    rows: tuple[DriverRow, ...]
    explained: Decimal | None  # the share of the day's rise the rows explain


@dataclass(frozen=True)
class AlertView:
    """What one alert says. `headline` and `figures` are the runner's sentences (no ledger text in them)."""

    kind: Kind
    key: str
    headline: str
    figures: str
    rule: str  # why it alerts once: "one alert per threshold per billing period"
    as_of: datetime
    zone: tzinfo
    drivers: tuple[DriverGroup, ...] = ()
    status: AlertStatus | None = None  # the lines under it: set by the runner from the store


def build_alert(view: AlertView) -> Message:
    """The alert: headline and figures, the drivers (spikes), when and why, and the four buttons."""
    figures = f"\n{escape(view.figures)}" if view.figures else ""
    blocks: list[Block] = [section(f"{EMOJI[view.kind]} *{escape(view.headline)}*{figures}")]
    blocks += [_drivers(group) for group in view.drivers if group.rows]
    zone = str(getattr(view.zone, "key", view.zone))
    blocks.append(context(f"As of {clock_time(view.as_of, view.zone)} {escape(zone)} · {escape(view.rule)}"))
    status = status_block(view.status)
    if status is not None:
        blocks.append(status)
    value = {"kind": view.kind, "key": view.key}
    blocks.append(actions(ALERT_ACTIONS_BLOCK, *(button(text, action, value) for text, action in BUTTONS)))
    return message(" ".join(text for text in (view.headline, view.figures) if text), blocks)


def build_alert_reply(text: str) -> Message:
    """A reply in an alert's thread: the condition got worse, or cleared."""
    return message(text, [section(escape(text))])


def _drivers(group: DriverGroup) -> Block:
    lines = [
        f"• {code(row.key[:MAX_KEY])} {usd(row.amount)} (usually {usd(row.usual)}, "
        f"+{usd(row.amount - row.usual)})"
        for row in group.rows
    ]
    share = "" if group.explained is None else f" ({percent(group.explained, 0)} of the rise)"
    return section(f"*{escape(group.title)} that rose most*{share}\n" + "\n".join(lines))
