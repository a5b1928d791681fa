"""`/katalo export [PERIOD]`: the period's ledger events as a CSV, sent to the asker in a direct message.

A private (ephemeral) answer cannot carry a file, and an export is the asker's own, so it goes to a
DM the bot opens with them (conversations.open, scope im:write) with files_upload_v2. The message
carrying it states the period, the zone, the row count and the total, so the file can be checked
against it; the asker gets a private line saying it was sent, or one sentence saying why not.

Rows stream from the mirror (bot.ledger.export) into a spooled temporary file: in memory while small,
on disk beyond SPOOL_IN_MEMORY; a period of more than GZIP_ABOVE events is gzip-compressed. Periods
are read as spend questions read them (bot.periods); the default is the current billing period.

The command is acknowledged at once and answered when the file is out. An export still running after
NOTE_AFTER seconds gets one interim note ("Still exporting N events for …"), through the `interim`
callable the listener passes (an ephemeral reply via response_url); one that finishes first gets none
(bot.services.still_working).
"""

from __future__ import annotations

import gzip
import io
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import IO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.blocks._kit import Message, code, escape, message, section, truncate
from bot.charts.alt import span
from bot.figures import Freshness
from bot.formatting import usd
from bot.katalo.client import KataloClient
from bot.ledger.export import Written, ledger_export, write_csv
from bot.ledger.mirror import LedgerMirror
from bot.parsing import ExportIntent
from bot.periods import Period, PeriodSpec, resolve
from bot.services.charts import zone_name
from bot.services.spend import MIRROR_MAX_AGE, MIRROR_TIME_LIMIT, billing_bounds
from bot.services.still_working import StillWorking, wait_or_timeout

wait_for_done = wait_or_timeout  # how the interim note's threshold is waited for (tests pass a fake)

log = logging.getLogger(__name__)

GZIP_ABOVE = 100_000  # events; a larger export is gzip-compressed
NOTE_AFTER = 5.0  # seconds: Slack shows nothing for a command acknowledged empty; past this, say why
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # bytes kept in memory before the file moves to disk
SENT = "Sent to you in a direct message"
STILL = "Still exporting"  # how the interim note begins


@dataclass
class LedgerExports:
    client: KataloClient
    mirror: LedgerMirror
    slack: WebClient
    zone: tzinfo = UTC
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def send(
        self, intent: ExportIntent, user: str, interim: Callable[[Message], object] | None = None
    ) -> Message:
        """Export the period to `user` in a DM; the private line for them. `interim` gets one note
        when the export takes longer than NOTE_AFTER seconds."""
        if intent.unreadable is not None:
            return _note(
                f"I cannot read {code(truncate(intent.unreadable, 60))} as a period: try "
                "`/katalo export 2026-11`, `/katalo export last month` or `/katalo export this period`."
            )
        say = (lambda text: interim(_note(text))) if interim else (lambda text: None)
        with StillWorking(say, after=NOTE_AFTER, wait=wait_for_done) as watch:
            return self._send(intent, user, watch)

    def _send(self, intent: ExportIntent, user: str, watch: StillWorking) -> Message:
        behind = _behind(self.mirror.ensure_fresh(MIRROR_MAX_AGE, MIRROR_TIME_LIMIT))
        period = self._period(intent.period or PeriodSpec("this_period"))
        if isinstance(period, str):
            return _note(escape(period))
        try:
            dm = str(self.slack.conversations_open(users=user)["channel"]["id"])
        except (SlackApiError, SlackRequestError, OSError) as error:
            reason = _reason(error)
            log.warning("export: no DM with %s: %s", user, reason)
            return _note(
                f"I could not open a direct message with you ({escape(reason)}), so nothing was sent."
            )
        failure = self._upload(period, dm, watch, behind)
        if failure is not None:
            return _note(escape(failure))
        sent = f"{SENT}: the ledger events of {escape(span(period.first_day, period.last_day))}."
        return _note(sent + (f" {escape(behind)}" if behind else ""))

    def _upload(self, period: Period, channel: str, watch: StillWorking, behind: str | None) -> str | None:
        """Write the CSV and share it in `channel`; None when shared, else why not (a sentence)."""
        dates = span(period.first_day, period.last_day)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            with ledger_export(self.mirror.store.engine, period.start, period.end) as export:
                count = export.count()
                watch.describe(f"{STILL} {count:,} events for {escape(dates)}; the file will arrive in a DM.")
                compress = count > GZIP_ABOVE
                written = _write(export.rows(), spool, compress=compress)
            spool.seek(0)
            name = f"katalo-ledger-{period.first_day}-{period.last_day}.csv" + (".gz" if compress else "")
            try:
                self.slack.files_upload_v2(
                    channel=channel,
                    file=spool,  # an IOBase: slack_sdk reads it
                    filename=name,
                    title=f"Ledger events, {dates}",
                    initial_comment=_comment(written, dates, zone_name(period.zone), compress)
                    + (f" {escape(behind)}" if behind else ""),
                )
            except (SlackApiError, SlackRequestError, OSError) as error:
                reason = _reason(error)
                log.warning("export %s not uploaded: %s", name, reason)
                return f"Slack refused the export's upload ({reason}), so nothing was sent."
        return None

    def _period(self, spec: PeriodSpec) -> Period | str:
        billing = billing_bounds(self.client) if spec.kind in ("this_period", "last_period") else None
        period = resolve(spec, now=self.now(), zone=self.zone, billing=billing)
        return period if isinstance(period, Period) else period.sentence


def _write(rows: Iterator[tuple[str, ...]], spool: IO[bytes], *, compress: bool) -> Written:
    """The CSV into `spool` as UTF-8, through gzip when asked; the file is complete on return."""
    binary: IO[bytes] | gzip.GzipFile = gzip.GzipFile(fileobj=spool, mode="wb") if compress else spool
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    try:
        written = write_csv(rows, text)
        text.flush()
    finally:
        text.detach()  # leave the spool open for the upload
    if compress:
        binary.close()  # writes gzip's trailer; the spool stays open
    return written


def _behind(freshness: Freshness) -> str | None:
    """The sentence an export carries when the mirror had not caught up (it may then miss events)."""
    if freshness.complete:
        return None
    why = freshness.error.user_message if freshness.error else "its sync did not finish in time"
    return (
        f"The ledger mirror had not caught up with Katalo ({why.rstrip('.')}), so the file may miss "
        "events: export again in a few minutes."
    )


def _comment(written: Written, dates: str, zone: str, compressed: bool) -> str:
    """The line the file travels with: enough to check the file against."""
    form = "gzip-compressed CSV" if compressed else "CSV"
    return (
        f"Ledger events, {dates} ({zone}; times in the file are UTC): {written.rows:,} rows, "
        f"amount_usd total {usd(written.total)} (exactly {format(written.total, 'f')}). {form}."
    )


def _reason(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or f"HTTP {error.response.status_code}")
    return type(error).__name__


def _note(text: str) -> Message:
    """A one-line private answer (mrkdwn, already escaped)."""
    return message(text, [section(text)])
