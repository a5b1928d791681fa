"""Replies to `/katalo digest on | off | status`."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.blocks._kit import Message, context, escape, message, section
from bot.figures import PostedDigest, Subscription


def _when(at: time, zone: ZoneInfo) -> str:
    return f"{at:%H:%M} {zone.key}"


def build_subscribed(channel_id: str, at: time, zone: ZoneInfo, next_due: datetime) -> Message:
    text = f"This channel gets the Katalo digest every day at {_when(at, zone)}."
    first = f"The next one: {next_due.astimezone(zone):%a %b %-d, %H:%M}."
    return message(text, [section(f":calendar: {text}\n{first}"), context("`/katalo digest off` stops it.")])


def build_unsubscribed(was_subscribed: bool) -> Message:
    text = (
        "The daily digest is off for this channel." if was_subscribed else "This channel had no daily digest."
    )
    return message(text, [section(text)])


def build_status(
    subscription: Subscription | None,
    last: PostedDigest | None,
    last_link: str | None,
    next_due: datetime | None,
) -> Message:
    if subscription is None or not subscription.enabled:
        text = "This channel gets no daily digest. `/katalo digest on [HH:MM] [Area/City]` starts one."
        return message("No daily digest here.", [section(text)])
    zone = subscription.zone
    lines = [f":calendar: Daily digest at *{_when(subscription.local_time, zone)}*."]
    if last is None:
        lines.append("Nothing posted yet.")
    else:
        posted = last.posted_at.astimezone(zone).strftime("%a %b %-d, %H:%M") if last.posted_at else "?"
        link = f" (<{last_link}|view>)" if last_link else ""
        lines.append(f"Last posted: {posted}{' (late)' if last.late else ''}{link}.")
    if next_due is not None:
        lines.append(f"Next: {next_due.astimezone(zone):%a %b %-d, %H:%M}.")
    if subscription.failing_since is not None:
        lines.append(
            f":warning: *Failing* since {subscription.failing_since.astimezone(zone):%b %-d %H:%M}: "
            f"{escape(subscription.last_error or 'unknown error')}"
        )
    return message("Daily digest status.", [section("\n".join(lines))])
