"""Every Slack string id the bot uses: the slash command, event types, action ids and block ids.

The manifest test reads these, so `manifest.yml` and the registered listeners cannot drift apart.
(The ids of Katalo's records, as the sandbox spells them, are bot/sandbox/wire.py's business.)
"""

COMMAND = "/katalo"
MENTION_EVENT = "app_mention"

# Buttons. Each is handled in bot/listeners/actions.py.
REFRESH_USAGE = "usage_refresh"
SHARE_TO_CHANNEL = "share_to_channel"
EVENTS_OLDER = "events_older"
EVENTS_NEWER = "events_newer"
JOB_EVENTS_PAGE = "job_events_page"

ACTION_IDS = (REFRESH_USAGE, SHARE_TO_CHANNEL, EVENTS_OLDER, EVENTS_NEWER, JOB_EVENTS_PAGE)

ACTIONS_BLOCK = "katalo_actions"

# Spend answers' controls (bot/listeners/spend.py). The controls block's id carries the question
# shown: SPEND_CONTROLS_PREFIX + the `/katalo spend` arguments that ask it again.
SPEND_PERIOD = "spend_period"
SPEND_BREAKDOWN = "spend_breakdown"
SPEND_FROM = "spend_from"
SPEND_TO = "spend_to"
SPEND_ACTION_IDS = (SPEND_PERIOD, SPEND_BREAKDOWN, SPEND_FROM, SPEND_TO)
SPEND_CONTROLS_PREFIX = "spend:"

# Alert buttons (bot/listeners/alert_actions.py). Each value is the alert's JSON reference
# {"kind": KIND, "key": …} so a press can be recorded against the alert it belongs to.
ALERT_ACKNOWLEDGE = "alert_acknowledge"
ALERT_SNOOZE_DAY = "alert_snooze_day"
ALERT_SNOOZE_WEEK = "alert_snooze_week"
ALERT_MUTE_PERIOD = "alert_mute_period"
ALERT_ACTION_IDS = (ALERT_ACKNOWLEDGE, ALERT_SNOOZE_DAY, ALERT_SNOOZE_WEEK, ALERT_MUTE_PERIOD)
ALERT_ACTIONS_BLOCK = "katalo_alert_actions"  # the block holding them, at the end of every alert
# The context block an alert gains above its buttons once pressed: who acknowledged, snoozed or muted it.
ALERT_STATUS_BLOCK = "alert_status"
