"""One alert check: every kind evaluated once, then said in each channel that gets it, exactly once.

The figures are read once per check (the usage summary fresh from Katalo, the ledger mirror brought
up to date) and every kind is evaluated from them; only budgets differ per channel. A kind judged
from the mirror (spike, pace, budget) waits while the mirror could not catch up, or has not since
local midnight: judged from a partial ledger it would look better than it is and clear falsely. Then, for each
alert channel and each kind it has on and not snoozed or muted: a condition with no alert yet is
posted; one whose level is worse than its alert's is updated in place with a thread reply; an open
alert whose condition is over gets one reply saying so. The steps are claimed in the database, so
two clocks, a clock and `katalo-bot alerts`, or a restart say each thing once. A dry run composes
the same messages and claims nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo

from bot.alerts.budget import DEFAULT_THRESHOLDS
from bot.alerts.spike import SpikeParams
from bot.blocks.alerts import build_alert, build_alert_reply
from bot.config import Allowlist
from bot.db.alert_store import AlertStore, PostedAlert, base_key, next_occurrence
from bot.digest.deliver import NOT_ALLOWED
from bot.katalo.client import KataloClient
from bot.katalo.errors import KataloError
from bot.katalo.models import UsageSummary
from bot.ledger.mirror import LedgerMirror
from bot.ledger.spend import SpendQueries
from bot.services.alerts.conditions import Condition, Evaluation, mirror_behind, worse
from bot.services.alerts.money import evaluate_budget, evaluate_pace
from bot.services.alerts.plan import evaluate_access, evaluate_plan
from bot.services.alerts.slack import AlertOutcome, AlertSlack, Status
from bot.services.alerts.spike import evaluate_spike
from bot.services.alerts.status import alert_status

log = logging.getLogger(__name__)
MIRROR_MAX_AGE = 120.0  # as the digest: the figures are at most this far behind the ledger
MIRROR_TIME_LIMIT = 20.0  # within the clock's five-minute turn


@dataclass(frozen=True)
class AlertRules:
    """The settings of the rules: ALERT_THRESHOLDS, the spike legs, BUDGET_ALERT_THRESHOLDS."""

    plan_thresholds: Sequence[int] = (80, 100)
    spike: SpikeParams = field(default_factory=SpikeParams)
    budget_thresholds: Sequence[int] = DEFAULT_THRESHOLDS


DEFAULT_RULES = AlertRules()


class AlertRunner:
    def __init__(
        self,
        store: AlertStore,
        client: KataloClient,
        mirror: LedgerMirror,
        slack: AlertSlack,
        *,
        rules: AlertRules = DEFAULT_RULES,
        allowlist: Allowlist = Allowlist(),
        zone: tzinfo = UTC,
        channel_zone: Callable[[str], tzinfo] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self._client, self._mirror, self._slack = client, mirror, slack
        self._rules, self._allowlist, self._zone, self._now = rules, allowlist, zone, now
        # The clock of a channel's status lines (who acknowledged at what time), as the buttons show them.
        self._channel_zone = channel_zone or (lambda _channel: zone)
        self._queries = SpendQueries(mirror.store.engine)

    def check(self, channel: str | None = None, *, dry_run: bool = False) -> list[AlertOutcome]:
        """Say what is due in every alert channel (or only `channel`); an outcome for each thing due."""
        try:
            summary: UsageSummary | None = self._client.usage_summary(refresh=True).value
        except KataloError as error:
            log.warning("alert check: the usage summary could not be read (%s); plan and pace wait", error)
            summary = None
        freshness = self._mirror.ensure_fresh(MIRROR_MAX_AGE, MIRROR_TIME_LIMIT)
        now = self._now()
        behind = mirror_behind(freshness, now, self._zone)
        shared = self._evaluate(summary, behind, now)
        _log_skipped(shared, "every channel")
        outcomes: list[AlertOutcome] = []
        for target in [channel] if channel else self.store.alert_channels():
            if not self._allowlist.allows_channel(target):  # billing data only where allowed
                outcomes.append(AlertOutcome(target, "all", "not_allowed", NOT_ALLOWED))
                continue
            budget = self._budget(target, summary, behind, now)
            _log_skipped([budget], target)
            outcomes += self._channel(target, [*shared, budget], now, dry_run=dry_run)
        return outcomes

    def _budget(
        self, channel: str, summary: UsageSummary | None, behind: str | None, now: datetime
    ) -> Evaluation:
        stored = self.store.budget(channel)
        if stored is not None and behind is not None:  # spend summed from a mirror behind: not judged
            return Evaluation("budget", skipped=behind)
        return evaluate_budget(self._queries, stored, summary, self._rules.budget_thresholds, now, self._zone)

    def _evaluate(self, summary: UsageSummary | None, behind: str | None, now: datetime) -> list[Evaluation]:
        """The kinds every channel shares; `behind`: why the mirror cannot be judged now (pace waits)."""
        state = self._mirror.state()
        spike = evaluate_spike(
            self._queries,
            backfilled=state.backfill_done,
            synced_at=state.last_success_at,
            params=self._rules.spike,
            now=now,
            zone=self._zone,
        )
        if summary is None:
            waiting = "Katalo's usage summary could not be read"
            return [Evaluation(kind, skipped=waiting) for kind in ("plan", "access", "pace")] + [spike]
        return [
            evaluate_plan(summary, self._rules.plan_thresholds, now, self._zone),
            evaluate_access(summary, now, self._zone),
            spike,
            Evaluation("pace", skipped=behind)
            if behind is not None
            else evaluate_pace(self._queries, summary, now, self._zone),
        ]

    def _channel(
        self, channel: str, evaluations: list[Evaluation], now: datetime, *, dry_run: bool
    ) -> list[AlertOutcome]:
        enabled = self.store.enabled_kinds(channel)
        silences = self.store.silences(channel, now)
        outcomes: list[AlertOutcome] = []
        for evaluation in evaluations:
            if evaluation.kind not in enabled or evaluation.skipped is not None:
                continue
            silence = silences.get(evaluation.kind)
            # Snoozed or muted: nothing is said until it wakes; what is due is reported as silenced.
            quiet = None if silence is None else f"{silence.mode}d until {silence.until:%Y-%m-%d %H:%M} UTC"
            outcomes += self._kind(channel, evaluation, dry_run=dry_run, silenced=quiet)
        return outcomes

    def _kind(
        self, channel: str, evaluation: Evaluation, *, dry_run: bool, silenced: str | None
    ) -> list[AlertOutcome]:
        """What is due for one kind in one channel: said, or only composed (dry run), or held (silenced)."""
        outcomes: list[AlertOutcome] = []
        # What cleared first: a new period's alert then follows the old one's last word.
        for alert in self.store.open_alerts(channel, evaluation.kind):
            # The evaluation judges the condition, not which occurrence of it the alert was.
            text = evaluation.cleared(replace(alert, key=base_key(alert.key)))
            if text is None:
                continue
            if silenced is not None:
                outcomes.append(AlertOutcome(channel, alert.kind, "silenced", silenced, alert.key))
            elif dry_run:
                reply = build_alert_reply(text)
                outcomes.append(
                    AlertOutcome(channel, alert.kind, "would_clear", key=alert.key, message=reply)
                )
            else:
                outcomes.append(self._slack.clear(channel, alert, text))
        for due in evaluation.conditions:
            condition, shown = self._occurrence(channel, due)
            kind, key = condition.kind, condition.key
            if shown is not None and not worse(kind, condition.level, shown.level):
                outcomes.append(AlertOutcome(channel, kind, "already_posted", "already said", key))
                continue
            if silenced is not None:
                outcomes.append(AlertOutcome(channel, kind, "silenced", silenced, key))
                continue
            view = replace(condition.compose(), key=key)  # composed before claiming, as this occurrence
            if shown is not None:  # re-rendered: the status lines the store holds, as the buttons show them
                zone = self._channel_zone(channel)
                view = replace(view, status=alert_status(self.store, shown, zone, self._zone))
            if dry_run:
                status: Status = "would_post" if shown is None else "would_update"
                outcomes.append(AlertOutcome(channel, kind, status, key=key, message=build_alert(view)))
            elif shown is None:
                outcomes.append(self._slack.post(channel, condition, view))
            else:
                outcomes.append(self._slack.worsen(channel, condition, view, shown))
        return outcomes

    def _occurrence(self, channel: str, condition: Condition) -> tuple[Condition, PostedAlert | None]:
        """The condition keyed as the occurrence it is, and the alert showing it (None: post a new one).

        An alert whose "cleared" reply was said shows nothing any more: the condition back again (access
        off again, a pace as bad again) is a new occurrence, posted anew under the next key.
        """
        shown = self.store.latest_occurrence(channel, condition.key)
        if shown is None and condition.earlier_key is not None:
            earlier = self.store.latest_occurrence(channel, condition.earlier_key)
            if earlier is not None and earlier.cleared_at is None:  # carried over: it goes on under its key
                return replace(condition, key=earlier.key), earlier
        if shown is None:
            return condition, None
        if shown.cleared_at is not None:
            return replace(condition, key=next_occurrence(shown.key)), None
        return replace(condition, key=shown.key), shown


def _log_skipped(evaluations: Sequence[Evaluation], where: str) -> None:
    """Say why a kind was not judged this check (its open alert stays as it is, nothing cleared)."""
    for evaluation in evaluations:
        if evaluation.skipped is not None:
            log.info("alert check: %s not judged for %s: %s", evaluation.kind, where, evaluation.skipped)
