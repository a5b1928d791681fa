"""`katalo-bot socket` as deployed, talked to over Socket Mode: envelopes in, acks back, answers posted.

The bot runs as its own process (`python -m bot socket`), with slack_bolt's SocketModeHandler and
slack_sdk's built-in WebSocket client, exactly as the Procfile would start it. It asks the Slack
stand-in's `apps.connections.open` for a URL, connects to the Socket Mode stand-in, and acks what that
sends; answers go to the stand-in's response URLs and chat.postMessage, as in HTTP mode.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.blocks.limits import displayed_texts
from bot.sandbox.slack_driver import SlackDriver
from tests.e2e.conftest import BOT_TOKEN, buttons
from tests.e2e.processes import environment
from tests.stand_ins.katalo import KataloDouble
from tests.stand_ins.slack import SlackDouble
from tests.stand_ins.socket_mode import Link, SocketModeStandIn

APP_TOKEN = "xapp-1-A0KATALO-1-SOCKET-SECRET-5e1f"
START_UP = 30.0  # seconds for the process to import, check Slack and connect, on a busy machine


def shown(message: dict[str, Any]) -> str:
    return "\n".join(displayed_texts({"text": message["text"], "blocks": message.get("blocks", [])}))


@dataclass
class SocketBot:
    """A running `katalo-bot socket`, the stand-ins it talks to, and Slack's payloads for it."""

    slack: SlackDouble
    socket_mode: SocketModeStandIn
    katalo: KataloDouble
    payloads: SlackDriver  # only builds payloads here: nothing is sent over HTTP
    output_path: Path

    def link(self, number: int = 1) -> Link:
        """The bot's `number`-th Socket Mode connection; its output in the error if it never came."""
        try:
            return self.socket_mode.wait_for_link(number, timeout=START_UP)
        except AssertionError as error:
            raise AssertionError(f"{error}; bot output:\n{self.output()[-3000:]}") from None

    def command(self, link: Link, text: str) -> tuple[str, str]:
        """`/katalo <text>` over `link`: its envelope_id and the command's response_url."""
        form, response_url = self.payloads.command_form(text)
        return link.send_envelope("slash_commands", form, accepts_response_payload=True), response_url

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")


@pytest.fixture
def make_socket_bot(tmp_path, start_sandbox) -> Iterator[Callable[..., SocketBot]]:
    """Start `katalo-bot socket` against fresh stand-ins (options go to the Katalo sandbox)."""
    cleanups: list[Callable[[], object]] = []

    def make(**sandbox_options: Any) -> SocketBot:
        katalo = start_sandbox(**sandbox_options)
        slack = SlackDouble(token=BOT_TOKEN).start()
        socket_mode = SocketModeStandIn().start()
        cleanups.extend([slack.stop, socket_mode.stop])
        slack.serve_socket_mode(APP_TOKEN, socket_mode.new_url)
        env = environment(slack, katalo.url, f"sqlite:///{tmp_path / 'socket.db'}", SLACK_APP_TOKEN=APP_TOKEN)
        env.pop("SLACK_SIGNING_SECRET")  # Socket Mode has no requests to verify
        output_path = tmp_path / "socket.log"
        with output_path.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "socket"], env=env, stdout=output, stderr=subprocess.STDOUT
            )
        cleanups.insert(0, lambda: (process.terminate(), process.wait(timeout=20)))
        payloads = SlackDriver(bot_url="http://unused.invalid", slack=slack, secret="unused")
        return SocketBot(slack, socket_mode, katalo, payloads, output_path)

    yield make
    for cleanup in cleanups:
        cleanup()


def test_command_is_acked_over_the_socket_before_katalo_answers_then_answered(make_socket_bot, gate):
    """/katalo usage: the envelope is acked while Katalo's answer is held back; the answer follows."""
    bot = make_socket_bot(sleep=gate.sleep)
    link = bot.link()
    [opened] = bot.slack.calls("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"  # the app-level token, not the bot's
    bot.katalo.latency = 5.0  # acted out by the gate: held until opened
    envelope_id, response_url = bot.command(link, "usage")
    assert link.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}  # an empty ack: nothing shown yet
    assert gate.passed_unopened == 0  # no Katalo answer had gone out when the ack arrived
    gate.wait_held()
    gate.open()
    [reply] = bot.slack.wait_for_posts(response_url, timeout=10)
    assert "of plan used" in shown(reply)
    assert set(buttons(reply)) == {"Refresh", "Share to channel"}


def test_mention_over_the_socket_is_answered_in_its_thread(make_socket_bot):
    """An app_mention in an events_api envelope: acked, and answered with chat.postMessage in the thread."""
    bot = make_socket_bot()
    link = bot.link()
    event = bot.payloads.mention_event("<@UBOT> how much have we used?", thread_ts="1763990000.000001")
    envelope_id = link.send_envelope("events_api", event, accepts_response_payload=False)
    link.wait_for_ack(envelope_id)
    [call] = bot.slack.wait_for_calls("chat.postMessage", timeout=10)
    assert call.params["channel"] == "C0BILLING"
    assert call.params["thread_ts"] == "1763990000.000001"
    assert "of plan used" in shown(call.params)


def test_button_over_the_socket_replaces_the_message(make_socket_bot):
    """Refresh pressed (an interactive envelope): acked, Katalo asked again, the message replaced."""
    bot = make_socket_bot()
    link = bot.link()
    _, response_url = bot.command(link, "usage")
    [first] = bot.slack.wait_for_posts(response_url, timeout=10)
    before = bot.katalo.request_count("/api/v1/usage/summary")
    payload, refresh_url = bot.payloads.press_payload(buttons(first)["Refresh"])
    envelope_id = link.send_envelope("interactive", payload, accepts_response_payload=False)
    link.wait_for_ack(envelope_id)
    [refreshed] = bot.slack.wait_for_posts(refresh_url, timeout=10)
    assert refreshed["replace_original"] is True
    assert "of plan used" in shown(refreshed)
    assert bot.katalo.request_count("/api/v1/usage/summary") == before + 1


def test_refresh_requested_moves_the_bot_to_a_new_connection(make_socket_bot):
    """`disconnect` (refresh_requested): a new URL is asked for, the old connection closed, and a
    command sent over the new one is acked and answered."""
    bot = make_socket_bot()
    first = bot.link(1)
    first.ask_to_refresh()
    second = bot.link(2)
    first.wait_closed()
    # A URL is good for one connection (the stand-in refuses it again): the bot asked for a new one.
    assert len(bot.slack.calls("apps.connections.open")) == 2
    envelope_id, response_url = bot.command(second, "usage")
    second.wait_for_ack(envelope_id)
    [reply] = bot.slack.wait_for_posts(response_url, timeout=10)
    assert "of plan used" in shown(reply)
    assert "Traceback" not in bot.output()
