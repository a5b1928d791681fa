"""From an intent (bot.parsing) or a button's value to a finished Block Kit message.

One place decides what each question costs: usage reads the cached summary (stale allowed when
Katalo is down); job and latest events read the ledger mirror after a bounded, fresh-enough sync.
Expected Katalo failures become a sentence here; anything else is a bug for the error handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from bot.blocks._kit import Message
from bot.blocks.events import LATEST_PER_PAGE, build_job_events, build_latest_events
from bot.blocks.replies import build_bad_job_id, build_error, build_help
from bot.blocks.spend import build_bad_spend
from bot.blocks.usage import build_usage
from bot.katalo.client import KataloClient
from bot.katalo.errors import KataloError
from bot.ledger.mirror import LedgerMirror
from bot.parsing import (
    JOB_ID,
    BadJobId,
    Help,
    Intent,
    JobEvents,
    LatestEvents,
    ReconcileIntent,
    UsageIntent,
)
from bot.services.reconcile import Reconciler
from bot.services.spend import Spend
from bot.services.spend_chart import ChannelAnswer
from bot.spend_parsing import BadSpend, SpendQuestion, parse_spend

MIRROR_MAX_AGE = 60.0  # seconds: an answer from the mirror is at most this far behind the ledger
MIRROR_TIME_LIMIT = 5.0  # seconds a user waits at most for the mirror to catch up


@dataclass
class Answers:
    client: KataloClient
    mirror: LedgerMirror
    tz: tzinfo = UTC
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    spend: Spend | None = None  # spend questions; by default in the same zone as the other answers
    reconciler: Reconciler | None = None  # /katalo reconcile; by default in the same zone as the others

    def __post_init__(self) -> None:
        if self.spend is None:
            self.spend = Spend(self.client, self.mirror, zone=self.tz, now=self.now)
        if self.reconciler is None:
            self.reconciler = Reconciler(self.client, self.mirror, zone=self.tz, now=self.now)

    def answer(self, intent: Intent, *, shared_by: str | None = None) -> Message:
        """The reply to an intent; Katalo's expected failures are replies too."""
        try:
            match intent:
                case UsageIntent():
                    return self.usage(shared_by=shared_by)
                case JobEvents(job_id):
                    return self.job_events(job_id, shared_by=shared_by)
                case LatestEvents():
                    return self.latest_events(shared_by=shared_by)
                case BadJobId(given):
                    return build_bad_job_id(given)
                case Help(unrecognised):
                    return build_help(unrecognised)
                case SpendQuestion():
                    return self.spend_answer(intent, shared_by=shared_by)[0]
                case BadSpend(problem):
                    return build_bad_spend(problem)
                case ReconcileIntent():
                    return self.reconcile(shared_by=shared_by)
        except KataloError as error:
            return build_error(error)
        raise AssertionError(f"unhandled intent {intent!r}")

    def in_thread(self, intent: Intent) -> ChannelAnswer:
        """The reply to a mention, posted in its thread: a spend answer with its chart's figures."""
        if isinstance(intent, SpendQuestion):
            assert self.spend is not None  # set in __post_init__
            try:
                return self.spend.for_channel(intent, shared_by=None)
            except KataloError as error:
                return ChannelAnswer(build_error(error), False)
        return ChannelAnswer(self.answer(intent), True)

    def answer_button(self, value: dict[str, Any], *, shared_by: str | None = None) -> Message:
        """The message a button asks for (Refresh, Share, paging), from the value the builder put on it."""
        return self.shareable(value, shared_by=shared_by)[0]

    def shareable(self, value: dict[str, Any], *, shared_by: str | None = None) -> tuple[Message, bool]:
        """The answer for a button's value, and whether it is one worth sharing (not an error or help)."""
        if value.get("kind") == "spend" and isinstance(value.get("q"), str):
            question = parse_spend(value["q"])
            if isinstance(question, SpendQuestion):
                return self.spend_answer(question, shared_by=shared_by)
            return build_bad_spend(question.problem), False
        return self._shareable(value, shared_by=shared_by)

    def for_channel(self, value: dict[str, Any], *, shared_by: str) -> ChannelAnswer:
        """What Share posts for a button's value: the answer, and for a spend answer its chart."""
        question = parse_spend(value["q"]) if isinstance(value.get("q"), str) else None
        if value.get("kind") == "spend" and isinstance(question, SpendQuestion):
            assert self.spend is not None  # set in __post_init__
            try:
                return self.spend.for_channel(question, shared_by=shared_by)
            except KataloError as error:
                return ChannelAnswer(build_error(error), False)
        return ChannelAnswer(*self.shareable(value, shared_by=shared_by))

    def _shareable(self, value: dict[str, Any], *, shared_by: str | None) -> tuple[Message, bool]:
        try:
            kind = value.get("kind")
            if kind == "usage":
                return self.usage(refresh=shared_by is None, shared_by=shared_by), True
            if kind == "job" and isinstance(value.get("job_id"), str) and JOB_ID.fullmatch(value["job_id"]):
                return self.job_events(
                    value["job_id"], page=int(value.get("page", 0)), shared_by=shared_by
                ), True
            if kind == "latest":
                before, after = _position(value.get("before")), _position(value.get("after"))
                inclusive = bool(value.get("inclusive"))
                message = self.latest_events(
                    before=before, after=after, inclusive=inclusive, shared_by=shared_by
                )
                return message, True
            if kind == "reconcile":
                return self.reconcile(shared_by=shared_by), True
        except KataloError as error:
            return build_error(error), False
        except (TypeError, ValueError):
            pass  # a tampered or outdated button value
        return build_help(), False

    def spend_answer(self, question: SpendQuestion, *, shared_by: str | None = None) -> tuple[Message, bool]:
        """The spend answer, and whether it is one (False: a sentence why the question cannot be answered)."""
        assert self.spend is not None  # set in __post_init__
        try:
            return self.spend.answer(question, shared_by=shared_by)
        except KataloError as error:
            return build_error(error), False

    def reconcile(self, *, shared_by: str | None = None) -> Message:
        """The mirror checked against Katalo (bot.services.reconcile); a failure as its sentence."""
        assert self.reconciler is not None  # set in __post_init__
        return self.reconciler.answer(shared_by=shared_by)

    def usage(self, *, refresh: bool = False, shared_by: str | None = None) -> Message:
        fetched = self.client.usage_summary(refresh=refresh, allow_stale=True)
        return build_usage(fetched, now=self.now(), tz=self.tz, shared_by=shared_by)

    def job_events(self, job_id: str, *, page: int = 0, shared_by: str | None = None) -> Message:
        freshness = self.mirror.ensure_fresh(MIRROR_MAX_AGE, MIRROR_TIME_LIMIT)
        events = self.mirror.queries.events_of_job(job_id)
        return build_job_events(
            job_id, events, freshness=freshness, tz=self.tz, page=page, shared_by=shared_by
        )

    def latest_events(
        self,
        *,
        before: tuple[datetime, str] | None = None,
        after: tuple[datetime, str] | None = None,
        inclusive: bool = False,
        shared_by: str | None = None,
    ) -> Message:
        freshness = self.mirror.ensure_fresh(MIRROR_MAX_AGE, MIRROR_TIME_LIMIT)
        queries = self.mirror.queries
        if after is not None:  # Newer: the events just above the page the reader came from
            events = queries.latest_events(LATEST_PER_PAGE, after=after)
            has_older = True
        else:  # one extra row tells whether an older page exists, without a second query
            rows = queries.latest_events(LATEST_PER_PAGE + 1, before=before, inclusive=inclusive)
            events, has_older = rows[:LATEST_PER_PAGE], len(rows) > LATEST_PER_PAGE
        at_newest = not events or not queries.latest_events(
            1, after=(events[0].created_at, events[0].event_id)
        )
        return build_latest_events(
            events,
            freshness=freshness,
            tz=self.tz,
            at_newest=at_newest,
            has_older=has_older,
            shared_by=shared_by,
        )


def _position(value: Any) -> tuple[datetime, str] | None:
    if value is None:
        return None
    moment, event_id = value  # ValueError / TypeError when tampered: the caller answers with help
    return datetime.fromisoformat(moment), str(event_id)
