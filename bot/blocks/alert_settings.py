"""Replies to `/katalo alerts` and `/katalo alerts on|off KIND…`: which kinds a channel gets, and why not.

Plain data in (the service reads the alert store and Slack's permalinks): each kind's state, with any
snooze or mute and the last alert of the kind. Times are on the channel's clock (its digest zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from bot.alert_kinds import BUDGET_THRESHOLDS, KINDS, PLAN_THRESHOLDS, Kind, description
from bot.blocks._kit import Message, context, escape, header, mention, message, section, truncate
from bot.formatting import clock_time

CHANGE = "`/katalo alerts on|off KIND…` (or `all`) changes them."


@dataclass(frozen=True)
class SilenceShown:
    """A snooze or mute in force: until when, and who asked."""

    mode: Literal["snooze", "mute"]
    until: datetime
    by_user: str


@dataclass(frozen=True)
class LastAlertShown:
    """The last alert of a kind in the channel; `link` is None when Slack gave no permalink."""

    headline: str
    posted_at: datetime
    link: str | None
    acknowledged_by: str | None = None
    cleared_at: datetime | None = None


@dataclass(frozen=True)
class KindState:
    kind: Kind
    on: bool
    silence: SilenceShown | None = None
    last: LastAlertShown | None = None
    note: str | None = None  # mrkdwn the service adds, e.g. that no budget is set for `budget`


def moment(at: datetime, zone: tzinfo) -> str:
    """`Sat Dec 6, 10:42` on the channel's clock."""
    return f"{at.astimezone(zone):%a %b %-d}, {clock_time(at, zone)}"


def last_day(end: datetime, zone: tzinfo) -> str:
    """`Dec 31`: the local day an exclusive end closes (a period ending at midnight ends the day before)."""
    return f"{(end - timedelta(microseconds=1)).astimezone(zone):%b %-d}"


def build_alert_settings(
    states: list[KindState],
    *,
    zone: tzinfo,
    plan_thresholds: Sequence[int] = PLAN_THRESHOLDS,
    budget_thresholds: Sequence[int] = BUDGET_THRESHOLDS,
) -> Message:
    """Every kind: on or off, what it alerts on (the configured thresholds named), any silence, the
    last alert (linked when Slack gave a link)."""
    on = [state.kind for state in states if state.on]
    described = {k: description(k, plan=plan_thresholds, budget=budget_thresholds) for k in KINDS}
    lines = [_kind_line(state, described[state.kind], zone) for state in states]
    zone_name = escape(str(getattr(zone, "key", zone)))
    summary = f"On here: {', '.join(on)}." if on else "No alerts are on in this channel."
    return message(
        f"Alerts in this channel. {summary}",
        [
            header("Alerts in this channel"),
            section("\n".join(lines)),
            context(f"{summary} {CHANGE} Times in {zone_name}."),
        ],
    )


def _kind_line(state: KindState, described: str, zone: tzinfo) -> str:
    icon = ":large_green_circle:" if state.on else ":white_circle:"
    parts = [f"{icon} *{state.kind}* ({'on' if state.on else 'off'}): {described}"]
    if state.note is not None:
        parts.append(state.note)
    if state.silence is not None:
        parts.append(_silence_text(state.silence, zone))
    if state.last is not None:
        parts.append(_last_text(state.last, zone))
    return "\n      ".join(parts)


def _silence_text(silence: SilenceShown, zone: tzinfo) -> str:
    verb = "Snoozed" if silence.mode == "snooze" else "Muted"
    return f":zzz: {verb} by {mention(silence.by_user)} until {moment(silence.until, zone)}"


def _last_text(last: LastAlertShown, zone: tzinfo) -> str:
    when = moment(last.posted_at, zone)
    shown = f"<{last.link}|{when}>" if last.link else when
    notes = []
    if last.acknowledged_by:
        notes.append(f"acknowledged by {mention(last.acknowledged_by)}")
    if last.cleared_at is not None:
        notes.append(f"cleared {moment(last.cleared_at, zone)}")
    extra = f" ({', '.join(notes)})" if notes else ""
    return f"Last: {shown}: {escape(truncate(last.headline, 200))}{extra}"


def build_alerts_changed(on: bool, changed: tuple[Kind, ...], now_on: frozenset[Kind]) -> Message:
    """`alerts on spike pace` done: what changed, and what is now on."""
    named = ", ".join(f"*{kind}*" for kind in changed)
    current = [kind for kind in KINDS if kind in now_on]
    now = f"Now on here: {', '.join(current)}." if current else "No alerts are on in this channel now."
    text = f"Turned {'on' if on else 'off'} {named}. {now}"
    return message(text.replace("*", ""), [section(text), context(CHANGE)])


def build_bad_alerts(problem: str) -> Message:
    """`/katalo alerts ...` not understood: the sentence, escaped."""
    text = escape(problem)
    return message(text, [section(f":grey_question: {text}")])


def build_stale_press(text: str) -> Message:
    """A button that cannot be acted on (an alert the store does not know, an unknown period): why."""
    shown = escape(text)
    return message(shown, [section(f":grey_question: {shown}")])
