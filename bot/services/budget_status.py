"""`/katalo budget`, `/katalo budget set AMOUNT [monthly]` and `/katalo budget off` for one channel.

A budget's window follows the rules of spend questions: `this period` (the billing period's exact
instants, from the cached usage summary) or `this month` in the reporting zone (REPORT_TIMEZONE).
A billing period that is already over (the cached summary is stale: Katalo has not named the new
period yet) is said to be so, never shown as this one. What was spent in it is the ledger mirror's
exact window sum, after the same bounded sync as `/katalo spend`, so the two answers agree; the sum
is the alert runner's own (`budget_spend`), so the status and the budget alert cannot disagree.
Amounts are validated by bot.alerts.budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal

from slack_sdk import WebClient

from bot.alert_parsing import BadBudget, BudgetIntent, BudgetOff, BudgetSet, BudgetStatus
from bot.alerts.budget import DEFAULT_THRESHOLDS, Budget
from bot.blocks._kit import Message
from bot.blocks.alert_settings import LastAlertShown
from bot.blocks.budget import (
    BudgetReport,
    build_bad_budget,
    build_budget,
    build_budget_off,
    build_budget_set,
    build_no_budget,
)
from bot.db.alert_store import AlertStore
from bot.katalo.client import KataloClient
from bot.katalo.errors import KataloError
from bot.katalo.models import UsageSummary
from bot.ledger.mirror import LedgerMirror
from bot.ledger.spend import SpendQueries
from bot.periods import BillingBounds, Period, PeriodSpec, resolve
from bot.services.alert_settings import permalink
from bot.services.alerts.money import budget_spend
from bot.services.spend import MIRROR_MAX_AGE, MIRROR_TIME_LIMIT

NO_PERIOD = (
    "The billing period is not known just now (Katalo did not say), so this budget's window is not "
    "either: try again in a minute. A monthly budget (`/katalo budget set 500 monthly`) needs no period."
)


def period_over(end: datetime, zone: tzinfo) -> str:
    """The sentence when the only billing period Katalo has named (a cached summary) is already over."""
    last_day = (end - timedelta(microseconds=1)).astimezone(zone)
    return (
        f"The billing period Katalo last named ended on {last_day:%b %-d}, and the current one is not "
        "known yet (Katalo has not said), so this budget's window is not known either: try again in a "
        "minute. A monthly budget (`/katalo budget set 500 monthly`) needs no period."
    )


@dataclass
class ChannelBudget:
    store: AlertStore
    client: KataloClient
    mirror: LedgerMirror
    slack: WebClient
    zone: tzinfo = UTC  # the reporting zone: a monthly budget's calendar month
    thresholds: Sequence[int] = DEFAULT_THRESHOLDS
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def answer(self, intent: BudgetIntent, channel_id: str, user_id: str) -> Message:
        match intent:
            case BudgetStatus():
                return self.status(channel_id)
            case BudgetSet(amount, scope):
                try:
                    budget = Budget(amount, scope, self.thresholds)
                except ValueError as error:  # our own sentence (bot.alerts.budget), never upstream text
                    return build_bad_budget(str(error))
                replaced = self.store.budget(channel_id) is not None
                self.store.set_budget(channel_id, budget.amount, scope, by_user=user_id, at=self.now())
                return build_budget_set(budget.amount, scope, budget.thresholds, replaced=replaced)
            case BudgetOff():
                return build_budget_off(self.store.clear_budget(channel_id))
            case BadBudget(problem):
                return build_bad_budget(problem)
        raise AssertionError(f"unhandled budget intent {intent!r}")

    def status(self, channel_id: str) -> Message:
        """The budget, its window, what is spent of it (exact), and the last budget alert of the window."""
        stored = self.store.budget(channel_id)
        if stored is None:
            return build_no_budget(Budget(Decimal(1), "period", self.thresholds).thresholds)
        freshness = self.mirror.ensure_fresh(MIRROR_MAX_AGE, MIRROR_TIME_LIMIT)
        now = self.now()
        summary = self._summary() if stored.scope == "period" else None  # a month needs no Katalo
        spend = budget_spend(SpendQueries(self.mirror.store.engine), stored, summary, now, self.zone)
        if spend is None:
            return build_bad_budget(NO_PERIOD)
        if spend.end <= now:  # a stale summary's period, already over: never shown as this one
            return build_bad_budget(period_over(spend.end, self.zone))
        spec = PeriodSpec("this_month" if stored.scope == "monthly" else "this_period")
        window = resolve(spec, now=now, zone=self.zone, billing=BillingBounds(spend.start, spend.end))
        assert isinstance(window, Period)  # this month and a known period always resolve
        report = BudgetReport(
            amount=stored.amount,
            scope=stored.scope,
            set_by=stored.set_by,
            set_at=stored.set_at,
            window=window,
            spent=spend.spent,
            thresholds=Budget(stored.amount, stored.scope, self.thresholds).thresholds,
            freshness=freshness,
            now=now,
            last_alert=self._last_alert(channel_id, window),
        )
        return build_budget(report)

    def _summary(self) -> UsageSummary | None:
        """The (cached) usage summary, for the billing period's bounds; None when Katalo cannot say now."""
        try:
            return self.client.usage_summary(allow_stale=True).value
        except KataloError:
            return None

    def _last_alert(self, channel_id: str, window: Period) -> LastAlertShown | None:
        alert = self.store.last_alerts(channel_id).get("budget")
        if alert is None or alert.posted_at < window.start:  # an alert of an earlier window says nothing now
            return None
        link = permalink(self.slack, channel_id, alert.ts)
        return LastAlertShown(alert.headline, alert.posted_at, link, alert.acknowledged_by, alert.cleared_at)
