"""`katalo-bot alerts [--channel C] [--dry-run]`: every alert check once, for cron-style platforms and tests.

It runs what the clock runs every five minutes (bot/services/alerts/runner.py) on a `Deps` the
caller built, and says one line per alert due: posted, updated in place, cleared, already said,
silenced (with until when), or why it failed. `--dry-run` claims and posts nothing and needs no Slack
token: it prints each message that is due, rendered as `katalo-bot digest --dry-run` renders.
Exit status: 0, or 1 when Slack refused something (it is tried again at the next check).
"""

from __future__ import annotations

import sys

from bot.blocks.terminal import render
from bot.services.alerts.slack import AlertOutcome
from bot.wiring.deps import Deps

_SENTENCES = {
    "posted": "Posted the {what} alert in {channel}.",
    "found_posted": "Found the {what} alert in {channel}, posted before a crash; recorded it.",
    "updated": "Updated the {what} alert in {channel} in place, and replied in its thread.",
    "reposted": "Posted the {what} alert in {channel} anew at its worse level: {detail}.",
    "cleared": "Said in the thread of the {what} alert in {channel} that it cleared.",
    "already_posted": "The {what} alert is already in {channel}.",
    "in_progress": "The {what} alert is being said in {channel} by another runner.",
    "silenced": "The {what} alert is due in {channel} but {detail}: nothing posted.",
    "not_allowed": "No alert in {channel}: {detail}.",
    "failed": "Could not say the {what} alert in {channel}: {detail}.",
    "would_post": "Would post the {what} alert in {channel} (dry run, not posted):",
    "would_update": "Would update the {what} alert in {channel} in place (dry run, not posted):",
    "would_clear": "Would reply in the thread of the {what} alert in {channel} (dry run, not posted):",
}


def run_alerts(deps: Deps, channel: str | None, *, dry_run: bool) -> int:
    """Run every check once; print what became of each alert due; the exit status."""
    outcomes = deps.alerts.check(channel, dry_run=dry_run)
    if not outcomes:
        where = channel or "any channel"
        print(f"No alert is due in {where}.{_no_channel_hint(deps, channel)}")
    for outcome in outcomes:
        print(sentence(outcome))
        if outcome.message is not None and dry_run:
            shown, _ = render(outcome.message, color=sys.stdout.isatty())
            print(shown)
    return 1 if any(outcome.status == "failed" for outcome in outcomes) else 0


def sentence(outcome: AlertOutcome) -> str:
    what = outcome.kind if outcome.key is None else f"{outcome.kind} ({outcome.key})"
    template = _SENTENCES.get(outcome.status, "The {what} alert in {channel}: {detail}.")
    return template.format(what=what, channel=outcome.channel_id, detail=outcome.detail or outcome.status)


def _no_channel_hint(deps: Deps, channel: str | None) -> str:
    if channel is not None and not deps.alert_store.enabled_kinds(channel):
        return f" {channel} has no kind of alert on: `/katalo alerts on KIND` or `/katalo digest on` there."
    if channel is None and not deps.alert_store.alert_channels():
        return " No channel gets alerts yet: a digest channel gets them, or `/katalo alerts on KIND`."
    return ""
