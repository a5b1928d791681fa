"""`katalo-bot demo` end to end: the real app driven by signed requests, replies rendered."""

from __future__ import annotations

import json
import re
import subprocess
import sys


def demo(*args: str, stdin: str | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--events", "800", *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_without_a_terminal_or_commands_it_plays_the_tour():
    """As in CI (no standard input): usage, a job's cost, a mention, latest events, a button, a digest."""
    result = demo()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "SANDBOX data" in out
    assert "playing the tour" in out
    assert "of plan used" in out and "[1] Refresh   [2] Share to channel" in out
    assert "Total: $" in out and "[in the thread]" in out
    assert "Latest ledger events" in out and "> press 1" in out and "\nLedger events\n" in out
    assert "[posted in #C0DEMO]" in out and "Katalo digest" in out and "Period to date" in out
    # the shared spend answer's chart, the mention's, then the digest's two, each shown by its alt text
    assert out.count("[chart in the thread: katalo-") == 4
    assert "Shared by @U0ALICE" in out and "[chart in the thread: katalo-daily-spend-" in out
    assert "Plan burn-down, billing period" in out and "Daily spend, " in out
    # a budget half spent, the alert check posts its alert, and Acknowledge edits it in place
    assert re.search(r"\n> /katalo budget set \d+(\.\d\d)?\n", out)
    alert = out[out.index("\n> alerts\n") :]
    assert alert.startswith("\n> alerts\n[posted in #C0DEMO]\n:moneybag: Budget: 50% of $")
    assert "[1] Acknowledge   [2] Snooze 1 day   [3] Snooze 1 week   [4] Mute for this period" in alert
    edited = alert[alert.index("> press 1") :]
    assert "[edited in place in #C0DEMO]" in edited and edited.count("Acknowledged by @U0ALICE at ") == 1
    assert "Traceback" not in result.stderr


def test_a_script_on_standard_input_with_job_placeholder_and_share():
    """Commands on standard input: {job} becomes a real job id; Share posts into the demo channel."""
    lines = ["/katalo events {job}", "press 1", "/katalo digest preview", "# a comment", "frobnicate", "quit"]
    script = "\n".join([*lines, "/katalo usage"]) + "\n"
    result = demo(stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "> /katalo events job_" in out
    assert "[posted in #C0DEMO]" in out and "Shared by @U0ALICE" in out
    assert "Katalo digest of " in out and "(preview)" in out
    assert "Not understood: type help." in out
    assert "of plan used" not in out  # nothing after quit


def test_json_shows_the_raw_block_kit(tmp_path):
    """--json prints each reply as the Block Kit Slack receives."""
    script = tmp_path / "s.txt"
    script.write_text("/katalo usage\n")
    result = demo("--json", "--script", str(script))
    assert result.returncode == 0, result.stderr
    body = result.stdout[result.stdout.index("\n{\n") + 1 :]  # the reply, after the intro's text
    reply = json.loads(body)
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Katalo usage", "emoji": True},
    }


def test_json_shows_an_alert_edited_in_place_with_its_status_block(tmp_path):
    """--json: the alert `alerts` posts, then Acknowledge's answer replacing it, status above the buttons."""
    script = tmp_path / "s.txt"
    script.write_text("/katalo budget set {budget}\nalerts\npress 1\n")
    result = demo("--json", "--script", str(script))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    posted = json.loads(out[out.index("> alerts\n") + 9 : out.index("\n> press 1")])
    edited = json.loads(out[out.index("> press 1\n") + 10 :])
    assert edited["replace_original"] is True
    assert [b.get("block_id") for b in edited["blocks"]][-2:] == ["alert_status", "katalo_alert_actions"]
    assert edited["blocks"][:-2] == posted["blocks"][:-1] and edited["blocks"][-1] == posted["blocks"][-1]
    [line] = edited["blocks"][-2]["elements"]
    assert line["text"].startswith(":white_check_mark: Acknowledged by <@U0ALICE> at ")


def test_with_standard_input_closed_it_plays_the_tour():
    """Some CI runners start processes with no standard input at all: the tour still plays."""
    import os

    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--events", "300"],
        preexec_fn=lambda: os.close(0),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "(No standard input: playing the tour.)" in result.stdout
    assert "Katalo digest" in result.stdout
