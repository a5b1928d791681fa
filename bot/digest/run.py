"""The digest jobs: `katalo-bot clock` (the schedules) and `katalo-bot digest` (one now).

They run on a `Deps` the caller built (bot/wiring/root.py), so they post exactly what the bot would.
"""

from __future__ import annotations

import signal
import threading

from bot.blocks.limits import displayed_texts
from bot.config import ConfigError, Settings
from bot.digest.clock import Clock
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


def digest_channel(settings: Settings, channel: str | None, *, dry_run: bool) -> str:
    """The channel `katalo-bot digest` posts to; ConfigError (before anything is built) when it cannot."""
    channel = channel or settings.digest_channel
    if channel is None:
        raise ConfigError("no channel: pass --channel C0123456789 or set DIGEST_CHANNEL")
    if not dry_run:
        settings.require("SLACK_BOT_TOKEN")
    return channel


def run_digest(deps: Deps, channel: str, *, dry_run: bool, force: bool) -> int:
    """`katalo-bot digest`: post (or print) today's digest for one channel now; the exit status."""
    poster = deps.poster
    subscription = poster.store.subscription(channel)
    zone = subscription.zone if subscription else deps.settings.digest_timezone
    today = deps.now().astimezone(zone).date()
    if dry_run:
        print("\n".join(displayed_texts(poster.compose(channel, zone, today, preview=True))))
        return 0
    outcome = poster.post(channel, zone, today, force=force)
    sentences = {
        "posted": f"Posted the digest for {today} to {channel}.",
        "found_posted": f"The digest for {today} was already in {channel} (posted before a crash).",
        "already_posted": f"The digest for {today} was already posted to {channel}; --force posts another.",
        "failed": f"Could not post the digest to {channel}: {outcome.detail}.",
    }
    print(sentences.get(outcome.status, outcome.status))
    return 1 if outcome.status == "failed" else 0
