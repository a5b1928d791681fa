"""What an evaluation of one kind of alert says, and when a level is worse than the one shown.

A condition is identified by its key, one alert message per (channel, key):
"plan:<period start>:<included units>", "access:<period start>", "spike:<day the episode opened>",
"pace:<period start>", "budget:<scope>:<amount>:<window start>" (a plan or budget changed within its
window is a new condition). Its level is what the message shows (a threshold, the run-out date, the
latest spike day); a worse level updates that message in place. An open alert whose key is no longer
the current one (a new period, an episode over, a budget changed) or whose condition is gone has
cleared. A condition back after its alert cleared is a new occurrence, a new alert keyed "<key>#2",
"<key>#3", … (bot/db/alert_store.py), so its steps are claimed afresh; the evaluations judge the
plain key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from bot.alert_kinds import Kind
from bot.alerts.pace import EARLIER_BY_DAYS
from bot.blocks.alerts import AlertView
from bot.db.alert_store import PostedAlert
from bot.figures import Freshness
from bot.periods import local_midnight


@dataclass(frozen=True)
class Condition:
    """An alert due now: post it, or update the one posted for its key if this level is worse."""

    kind: Kind
    key: str
    level: str
    compose: Callable[
        [], AlertView
    ]  # called only when the alert is to be said (a spike's cause costs queries)
    worse_text: str  # the thread reply when this level updates an alert posted at a lower one
    # The key an earlier version gave this condition: an open alert under it (carried over by migration
    # 0010, "plan:<period start>") is this condition's alert, not a different one to post beside it.
    earlier_key: str | None = None


def _never(_alert: PostedAlert) -> str | None:
    return None


@dataclass(frozen=True)
class Evaluation:
    """One kind's verdict for one check. `skipped`: it could not be judged now (nothing clears then)."""

    kind: Kind
    conditions: tuple[Condition, ...] = ()
    cleared: Callable[[PostedAlert], str | None] = field(default=_never)  # an open alert → its reply
    skipped: str | None = None


def worse(kind: Kind, new: str, old: str) -> bool:
    """Whether level `new` of a condition is worse than the `old` its alert shows."""
    if kind in ("plan", "budget"):
        return int(new) > int(old)
    if kind == "pace":  # the run-out date: again only when it moves 2 days or more earlier
        return (date.fromisoformat(old) - date.fromisoformat(new)).days >= EARLIER_BY_DAYS
    if kind == "spike":  # the latest spike day of the episode: a clearly higher level came later
        return date.fromisoformat(new) > date.fromisoformat(old)
    return False


def mirror_behind(freshness: Freshness, now: datetime, zone: tzinfo) -> str | None:
    """Why the ledger mirror cannot be judged from now (pace, budget), or None when it can.

    A sync that did not complete leaves recent spend out, and one that last caught up before local
    midnight leaves out the end of yesterday, the last complete day of pace's week: judged from either,
    a pace or a budget looks better than it is, and an alert would be cleared falsely.
    """
    if not freshness.complete:
        return "the ledger mirror could not catch up with Katalo's ledger just now"
    today = now.astimezone(zone).date()
    if freshness.synced_at is None or freshness.synced_at < local_midnight(today, zone):
        return "the ledger mirror has not caught up since yesterday ended"
    return None
