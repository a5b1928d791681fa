"""The `katalo-bot` command as a user runs it: help, configuration errors, and the demo."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from typing import Any

import pytest

from bot.cli import main
from bot.katalo.client import KataloClient
from tests.fakes import FakeClock

SECRETS = {
    "KATALO_API_KEY": "kat_live_pkCLI.CLISECRETKEY0001",
    "SLACK_BOT_TOKEN": "xoxb-CLISECRETTOKEN0002",
    "SLACK_SIGNING_SECRET": "CLISECRETSIGNING0003",
    "SLACK_APP_TOKEN": "xapp-CLISECRETAPP0004",
}


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "KATALO_", "DIGEST_", "ALLOWED_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**base, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_help_lists_the_subcommands():
    """`--help` names every subcommand this version has."""
    result = run("--help")
    assert result.returncode == 0
    for command in ("sandbox", "sync", "demo", "alerts"):
        assert command in result.stdout


@pytest.mark.parametrize(("variable", "value"), [("PORT", "eighty"), ("DIGEST_TIMEZONE", "Nowhere/Town")])
def test_bad_setting_exits_2_with_one_line(variable, value):
    """A malformed variable stops start-up with exit 2 and one line naming it; no traceback."""
    result = run("demo", env={variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"katalo-bot: {variable} is malformed: expected")
    assert "Traceback" not in result.stderr


def test_bad_secret_is_not_echoed():
    """A malformed key is named on stderr, its value never printed."""
    result = run("demo", env={"KATALO_API_KEY": "not-a-key-CLISECRET"})
    assert result.returncode == 2
    assert "KATALO_API_KEY is malformed" in result.stderr
    assert "CLISECRET" not in result.stderr + result.stdout


def test_demo_never_shows_the_environments_secrets():
    """The demo runs on its own local credentials; real secrets in the environment never appear."""
    result = run("demo", "--events", "300", env={**SECRETS, "LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.stderr
    assert "of plan used" in result.stdout
    for secret in SECRETS.values():
        assert secret not in result.stdout + result.stderr


def test_sync_against_an_unreachable_katalo_fails_with_a_sentence(tmp_path, monkeypatch, capsys):
    """`katalo-bot sync` with Katalo down exits 1 with a sentence, not a traceback.

    Run in this process, so the retries' backoff can be slept on a fake clock: the command is the
    same `main`, with the same settings and client, only without seconds of real waiting.
    """
    clock = FakeClock()
    from_settings = KataloClient.from_settings

    def on_the_fake_clock(settings: Any, **kwargs: Any) -> KataloClient:
        return from_settings(settings, sleep=clock.sleep, **kwargs)

    monkeypatch.setattr(KataloClient, "from_settings", on_the_fake_clock)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        status = main(
            ["sync"],
            {"KATALO_API_URL": "http://127.0.0.1:9", "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"},
        )
    finally:  # main set the process's logging up; put pytest's back
        root.handlers[:], root.level = handlers, level
    out, err = capsys.readouterr()
    assert status == 1
    assert "Katalo could not be reached" in out
    assert "Traceback" not in err
    assert clock.slept  # it retried, backing off, before giving up


def test_digest_dry_run_prints_the_digest_without_slack(tmp_path, start_sandbox):
    """`katalo-bot digest --dry-run` composes the digest from the sandbox and prints it; no token needed."""
    sandbox = start_sandbox()
    env = {"KATALO_API_URL": sandbox.url, "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}
    result = run("digest", "--dry-run", "--channel", "C0DIGEST", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Preview for C0DIGEST (not posted): the digest of ")
    assert "Katalo digest of " in result.stdout
    assert "Period to date" in result.stdout


def test_digest_dry_run_without_a_channel_previews_the_default_digest_as_slack_shows_it(
    tmp_path, start_sandbox
):
    """No --channel, no DIGEST_CHANNEL: the default digest (time and zone) is shown, rendered, not mrkdwn."""
    sandbox = start_sandbox()
    env = {
        "KATALO_API_URL": sandbox.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}",
        "DIGEST_TIME": "07:45",
        "DIGEST_TIMEZONE": "Asia/Tokyo",
    }
    result = run("digest", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    first, *digest = result.stdout.splitlines()
    assert first.startswith("Preview of the default digest (not posted): the digest of ")
    assert "at 07:45 Asia/Tokyo. --channel C0123456789 or DIGEST_CHANNEL names" in first
    assert digest[0].startswith("Katalo digest of ") and digest[0].endswith("(preview)")
    assert digest[1].startswith("═")  # a header, drawn as the demo draws it
    shown = "\n".join(digest)
    assert "Period to date" in shown and "JST" in shown
    assert "*Period to date*" not in shown and "`" not in shown  # no raw mrkdwn


def test_digest_without_a_channel_to_post_to_names_what_to_set():
    """Posting (not a dry run) with no channel stops with one line and exit 2."""
    result = run("digest")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "katalo-bot: no channel: pass --channel C0123456789 or set DIGEST_CHANNEL "
        "(--dry-run previews without one)"
    ]


def test_sandbox_on_a_port_in_use_names_the_port_and_the_way_out():
    """A busy port ends `katalo-bot sandbox` with one line naming it and --port, exit 2, no traceback."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run("sandbox", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"katalo-bot: port {port} on 127.0.0.1 is in use: pick another with --port"
    ]
