"""Spend answers: a SpendQuestion in, a finished message out, read from the ledger mirror.

The mirror is brought up to date first with the same bounded sync as `/katalo events`; the usage
summary (cached) is read only when the question needs the billing period's bounds. Periods are local
to the reporting zone (REPORT_TIMEZONE). A question that cannot be answered (a period in the future,
an unknown usage type, …) gets a sentence; `answer` says which it was, so a control that asked it can
leave the previous answer in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

from bot.blocks._kit import Message
from bot.blocks.spend import CHART_DAYS, TOP_ROWS, SpendReport, build_bad_spend, build_spend
from bot.charts.figures import DailySpend
from bot.figures import Freshness, SpendRow
from bot.katalo.client import KataloClient
from bot.katalo.errors import KataloError
from bot.ledger.mirror import LedgerMirror
from bot.ledger.spend import SpendFilter, SpendQueries
from bot.periods import BillingBounds, Period, PeriodProblem, PeriodSpec, previous, resolve
from bot.services.spend_chart import ChannelAnswer, chart_for
from bot.spend_parsing import SpendQuestion

MIRROR_MAX_AGE = 60.0  # as bot.services.answers: an answer from the mirror is at most this far behind
MIRROR_TIME_LIMIT = 5.0  # seconds a user waits at most for the mirror to catch up
_FEW = 12  # known usage types or configs are named in a refusal when there are at most this many
_BILLING_KINDS = ("this_period", "last_period")


@dataclass
class Spend:
    client: KataloClient
    mirror: LedgerMirror
    zone: tzinfo = UTC
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def __post_init__(self) -> None:
        self.queries = SpendQueries(self.mirror.store.engine)

    def answer(self, question: SpendQuestion, *, shared_by: str | None = None) -> tuple[Message, bool]:
        """The answer, and True; or a sentence saying why it cannot be answered, and False."""
        answered = self._answer(question, shared_by=shared_by, charted=False)
        return answered.message, answered.worth_sharing

    def for_channel(self, question: SpendQuestion, *, shared_by: str | None) -> ChannelAnswer:
        """The answer as shared to a channel (or posted in a mention's thread: `shared_by` None), with
        its chart's figures (bot.services.spend_chart)."""
        return self._answer(question, shared_by=shared_by, charted=True)

    def _answer(self, question: SpendQuestion, *, shared_by: str | None, charted: bool) -> ChannelAnswer:
        freshness = self.mirror.ensure_fresh(MIRROR_MAX_AGE, MIRROR_TIME_LIMIT)
        now = self.now()
        spec = question.period or PeriodSpec("this_period")
        billing = billing_bounds(self.client) if spec.kind in _BILLING_KINDS else None
        period = resolve(spec, now=now, zone=self.zone, billing=billing)
        if isinstance(period, PeriodProblem):
            return ChannelAnswer(build_bad_spend(period.sentence), False)
        checked = self._check_filters(question)
        if isinstance(checked, str):
            return ChannelAnswer(build_bad_spend(checked), False)
        question = replace(checked, period=spec)
        report, chart = self._report(question, period, freshness, now, charted=charted)
        answer = build_spend(report, shared_by=shared_by)
        if isinstance(chart, str):
            return ChannelAnswer(answer, True, no_chart=chart)
        return ChannelAnswer(answer, True, chart=chart)

    def _report(
        self, question: SpendQuestion, period: Period, freshness: Freshness, now: datetime, *, charted: bool
    ) -> tuple[SpendReport, DailySpend | str | None]:
        """The answer's figures, and (when `charted`) its chart's, all read in one snapshot."""
        only = SpendFilter(question.types, question.configs)
        # Days not yet begun (the rest of "this month") have nothing to show: they are left out.
        begun = [day for day in period.days() if day[1] < now]
        before = previous(period, now)
        with self.queries.snapshot() as queries:  # one snapshot: rows and others add up to the total
            chart = chart_for(queries, question, period, now) if charted else None
            days = queries.by_day(begun, only) if _wants_days(question, period) else []
            if question.breakdown == "day":
                ranked = sorted((d for d in days if d.events), key=lambda d: (-d.amount_usd, d.day))
                rows = [SpendRow(d.day.isoformat(), d.amount_usd, d.events) for d in ranked[:TOP_ROWS]]
                groups = len(ranked)
            else:
                rows, groups = queries.top(period.start, period.end, question.breakdown, only, limit=TOP_ROWS)
            totals = queries.totals(period.start, period.end, only)
            previous_amount = queries.amount(before.start, before.end, only)
        report = SpendReport(
            question=question,
            period=period,
            totals=totals,
            previous=before,
            previous_amount=previous_amount,
            rows=rows,
            groups=groups,
            days=days if period.day_count in CHART_DAYS else [],
            freshness=freshness,
            now=now,
        )
        return report, chart

    def _check_filters(self, question: SpendQuestion) -> SpendQuestion | str:
        """The question with its usage types as the mirror spells them, or a sentence naming the unknown."""
        types = []
        for name in question.types:
            found = next((n for n in (name, name.removesuffix("s")) if self.queries.exists("type", n)), None)
            if found is None:
                return _unknown("usage type", name, self.queries.known("type", limit=_FEW + 1))
            types.append(found)
        for config in question.configs:
            if not self.queries.exists("config", config):
                return _unknown("config", config, self.queries.known("config", limit=_FEW + 1))
        return replace(question, types=tuple(dict.fromkeys(types)))


def _wants_days(question: SpendQuestion, period: Period) -> bool:
    return question.breakdown == "day" or period.day_count in CHART_DAYS


def _unknown(what: str, name: str, known: list[str]) -> str:
    sentence = f"The ledger mirror has no events with {what} `{name[:80]}`."
    if not known:
        return sentence + " It holds no events yet."
    if len(known) <= _FEW:
        return sentence + " Known: " + ", ".join(f"`{k}`" for k in known) + "."
    return sentence + f" It knows more than {_FEW}; `/katalo spend by {what.split()[-1]}` lists them."


def billing_bounds(client: KataloClient) -> BillingBounds | None:
    """The current billing period from the (cached) usage summary; None when Katalo cannot say now."""
    try:
        period = client.usage_summary(allow_stale=True).value.billing_period
    except KataloError:
        return None  # resolve() then says the billing period is not known just now
    return BillingBounds(period.start_at, period.end_at) if period else None
