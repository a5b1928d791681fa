"""One demo conversation: each typed line becomes the request Slack would send, each reply is shown."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.blocks.terminal import render
from bot.digest.alert_run import sentence as alert_sentence
from bot.parsing import parse_mention
from bot.sandbox.slack_driver import SlackDriver
from bot.sandbox.slack_files import SharedFile
from bot.services.export import STILL
from bot.slack_ids import ALERT_ACTION_IDS
from bot.wiring.deps import Deps

HELP = """Type what you would type in Slack:
  /katalo usage | /katalo events {job} | /katalo events | /katalo digest status | /katalo help
  /katalo spend last week by config | /katalo spend 2026-10 type:upscale
  /katalo alerts | /katalo alerts on spike pace | /katalo budget set 500 monthly | /katalo budget
  @Katalo how much have we used? | @Katalo what did {job} cost? | @Katalo what did we spend yesterday?
  digest       post today's digest to the demo channel now
  alerts       run the alert checks once (as the clock does every 5 minutes): what is due is posted
  press N      press button N of the last message (or just N)
  help, quit   ({job} stands for a real sandbox job id, {budget} for a budget half spent)"""
WAIT_SECONDS = 30.0
_WHERE = {  # where an alert check said what it said
    "updated": "updated in place in #{channel} (and said in its thread)",
    "reposted": "posted anew in #{channel} (its message was gone)",
    "cleared": "in the alert's thread in #{channel}",
}


class DemoSession:
    def __init__(
        self,
        driver: SlackDriver,
        deps: Deps,
        out: TextIO,
        *,
        job_id: str,
        budget: Callable[[], str] = lambda: "500",
        as_json: bool,
        color: bool,
    ) -> None:
        self._driver, self._deps, self._out = driver, deps, out
        self._job_id, self._budget = (
            job_id,
            budget,
        )  # `budget`: what {budget} stands for, worked out once used
        self._as_json, self._color = as_json, color
        self._buttons: list[dict[str, Any]] = []
        self._message: dict[str, Any] | None = None  # the last message shown, when it is in the channel

    def intro(self, events: int, job_ids: list[str]) -> None:
        self._say(
            "katalo-bot demo: the real Slack app (Bolt), sent signed requests exactly as Slack sends them.\n"
            f"The data is SANDBOX data: a made-up organization with {events:,} ledger events, served over\n"
            "HTTP on this machine. Nothing leaves it; no Slack workspace or Katalo key is involved.\n"
            f"Real job ids to try: {', '.join(job_ids)}\n\n{HELP}\n"
        )

    def handle(self, line: str) -> bool:
        """Act on one line; False to stop."""
        text = line.strip().replace("{job}", self._job_id)
        if "{budget}" in text:
            text = text.replace("{budget}", self._budget())
        if not text or text.startswith("#"):
            return True
        self._say(f"\n> {text}")
        lowered = text.lower()
        if lowered in ("quit", "exit"):
            return False
        if lowered in ("help", "?"):
            self._say(HELP)
        elif lowered.startswith("/katalo"):
            self._command(text[len("/katalo") :].strip())
        elif lowered.startswith("@katalo"):
            self._mention(text[len("@katalo") :].strip())
        elif lowered == "digest":
            self._digest()
        elif lowered == "alerts":
            self._alerts()
        elif lowered.removeprefix("press").strip().isdigit():
            self._press(int(lowered.removeprefix("press").strip()))
        else:
            self._say("Not understood: type help.")
        return True

    def _command(self, text: str) -> None:
        ack, url = self._driver.command(text)
        if ack.status_code != 200:
            self._say(f"(Slack would show: the request failed, HTTP {ack.status_code})")
        elif ack.text:
            self._show(json.loads(ack.text), "private reply")
        else:
            posts = self._driver.slack.wait_for_posts(url, timeout=WAIT_SECONDS)
            while posts[-1].get("text", "").startswith(STILL):  # an interim note: the answer follows
                self._show(posts[-1], "private reply")
                posts = self._driver.slack.wait_for_posts(url, len(posts) + 1, timeout=WAIT_SECONDS)
            self._show(posts[-1], "private reply")

    def _mention(self, text: str) -> None:
        slack = self._driver.slack
        before, shared_before = len(slack.calls("chat.postMessage")), len(slack.uploads(self._driver.channel))
        self._driver.mention(f"<@UBOT> {text}")
        call = slack.wait_for_calls("chat.postMessage", before + 1, timeout=WAIT_SECONDS)[-1]
        self._show(_posted(call.params), "in the thread")
        # A spend answer of 2 days or more is followed by its chart (or a line saying why it is not): the
        # same question asked of the same service says whether one is due, rather than waiting to see.
        if self._deps.answers.in_thread(parse_mention(f"<@UBOT> {text}")).chart is None:
            return
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            for shared in slack.uploads(self._driver.channel)[shared_before:]:
                self._say_chart(shared)
                return
            if len(calls := slack.calls("chat.postMessage")) > before + 1:
                self._show(_posted(calls[-1].params), "in the thread")
                return
            time.sleep(0.02)

    def _digest(self) -> None:
        poster, slack = self._deps.poster, self._driver.slack
        today = datetime.now(UTC).date()
        shared_before = len(slack.uploads(self._driver.channel))
        outcome = poster.post(self._driver.channel, UTC, today, force=True)
        if outcome.message is None:
            self._say(f"(digest not posted: {outcome.detail})")
            return
        self._show(outcome.message, f"posted in #{self._driver.channel}")
        # The charts go into the digest's thread as PNG files; a terminal can only say what they show.
        for shared in slack.uploads(self._driver.channel)[shared_before:]:
            self._say_chart(shared)
        for failure in outcome.chart_failures:
            self._say(f"(a chart was not shared: {failure})")

    def _alerts(self) -> None:
        """Every alert check once for the demo channel; each alert posted is shown, its buttons pressable."""
        channel = self._driver.channel
        outcomes = self._deps.alerts.check(channel)
        said = [o for o in outcomes if o.message is not None and o.key is not None]
        for outcome in said:
            assert outcome.message is not None and outcome.key is not None  # for the type checker
            self._show(
                outcome.message, _WHERE.get(outcome.status, "posted in #{channel}").format(channel=channel)
            )
            posted = self._deps.alert_store.alert(channel, outcome.key)
            if posted is not None and outcome.status in ("posted", "reposted", "updated"):
                self._message = {**outcome.message, "ts": posted.ts}
        for outcome in outcomes:
            if outcome.message is None:
                self._say(f"({alert_sentence(outcome)})")
        if not outcomes:
            self._say(f"(no alert is due in #{channel}: `/katalo budget set 50` makes one due)")

    def _press(self, number: int) -> None:
        if not 1 <= number <= len(self._buttons):
            self._say(f"There is no button {number} on the last message.")
            return
        slack = self._driver.slack
        before = len(slack.calls("chat.postMessage"))
        shared_before = len(slack.uploads(self._driver.channel))
        button = self._buttons[number - 1]
        on = self._message if button.get("action_id") in ALERT_ACTION_IDS else None
        _, url = self._driver.press(button, message=on)
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            calls = slack.calls("chat.postMessage")  # first: a share's private note follows its post
            if len(calls) > before:
                self._show(_posted(calls[-1].params), f"posted in #{self._driver.channel}")
                if _kind(button) == "spend":  # a shared spend answer: its chart follows in the thread
                    self._shared_chart(url, shared_before, deadline)
                return
            if slack.posts(url):
                answer = slack.posts(url)[-1]
                edited = on is not None and answer.get("replace_original") is True
                self._show(
                    answer, f"edited in place in #{self._driver.channel}" if edited else "private reply"
                )
                if edited and on is not None:  # the alert as it now stands, pressable again
                    self._message = {**_posted(answer), "ts": on["ts"]}
                return
            time.sleep(0.02)
        self._say("(no answer arrived)")

    def _shared_chart(self, url: str, shared_before: int, deadline: float) -> None:
        """After a spend answer is shared: its chart in the thread, or the private line saying why not."""
        slack = self._driver.slack
        while time.monotonic() < deadline:
            for shared in slack.uploads(self._driver.channel)[shared_before:]:
                self._say_chart(shared)
                return
            if slack.posts(url):
                self._show(slack.posts(url)[-1], "private reply")
                return
            time.sleep(0.02)

    def _say_chart(self, shared: SharedFile) -> None:
        """A chart Slack got as a PNG: a terminal can only say what it shows (its alt text)."""
        self._say(f"[chart in the thread: {shared.filename}, {len(shared.data):,} bytes]\n{shared.alt_txt}")

    def _show(self, message: dict[str, Any], where: str) -> None:
        text, self._buttons = render(message, color=self._color)
        if not where.startswith(("posted", "edited in place", "updated in place")):
            self._message = None  # its buttons are not on a channel message
        if self._as_json:
            keys = ("text", "blocks", "response_type", "replace_original")
            shown = {key: message[key] for key in keys if key in message}
            self._say(json.dumps(shown, indent=2, ensure_ascii=False))
        else:
            self._say(f"[{where}]\n{text}")

    def _say(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()


def _posted(params: dict[str, Any]) -> dict[str, Any]:
    return {"text": params.get("text", ""), "blocks": params.get("blocks", [])}


def _kind(button: dict[str, Any]) -> str | None:
    """The answer a button's value names (the builders put `{"kind": ...}` on every button)."""
    try:
        value = json.loads(str(button.get("value")))
    except ValueError:
        return None
    return str(value.get("kind")) if isinstance(value, dict) else None
