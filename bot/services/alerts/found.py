"""What a runner that died mid-step may have left in Slack: an alert post, or a reply in its thread.

Every alert carries metadata naming its key, and every thread reply metadata naming its key and
step ("level:100", "clear:80"). A runner that takes over a step (its claim was left `posting` for
STALE_POSTING) looks for what the dead one said, in the narrow window after its claim and within
Slack's limits for apps not in the Marketplace (bot/digest/history.py: 15 messages a call, three
calls at most): the channel's history for a post, the alert's thread (conversations.replies with
the alert's ts) for a reply. Found, it is recorded instead of said twice. Not found, or the history
could not be read, it is said, and the log says a copy is possible.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk import WebClient

from bot.db.alert_steps import StepClaim
from bot.digest.history import find_message

log = logging.getLogger(__name__)
ALERT_EVENT = "katalo_alert"
REPLY_EVENT = "katalo_alert_reply"


def post_metadata(key: str) -> dict[str, Any]:
    return {"event_type": ALERT_EVENT, "event_payload": {"key": key}}


def reply_metadata(key: str, step: str) -> dict[str, Any]:
    return {"event_type": REPLY_EVENT, "event_payload": {"key": key, "step": step}}


def find_left(
    slack: WebClient, claim: StepClaim, now: datetime, *, thread_ts: str | None = None
) -> str | None:
    """The ts of the post (or, with `thread_ts`, the reply) of this step the dead runner left, if seen."""
    since = claim.claimed_before or now
    if thread_ts is None:
        wanted = post_metadata(claim.alert_key)
    else:
        wanted = reply_metadata(claim.alert_key, claim.step)

    def matches(message: dict[str, Any]) -> bool:
        metadata = message.get("metadata") or {}
        return bool(
            metadata.get("event_type") == wanted["event_type"]
            and metadata.get("event_payload") == wanted["event_payload"]
        )

    lookup = find_message(slack, claim.channel_id, since, matches, thread_ts=thread_ts)
    if lookup.ts is None:
        why = lookup.error or ("not found" if lookup.complete else f"not in the {lookup.read} messages read")
        log.warning(
            "alert %s (%s) in %s after a crash: %s; saying it (a copy is possible)",
            claim.alert_key,
            claim.step,
            claim.channel_id,
            why,
        )
    return lookup.ts
