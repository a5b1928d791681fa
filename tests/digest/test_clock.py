"""The clock runs every schedule, and one failing step never stops the others."""

from __future__ import annotations

import logging
from datetime import time

from bot.config import Allowlist
from bot.digest.clock import EVERY_SECONDS, Clock
from bot.services.alerts.runner import AlertRules, AlertRunner
from tests.digest.conftest import BERLIN, CHANNEL, TOKEN
from tests.services.alert_rig import make_runner


class Steps:
    """Stand-ins for the alert checker and the mirror that count their turns (and can fail)."""

    def __init__(self, fail: bool = False) -> None:
        self.turns = 0
        self.fail = fail

    def check(self) -> list:
        self.turns += 1
        if self.fail:
            raise RuntimeError("alerts down")
        return []

    def run_sync(self, *, deadline: float) -> None:
        self.turns += 1


def test_each_tick_posts_due_digests_and_periodic_steps_run_every_five_minutes(rig):
    """Digests on every tick; alerts and the ledger sync once per five minutes."""
    alerts, mirror = Steps(), Steps()
    clock = Clock(rig.poster, alerts, mirror, monotonic=rig.clock.monotonic)  # type: ignore[arg-type]
    clock.tick()
    rig.clock.advance(30 * 60)
    clock.tick()
    assert len(rig.slack.messages(CHANNEL)) == 1
    rig.clock.advance(60)
    clock.tick()
    assert (alerts.turns, mirror.turns) == (2, 2)  # at the first tick, and 31 minutes later
    rig.clock.advance(EVERY_SECONDS)
    clock.tick()
    assert (alerts.turns, mirror.turns) == (3, 3)


def test_a_failing_step_is_logged_and_the_others_still_run(rig, caplog):
    """Alerts raising does not stop the digest or the sync, and the clock keeps ticking."""
    alerts, mirror = Steps(fail=True), Steps()
    clock = Clock(rig.poster, alerts, mirror, monotonic=rig.clock.monotonic)  # type: ignore[arg-type]
    rig.clock.advance(30 * 60)
    with caplog.at_level(logging.ERROR):
        clock.tick()
    assert "clock: alerts failed; retrying on the next turn" in caplog.text
    assert mirror.turns == 1
    assert len(rig.slack.messages(CHANNEL)) == 1


def make_clock(rig, alerts: AlertRunner | None = None) -> Clock:
    """A clock on the rig's poster and fake time; the alerts (unless given) and the sync are Steps."""
    # Steps has the one method the clock calls on the checker and on the mirror.
    return Clock(rig.poster, alerts or Steps(), Steps(), monotonic=rig.clock.monotonic, now=rig.clock.now)  # type: ignore[arg-type]


def clock_lines(caplog) -> list[str]:
    """What the clock logged, as an operator reads it."""
    return [r.getMessage() for r in caplog.records if r.name == "bot.digest.clock"]


def test_the_clock_says_why_a_digest_waits_and_when_it_posts_each_once(rig, caplog):
    """Before 09:00: not due (said once, not each minute); at 09:00: posted; after: nothing repeated."""
    clock = make_clock(rig)
    with caplog.at_level(logging.INFO, logger="bot.digest.clock"):
        clock.tick()
        rig.clock.advance(60)
        clock.tick()
        rig.clock.advance(29 * 60)
        clock.tick()
        rig.clock.advance(60)
        clock.tick()
    assert clock_lines(caplog) == [
        "clock: skipped the digest of Mon Nov 23 for C0DIGEST: not due until 09:00 Europe/Berlin",
        "clock: posted the digest of Mon Nov 23 to C0DIGEST",
    ]


def test_the_clock_says_when_a_failing_channel_is_retried(rig, caplog):
    """not_in_channel: a warning with the fix and the retry time; the waiting ticks add nothing."""
    clock = make_clock(rig)
    rig.slack.member_of = set()
    rig.clock.advance(30 * 60)  # 09:00 Berlin, 08:00 UTC
    with caplog.at_level(logging.INFO, logger="bot.digest.clock"):
        clock.tick()
        rig.clock.advance(10 * 60)
        clock.tick()
    [failed] = [r for r in caplog.records if r.name == "bot.digest.clock"]
    assert failed.levelno == logging.WARNING
    assert failed.getMessage() == (
        "clock: could not post the digest of Mon Nov 23 to C0DIGEST: not_in_channel: the bot is not in "
        "the channel: invite it with /invite @Katalo; retried after 08:30 UTC"
    )


def test_the_clock_says_a_channel_outside_the_allowlist_gets_no_digest(rig, caplog):
    rig.poster.allowlist = Allowlist(channels=frozenset({"C0ELSEWHERE"}))
    clock = make_clock(rig)
    rig.clock.advance(30 * 60)
    with caplog.at_level(logging.INFO, logger="bot.digest.clock"):
        clock.tick()
    assert clock_lines(caplog) == [
        "clock: skipped the digest of Mon Nov 23 for C0DIGEST: the channel is not in ALLOWED_CHANNEL_IDS"
    ]


def test_the_clock_logs_an_alert_it_posts_and_one_it_may_not_post(rig, caplog):
    """A crossed threshold: posted to the subscribed channel, skipped (with why) outside the allowlist."""
    rig.store.subscribe("C0OUTSIDE", time(9), BERLIN, by="U0ALICE", now=rig.clock.now())
    alerts = make_runner(
        rig.engine,
        rig.katalo.url,
        rig.slack,
        rig.clock,
        rules=AlertRules(plan_thresholds=(1,)),
        allowlist=Allowlist(channels=frozenset({CHANNEL})),
        token=TOKEN,
    )[1]
    clock = make_clock(rig, alerts)
    with caplog.at_level(logging.INFO, logger="bot.digest.clock"):
        clock.tick()
        rig.clock.advance(EVERY_SECONDS)
        clock.tick()
    alert_lines = [line for line in clock_lines(caplog) if "alert" in line]
    assert alert_lines == [
        "clock: posted the plan alert plan:2026-11-01T00:00:00+00:00:2500 in C0DIGEST",
        "clock: skipped alerts for C0OUTSIDE: the channel is not in ALLOWED_CHANNEL_IDS",
    ]
