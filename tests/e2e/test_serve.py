"""`katalo-bot serve` and `socket` as processes, as the Procfile runs them: serving, and start-up checks."""

from __future__ import annotations

import os
import signal
import socket
import time
from typing import Any

import pytest

from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack_driver import SlackDriver
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.e2e.processes import environment, free_port, katalo_bot, serving
from tests.fakes import Gate


def test_serve_answers_health_and_signed_commands(tmp_path, start_sandbox):
    """As deployed: /healthz is up, a signed /katalo usage is acked and answered via response_url."""
    katalo = start_sandbox()
    with SlackStandIn(token=BOT_TOKEN) as slack:
        env = environment(slack, katalo.url, f"sqlite:///{tmp_path / 'serve.db'}")
        with serving(env, tmp_path / "serve.log") as served:
            bot = SlackDriver(bot_url=served.url, slack=slack, secret=SIGNING_SECRET)
            ack, response_url = bot.command("usage")
            assert ack.status_code == 200
            [reply] = slack.wait_for_posts(response_url, timeout=10)
            assert "of plan used" in reply["text"]
            assert bot.command("usage", signature="v0=bad")[0].status_code == 401
    # Bolt reads SLACK_BOT_TOKEN from the environment by itself and warned at every start that it
    # would not use it (the app is given a client); nothing to act on, so it is gone.
    assert "will be unused" not in served.output()
    assert "Traceback" not in served.output()


def test_serve_finishes_every_acknowledged_answer_when_stopped(tmp_path, start_sandbox):
    """A deploy (SIGTERM) in the middle of a burst: new connections are refused at once, every
    command already acknowledged is still answered at its response_url, and the process exits 0.

    Before: waitress kept accepting connections for up to 5 s after the signal, and the answers were
    waited for without a bound. Katalo holds its answer on a gate until the signal has been seen."""
    gate = Gate()
    katalo = start_sandbox(sleep=gate.sleep)
    katalo.latency = 1.0  # not slept: the gate holds every request until opened
    with SlackStandIn(token=BOT_TOKEN) as slack:
        env = environment(slack, katalo.url, f"sqlite:///{tmp_path / 'serve.db'}")
        with serving(env, tmp_path / "serve.log") as served:
            bot = SlackDriver(bot_url=served.url, slack=slack, secret=SIGNING_SECRET)
            sent = [bot.command("usage") for _ in range(BURST)]
            assert [ack.status_code for ack, _ in sent] == [200] * BURST
            gate.wait_held(1)  # the answers are under way, waiting on Katalo
            served.process.send_signal(signal.SIGTERM)
            _wait_until_refused(served.port)
            assert served.process.poll() is None  # still finishing the answers in hand
            gate.open()
            assert served.process.wait(timeout=30) == 0
        for _, response_url in sent:
            [reply] = slack.posts(response_url)
            assert "of plan used" in reply["text"]
    assert "stopping: no new connections" in served.output()
    assert "stopped: every answer in hand was sent" in served.output()
    assert "Traceback" not in served.output()


BURST = 8


def _wait_until_refused(port: int, timeout: float = 10.0) -> None:
    """Return once a new connection to `port` is refused; AssertionError if it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return
        except ConnectionResetError:  # the listener closed mid-handshake: the next try is refused
            pass
        time.sleep(0.01)
    raise AssertionError(f"port {port} still accepts connections {timeout:g} s after SIGTERM")


def test_serve_without_signing_secret_stops_with_one_line(tmp_path):
    """Missing SLACK_SIGNING_SECRET: exit 2 and one line naming it."""
    with SlackStandIn(token=BOT_TOKEN) as slack:
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
    with SlackStandIn(token="xoxb-some-other-token") as slack:
        env = environment(slack, "http://127.0.0.1:9", f"sqlite:///{tmp_path / 's.db'}")
        result = katalo_bot("serve", env)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr
    assert BOT_TOKEN not in result.stderr + result.stdout


def test_socket_mode_with_a_rejected_app_token_stops_with_one_line(tmp_path):
    """`katalo-bot socket` whose app-level token Slack refuses: exit 2, one line, no token printed."""
    with SlackStandIn(token=BOT_TOKEN) as slack:
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
    assert result.stderr.startswith("katalo-bot: SLACK_APP_TOKEN and KATALO_API_KEY are not set (expected")


def test_serve_names_every_missing_variable_in_one_line(tmp_path):
    """Before: a worker traceback and exit 3 without KATALO_API_KEY, one missing variable per run."""
    with SlackStandIn(token=BOT_TOKEN) as slack:
        env = environment(slack, "https://app.katalo.ai", f"sqlite:///{tmp_path / 's.db'}")
        env.pop("SLACK_SIGNING_SECRET")
        result = katalo_bot("serve", env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "katalo-bot: SLACK_SIGNING_SECRET and KATALO_API_KEY are not set (expected SLACK_SIGNING_SECRET:"
        " the app's signing secret (Basic Information → App Credentials); KATALO_API_KEY: a Katalo API"
        " key like kat_live_<publicKeyId>.<secret>)"
    ]


def _not_slack(start_sandbox: Any) -> str:
    return start_sandbox().url + "/api/"  # an HTTP server, but not Slack


@pytest.mark.parametrize("command", ["serve", "socket"])
@pytest.mark.parametrize(
    ("slack_api_url", "expected"),
    [
        (lambda _: f"http://127.0.0.1:{free_port()}/api/", "cannot be reached (Connection refused)"),
        (lambda _: "http://katalo-bot-test.invalid/api/", "cannot be reached ("),
        (_not_slack, "did not answer like Slack's Web API (HTTP 404)"),
        (lambda _: "slack.com/api/", "is malformed: expected an http(s) URL ending in /api/"),
    ],
    ids=["refused", "unknown-host", "not-slack", "malformed"],
)
def test_a_wrong_slack_api_url_stops_start_up_with_one_line(
    tmp_path, start_sandbox, command, slack_api_url, expected
):
    """Before: a 95-line urllib traceback (or Slack's client's own error text as a token problem)."""
    url = slack_api_url(start_sandbox)
    with SlackStandIn(token=BOT_TOKEN) as slack:
        env = environment(
            slack, "http://127.0.0.1:9", f"sqlite:///{tmp_path / 's.db'}", SLACK_APP_TOKEN="xapp-1-A-1-x"
        )
    env["SLACK_API_URL"] = url
    result = katalo_bot(command, env)
    assert result.returncode == 2, result.stderr[-2000:]
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("katalo-bot: SLACK_API_URL ")
    assert expected in line
