"""`katalo-bot serve` stopped with an answer that outlasts the drain's bound: abandoned, exit still 0.

The bound (DRAIN_SECONDS, 20 s in production) is set to 0 in the served process, so the test waits on
nothing but the process's exit; Katalo holds the answer on a gate the whole time.
"""

from __future__ import annotations

import signal

from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack_driver import SlackDriver
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.e2e.processes import environment, serving
from tests.fakes import Gate

# `katalo-bot serve` with the drain's bound injected: the constant is read when the signal comes.
SERVE_WITH_NO_DRAIN_TIME = (
    "-c",
    "import sys, bot.web.server as server; server.DRAIN_SECONDS = 0;"
    " from bot.cli import main; sys.exit(main(['serve']))",
)


def test_an_answer_still_running_at_the_drain_bound_is_abandoned_and_the_exit_is_clean(
    tmp_path, start_sandbox
):
    """SIGTERM while an answer waits on Katalo: at the bound the process logs it and exits 0, unposted."""
    gate = Gate()
    katalo = start_sandbox(sleep=gate.sleep)
    katalo.latency = 1.0  # not slept: the gate holds the request until the test ends
    try:
        with SlackStandIn(token=BOT_TOKEN) as slack:
            env = environment(slack, katalo.url, f"sqlite:///{tmp_path / 'serve.db'}")
            with serving(env, tmp_path / "serve.log", SERVE_WITH_NO_DRAIN_TIME) as served:
                bot = SlackDriver(bot_url=served.url, slack=slack, secret=SIGNING_SECRET)
                ack, response_url = bot.command("usage")
                assert ack.status_code == 200
                gate.wait_held(1)  # the answer is under way, waiting on Katalo
                served.process.send_signal(signal.SIGTERM)
                assert served.process.wait(timeout=30) == 0
            assert slack.posts(response_url) == []  # the process is gone: nothing can come later
    finally:
        gate.open()
    assert "stopped with 1 answer(s) unfinished after 0 s" in served.output()
    assert "every answer in hand was sent" not in served.output()
    assert "Traceback" not in served.output()
