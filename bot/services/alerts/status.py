"""An alert's status as the store knows it: the one source of the lines under every rendering of it.

The runner (re-rendering an alert updated in place, or posted anew) and the buttons (editing it in
place after a press) both call `alert_status`, so both show the same lines from the same state: the
acknowledgement recorded on the alert, and the latest snooze or mute of its kind in its channel made
since it was posted (a silence older than the alert belongs to an earlier alert of the kind).
"""

from __future__ import annotations

from datetime import tzinfo

from bot.blocks.alert_status import AlertStatus
from bot.db.alert_store import AlertStore, PostedAlert


def alert_status(store: AlertStore, alert: PostedAlert, zone: tzinfo, report_zone: tzinfo) -> AlertStatus:
    """The status of `alert` now; times on `zone` (the channel's clock), a monthly budget's month on
    `report_zone` (where its month is counted)."""
    silence = store.latest_silence(alert.channel_id, alert.kind)
    shown = None
    if silence is not None and silence.at >= alert.posted_at:
        shown = (silence.mode, silence.by_user, silence.until)
    return AlertStatus(
        zone,
        alert.acknowledged_by,
        alert.acknowledged_at,
        shown,
        month_zone=report_zone if is_monthly(store, alert) else None,
    )


def is_monthly(store: AlertStore, alert: PostedAlert) -> bool:
    """A budget alert in a channel whose budget is monthly: muting it lasts to the month's end."""
    budget = store.budget(alert.channel_id) if alert.kind == "budget" else None
    return budget is not None and budget.scope == "monthly"
