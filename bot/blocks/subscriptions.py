"""Replies to `/katalo digest on | off | status`.

A digest is named as everywhere else (blocks/digest.py): of the day it summarises, posted on the day
after. Status tells a subscription apart from a one-off post (`katalo-bot digest --channel C`): both
leave a last digest, only a subscription brings the next one.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.blocks._kit import Message, context, escape, message, section
from bot.blocks.digest import digest_of, posted_at
from bot.figures import PostedDigest, Subscription

SUBSCRIBE = "`/katalo digest on [HH:MM] [Area/City]`"


def _when(at: time, zone: ZoneInfo) -> str:
    return f"{at:%H:%M} {zone.key}"


def _next(next_due: datetime, zone: ZoneInfo) -> str:
    return f"{digest_of(next_due.astimezone(zone).date())}, on {posted_at(next_due, zone)}"


def build_subscribed(channel_id: str, at: time, zone: ZoneInfo, next_due: datetime) -> Message:
    text = f"This channel gets the Katalo digest every day at {_when(at, zone)}."
    first = f"The next one: {_next(next_due, zone)}."
    return message(text, [section(f":calendar: {text}\n{first}"), context("`/katalo digest off` stops it.")])


def build_unsubscribed(was_subscribed: bool) -> Message:
    text = (
        "The daily digest is off for this channel." if was_subscribed else "This channel had no daily digest."
    )
    return message(text, [section(text)])


def _last(last: PostedDigest, link: str | None, zone: ZoneInfo) -> str:
    """ "the digest of Tue Nov 24, posted on Wed Nov 25 at 09:00 (view)"."""
    when = f", posted on {posted_at(last.posted_at, zone)}" if last.posted_at else ""
    late = " (late)" if last.late else ""
    return f"{digest_of(last.local_date)}{when}{late}{f' (<{link}|view>)' if link else ''}"


def build_status(
    subscription: Subscription | None,
    last: PostedDigest | None,
    last_link: str | None,
    next_due: datetime | None,
    *,
    default_zone: ZoneInfo,
    history: str | None = None,
) -> Message:
    if subscription is None:
        return _not_subscribed(last, last_link, default_zone)
    if not subscription.enabled:
        return _turned_off(last, last_link, subscription.zone)
    zone = subscription.zone
    lines = [f":calendar: Daily digest at *{_when(subscription.local_time, zone)}*."]
    lines.append("Nothing posted yet." if last is None else f"Last: {_last(last, last_link, zone)}.")
    if next_due is not None:
        lines.append(f"Next: {_next(next_due, zone)}.")
    if history is not None:
        lines.append(_guarantee(history))
    if subscription.failing_since is not None:
        lines.append(
            f":warning: *Failing* since {subscription.failing_since.astimezone(zone):%b %-d %H:%M}: "
            f"{escape(subscription.last_error or 'unknown error')}"
        )
    return message("Daily digest status.", [section("\n".join(lines))])


HISTORY_FIXES = {
    "missing_scope": "add the im:history scope (mpim:history, groups:history for private) and reinstall",
    "not_in_channel": "invite the bot with /invite @Katalo",
}


def _guarantee(history: str) -> str:
    """What a crash can do to this channel's digest: `read`, `unknown`, or Slack's history error."""
    if history == "read":
        return (
            ":white_check_mark: Delivered *exactly once*: the bot can read this channel's history, "
            "so a runner taking over after a crash finds a digest already posted."
        )
    if history == "unknown":
        return (
            "Delivery guarantee: not known right now (Slack rate-limited the check); ask again in a minute."
        )
    fix = HISTORY_FIXES.get(history, "let the bot read this channel's history")
    return (
        ":warning: *Possibly duplicated after a crash* (never missed): the bot cannot read this "
        f"channel's history (`{escape(history)}`), so after a crash it posts again rather than risk a gap. "
        f"For exactly once, {fix}."
    )


def _not_subscribed(last: PostedDigest | None, link: str | None, zone: ZoneInfo) -> Message:
    """No daily digest here; a digest posted once (`katalo-bot digest`) is shown as what it was."""
    if last is None:
        text = f"This channel gets no daily digest. {SUBSCRIBE} starts one."
        return message("No daily digest here.", [section(text)])
    text = (
        "This channel is not subscribed to the daily digest, so no digest comes on its own. "
        f"The last one here was a one-off post (`katalo-bot digest`): {_last(last, link, zone)}.\n"
        f"{SUBSCRIBE} posts one every day."
    )
    return message("No daily digest here; the last digest was a one-off post.", [section(text)])


def _turned_off(last: PostedDigest | None, link: str | None, zone: ZoneInfo) -> Message:
    text = "The daily digest is off for this channel (`/katalo digest off`)."
    if last is not None:
        text += f" The last one: {_last(last, link, zone)}."
    return message("No daily digest here.", [section(f"{text}\n{SUBSCRIBE} starts it again.")])
