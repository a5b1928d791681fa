"""The one net under every answer: an unexpected error is logged with its traceback, and the user hears.

Answers run in Bolt's lazy listeners, and Bolt catches their exceptions itself (logging one line, no
traceback) without calling the app's error handler: without this guard a bug would mean silence.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from bot.blocks._kit import Message
from bot.blocks.replies import build_internal_error

log = logging.getLogger(__name__)


@contextlib.contextmanager
def apologise_on_error(what: str, reply: Callable[[Message], Any]) -> Iterator[None]:
    try:
        yield
    except Exception:
        log.exception("unhandled error while %s", what)  # a fixed message; never str(exc) to Slack
        try:
            reply(build_internal_error())
        except Exception:  # noqa: BLE001 -- the apology is best effort; the error is already logged
            log.warning("could not tell the user about the error")
