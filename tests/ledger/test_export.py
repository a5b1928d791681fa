"""The ledger export's query and CSV on SQLite and PostgreSQL: the window, the order, exact money,
neutralised formulas, one snapshot, and rows streamed rather than loaded all at once."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert

from bot.db.schema import ledger_events
from bot.ledger.export import COLUMNS, ledger_export, write_csv

START = datetime(2026, 11, 2, tzinfo=UTC)
END = START + timedelta(days=1)


def event(event_id: str, at: datetime, amount: str | None = "1.00", **fields: Any) -> dict[str, Any]:
    row = {
        "event_id": event_id,
        "job_id": f"job_{event_id}",
        "created_at": at,
        "usage_type": "generate",
        "billable": True,
        "unit_price_usd": None if amount is None else Decimal(amount),
        "amount_usd": None if amount is None else Decimal(amount),
        "config_fingerprint": "cfg1",
        "source_asset_id": "asset_1",
        "stored_at": at,
    }
    return row | fields


def store(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(ledger_events), rows)


def exported(engine: Engine, start: datetime = START, end: datetime = END) -> tuple[list[list[str]], Any]:
    out = io.StringIO(newline="")
    with ledger_export(engine, start, end) as export:
        written = write_csv(export.rows(), out)
    return list(csv.reader(io.StringIO(out.getvalue(), newline=""))), written


def test_the_window_is_start_inclusive_end_exclusive_sorted_by_time_then_id(engine):
    tick = timedelta(microseconds=1)
    store(
        engine,
        [
            event("b", START + timedelta(hours=1)),
            event("a", START + timedelta(hours=1)),  # same instant: event_id decides
            event("first", START),
            event("last", END - tick),
            event("before", START - tick),
            event("at_end", END),
        ],
    )
    rows, written = exported(engine)
    assert rows[0] == list(COLUMNS)
    assert [row[0] for row in rows[1:]] == ["first", "a", "b", "last"]
    assert rows[1][-1] == "2026-11-02T00:00:00Z" and rows[-1][-1] == "2026-11-02T23:59:59.999999Z"
    assert (written.rows, written.total) == (4, Decimal("4.00"))


def test_money_is_exact_decimal_text_and_the_total_is_exact(engine):
    amounts = ["0.000001", "-3.00", "1234567.89", "10", None]
    store(engine, [event(f"e{i}", START + timedelta(minutes=i), a) for i, a in enumerate(amounts)])
    rows, written = exported(engine)
    assert [row[COLUMNS.index("amount_usd")] for row in rows[1:]] == [
        "0.000001",
        "-3.00",
        "1234567.89",
        "10.00",
        "",
    ]
    assert written.total == Decimal("1234574.890001")


def test_formulas_in_text_fields_are_neutralised(engine):
    """A cell starting with = + - @ gets a leading ' so spreadsheet tools show it, never run it."""
    store(
        engine,
        [
            event(
                "=cmd|' /C calc'!A0",
                START,
                job_id="+job",
                source_asset_id="@SUM(A1)",
                usage_type="-1",
                config_fingerprint='=HYPERLINK("http://x")',
            ),
            event("plain", START + timedelta(seconds=1), amount="-2.50"),
        ],
    )
    rows, _ = exported(engine)
    hostile, plain = rows[1], rows[2]
    assert hostile[:5] == ["'=cmd|' /C calc'!A0", "'+job", "'@SUM(A1)", "'-1", '\'=HYPERLINK("http://x")']
    assert plain[:5] == ["plain", "job_plain", "asset_1", "generate", "cfg1"]
    assert plain[COLUMNS.index("amount_usd")] == "-2.50"  # a number, not text: left as it is


def test_the_count_and_the_rows_read_one_snapshot(engine):
    """A sync committing between the count (which decides gzip) and the rows changes neither."""
    store(engine, [event("first", START)])
    out = io.StringIO()
    with ledger_export(engine, START, END) as export:
        count = export.count()
        store(engine, [event("second", START + timedelta(hours=1))])
        written = write_csv(export.rows(), out)
    assert count == written.rows == 1


def test_rows_stream_from_the_database_rather_than_all_at_once(engine):
    """50,000 events: the export's peak Python memory is a small part of what holding every row takes."""
    many = 50_000
    store(engine, [event(f"e{i:06d}", START + timedelta(seconds=i) / 2) for i in range(many)])

    def peak(action: Any) -> int:
        tracemalloc.start()
        try:
            action()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def stream() -> None:
        with ledger_export(engine, START, END) as export:
            assert write_csv(export.rows(), _Discard()).rows == many

    def hold_all() -> None:
        with ledger_export(engine, START, END) as export:
            assert len(list(export.rows())) == many

    streamed, held = peak(stream), peak(hold_all)
    assert streamed * 10 < held, (streamed, held)


class _Discard(io.StringIO):
    """A file that forgets what is written, so only the export's own memory is measured."""

    def write(self, text: str) -> int:
        return len(text)
