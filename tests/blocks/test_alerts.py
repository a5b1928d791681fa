"""Alert messages: the figures and cause shown, the four buttons, escaped text, within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import slack_ids
from bot.blocks.alert_status import AlertStatus
from bot.blocks.alerts import AlertView, DriverGroup, DriverRow, build_alert, build_alert_reply
from bot.blocks.limits import check_message, displayed_texts

NOW = datetime(2026, 11, 24, 9, 42, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def spike(keys: tuple[str, ...] = ("cfg_burst",), **changes) -> AlertView:
    rows = tuple(DriverRow(key, Decimal("60.00"), Decimal("0.25")) for key in keys)
    base = {
        "kind": "spike",
        "key": "spike:2026-11-23",
        "headline": "Spend spike on Mon Nov 23: $75.40, usually $15.00",
        "figures": "$60.40 above the usual day.",
        "rule": "one alert per spike episode",
        "as_of": NOW,
        "zone": BERLIN,
        "drivers": (DriverGroup("Configs", rows, Decimal("0.993")),),
    }
    return AlertView(**{**base, **changes})


def test_a_spike_alert_shows_the_day_the_cause_and_the_time_in_its_zone():
    """The headline, each driver with its amount, usual and rise, the share explained, and 10:42 Berlin."""
    alert = build_alert(spike())
    check_message(alert)
    shown = "\n".join(displayed_texts(alert))
    assert alert["text"] == "Spend spike on Mon Nov 23: $75.40, usually $15.00 $60.40 above the usual day."
    assert (
        "*Configs that rose most* (99% of the rise)\n• `cfg_burst` $60.00 (usually $0.25, +$59.75)" in shown
    )
    assert "As of 10:42 Europe/Berlin · one alert per spike episode" in shown


def test_every_alert_ends_with_the_four_buttons_carrying_its_kind_and_key():
    """Acknowledge, Snooze 1 day, Snooze 1 week, Mute for this period; each value names the alert."""
    actions = build_alert(spike())["blocks"][-1]
    assert actions["block_id"] == slack_ids.ALERT_ACTIONS_BLOCK
    assert [e["action_id"] for e in actions["elements"]] == list(slack_ids.ALERT_ACTION_IDS)
    assert [e["text"]["text"] for e in actions["elements"]] == [
        "Acknowledge",
        "Snooze 1 day",
        "Snooze 1 week",
        "Mute for this period",
    ]
    assert {json.loads(e["value"])["key"] for e in actions["elements"]} == {"spike:2026-11-23"}
    assert {json.loads(e["value"])["kind"] for e in actions["elements"]} == {"spike"}


def test_an_acknowledged_alert_says_by_whom_and_when():
    alert = build_alert(spike(status=AlertStatus(BERLIN, "U0ANA", NOW)))
    [status] = [b for b in alert["blocks"] if b.get("block_id") == slack_ids.ALERT_STATUS_BLOCK]
    assert [e["text"] for e in status["elements"]] == [":white_check_mark: Acknowledged by <@U0ANA> at 10:42"]
    assert alert["blocks"][-1]["type"] == "actions"  # the status sits above the buttons


def test_ledger_text_in_a_driver_is_escaped():
    """A usage type or job id that looks like markup notifies nobody."""
    alert = build_alert(spike(keys=("<!channel>", "a&b <@U0BOSS>")))
    check_message(alert)
    shown = "\n".join(displayed_texts(alert))
    assert "<!channel>" not in shown and "<@U0BOSS>" not in shown
    assert "&lt;!channel&gt;" in shown


def test_a_reply_is_escaped_and_has_fallback_text():
    reply = build_alert_reply("Now 100% reached: <b>")
    check_message(reply)
    assert reply["text"] == "Now 100% reached: <b>"
    assert reply["blocks"][0]["text"]["text"] == "Now 100% reached: &lt;b&gt;"


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.text(min_size=1, max_size=400), min_size=1, max_size=3))
def test_any_driver_keys_fit_slacks_limits(keys):
    """Whatever the ledger's keys, three groups of three stay within Slack's limits."""
    view = spike(keys=tuple(keys))
    view = AlertView(**{**view.__dict__, "drivers": view.drivers * 3})
    check_message(build_alert(view))
