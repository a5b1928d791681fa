"""Shared test helpers: JSON fixtures read the way the client reads Katalo's bodies, and sandbox servers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.server import SandboxServer

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the sandbox's fixed "now" in tests


def read_fixture(name: str) -> Any:
    """A fixture body parsed as the transport parses Katalo's: floats become Decimal."""
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


@pytest.fixture
def fixture_body():
    return read_fixture


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """Start a sandbox Katalo API on a free port; every one started is stopped at teardown."""
    started: list[SandboxServer] = []

    def start(ledger: SandboxLedger | None = None, **options: Any) -> SandboxServer:
        server = SandboxServer(ledger or SandboxLedger(seed=7, events=237, now=NOW), **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
