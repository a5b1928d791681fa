"""`katalo-bot alerts` and `katalo-bot clock` as deployed (real processes): alerts against the sandbox
Katalo and the Slack stand-in, and two clocks on PostgreSQL saying each alert once."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.db.alert_store import AlertStore
from bot.db.engine import open_database
from bot.sandbox import wire
from bot.sandbox.ledger import SandboxLedger
from tests.e2e.conftest import BOT_TOKEN
from tests.e2e.processes import environment
from tests.stand_ins.slack import SlackDouble

CHANNEL = "C0ALERTS01"


def alerting_ledger() -> SandboxLedger:
    """Real time (the processes read the real clock): access off, and yesterday's spend leaps with a burst."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    ledger = SandboxLedger(seed=7, events=2000, now=now, access_enabled=False)
    yesterday_noon = datetime.combine(now.date() - timedelta(days=1), datetime.min.time(), UTC) + timedelta(
        hours=12
    )
    index = ledger.index_at(wire.to_ms(yesterday_noon), ledger.event_count)
    ledger.override(
        index,
        amount_usd="90.00",
        unit_price_usd="90.00",
        usage_type="upscale",
        config_fingerprint="cfg_burst",
    )
    return ledger


def turn_alerts_on(database: str) -> None:
    """The channel turns every kind on (as `/katalo alerts on` does): no digest subscription needed."""
    engine = open_database(database)
    AlertStore(engine).set_enabled(CHANNEL, ["spike"], True, by_user="U0ALICE", at=datetime.now(UTC))
    engine.dispose()


def alert_keys(slack: SlackDouble) -> Counter[str]:
    """How many times each alert (by the key in its metadata) was posted; thread replies have none."""
    return Counter(m["metadata"]["event_payload"]["key"] for m in slack.messages(CHANNEL) if "metadata" in m)


def test_katalo_bot_alerts_posts_what_is_due_once(tmp_path, start_sandbox):
    """The first run posts the access and spike alerts; the second says they are already there."""
    katalo = start_sandbox(alerting_ledger())
    database = f"sqlite:///{tmp_path / 'alerts.db'}"
    turn_alerts_on(database)
    with SlackDouble(token=BOT_TOKEN) as slack:
        env = environment(slack, katalo.url, database)
        first = katalo_bot_alerts(env)
        assert first.returncode == 0, first.stderr
        assert "Posted the access (access:" in first.stdout and "Posted the spike (spike:" in first.stdout
        second = katalo_bot_alerts(env)
        assert second.returncode == 0, second.stderr
        assert "Posted" not in second.stdout and "is already in C0ALERTS01" in second.stdout
        keys = alert_keys(slack)
    assert sorted(key.split(":")[0] for key in keys) == ["access", "spike"]
    assert set(keys.values()) == {1}


def test_katalo_bot_alerts_posts_plan_pace_and_budget_alerts(tmp_path, start_sandbox):
    """A plan one unit above what is used (so it runs out tomorrow) and a $1 budget: three alerts, once."""
    now = datetime.now(UTC)
    tomorrow = now + timedelta(days=1)
    if tomorrow.month != now.month or (now.day == 1 and now.hour < 2):
        pytest.skip("needs a day of this month behind and one ahead (the processes read the real clock)")
    ledger = SandboxLedger(seed=7, events=2000, now=now.replace(second=0, microsecond=0))
    ledger.set_plan(int(ledger.summary()["usage"]["consumed"]) + 1)
    katalo = start_sandbox(ledger)
    database = f"sqlite:///{tmp_path / 'alerts.db'}"
    turn_alerts_on(database)
    engine = open_database(database)
    AlertStore(engine).set_budget(CHANNEL, Decimal("1"), "monthly", by_user="U0ALICE", at=now)
    engine.dispose()
    with SlackDouble(token=BOT_TOKEN) as slack:
        env = environment(slack, katalo.url, database)
        first = katalo_bot_alerts(env)
        second = katalo_bot_alerts(env)
        keys = alert_keys(slack)
        texts = [m["text"] for m in slack.messages(CHANNEL)]
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert sorted(key.split(":")[0] for key in keys) == ["budget", "pace", "plan"]
    assert set(keys.values()) == {1}
    assert any(t.startswith("At this pace the plan runs out on ") for t in texts)
    assert any(t.startswith("100% reached: the budget of $1.00 for this month is spent") for t in texts)
    assert "Posted" not in second.stdout


def test_a_dry_run_prints_the_alerts_and_posts_nothing(tmp_path, start_sandbox):
    """--dry-run needs no Slack token: it prints each alert due, rendered, and posts nothing."""
    katalo = start_sandbox(alerting_ledger())
    database = f"sqlite:///{tmp_path / 'alerts.db'}"
    turn_alerts_on(database)
    with SlackDouble(token=BOT_TOKEN) as slack:
        env = {k: v for k, v in environment(slack, katalo.url, database).items() if k != "SLACK_BOT_TOKEN"}
        result = katalo_bot_alerts(env, "--dry-run", "--channel", CHANNEL)
        assert result.returncode == 0, result.stderr
        assert slack.calls("chat.postMessage") == []
    assert "Would post the spike (spike:" in result.stdout
    assert "Katalo API access is off for this organization" in result.stdout
    assert (
        "[1] Acknowledge   [2] Snooze 1 day   [3] Snooze 1 week   [4] Mute for this period" in result.stdout
    )


def test_a_malformed_channel_is_one_sentence(tmp_path, start_sandbox):
    katalo = start_sandbox()
    with SlackDouble(token=BOT_TOKEN) as slack:
        env = environment(slack, katalo.url, f"sqlite:///{tmp_path / 'a.db'}")
        result = katalo_bot_alerts(env, "--channel", "#billing")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "katalo-bot: --channel expects a Slack channel id such as C0123456789 (got '#billing')"
    )


def katalo_bot_alerts(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "alerts", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_clocks_on_postgresql_post_each_alert_once(tmp_path, start_sandbox, database_url):
    """Two `katalo-bot clock` processes check the same alerts at once: each alert is in Slack once."""
    katalo = start_sandbox(alerting_ledger())
    turn_alerts_on(database_url)
    with SlackDouble(token=BOT_TOKEN) as slack:
        env = environment(slack, katalo.url, database_url)
        logs = [tmp_path / f"clock{n}.log" for n in (1, 2)]
        clocks = [_start_clock(env, log) for log in logs]
        try:
            for log in logs:  # each clock has finished its first alert check (it logs each alert's fate)
                _wait_for(log, ("the access alert", "the spike alert"))
        finally:
            for clock in clocks:
                clock.terminate()
            codes = [clock.wait(timeout=40) for clock in clocks]
        keys = alert_keys(slack)
    outputs = [log.read_text() for log in logs]
    assert codes == [0, 0], outputs
    assert sorted(key.split(":")[0] for key in keys) == ["access", "spike"]
    assert set(keys.values()) == {1}, keys
    assert "Traceback" not in "".join(outputs)


def _start_clock(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "clock"], env=env, stdout=output, stderr=subprocess.STDOUT
        )


def _wait_for(log: Path, phrases: tuple[str, ...], timeout: float = 90.0) -> None:
    """Until the log names every phrase (polling the file the process writes); else AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if all(phrase in text for phrase in phrases):
            return
        time.sleep(0.1)
    raise AssertionError(f"{log.name} never named {phrases}: {log.read_text(errors='replace')[-2000:]}")
