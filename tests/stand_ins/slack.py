"""SlackDouble: the Slack stand-in (bot/sandbox/slack.py) plus what tests set up and read back.

Faults to inject (429 with Retry-After, 5xx, API errors, delays), channels that do not exist or that
the bot has not joined, response URLs expired by hand, messages deleted by a person, the messages
posted, and a reset between steps;
and `apps.connections.open` for an app-level token, once a test serves Socket Mode (serve_socket_mode).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.sandbox.httpd import Request
from bot.sandbox.slack import (
    _RESPONSE_PREFIX,
    _TS,
    RESPONSE_URL_TTL,
    SlackError,
    SlackStandIn,
    _ResponseUrl,
    _url_id,
)
from bot.sandbox.slack_http import json_body, send
from tests.stand_ins.faults import FaultQueue, check_times


@dataclass
class _Fault:
    """An injected answer for the next `times` calls of `method` (None: until cleared)."""

    method: str
    status: int
    error: str | None
    retry_after: float | None
    delay: float
    times: int | None


class SlackDouble(SlackStandIn):
    """The Slack stand-in, with faults, channel rules and expiry a test controls."""

    def __init__(
        self,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        sleep: Callable[[float], None] = time.sleep,
        ts_clock: Callable[[], datetime] | None = None,
    ) -> None:
        """`sleep` acts out injected delays; a test may pass one that waits on its own event.

        `ts_clock` (e.g. a FakeClock's now): message ts follow it, as Slack's follow its own clock, so a
        conversations.history window (`oldest`, `latest`) means the same time as the bot's.
        """
        self._sleep = sleep
        self._ts_clock = ts_clock
        self._last_ts = 0
        self.history_clock: Callable[[], float] | None = None  # set: history answers 429 above 1/min
        self._last_history: float | None = None
        self.known_channels: set[str] | None = None  # None: every channel exists
        self.member_of: set[str] | None = None  # None: the bot is a member of every channel
        self._faults: FaultQueue[_Fault] = FaultQueue(lambda fault: fault.method)  # has its own lock
        self._socket_mode: tuple[bytes, Callable[[], str]] | None = None
        self._deleted: set[tuple[str, str]] = set()  # (channel, ts): a reply to one is thread_not_found
        super().__init__(token=token, host=host, port=port)

    def serve_socket_mode(self, app_token: str, new_url: Callable[[], str]) -> None:
        """Answer `apps.connections.open` with `new_url()` (e.g. a SocketModeStandIn's) for `app_token`."""
        self._socket_mode = (app_token.encode(), new_url)

    def expire_response_url(self, url: str) -> None:
        """Make a response URL answer 404 `expired_url` from now on, as it would after 30 minutes."""
        with self._changed:
            self._response_url(url).issued -= RESPONSE_URL_TTL + 1

    # --- fault injection -------------------------------------------------------------------------

    def inject(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
        times: int | None = 1,
    ) -> None:
        """Answer the next `times` calls of Web API `method` (None: every call until cleared) differently.

        After sleeping `delay` seconds: status 429 answers HTTP 429 `ratelimited` with Retry-After
        (`retry_after`, default 1, rounded up to whole seconds as Slack sends it); another status
        answers that HTTP status with `{"ok": false, "error": error or a default}`; status 200 with
        `error` answers HTTP 200 `{"ok": false, "error": error}`; status 200 alone only delays.
        Faults for one method are used first-in first-out.
        """
        if status != 200 and not 400 <= status <= 599:
            raise ValueError(f"status must be 200 or 400-599, not {status}")
        check_times(times)
        if delay < 0 or (retry_after is not None and retry_after < 0):
            raise ValueError("delay and retry_after cannot be negative")
        if status == 200 and error is None and delay == 0:
            raise ValueError("this fault would change nothing: give a status, an error or a delay")
        self._faults.add(_Fault(method, status, error, retry_after, delay, times))

    def clear_faults(self) -> None:
        """Forget every injected fault."""
        self._faults.clear()

    # --- recording -------------------------------------------------------------------------------

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """The arguments of every successful chat.postMessage (to one channel), in order."""
        with self._changed:
            return [
                {k: v for k, v in m.items() if k != _TS}
                for m in self._messages
                if channel in (None, m.get("channel"))
            ]

    def message_ts(self, channel: str | None = None) -> list[str]:
        """The ts Slack gave each successful chat.postMessage (to one channel), in order."""
        with self._changed:
            return [str(m[_TS]) for m in self._messages if channel in (None, m.get("channel"))]

    def delete_message(self, channel: str, ts: str) -> None:
        """A person deletes a message: it leaves the channel; chat.update of it answers message_not_found,
        and a reply in its thread thread_not_found, as Slack answers."""
        with self._changed:
            gone = [m for m in self._messages if m.get("channel") == channel and m[_TS] == ts]
            if not gone:
                raise ValueError(f"no message {ts} in {channel}")
            self._messages.remove(gone[0])
            self._deleted.add((channel, ts))
            self._changed.notify_all()

    def reset(self) -> None:
        """Forget recorded calls, messages and posts; faults, response URLs and the ts sequence stay."""
        with self._changed:
            self._calls.clear()
            self._messages.clear()
            self._posts.clear()

    # --- the stand-in's hooks --------------------------------------------------------------------

    def _intercept(self, method: str) -> Callable[[Request], bool] | None:
        """The next fault for this method, spent now (under the stand-in's condition, with the call)."""
        if method == "conversations.history" and self.history_clock is not None:
            limited = self._history_rate_limited(self.history_clock())
            if limited is not None:
                return limited
        fault = self._faults.take(method)
        return None if fault is None else lambda request: _act_out(request, fault, self._sleep)

    def _history_rate_limited(self, now: float) -> Callable[[Request], bool] | None:
        """Slack's 1 conversations.history a minute for non-Marketplace apps: 429 until it has passed."""
        last = self._last_history
        if last is not None and now - last < 60:
            fault = _Fault("conversations.history", 429, None, 60 - (now - last), 0.0, 1)
            return lambda request: _act_out(request, fault, self._sleep)
        self._last_history = now
        return None

    def _next_ts(self) -> str:
        """Slack's ts from `ts_clock` (unique and increasing), else the stand-in's own sequence."""
        if self._ts_clock is None:
            return super()._next_ts()
        with self._changed:
            micros = max(int(self._ts_clock().timestamp() * 1_000_000), self._last_ts + 100)
            self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _run(
        self, method: str, params: dict[str, Any], authorization: str | None, body_error: str | None
    ) -> dict[str, Any]:
        """apps.connections.open takes the app-level token and no other; a reply in the thread of a
        deleted message is thread_not_found; the rest as in the stand-in."""
        thread = (str(params.get("channel") or ""), str(params.get("thread_ts") or ""))
        if method == "chat.postMessage" and thread in self._deleted:
            raise SlackError("thread_not_found")
        if method != "apps.connections.open" or self._socket_mode is None:
            return super()._run(method, params, authorization, body_error)
        app_token, new_url = self._socket_mode
        presented = (authorization or "").removeprefix("Bearer ").encode()
        if not hmac.compare_digest(presented, app_token):
            raise SlackError("not_allowed_token_type" if presented.startswith(b"xoxb-") else "invalid_auth")
        return {"ok": True, "url": new_url()}

    def _channel(self, params: dict[str, Any], *, posting: bool) -> str:
        """SlackError for a channel outside known_channels, or (posting) outside member_of."""
        channel = super()._channel(params, posting=posting)
        if not _has(self.known_channels, channel):
            raise SlackError("channel_not_found")
        if posting and not _has(self.member_of, channel):
            raise SlackError("not_in_channel")
        return channel

    def _response_url(self, url: str) -> _ResponseUrl:
        """The state of a URL new_response_url() gave; ValueError for any other."""
        state = self._response_urls.get(_url_id(url))
        if not url.startswith(self.url + _RESPONSE_PREFIX) or state is None:
            raise ValueError(f"{url!r} is not a response URL of this stand-in")
        return state


def _act_out(request: Request, fault: _Fault, sleep: Callable[[float], None]) -> bool:
    """Sleep the fault's delay, then answer with it; False when it only delays (the call goes on)."""
    if fault.delay > 0:
        sleep(fault.delay)
    if fault.status == 200 and fault.error is None:
        return False
    if fault.status == 429:
        retry_after = 1.0 if fault.retry_after is None else fault.retry_after
        body = {"ok": False, "error": fault.error or "ratelimited"}
        send(request, 429, json_body(body), retry_after=retry_after)
        return True
    default = "internal_error" if fault.status >= 500 else "invalid_request"
    body = {"ok": False, "error": fault.error or default}
    send(request, fault.status, json_body(body), retry_after=fault.retry_after)
    return True


def _has(allowed: Collection[str] | None, channel: str) -> bool:
    return allowed is None or channel in allowed


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The buttons of a message, by their visible text."""
    return {
        e["text"]["text"]: e
        for b in message.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("type") == "button"  # selects and datepickers are changed, not pressed
    }
