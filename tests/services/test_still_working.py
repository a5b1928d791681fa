"""The interim note for slow work: said once when the threshold passes first, never once the work is done.

The threshold is a fake: its `wait` holds until the test lets the time pass, then answers as
Event.wait(timeout) does (whether the work was done by then), or always "the time passed" to stage
the race of a timer firing just as the work finishes.
"""

from __future__ import annotations

import logging
import threading

import pytest

from bot.services.still_working import StillWorking
from tests.fakes import HOLD_LIMIT

TEXT = "Still exporting 1,234 events for Nov 1 - Nov 14, 2026; the file will arrive in a DM."


class Threshold:
    """A fake timer: `passes()` lets the watched time run out."""

    def __init__(self, *, honest: bool = True) -> None:
        self._passed = threading.Event()
        self._honest = honest  # False: report the time passed even when the work is done (the race)
        self.asked: list[float] = []

    def wait(self, done: threading.Event, seconds: float) -> bool:
        self.asked.append(seconds)
        self._passed.wait(HOLD_LIMIT)
        return done.is_set() if self._honest else False

    def passes(self) -> None:
        self._passed.set()


class Notes:
    def __init__(self) -> None:
        self.said: list[str] = []
        self.arrived = threading.Event()

    def say(self, text: str) -> None:
        self.said.append(text)
        self.arrived.set()


def test_work_outlasting_the_threshold_gets_exactly_one_note():
    threshold, notes = Threshold(), Notes()
    with StillWorking(notes.say, after=5.0, wait=threshold.wait) as watch:
        watch.describe(TEXT)
        threshold.passes()
        assert notes.arrived.wait(HOLD_LIMIT)
        watch.describe(TEXT)  # described again after the note: still one note
    watch.thread.join(HOLD_LIMIT)
    assert notes.said == [TEXT] and threshold.asked == [5.0]


def test_a_note_due_before_the_text_is_known_goes_once_it_is():
    """The threshold passes while the work cannot yet say what it does (counting): the note follows."""
    threshold, notes = Threshold(), Notes()
    with StillWorking(notes.say, after=5.0, wait=threshold.wait) as watch:
        threshold.passes()
        watch.thread.join(HOLD_LIMIT)  # the watcher has seen the time pass, with nothing to say yet
        assert notes.said == []
        watch.describe(TEXT)
        assert notes.said == [TEXT]


@pytest.mark.parametrize("honest", [True, False], ids=["timer", "timer firing as the work ends"])
def test_work_done_first_gets_no_note(honest):
    threshold, notes = Threshold(honest=honest), Notes()
    with StillWorking(notes.say, after=5.0, wait=threshold.wait) as watch:
        watch.describe(TEXT)
    threshold.passes()  # the time runs out only after the work is done
    watch.thread.join(HOLD_LIMIT)
    assert not watch.thread.is_alive() and notes.said == []


def test_a_note_that_cannot_be_said_is_logged_and_the_work_goes_on(caplog):
    threshold = Threshold()
    tried = threading.Event()

    def broken(text: str) -> None:
        tried.set()
        raise OSError("https://hooks.slack.com/commands/T0/SECRET-PATH unreachable")

    with (
        caplog.at_level(logging.WARNING, logger="bot.services.still_working"),
        StillWorking(broken, after=5.0, wait=threshold.wait) as watch,
    ):
        watch.describe(TEXT)
        threshold.passes()
        watch.thread.join(HOLD_LIMIT)
    assert tried.is_set()
    assert "the interim note could not be sent: OSError" in caplog.text and "SECRET" not in caplog.text


def test_the_real_timer_answers_as_event_wait_does():
    """The default wait: True at once for work already done (no time spent waiting on it)."""
    from bot.services.still_working import wait_or_timeout

    done = threading.Event()
    done.set()
    assert wait_or_timeout(done, 3600.0) is True
