"""The clock runs every schedule, and one failing step never stops the others."""

from __future__ import annotations

import logging

from bot.digest.clock import EVERY_SECONDS, Clock
from tests.digest.conftest import CHANNEL


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
