"""Fixtures of the sandbox tests: a small fixed-clock ledger and servers on free ports, always stopped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from bot.sandbox.ledger import SandboxLedger
from tests.sandbox.helpers import AUTH, NOW
from tests.stand_ins.katalo import KataloDouble


@pytest.fixture
def ledger() -> SandboxLedger:
    """237 events: not a multiple of any page size, so last pages are partial."""
    return SandboxLedger(seed=7, events=237, now=NOW)


@pytest.fixture
def make_server(
    ledger: SandboxLedger, start_sandbox: Callable[..., KataloDouble]
) -> Callable[..., KataloDouble]:
    """Start a KataloDouble on port 0 with the given options (default: this module's ledger)."""

    def make(**options: Any) -> KataloDouble:
        return start_sandbox(options.pop("ledger", ledger), **options)

    return make


@pytest.fixture
def server(make_server: Callable[..., KataloDouble]) -> KataloDouble:
    return make_server()


@pytest.fixture
def client(server: KataloDouble) -> Iterator[httpx.Client]:
    """An authenticated keep-alive client of `server`."""
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=5) as client:
        yield client
