"""A wrong DATABASE_URL stops every command that opens the database with one line, exit status 2.

The commands run as an operator runs them (a subprocess); the URL's password must never appear.
"""

from __future__ import annotations

import pytest

from tests.conftest import POSTGRES_URL
from tests.test_cli import run

PASSWORD = "PW-S3CRET-0451"
_HOST = "127.0.0.1"
BAD_URLS = {
    "unreachable": (f"postgresql://postgres:{PASSWORD}@{_HOST}:1/test", "Connection refused"),
    "wrong role": (f"postgresql://nosuchrole:{PASSWORD}@{_HOST}:5432/test", '"nosuchrole" does not exist'),
    "wrong database": (f"postgresql://postgres:{PASSWORD}@{_HOST}:5432/nosuchdb", "does not exist"),
    "port not a number": (f"postgresql://postgres:{PASSWORD}@{_HOST}:five432/test", "malformed"),
    "sqlite folder missing": ("sqlite:////nonexistent-folder/katalo.db", "unable to open database file"),
}
# Each of these opens the database before doing anything else.
COMMANDS = {"sync": ("sync",), "digest": ("digest", "--dry-run", "--channel", "C0DIGEST")}


def _postgres_reachable() -> bool:
    from sqlalchemy import create_engine

    engine = create_engine(POSTGRES_URL)
    try:
        engine.connect().close()
    except Exception:
        return False
    finally:
        engine.dispose()
    return True


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", BAD_URLS)
def test_a_wrong_database_url_gives_one_line_and_exit_2(case, command, start_sandbox):
    """Unreachable server, wrong port, role or database, a malformed URL: one line naming DATABASE_URL
    and what is wrong, exit status 2, no traceback, never the password."""
    url, reason = BAD_URLS[case]
    if case in ("wrong role", "wrong database") and not _postgres_reachable():
        pytest.skip("PostgreSQL is not reachable: it must answer to say the role or database is wrong")
    sandbox = start_sandbox()
    result = run(*COMMANDS[command], env={"DATABASE_URL": url, "KATALO_API_URL": sandbox.url})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("katalo-bot: DATABASE_URL ")
    assert reason in lines[0]
    assert PASSWORD not in result.stdout + result.stderr
