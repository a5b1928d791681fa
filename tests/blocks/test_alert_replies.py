"""`/katalo alerts`, `/katalo budget` and pressed alerts: the figures and names a reader needs, escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot import slack_ids
from bot.alert_kinds import KINDS
from bot.blocks._kit import actions, button, header, message, section
from bot.blocks.alert_settings import (
    KindState,
    LastAlertShown,
    SilenceShown,
    build_alert_settings,
    build_alerts_changed,
    build_bad_alerts,
)
from bot.blocks.alert_status import AlertStatus, status_lines, with_status
from bot.blocks.budget import BudgetReport, build_bad_budget, build_budget, build_budget_set
from bot.blocks.limits import check_message, displayed_texts
from bot.figures import Freshness
from bot.periods import Period, PeriodSpec, local_midnight

NOW = datetime(2026, 12, 5, 9, 42, tzinfo=UTC)  # 10:42 in Berlin
BERLIN = ZoneInfo("Europe/Berlin")
D = Decimal
FRESH = Freshness(complete=True, synced_at=NOW, complete_through=NOW - timedelta(minutes=3))


def shown(msg: dict) -> str:
    check_message(msg)
    return "\n".join(displayed_texts(msg))


def test_alert_settings_show_each_kind_its_silence_and_its_last_alert_linked():
    """On/off per kind with its description, who snoozed until when (local time), the last alert's link."""
    states = [
        KindState("plan", True, last=LastAlertShown("Plan at 80%", NOW, "https://slack.test/p1", "U0BOB")),
        KindState("access", True),
        KindState("spike", True, silence=SilenceShown("snooze", NOW + timedelta(days=1), "U0ALICE")),
        KindState("pace", False),
        KindState("budget", False, last=LastAlertShown("Budget <b> at 50%", NOW, None)),
    ]
    text = shown(build_alert_settings(states, zone=BERLIN))
    assert "*plan* (on)" in text and "*pace* (off)" in text
    assert "Snoozed by <@U0ALICE> until Sun Dec 6, 10:42" in text
    assert "<https://slack.test/p1|Sat Dec 5, 10:42>: Plan at 80% (acknowledged by <@U0BOB>)" in text
    assert "Last: Sat Dec 5, 10:42: Budget &lt;b&gt; at 50%" in text  # no link: the time alone, escaped
    assert "On here: plan, access, spike." in text and "Europe/Berlin" in text


def test_changing_kinds_says_what_changed_and_what_is_now_on():
    text = shown(build_alerts_changed(False, ("spike", "pace"), frozenset({"plan", "budget"})))
    assert "Turned off *spike*, *pace*. Now on here: plan, budget." in text


def test_a_bad_alerts_sentence_is_escaped():
    assert "`&lt;!channel&gt;` is not" in shown(build_bad_alerts("`<!channel>` is not a kind of alert."))


def report(spent: str, *, amount: str = "500", **changes) -> BudgetReport:
    first, last = date(2026, 12, 1), date(2026, 12, 31)
    window = Period(
        PeriodSpec("this_month"),
        first,
        last,
        BERLIN,
        local_midnight(first, BERLIN),
        local_midnight(last + timedelta(days=1), BERLIN),
    )
    fields = {
        "amount": D(amount),
        "scope": "monthly",
        "set_by": "U0ALICE",
        "set_at": NOW - timedelta(days=3),
        "window": window,
        "spent": D(spent),
        "thresholds": (50, 80, 100),
        "freshness": FRESH,
        "now": NOW,
    }
    return BudgetReport(**(fields | changes))


@pytest.mark.parametrize(
    ("spent", "line"),
    [
        ("249.99", "none reached yet"),
        ("250", "reached *50%*."),
        ("400", "reached *50%*, *80%*."),
        ("500.00", "reached *50%*, *80%*, *100%*."),
    ],
)
def test_budget_thresholds_reached_are_exact(spent, line):
    """Exactly 50% of $500 ($250) has reached 50%; a cent less has not."""
    assert line in shown(build_budget(report(spent)))


@pytest.mark.parametrize(
    ("spent", "line", "reached"),
    [
        ("999.996", "Spent so far: *$999.99* · *99.9%* used · $0.01 left", "reached *50%*, *80%*."),
        ("1000", "Spent so far: *$1,000.00* · *100.0%* used · $0.00 left", "*80%*, *100%*."),
        ("799.999", "Spent so far: *$799.99* · *79.9%* used · $200.01 left", "reached *50%*."),
        ("800", "Spent so far: *$800.00* · *80.0%* used · $200.00 left", "reached *50%*, *80%*."),
    ],
)
def test_spent_and_share_are_rounded_down_beside_the_thresholds(spent, line, reached):
    """A hair under a threshold never shows it reached ("$1,000.00 · 100.0%"); exactly on it does."""
    text = shown(build_budget(report(spent, amount="1000")))
    assert line in text and reached in text


def test_budget_status_shows_amount_window_spent_percent_and_freshness():
    text = shown(build_budget(report("1250.505", amount="1000")))
    assert "*$1,000.00* per calendar month, this one Tue 1 Dec – Thu 31 Dec 2026 (Europe/Berlin)" in text
    assert "Spent so far: *$1,250.50* · *125.0%* used · *$250.50 over*" in text  # rounded down
    assert "From the ledger mirror" in text and "Provisional" in text  # the window is still running
    assert "Set by <@U0ALICE>" in text


def test_budget_status_links_the_last_budget_alert():
    last = LastAlertShown("Budget at 80%", NOW, "https://slack.test/b")
    assert "Last budget alert: <https://slack.test/b|Sat Dec 5, 10:42>: Budget at 80%" in shown(
        build_budget(report("400", last_alert=last))
    )


def test_setting_a_budget_names_amount_scope_and_thresholds():
    text = shown(build_budget_set(D("1250.50"), "period", (50, 80, 100), replaced=False))
    assert "*$1,250.50* per billing period. It alerts here at 50%, 80%, 100%." in text


def test_a_bad_budget_sentence_is_escaped():
    assert "`&lt;@U0EVE&gt;` is not" in shown(build_bad_budget("`<@U0EVE>` is not an amount in dollars."))


def alert() -> dict:
    """An alert as Slack sends it back in a block_actions payload's `message`."""
    value = {"kind": "spike", "key": "2026-12-05"}
    labels = ("Acknowledge", "Snooze 1 day", "Snooze 1 week", "Mute for this period")
    buttons = [button(label, a, value) for label, a in zip(labels, slack_ids.ALERT_ACTION_IDS, strict=True)]
    built = message(
        "Spend spike", [header("Spend spike"), section("$420 today"), actions("alert_buttons", *buttons)]
    )
    return {"type": "message", "ts": "1764000000.000100", **built}


def acked(zone=BERLIN, **changes) -> AlertStatus:
    return AlertStatus(zone, "U0ALICE", NOW, **changes)


def test_a_press_adds_a_status_line_above_the_buttons_and_keeps_every_other_block():
    before = alert()
    after = with_status(before, acked())
    check_message(after)
    assert after["blocks"][:2] == before["blocks"][:2] and after["blocks"][-1] == before["blocks"][-1]
    assert after["blocks"][2]["block_id"] == slack_ids.ALERT_STATUS_BLOCK
    assert after["text"] == "Spend spike"
    [line] = after["blocks"][2]["elements"]
    assert line["text"] == ":white_check_mark: Acknowledged by <@U0ALICE> at 10:42"


def test_the_status_is_rebuilt_not_added_to():
    """Acknowledged twice, then snoozed: one acknowledgement line (the latest), then the snooze."""
    once = with_status(alert(), acked())
    later = NOW + timedelta(minutes=5)
    again = with_status({"text": once["text"], "blocks": once["blocks"]}, AlertStatus(BERLIN, "U0BOB", later))
    snoozed = with_status(again, AlertStatus(BERLIN, "U0BOB", later, ("snooze", "U0BOB", NOW)))
    [status] = [b for b in snoozed["blocks"] if b.get("block_id") == slack_ids.ALERT_STATUS_BLOCK]
    assert [e["text"] for e in status["elements"]] == [
        ":white_check_mark: Acknowledged by <@U0BOB> at 10:47",
        ":zzz: Snoozed by <@U0BOB> until Sat Dec 5, 10:42",
    ]
    assert len(snoozed["blocks"]) == 4


def test_nothing_to_say_leaves_no_status_block():
    assert with_status(alert(), AlertStatus(BERLIN))["blocks"] == alert()["blocks"]


def test_a_mute_names_the_last_day_of_the_period_not_the_day_after():
    """A period ending at midnight UTC on Jan 1 ends on Dec 31; a monthly budget's month likewise."""
    until = datetime(2027, 1, 1, tzinfo=UTC)
    [period] = status_lines(AlertStatus(UTC, silence=("mute", "U0ALICE", until)))
    assert period.endswith("until the period ends on Dec 31")
    [month] = status_lines(AlertStatus(BERLIN, silence=("mute", "U0ALICE", until), month_zone=UTC))
    assert month.endswith("until the month ends on Dec 31")


def test_a_status_line_never_pings_anything_but_a_user():
    [line] = status_lines(AlertStatus(BERLIN, silence=("snooze", "<!channel>", NOW)))
    assert "<!channel>" not in line


def test_every_kind_fits_in_one_settings_message():
    states = [
        KindState(k, True, SilenceShown("mute", NOW, "U0A"), LastAlertShown("x" * 500, NOW, "https://l"))
        for k in KINDS
    ]
    check_message(build_alert_settings(states, zone=BERLIN))
