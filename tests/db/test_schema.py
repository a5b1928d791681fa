"""The database schema: migrations build what the code queries, safely, and keep money and time exact."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, Table, insert, inspect, select

from bot.db.engine import make_engine, open_database
from bot.db.schema import metadata
from bot.db.types import MicroDollars, UTCDateTime, micros_to_dollars


def test_migrated_database_matches_the_schema_the_code_queries(engine):
    """After migrating, Alembic finds no difference between the database and bot/db/schema.py."""
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_upgrading_twice_changes_nothing_and_keeps_rows(database_url):
    """Start-up on an existing database is a no-op that keeps every stored row."""
    engine = open_database(database_url)
    probe = Table("ledger_events", MetaData(), autoload_with=engine)
    row = {
        "event_id": "evt_1",
        "job_id": "job_1",
        "created_at": datetime(2026, 1, 1),
        "stored_at": datetime(2026, 1, 1),
    }
    with engine.begin() as connection:
        connection.execute(insert(probe), row)
    open_database(database_url).dispose()
    with engine.connect() as connection:
        assert connection.execute(select(probe.c.event_id)).scalars().all() == ["evt_1"]
    engine.dispose()


def test_processes_migrating_at_once_all_succeed(database_url):
    """Several processes starting together on an empty database each finish start-up without error."""
    code = f"from bot.db.engine import open_database; open_database({database_url!r})"
    processes = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(4)
    ]
    errors = [process.communicate(timeout=60)[1] for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, errors
    engine = make_engine(database_url)
    assert {"ledger_events", "ledger_sync_state", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()


@pytest.fixture
def scratch(engine):
    """A scratch table with the bot's exact column types."""
    table = Table(
        "scratch",
        MetaData(),
        Column("k", String(8), primary_key=True),
        Column("usd", MicroDollars),
        Column("at", UTCDateTime),
    )
    table.create(engine)
    return table


@pytest.mark.parametrize("amount", [Decimal("0.40"), Decimal("1234567.123456"), Decimal("-3.00"), Decimal(0)])
def test_money_round_trips_exactly(engine, scratch, amount):
    """A dollar amount comes back from the database exactly as stored, on both backends."""
    with engine.begin() as connection:
        connection.execute(insert(scratch), {"k": "a", "usd": amount})
        assert connection.execute(select(scratch.c.usd)).scalar_one() == amount


def test_money_finer_than_a_micro_dollar_is_rounded_and_logged(engine, scratch, caplog):
    """An amount finer than the column holds is rounded to the micro-dollar, loudly, not refused
    (refusing would stop every later sync on that one event)."""
    with engine.begin() as connection:
        connection.execute(insert(scratch), {"k": "a", "usd": Decimal("0.1234565")})
        assert connection.execute(select(scratch.c.usd)).scalar_one() == Decimal("0.123456")
    assert "more than 6 decimal places" in caplog.text


def test_times_come_back_aware_in_utc(engine, scratch):
    """A time stored with any offset comes back as the same instant, timezone-aware, in UTC."""
    moment = datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    with engine.begin() as connection:
        connection.execute(insert(scratch), {"k": "a", "at": moment})
        back = connection.execute(select(scratch.c.at)).scalar_one()
    assert back == moment
    assert back.tzinfo is UTC


def test_naive_times_are_refused(engine, scratch):
    """A naive datetime is a bug upstream: storing one fails instead of guessing its zone."""
    with engine.begin() as connection, pytest.raises(Exception, match="naive datetime"):
        connection.execute(insert(scratch), {"k": "a", "at": datetime(2026, 1, 1)})


def test_sums_of_micro_dollars_become_dollars_to_the_cent():
    """SQL sums (integers, or Decimal on PostgreSQL) are shown with at least two decimals."""
    assert str(micros_to_dollars(400_000)) == "0.40"
    assert str(micros_to_dollars(Decimal(123_456_789))) == "123.456789"
    assert str(micros_to_dollars(0)) == "0.00"
    assert str(micros_to_dollars(10_000_000)) == "10.00"


def test_sqlite_writers_in_threads_do_not_fail_with_database_locked(tmp_path):
    """Concurrent writers on SQLite wait their turn (IMMEDIATE transactions) instead of erroring."""
    engine = open_database(f"sqlite:///{tmp_path / 'w.db'}")
    table = Table("counter", MetaData(), Column("k", String(8), primary_key=True), Column("n", MicroDollars))
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(insert(table), {"k": "x", "n": Decimal(0)})
    errors: list[Exception] = []

    def bump() -> None:
        try:
            for _ in range(20):
                with engine.begin() as connection:
                    n = connection.execute(select(table.c.n)).scalar_one()
                    connection.execute(table.update().values(n=n + 1))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        assert connection.execute(select(table.c.n)).scalar_one() == 80  # no lost update either


def test_upgrading_an_older_schema_keeps_every_stored_event(database_url):
    """A database at revision 0003 with events in it upgrades to the newest schema with them intact."""
    from bot.db.migrate import upgrade_schema

    engine = make_engine(database_url)
    upgrade_schema(engine, "0003")
    old = Table("ledger_events", MetaData(), autoload_with=engine)
    rows = [
        {
            "event_id": f"evt_{i}",
            "job_id": "job_1",
            "created_at": datetime(2026, 1, 1, 0, i),
            "amount_usd": 400_000,
            "stored_at": datetime(2026, 1, 1),
        }
        for i in range(5)
    ]
    with engine.begin() as connection:
        connection.execute(insert(old), rows)
    upgrade_schema(engine)
    new = Table("ledger_events", MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        kept = connection.execute(select(new.c.event_id, new.c.amount_usd).order_by(new.c.event_id)).all()
        state_columns = {c["name"] for c in inspect(connection).get_columns("ledger_sync_state")}
    assert kept == [(f"evt_{i}", 400_000) for i in range(5)]
    assert "walk_floor" in state_columns
    engine.dispose()


def test_upgrading_from_0004_keeps_events_and_state_and_takes_long_cursors(database_url):
    """A mirror at revision 0004 (events and a walk in progress) upgrades to 0005: every event and the
    walk's cursor are kept, a cursor of 5,000 characters then fits, and set-aside records have a table."""
    from bot.db.migrate import upgrade_schema

    engine = make_engine(database_url)
    upgrade_schema(engine, "0004")
    events = Table("ledger_events", MetaData(), autoload_with=engine)
    state = Table("ledger_sync_state", MetaData(), autoload_with=engine)
    rows = [
        {
            "event_id": f"evt_{i}",
            "job_id": "job_1",
            "created_at": datetime(2026, 1, 1, 0, i),
            "amount_usd": 400_000,
        }
        for i in range(5)
    ]
    with engine.begin() as connection:
        connection.execute(insert(events), [{**row, "stored_at": datetime(2026, 1, 1)} for row in rows])
        connection.execute(insert(state), {"ledger": "billing_events", "walk_cursor": "c" * 1000})
    upgrade_schema(engine)
    state = Table("ledger_sync_state", MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        kept = connection.execute(
            select(events.c.event_id, events.c.amount_usd).order_by(events.c.event_id)
        ).all()
        assert connection.execute(select(state.c.walk_cursor)).scalar_one() == "c" * 1000
        connection.execute(state.update().values(walk_cursor="x" * 5000))
        assert connection.execute(select(state.c.walk_cursor)).scalar_one() == "x" * 5000
        tables = set(inspect(connection).get_table_names())
    assert kept == [(f"evt_{i}", 400_000) for i in range(5)]
    assert "ledger_set_aside" in tables
    engine.dispose()
