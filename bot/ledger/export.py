"""The ledger export: a window's events streamed from the mirror as CSV rows, and the CSV written.

Owns the query and the file's form. Rows come from the database a batch at a time (`yield_per`: a
server-side cursor on PostgreSQL, the cursor's own iteration on SQLite), never as a list of all rows,
and are written straight into a file-like object, so a million events take the memory of one batch.
One read snapshot (REPEATABLE READ on PostgreSQL, a transaction on SQLite in WAL) serves the count
that decides compression and the rows, so a sync writing meanwhile cannot make them disagree.

Columns: COLUMNS, one row per event, sorted by created_at then event_id; created_at in UTC, ISO 8601;
money as exact decimal strings (`format(d, 'f')`: no float, no exponent); billable `true`/`false`,
an absent value an empty cell.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import Connection, Engine, func, select

from bot.db.schema import ledger_events

COLUMNS = (
    "event_id",
    "job_id",
    "source_asset_id",
    "usage_type",
    "config_fingerprint",
    "billable",
    "unit_price_usd",
    "amount_usd",
    "created_at",
)
BATCH = 2000  # rows fetched from the database at a time
_FORMULA_STARTS = ("=", "+", "-", "@")
_E = ledger_events.c


@dataclass(frozen=True)
class Written:
    """What went into the file: its data rows and the sum of their amount_usd (exact)."""

    rows: int
    total: Decimal


class LedgerExport:
    """The events of [start, end) from one read snapshot: their count, then the rows themselves."""

    def __init__(self, connection: Connection, start: datetime, end: datetime) -> None:
        self._connection = connection
        self._window = (_E.created_at >= start) & (_E.created_at < end)

    def count(self) -> int:
        return int(self._connection.execute(select(func.count()).where(self._window)).scalar_one())

    def rows(self) -> Iterator[tuple[str, ...]]:
        """Each event as CSV cells, in order, fetched BATCH rows at a time."""
        query = select(*(_E[name] for name in COLUMNS)).where(self._window)
        query = query.order_by(_E.created_at, _E.event_id)
        result = self._connection.execution_options(yield_per=BATCH).execute(query)
        for row in result:
            yield _cells(row)


@contextmanager
def ledger_export(engine: Engine, start: datetime, end: datetime) -> Iterator[LedgerExport]:
    """A LedgerExport reading one snapshot of the mirror; the connection closes on leaving."""
    options: dict[str, Any] = {"readonly": True}  # SQLite: a plain BEGIN, so a sync can still write
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    with engine.connect().execution_options(**options) as connection, connection.begin():
        yield LedgerExport(connection, start, end)


def write_csv(rows: Iterator[tuple[str, ...]], out: IO[str]) -> Written:
    """The header, then every row as it arrives; the count and the amount total of what was written."""
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line ends, as spreadsheet tools expect
    writer.writerow(COLUMNS)
    count, total = 0, Decimal(0)
    amount_at = COLUMNS.index("amount_usd")
    for row in rows:
        writer.writerow(row)
        count += 1
        if row[amount_at]:
            total += Decimal(row[amount_at])
    return Written(count, total)


def neutralise(text: str) -> str:
    """A text cell as a spreadsheet will show it, never run it (CSV injection, OWASP's advice).

    Spreadsheet tools (Excel, LibreOffice, Google Sheets) read a cell starting with `=`, `+`, `-` or
    `@` as a formula, which can run commands or leak data when the file is opened. Ledger text comes
    from Katalo and, through job and asset names, from whoever called its API, so such a cell gets a
    leading `'`, which those tools take as "this is text" and do not display.
    """
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _cells(row: Any) -> tuple[str, ...]:
    event_id, job_id, asset, usage, config, billable, unit_price, amount, created_at = row
    return (
        neutralise(event_id),
        neutralise(job_id),
        _text(asset),
        _text(usage),
        _text(config),
        "" if billable is None else ("true" if billable else "false"),
        _money(unit_price),
        _money(amount),
        _utc(created_at),
    )


def _text(value: str | None) -> str:
    return "" if value is None else neutralise(value)


def _money(value: Decimal | None) -> str:
    """Exact, never in exponent form (`format(Decimal('1E+1'), 'f')` is `10`)."""
    return "" if value is None else format(value, "f")


def _utc(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`; microseconds only when there are any."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
