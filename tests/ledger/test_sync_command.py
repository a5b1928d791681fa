"""`katalo-bot sync` as an operator runs it, against odd ledgers served by the sandbox over HTTP."""

from __future__ import annotations

import pytest

from bot.sandbox.ledger import SandboxLedger
from tests.conftest import NOW
from tests.test_cli import run


def test_sync_names_a_record_it_set_aside_and_succeeds(database_url, start_sandbox):
    """An amount of 1e30 used to end every sync with a traceback. Now the sync completes (exit 0) and
    its one-line summary names the record set aside."""
    ledger = SandboxLedger(seed=7, events=237, now=NOW)
    poisoned = ledger.event(120)["event_id"]
    ledger.override(120, amount_usd="1e30")
    sandbox = start_sandbox(ledger)
    result = run("sync", env={"KATALO_API_URL": sandbox.url, "DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert "Read 237 events (236 new)" in summary
    assert f"1 record set aside, kept in ledger_set_aside: {poisoned} (amount_usd 1E+30 is outside" in summary
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("oddity", ["repeat_pages", "wrap_pages"])
def test_sync_of_a_ledger_that_never_ends_exits_1_with_a_sentence(tmp_path, start_sandbox, oddity):
    """A ledger handing out fresh cursors for ever used to keep `sync` running for ever."""
    sandbox = start_sandbox()
    sandbox.ledger_oddity = oddity
    result = run(
        "sync", env={"KATALO_API_URL": sandbox.url, "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    )
    assert result.returncode == 1, result.stderr
    assert "Stopped: Katalo sent" in result.stdout
    assert "Traceback" not in result.stderr
