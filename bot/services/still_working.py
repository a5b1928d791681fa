"""One interim "still working" note for slow work, and never one once the work is done.

`StillWorking` watches a piece of work from a thread of its own. When the work outlasts `after`
seconds and the note's text is known (the work describes itself once it knows, say, how many rows
it is writing), the note is said once. `finish()` ends the watch: after it returns no note can be
said, and a note being said when the work finishes is out before `finish()` returns, so the note
never arrives after the final answer.

Time is injected: `wait(done, seconds)` answers True when the work finished within the seconds and
False when they passed first. The default waits on the event with a timeout; tests pass a fake that
decides when the threshold passes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

log = logging.getLogger(__name__)

Wait = Callable[[threading.Event, float], bool]


def wait_or_timeout(done: threading.Event, seconds: float) -> bool:
    """True when `done` is set within `seconds`; False when they pass first."""
    return done.wait(seconds)


class StillWorking:
    """A context manager: the watch starts on entry and finishes on exit, however the work ends."""

    def __init__(self, say: Callable[[str], object], *, after: float, wait: Wait = wait_or_timeout) -> None:
        self._say, self._after, self._wait = say, after, wait
        self._lock = threading.Lock()  # held while the note is said: finish() waits for it
        self._done = threading.Event()
        self._text: str | None = None
        self._due = False  # the threshold has passed
        self._said = False
        # The watcher; a daemon, so a wait still running never holds up the process's exit.
        self.thread = threading.Thread(target=self._watch, name="still-working", daemon=True)

    def __enter__(self) -> StillWorking:
        self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.finish()

    def describe(self, text: str) -> None:
        """What the note says; said now when the threshold has already passed."""
        with self._lock:
            self._text = text
            self._say_once()

    def finish(self) -> None:
        """No note from now on (one being said is out before this returns)."""
        with self._lock:
            self._done.set()

    def _watch(self) -> None:
        if self._wait(self._done, self._after):
            return  # finished in time: nothing to say
        with self._lock:
            self._due = True
            self._say_once()

    def _say_once(self) -> None:
        """Say the note if it is due, known, not said yet and the work is not done (lock held)."""
        if not self._due or self._text is None or self._said or self._done.is_set():
            return
        self._said = True
        try:
            self._say(self._text)
        except Exception as error:  # noqa: BLE001 -- a note that cannot be said must not stop the work
            # The type only: a failed response_url call's text can carry the URL, itself a secret.
            log.warning("the interim note could not be sent: %s", type(error).__name__)
