"""`/katalo budget`, `/katalo budget set AMOUNT [monthly]` and `/katalo budget off` for one channel.

A budget's window follows the rules of spend questions: `this period` (the billing period's exact
instants, from the cached usage summary) or `this month` in the reporting zone (REPORT_TIMEZONE).
What was spent in it is the ledger mirror's exact window sum, after the same bounded sync as
`/katalo spend`, so the two answers agree to the cent. Amounts are validated by bot.alerts.budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

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
from bot.db.alert_store import AlertStore, StoredBudget
from bot.katalo.client import KataloClient
from bot.ledger.mirror import LedgerMirror
from bot.ledger.spend import SpendQueries
from bot.periods import Period, PeriodProblem, PeriodSpec, resolve
from bot.services.alert_settings import permalink
from bot.services.spend import MIRROR_MAX_AGE, MIRROR_TIME_LIMIT, billing_bounds


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
            return build_no_budget()
        freshness = self.mirror.ensure_fresh(MIRROR_MAX_AGE, MIRROR_TIME_LIMIT)
        now = self.now()
        window = self.window(stored, now)
        if isinstance(window, PeriodProblem):
            return build_bad_budget(window.sentence)
        spent = SpendQueries(self.mirror.store.engine).amount(window.start, window.end)
        report = BudgetReport(
            amount=stored.amount,
            scope=stored.scope,
            set_by=stored.set_by,
            set_at=stored.set_at,
            window=window,
            spent=spent,
            thresholds=Budget(stored.amount, stored.scope, self.thresholds).thresholds,
            freshness=freshness,
            now=now,
            last_alert=self._last_alert(channel_id, window),
        )
        return build_budget(report)

    def window(self, stored: StoredBudget, now: datetime) -> Period | PeriodProblem:
        """This period (exact instants from Katalo) or this calendar month in the reporting zone."""
        if stored.scope == "monthly":
            return resolve(PeriodSpec("this_month"), now=now, zone=self.zone)
        return resolve(
            PeriodSpec("this_period"), now=now, zone=self.zone, billing=billing_bounds(self.client)
        )

    def _last_alert(self, channel_id: str, window: Period) -> LastAlertShown | None:
        alert = self.store.last_alerts(channel_id).get("budget")
        if alert is None or alert.posted_at < window.start:  # an alert of an earlier window says nothing now
            return None
        link = permalink(self.slack, channel_id, alert.ts)
        return LastAlertShown(alert.headline, alert.posted_at, link, alert.acknowledged_by, alert.cleared_at)
