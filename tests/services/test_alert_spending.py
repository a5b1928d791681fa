"""Spike, pace and budget alerts from the sandbox Katalo and the mirror, said in the Slack stand-in."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from bot.formatting import usd
from bot.sandbox.ledger import SandboxLedger
from tests.conftest import NOW
from tests.services.alert_rig import BURST, CHANNEL, AlertRig, burst_on, kinds_said, make_rig
from tests.stand_ins.slack import buttons

__all__ = ["make_rig"]  # the fixture, imported for pytest


def test_a_spike_day_alerts_once_naming_the_day_the_usual_and_the_cause(make_rig):
    """Mon Nov 23 leaps to ~$75 against ~$15: one alert naming the day, the amounts and the burst's config."""
    ledger, rig = make_rig()
    burst_on(ledger, datetime(2026, 11, 23, 12, tzinfo=NOW.tzinfo))
    assert kinds_said(rig, "spike") == ["posted"]
    assert kinds_said(rig, "spike") == []
    [alert] = [m for m in rig.slack.messages(CHANNEL) if "spike" in m["text"]]
    assert alert["text"].startswith("Spend spike on Mon Nov 23: $7")
    assert ", usually $1" in alert["text"]
    configs = next(
        b["text"]["text"]
        for b in alert["blocks"]
        if "*Configs that rose most*" in b.get("text", {}).get("text", "")
    )
    assert configs.splitlines()[1].startswith(f"• `{BURST}` $60.00 (usually $0.00, +$60.00)")
    assert "Acknowledge" in buttons(alert)


def test_a_normal_next_day_clears_the_spike_in_its_thread(make_rig):
    """The day after the spike is ordinary: one reply in the alert's thread says spend is back to usual."""
    ledger, rig = make_rig()
    burst_on(ledger, datetime(2026, 11, 23, 12, tzinfo=NOW.tzinfo))
    rig.runner.check()
    ledger.append(60)  # Nov 24 fills up with ordinary spend
    rig.clock.advance(timedelta(days=1).total_seconds())
    assert kinds_said(rig, "spike") == ["cleared"]
    assert kinds_said(rig, "spike") == []
    _, reply = [
        m for m in rig.slack.messages(CHANNEL) if "spike" in m["text"] or "back to usual" in m["text"]
    ]
    assert reply["text"].startswith("Spend is back to usual: $")
    assert reply["thread_ts"]


def test_yesterday_is_not_judged_until_the_mirror_has_caught_up_after_it(make_rig):
    """Katalo's ledger failing after midnight: the spike is neither cleared nor judged on a partial day."""
    ledger, rig = make_rig()
    burst_on(ledger, datetime(2026, 11, 23, 12, tzinfo=NOW.tzinfo))
    rig.runner.check()
    ledger.append(60)
    rig.clock.advance(timedelta(days=1).total_seconds())
    rig.katalo.inject("/api/v1/billing/events", status=503, times=None)
    outcomes = rig.runner.check()
    assert [o for o in outcomes if o.kind == "spike"] == []
    rig.katalo.clear_faults()
    assert kinds_said(rig, "spike") == ["cleared"]


def test_an_ordinary_ledger_raises_no_spike(make_rig):
    """The sandbox's steady spend: no spike alert."""
    _, rig = make_rig()
    assert kinds_said(rig, "spike") == []


def test_pace_alerts_once_then_updates_when_the_date_moves_2_days_earlier_then_clears(make_rig):
    """~45 units a day run out 1,200 units before Dec 1: alerted; a smaller plan: updated; bigger: cleared."""
    ledger, rig = make_rig(included=1200)
    assert kinds_said(rig, "pace") == ["posted"]
    [alert] = [m for m in rig.slack.messages(CHANNEL) if m["text"].startswith("At this pace")]
    assert "days before the period ends" in alert["text"]
    assert kinds_said(rig, "pace") == []
    ledger.set_plan(1110)
    assert kinds_said(rig, "pace") == ["updated"]
    assert kinds_said(rig, "pace") == []
    [update] = [
        c for c in rig.slack.calls("chat.update") if c.params.get("text", "").startswith("At this pace")
    ]
    assert update.params["ts"] == rig.store.last_alerts(CHANNEL)["pace"].ts
    ledger.set_plan(5000)
    assert kinds_said(rig, "pace") == ["cleared"]
    pace_ts = rig.store.last_alerts(CHANNEL)["pace"].ts
    replies = [m["text"] for m in rig.slack.messages(CHANNEL) if m.get("thread_ts") == pace_ts]
    assert replies == [
        "Sooner now: at this pace the plan runs out on Nov 26, 5 days before the period ends.",
        "At the last 7 days' pace (45.1 units a day) the plan now lasts the period.",
    ]


def test_a_pace_that_cleared_and_worsens_again_is_alerted_again(make_rig):
    """The plan grows (pace lasts: cleared), then shrinks back: the same run-out date, said in a new alert."""
    ledger, rig = make_rig(included=1200)
    assert kinds_said(rig, "pace") == ["posted"]
    ledger.set_plan(5000)
    assert kinds_said(rig, "pace") == ["cleared"]
    ledger.set_plan(1200)
    assert kinds_said(rig, "pace") == ["posted"]
    assert kinds_said(rig, "pace") == []
    posted = zip(rig.slack.messages(CHANNEL), rig.slack.message_ts(CHANNEL), strict=True)
    alerts = [(m["text"], ts) for m, ts in posted if m["text"].startswith("At this pace")]
    assert len(alerts) == 2 and alerts[0][0] == alerts[1][0]
    assert rig.store.last_alerts(CHANNEL)["pace"].ts == alerts[1][1]


def test_a_budget_alerts_at_each_threshold_once_updating_its_alert(make_rig):
    """Spend at 55%, then 85%, then 100% of one budget: 50% posted, 80% and 100% updated in place."""
    ledger, rig = make_rig()
    assert kinds_said(rig, "budget") == []  # no budget yet; the check has synced the mirror
    spent = _period_spend(rig)
    budget = (spent / Decimal("0.55")).quantize(Decimal("0.01"))
    rig.store.set_budget(CHANNEL, budget, "period", by_user="U0ALICE", at=NOW)
    assert kinds_said(rig, "budget") == ["posted"]
    assert kinds_said(rig, "budget") == []
    _spend_more(ledger, rig, budget * Decimal("0.85") - spent)
    assert kinds_said(rig, "budget") == ["updated"]
    _spend_more(ledger, rig, budget * Decimal("0.15"))
    assert kinds_said(rig, "budget") == ["updated"]
    assert kinds_said(rig, "budget") == []
    [alert] = [
        m for m in rig.slack.messages(CHANNEL) if "budget" in m["text"].lower() and not m.get("thread_ts")
    ]
    assert alert["text"].startswith("100% reached: the budget of $")  # the 50% alert, updated in place
    replies = [
        m["text"]
        for m in rig.slack.messages(CHANNEL)
        if m.get("thread_ts") == rig.store.last_alerts(CHANNEL)["budget"].ts
    ]
    assert [r.split(":")[0] for r in replies] == ["Now 80% reached", "Now 100% reached"]


def test_a_budget_changed_mid_window_clears_its_alert_and_alerts_at_the_new_thresholds(make_rig):
    """100% of half the spend, then the budget raised to exactly the spend: its 100% is said again."""
    _, rig = make_rig()
    assert kinds_said(rig, "budget") == []
    spent = _period_spend(rig)
    rig.store.set_budget(CHANNEL, (spent / 2).quantize(Decimal("0.01")), "period", by_user="U0ALICE", at=NOW)
    assert kinds_said(rig, "budget") == ["posted"]
    first = rig.store.last_alerts(CHANNEL)["budget"]
    rig.store.set_budget(CHANNEL, spent, "period", by_user="U0ALICE", at=NOW)
    assert kinds_said(rig, "budget") == ["cleared", "posted"]
    assert kinds_said(rig, "budget") == []
    [reply] = [m["text"] for m in rig.slack.messages(CHANNEL) if m.get("thread_ts") == first.ts]
    assert reply == f"The budget changed to {usd(spent)} per billing period; alerts start again at 50%."
    latest = rig.slack.messages(CHANNEL)[-1]
    assert latest["text"].startswith(f"100% reached: the budget of {usd(spent)} for this billing period")
    rig.store.set_budget(CHANNEL, spent * 4, "monthly", by_user="U0ALICE", at=NOW)  # now a monthly one
    assert kinds_said(rig, "budget") == ["cleared"]  # 25% of it: nothing to alert yet
    assert rig.slack.messages(CHANNEL)[-1]["text"] == (
        f"The budget changed to {usd(spent * 4)} per calendar month; alerts start again at 50%."
    )


def test_a_budget_turned_off_says_so_once_in_its_alerts_thread(make_rig):
    """`/katalo budget off` with a budget alert open: one reply in its thread, then silence."""
    _, rig = make_rig()
    assert kinds_said(rig, "budget") == []
    spent = _period_spend(rig)
    rig.store.set_budget(CHANNEL, spent, "period", by_user="U0ALICE", at=NOW)
    assert kinds_said(rig, "budget") == ["posted"]
    alert = rig.store.last_alerts(CHANNEL)["budget"]
    assert rig.store.clear_budget(CHANNEL)
    assert kinds_said(rig, "budget") == ["cleared"]
    assert kinds_said(rig, "budget") == []
    [reply] = [m["text"] for m in rig.slack.messages(CHANNEL) if m.get("thread_ts") == alert.ts]
    assert reply.startswith("The budget was turned off here")


def _spend_more(ledger: SandboxLedger, rig: AlertRig, amount: Decimal, *, exact: bool = False) -> None:
    """One more event costing `amount` (rounded up to the cent unless `exact`), mirrored at the next check."""
    ledger.append(1)
    cost = str(amount if exact else amount.quantize(Decimal("0.01"), rounding=ROUND_CEILING))
    ledger.override(ledger.event_count - 1, amount_usd=cost, unit_price_usd=cost)
    until = max(rig.clock.now() + timedelta(minutes=10), ledger.now + timedelta(minutes=1))
    rig.clock.advance((until - rig.clock.now()).total_seconds())  # past the event and the mirror's max age


def _period_spend(rig: AlertRig) -> Decimal:
    from bot.ledger.spend import SpendQueries

    return SpendQueries(rig.engine).amount(datetime(2026, 11, 1, tzinfo=NOW.tzinfo), NOW)


def test_a_budget_reached_exactly_counts_as_crossed(make_rig):
    """A budget of exactly twice the spend: 50% is reached, and alerted."""
    _, rig = make_rig()
    assert kinds_said(rig, "budget") == []  # no budget yet; the check has synced the mirror
    spent = _period_spend(rig)
    rig.store.set_budget(CHANNEL, spent * 2, "period", by_user="U0ALICE", at=NOW)
    assert kinds_said(rig, "budget") == ["posted"]
    [alert] = [m for m in rig.slack.messages(CHANNEL) if m["text"].startswith("Budget:")]
    assert alert["text"].startswith("Budget: 50% of $")
    assert f"{usd(spent)} of {usd(spent * 2)} (50.0%) spent" in alert["text"]


def test_a_budget_alert_never_shows_the_spend_rounded_up_to_the_budget(make_rig):
    """$0.004 short of the budget: the 80% alert shows "$X.XX of $X.YY (99.9%)", not the budget reached."""
    ledger, rig = make_rig()
    assert kinds_said(rig, "budget") == []
    spent = _period_spend(rig)
    _spend_more(ledger, rig, Decimal("0.006"), exact=True)  # to the cent, it would round up to the budget
    budget = spent + Decimal("0.01")
    rig.store.set_budget(CHANNEL, budget, "period", by_user="U0ALICE", at=NOW)
    assert kinds_said(rig, "budget") == ["posted"]
    [alert] = [m for m in rig.slack.messages(CHANNEL) if m["text"].startswith("Budget:")]
    assert alert["text"].startswith(f"Budget: 80% of {usd(budget)} spent")
    assert f"{usd(spent)} of {usd(budget)} (99.9%) spent" in alert["text"]


def test_a_monthly_budget_counts_the_local_calendar_month(make_rig):
    """A monthly budget below November's spend: the 100% alert, for "this month"."""
    _, rig = make_rig()
    rig.store.set_budget(CHANNEL, Decimal("5"), "monthly", by_user="U0ALICE", at=NOW)
    assert kinds_said(rig, "budget") == ["posted"]
    [alert] = [m for m in rig.slack.messages(CHANNEL) if "budget" in m["text"]]
    assert alert["text"].startswith("100% reached: the budget of $5.00 for this month is spent")
    assert rig.store.last_alerts(CHANNEL)["budget"].key == "budget:monthly:5:2026-11-01T00:00:00+00:00"


def test_a_clearly_higher_day_in_the_episode_updates_the_spike_alert(make_rig):
    """Sun Nov 22 leaps to ~$75, then Mon Nov 23 to ~$215: one alert, updated in place, one thread reply."""
    ledger, rig = make_rig()
    burst_on(ledger, datetime(2026, 11, 22, 12, tzinfo=NOW.tzinfo))
    burst_on(ledger, datetime(2026, 11, 23, 12, tzinfo=NOW.tzinfo), amount="200.00")
    rig.clock.advance(-timedelta(days=1).total_seconds())  # Mon Nov 23, 09:00: Sunday is the last whole day
    assert kinds_said(rig, "spike") == ["posted"]
    rig.clock.advance(timedelta(days=1).total_seconds())
    assert kinds_said(rig, "spike") == ["updated"]
    assert kinds_said(rig, "spike") == []
    alert = rig.store.last_alerts(CHANNEL)["spike"]
    assert (alert.key, alert.level) == ("spike:2026-11-22", "2026-11-23")
    [update] = rig.slack.calls("chat.update")
    assert update.params["text"].startswith("Spend spike on Mon Nov 23: $2")
    [reply] = [m for m in rig.slack.messages(CHANNEL) if m.get("thread_ts") == alert.ts]
    assert reply["text"].startswith("Higher again on Mon Nov 23: $2")


def test_pace_is_not_judged_while_the_ledger_cannot_be_synced(make_rig, caplog):
    """Katalo's ledger failing two days after a pace alert: nothing is cleared, and the log says why."""
    ledger, rig = make_rig(included=1200)
    assert kinds_said(rig, "pace") == ["posted"]
    rig.clock.advance(timedelta(days=2).total_seconds())
    ledger.append(100)  # two more days of ordinary spend, which the mirror cannot read
    rig.katalo.inject("/api/v1/billing/events", status=503, times=None)
    with caplog.at_level(logging.INFO, logger="bot.services.alerts.runner"):
        outcomes = rig.runner.check()
    assert [o.status for o in outcomes if o.kind == "pace"] == []
    assert "pace not judged for every channel: the ledger mirror could not catch up" in caplog.text
    assert rig.store.last_alerts(CHANNEL)["pace"].cleared_at is None
    assert not [m for m in rig.slack.messages(CHANNEL) if "lasts the period" in m["text"]]
    rig.katalo.clear_faults()
    assert "cleared" not in kinds_said(rig, "pace")  # the real pace is as bad as before


def test_a_budget_is_not_judged_while_the_ledger_cannot_be_synced(make_rig):
    """A budget set below the spend while Katalo's ledger fails: said once the mirror has caught up."""
    _, rig = make_rig()
    assert kinds_said(rig, "budget") == []
    rig.clock.advance(timedelta(minutes=10).total_seconds())
    rig.katalo.inject("/api/v1/billing/events", status=503, times=None)
    rig.store.set_budget(CHANNEL, Decimal("5"), "period", by_user="U0ALICE", at=NOW)
    assert kinds_said(rig, "budget") == []
    rig.katalo.clear_faults()
    assert kinds_said(rig, "budget") == ["posted"]
