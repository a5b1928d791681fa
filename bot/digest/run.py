"""The digest jobs: `katalo-bot clock` (the schedules) and `katalo-bot digest` (one now).

They run on a `Deps` the caller built (bot/wiring/root.py), so they post exactly what the bot would.
`katalo-bot digest` exits 0 when the digest is in the channel (posted now, before, or being posted by
another runner), 1 when it could not be posted, and 2 on a configuration problem. `--dry-run` posts
nothing and needs no channel: without one it previews the default digest (DIGEST_TIME, DIGEST_TIMEZONE).
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import date, time
from zoneinfo import ZoneInfo

from bot.blocks.digest import day_name, digest_of
from bot.blocks.terminal import render
from bot.config import ConfigError, Settings
from bot.digest.clock import Clock
from bot.digest.deliver import Outcome
from bot.wiring.deps import Deps


def run_clock(deps: Deps) -> int:
    """`katalo-bot clock`: subscribe DIGEST_CHANNEL, then run the schedules until SIGTERM."""
    settings = deps.settings
    if settings.digest_channel:
        deps.poster.store.ensure_subscribed(
            settings.digest_channel, settings.digest_time, settings.digest_timezone, now=deps.now()
        )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    Clock(deps.poster, deps.alerts, deps.mirror).run(stop)
    return 0


def digest_channel(settings: Settings, channel: str | None, *, dry_run: bool) -> str | None:
    """The channel `katalo-bot digest` posts to; ConfigError (before anything is built) when it cannot."""
    channel = channel or settings.digest_channel
    if channel is None and not dry_run:
        raise ConfigError(
            "no channel: pass --channel C0123456789 or set DIGEST_CHANNEL (--dry-run previews without one)"
        )
    if not dry_run:
        settings.require("SLACK_BOT_TOKEN")
    return channel


def run_digest(deps: Deps, channel: str | None, *, dry_run: bool, force: bool) -> int:
    """`katalo-bot digest`: post (or print) today's digest for one channel now; the exit status."""
    settings, poster = deps.settings, deps.poster
    subscription = poster.store.subscription(channel) if channel else None
    zone = subscription.zone if subscription else settings.digest_timezone
    at = subscription.local_time if subscription else settings.digest_time
    today = deps.now().astimezone(zone).date()
    if channel is None or dry_run:  # (no channel means a dry run by now)
        print(_preview_note(channel, today, at, zone))
        shown, _ = render(poster.compose(channel or "", zone, today, preview=True), color=sys.stdout.isatty())
        print(shown)
        return 0
    outcome = poster.post(channel, zone, today, force=force)
    print(_sentence(outcome, zone))
    for failure in outcome.chart_failures:  # the digest is out; a missing picture is said, not fatal
        print(f"{failure}; the digest's text is posted (the log has the cause).")
    if outcome.status == "posted" and (subscription is None or not subscription.enabled):
        print(
            f"That was a one-off post: {channel} is not subscribed. `/katalo digest on` in the channel "
            "(or DIGEST_CHANNEL for `katalo-bot clock`) posts the digest every day."
        )
    return 1 if outcome.status in ("failed", "retry_later") else 0


def _preview_note(channel: str | None, today: date, at: time, zone: ZoneInfo) -> str:
    """What the dry run shows: which digest, for which channel, as posted on which day; nothing posted."""
    which = f"{digest_of(today)}, as posted on {day_name(today)} at {at:%H:%M} {zone.key}"
    if channel is None:
        return (
            f"Preview of the default digest (not posted): {which}. "
            "--channel C0123456789 or DIGEST_CHANNEL names the channel to post it to."
        )
    return f"Preview for {channel} (not posted): {which}."


def _sentence(outcome: Outcome, zone: ZoneInfo) -> str:
    """One line for each outcome, naming the digest by the day it summarises and the day it is posted."""
    channel, of, on = outcome.channel_id, digest_of(outcome.local_date), day_name(outcome.local_date)
    of_ = of[0].upper() + of[1:]  # at the start of a sentence
    sentences = {
        "posted": f"Posted {of} to {channel} on {on} ({zone.key}).",
        "found_posted": f"{of_} was already in {channel}: posted on {on} before a crash.",
        "already_posted": f"{of_} was already posted to {channel} on {on}; --force posts another.",
        "in_progress": f"{of_} is being posted to {channel} by another runner ({outcome.detail}).",
        "retry_later": f"{of_} was not posted to {channel}: {outcome.detail}; --force tries now.",
        "failed": f"Could not post {of} to {channel}: {outcome.detail}.",
    }
    return sentences.get(outcome.status, f"{of_} for {channel}: {outcome.status}.")
