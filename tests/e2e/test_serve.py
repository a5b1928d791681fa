"""`katalo-bot serve`: the production server (gunicorn) as a process, as the Procfile runs it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bot.sandbox.slack_driver import SlackDriver
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.stand_ins.slack import SlackDouble


def katalo_bot(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `katalo-bot <command>` to its exit (start-up failures end it at once)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(slack: SlackDouble, katalo_url: str, database: str, **extra: str) -> dict[str, str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "KATALO_", "DATABASE_", "PORT"))
    }
    return {
        **base,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "KATALO_API_URL": katalo_url,
        "DATABASE_URL": database,
        **extra,
    }


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        env={**env, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            process.kill()
            raise AssertionError(f"serve did not come up: {process.communicate()[1][-2000:]}")
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)


def test_serve_answers_health_and_signed_commands(tmp_path, start_sandbox):
    """Under gunicorn: /healthz is up, a signed /katalo usage is acked and answered via response_url."""
    katalo = start_sandbox()
    with SlackDouble(token=BOT_TOKEN) as slack:
        env = environment(slack, katalo.url, f"sqlite:///{tmp_path / 'serve.db'}")
        with serving(env) as url:
            bot = SlackDriver(bot_url=url, slack=slack, secret=SIGNING_SECRET)
            ack, response_url = bot.command("usage")
            assert ack.status_code == 200
            [reply] = slack.wait_for_posts(response_url, timeout=10)
            assert "of plan used" in reply["text"]
            assert bot.command("usage", signature="v0=bad")[0].status_code == 401


def test_serve_without_signing_secret_stops_with_one_line(tmp_path):
    """Missing SLACK_SIGNING_SECRET: exit 2 and one line naming it."""
    with SlackDouble(token=BOT_TOKEN) as slack:
        env = environment(slack, "http://127.0.0.1:9", f"sqlite:///{tmp_path / 's.db'}")
        env.pop("SLACK_SIGNING_SECRET")
        result = katalo_bot("serve", env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "katalo-bot: SLACK_SIGNING_SECRET is not set: expected the app's signing secret "
        "(Basic Information → App Credentials)"
    ]


def test_serve_with_a_rejected_token_stops_with_one_line(tmp_path):
    """A token Slack rejects (auth.test) stops start-up with one line, and the token is not printed."""
    with SlackDouble(token="xoxb-some-other-token") as slack:
        env = environment(slack, "http://127.0.0.1:9", f"sqlite:///{tmp_path / 's.db'}")
        result = katalo_bot("serve", env)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr
    assert BOT_TOKEN not in result.stderr + result.stdout


def test_socket_mode_with_a_rejected_app_token_stops_with_one_line(tmp_path):
    """`katalo-bot socket` whose app-level token Slack refuses: exit 2, one line, no token printed."""
    with SlackDouble(token=BOT_TOKEN) as slack:
        env = environment(
            slack,
            "http://127.0.0.1:9",
            f"sqlite:///{tmp_path / 's.db'}",
            SLACK_APP_TOKEN="xapp-1-REJECTED-SECRET",
        )
        result = katalo_bot("socket", env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "katalo-bot: SLACK_APP_TOKEN was rejected by Slack (invalid_auth): check the app-level token"
    )
    assert "REJECTED-SECRET" not in result.stderr + result.stdout


def test_socket_mode_without_an_app_token_names_it():
    result = katalo_bot("socket", {"PATH": os.environ["PATH"], "SLACK_BOT_TOKEN": BOT_TOKEN})
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN is not set" in result.stderr
