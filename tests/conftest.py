"""Shared test helpers: JSON fixtures read the way the client reads Katalo's bodies, and sandbox servers."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from bot.db.engine import open_database
from bot.sandbox.ledger import SandboxLedger
from tests.stand_ins.katalo import KataloDouble

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the sandbox's fixed "now" in tests
# CI's machine has PostgreSQL here (trust auth); override to run the PostgreSQL tests elsewhere.
POSTGRES_URL = os.environ.get("KATALO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def read_fixture(name: str) -> Any:
    """A fixture body parsed as the transport parses Katalo's: floats become Decimal."""
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


@pytest.fixture
def fixture_body():
    return read_fixture


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., KataloDouble]]:
    """Start a sandbox Katalo API on a free port; every one started is stopped at teardown."""
    started: list[KataloDouble] = []

    def start(ledger: SandboxLedger | None = None, **options: Any) -> KataloDouble:
        server = KataloDouble(ledger or SandboxLedger(seed=7, events=237, now=NOW), **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own (dropped afterwards).

    PostgreSQL tests skip on a machine without it, except under CI, where they must run.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'katalo-bot.db'}"
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # any failure to reach PostgreSQL means the same here
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI: {type(exc).__name__}")
        pytest.skip("PostgreSQL is not reachable")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database on each backend."""
    engine = open_database(database_url)
    yield engine
    engine.dispose()
