"""A local stand-in for Slack's Web API and `response_url` over real HTTP, for end-to-end tests and the demo.

Owns what the bot sees of Slack offline: `POST /api/<method>` for the handful of methods the bot and
Bolt call (answered as Slack answers, `{"ok": false, "error": ...}` with HTTP 200 for API errors),
bearer-token auth, channels that do not exist or that the bot has not joined, response URLs with
Slack's five-post and expiry rules, injected faults (429 with Retry-After, 5xx, API errors, delays),
and a record of every call and post with helpers to wait for them, since answers come from threads.
slack_sdk uses urllib, so only a real HTTP server can stand in for Slack:

    with SlackStandIn(token="xoxb-test") as slack:
        WebClient(token="xoxb-test", base_url=slack.api_url).chat_postMessage(channel="C1", text="hi")
        assert slack.messages("C1")[0]["text"] == "hi"

Nothing is logged per request. Block Kit limits are checked by slack_blocks.py, the wire by slack_http.py.
"""

from __future__ import annotations

import hmac
import itertools
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.faults import FaultQueue, check_times
from bot.sandbox.httpd import HttpdLifecycle
from bot.sandbox.slack_blocks import blocks_error
from bot.sandbox.slack_http import (
    BodyError,
    SlackHttpd,
    SlackRequest,
    header_dict,
    json_body,
    parse_params,
    send,
    text_body,
)

log = logging.getLogger(__name__)

TEAM_URL = "https://katalo-test.slack.com/"
_TS = "__ts"  # where a recorded message keeps the ts Slack gave it
AUTH_TEST = {
    "ok": True,
    "url": TEAM_URL,
    "team": "Katalo Test",
    "user": "katalo",
    "team_id": "T0TEST",
    "user_id": "UBOT",
    "bot_id": "BBOT",
    "is_enterprise_install": False,
}
RESPONSE_URL_MAX_POSTS = 5  # Slack accepts five posts per response_url ...
RESPONSE_URL_TTL = 30 * 60.0  # ... within 30 minutes of the interaction
_FIRST_TS = 1_764_000_000_000_100  # microseconds: the first ts is "1764000000.000100"
_TS_STEP = 100  # microseconds between two ts, so each is unique and sorts after the last
_API_PREFIX = "/api/"
_RESPONSE_PREFIX = "/response/"


@dataclass(frozen=True)
class Call:
    """One Web API request as it arrived: method, parsed arguments, headers, time.monotonic() of arrival."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str] = field(repr=False)  # the bearer token is in here: keep it out of reprs
    at: float


@dataclass
class _Fault:
    """An injected answer for the next `times` calls of `method` (None: until cleared)."""

    method: str
    status: int
    error: str | None
    retry_after: float | None
    delay: float
    times: int | None


@dataclass
class _ResponseUrl:
    """One issued response URL: when (monotonic), how many posts it accepted, whether expired by hand."""

    issued: float
    posts: int = 0
    expired: bool = False


class SlackError(Exception):
    """An API error: answered HTTP 200 with `{"ok": false, "error": error}`, as Slack does."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class SlackStandIn(HttpdLifecycle):
    """Slack's Web API and response URLs on a local port, with faults to inject and a record of traffic.

    start() / serve_forever() / stop(), `with` and `url` (the server's root) come from HttpdLifecycle.
    """

    _thread_name = "slack-standin"
    _kind = "Slack stand-in"

    def __init__(
        self,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`sleep` acts out injected delays; a test may pass one that waits on its own event."""
        self._sleep = sleep
        self.known_channels: set[str] | None = None  # None: every channel exists
        self.member_of: set[str] | None = None  # None: the bot is a member of every channel
        self._token = None if token is None else token.encode()
        self._faults: FaultQueue[_Fault] = FaultQueue(lambda fault: fault.method)  # has its own lock
        # One condition guards all state below; waiters wake on every call and post.
        self._changed = threading.Condition()
        self._calls: list[Call] = []
        self._messages: list[dict[str, Any]] = []
        self._posts: list[tuple[str, dict[str, Any]]] = []
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._ts = itertools.count(_FIRST_TS, _TS_STEP)
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": lambda _params: dict(AUTH_TEST),
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "chat.getPermalink": self._permalink,
            "conversations.info": self._conversation_info,
            "conversations.history": self._history,
        }
        # Bound now (as http.server does) so the URLs are known before serving starts.
        super().__init__(SlackHttpd((host, port), self._handle))

    # --- URLs ------------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """`http://127.0.0.1:<port>/api/`, the `base_url` to give WebClient (trailing slash included)."""
        return self.url + _API_PREFIX

    # --- response URLs ---------------------------------------------------------------------------

    def new_response_url(self) -> str:
        """A fresh response URL, `http://127.0.0.1:<port>/response/<id>`, good for five posts."""
        # Unguessable like Slack's, so a test cannot post to a URL it was never given by accident.
        url_id = secrets.token_hex(12)
        with self._changed:
            self._response_urls[url_id] = _ResponseUrl(issued=time.monotonic())
        return self.url + _RESPONSE_PREFIX + url_id

    def expire_response_url(self, url: str) -> None:
        """Make a response URL answer 404 `expired_url` from now on, as it would after 30 minutes."""
        with self._changed:
            self._response_url(url).expired = True

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

    def calls(self, method: str | None = None) -> list[Call]:
        """Every Web API request (of one method), in arrival order, failed ones included."""
        with self._changed:
            return [call for call in self._calls if method is None or call.method == method]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """The arguments of every successful chat.postMessage (to one channel), in order."""
        with self._changed:
            return [
                {k: v for k, v in m.items() if k != _TS}
                for m in self._messages
                if channel in (None, m.get("channel"))
            ]

    def posts(self, url: str | None = None) -> list[dict[str, Any]]:
        """The JSON bodies response URLs accepted (at one URL), in order; refused posts are not here."""
        with self._changed:
            return [body for posted_to, body in self._posts if url is None or posted_to == url]

    def reset(self) -> None:
        """Forget recorded calls, messages and posts; faults, response URLs and the ts sequence stay."""
        with self._changed:
            self._calls.clear()
            self._messages.clear()
            self._posts.clear()

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Every call of `method` once there are at least `count`; AssertionError after `timeout` seconds."""
        with self._changed:
            if self._changed.wait_for(lambda: len(self._matching_calls(method)) >= count, timeout):
                return self._matching_calls(method)
            got = len(self._matching_calls(method))
            arrived = [_describe_call(call) for call in self._calls]
        raise AssertionError(
            f"expected {count} {method} call(s) within {timeout:g} s, got {got}; "
            f"all calls: {arrived or 'none'}"
        )

    def wait_for_posts(
        self, url: str | None = None, count: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Every accepted post (to `url`) once there are at least `count`; AssertionError after `timeout`."""
        with self._changed:
            if self._changed.wait_for(lambda: len(self._matching_posts(url)) >= count, timeout):
                return self._matching_posts(url)
            arrived = [f"{_url_id(posted_to)}: {_describe_params(body)}" for posted_to, body in self._posts]
        where = "any response URL" if url is None else f"response URL {_url_id(url)}"
        raise AssertionError(
            f"expected {count} post(s) to {where} within {timeout:g} s; accepted posts: {arrived or 'none'}"
        )

    def _matching_calls(self, method: str) -> list[Call]:
        return [call for call in self._calls if call.method == method]

    def _matching_posts(self, url: str | None) -> list[dict[str, Any]]:
        return [body for posted_to, body in self._posts if url is None or posted_to == url]

    # --- requests --------------------------------------------------------------------------------

    def _handle(self, request: SlackRequest) -> None:
        """Route one request; a stand-in bug still answers (500) and shows up in the log."""
        path = urlsplit(request.path).path
        try:
            if path.startswith(_API_PREFIX):
                self._handle_api(request, path.removeprefix(_API_PREFIX))
            elif path.startswith(_RESPONSE_PREFIX):
                self._handle_response_url(request, path.removeprefix(_RESPONSE_PREFIX))
            else:
                send(request, 404, text_body("not_found"))
        except Exception:  # the client must get an answer, not a hung connection
            log.exception("Slack stand-in handler failed")
            request.close_connection = True
            send(request, 500, json_body({"ok": False, "error": "internal_error"}))

    def _handle_api(self, request: SlackRequest, method: str) -> None:
        """A Web API call: record it, act out a fault, check the token, then run the method."""
        arrived = time.monotonic()
        headers = header_dict(request)
        try:
            params = parse_params(request.body, headers.get("Content-Type"), urlsplit(request.path).query)
        except BodyError as error:
            params, body_error = {}, error.error
        else:
            body_error = None
        with self._changed:
            self._calls.append(Call(method, params, headers, arrived))
            # Spent under the condition, with the call: whoever sees the call sees its fault used.
            fault = self._faults.take(method)
            self._changed.notify_all()
        if fault is not None:
            if fault.delay > 0:
                self._sleep(fault.delay)
            if fault.status != 200 or fault.error is not None:
                self._send_fault(request, fault)
                return
        try:
            answer = self._run(method, params, headers.get("Authorization"), body_error)
        except SlackError as error:
            answer = {"ok": False, "error": error.error}
        send(request, 200, json_body(answer))

    def _run(
        self, method: str, params: dict[str, Any], authorization: str | None, body_error: str | None
    ) -> dict[str, Any]:
        """A successful answer to a call; SlackError for an API error."""
        if body_error is not None:
            raise SlackError(body_error)
        self._authorize(authorization)
        handler = self._methods.get(method)
        if handler is None:
            raise SlackError("unknown_method")
        return handler(params)

    @staticmethod
    def _send_fault(request: SlackRequest, fault: _Fault) -> None:
        if fault.status == 429:
            retry_after = 1.0 if fault.retry_after is None else fault.retry_after
            body = {"ok": False, "error": fault.error or "ratelimited"}
            send(request, 429, json_body(body), retry_after=retry_after)
            return
        default = "internal_error" if fault.status >= 500 else "invalid_request"
        body = {"ok": False, "error": fault.error or default}
        send(request, fault.status, json_body(body), retry_after=fault.retry_after)

    def _authorize(self, authorization: str | None) -> None:
        """SlackError unless the call carries `Bearer <token>` (when a token is set)."""
        if self._token is None:
            return
        if not authorization:
            raise SlackError("not_authed")  # Slack's word for no token at all
        scheme, _, presented = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), self._token):
            raise SlackError("invalid_auth")

    def _handle_response_url(self, request: SlackRequest, url_id: str) -> None:
        """A post to a response URL: 200 `ok` and recorded, or 404/400 with Slack's plain-text reason."""
        if request.command != "POST":
            send(request, 405, text_body("method_not_allowed"))
            return
        with self._changed:
            state = self._response_urls.get(url_id)
            if state is None:
                refusal: tuple[int, str] | None = (404, "invalid_url")
            elif state.expired or time.monotonic() - state.issued > RESPONSE_URL_TTL:
                refusal = (404, "expired_url")
            elif state.posts >= RESPONSE_URL_MAX_POSTS:
                refusal = (404, "used_url")
            else:
                refusal = _payload_error(request.body)
            if refusal is None and state is not None:
                state.posts += 1
                self._posts.append((self.url + _RESPONSE_PREFIX + url_id, _json_object(request.body)))
                self._changed.notify_all()
        status, reason = refusal or (200, "ok")
        send(request, status, text_body(reason))

    # --- Web API methods -------------------------------------------------------------------------

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params, posting=True)
        _check_content(params)
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": AUTH_TEST["user_id"],
            "bot_id": AUTH_TEST["bot_id"],
        }
        message |= {
            key: params[key] for key in ("text", "blocks", "attachments", "thread_ts") if key in params
        }
        message["ts"] = ts
        with self._changed:
            self._messages.append({**params, _TS: ts})  # messages() hands back the arguments alone
            self._changed.notify_all()
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        self._channel(params, posting=True)
        if not params.get("user"):
            raise SlackError("user_not_in_channel")
        _check_content(params)
        return {"ok": True, "message_ts": self._next_ts()}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params, posting=False)
        if not params.get("ts"):
            raise SlackError("message_not_found")
        _check_content(params)
        return {"ok": True, "channel": channel, "ts": params["ts"], "text": params.get("text", "")}

    def _permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params, posting=False)
        ts = str(params.get("message_ts") or "")
        if not ts:
            raise SlackError("message_not_found")
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"{TEAM_URL}archives/{channel}/p{ts.replace('.', '')}",
        }

    def _conversation_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params, posting=False)
        return {
            "ok": True,
            "channel": {"id": channel, "name": "general", "is_member": _has(self.member_of, channel)},
        }

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Messages newer than `oldest`, newest first; metadata only when asked for, as in Slack."""
        channel = self._channel(params, posting=False)
        oldest = float(params.get("oldest") or 0)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._changed:
            posted = [m for m in self._messages if m.get("channel") == channel and float(m[_TS]) > oldest]
        shown = []
        for message in reversed(posted[-int(params.get("limit") or 100) :]):
            entry = {"type": "message", "ts": message[_TS], "text": message.get("text", "")}
            if with_metadata and "metadata" in message:
                entry["metadata"] = message["metadata"]
            shown.append(entry)
        return {"ok": True, "messages": shown, "has_more": False}

    def _channel(self, params: dict[str, Any], *, posting: bool) -> str:
        """The `channel` argument; SlackError for a missing or unknown channel, or (posting) a non-member."""
        channel = str(params.get("channel") or "")
        if not channel or not _has(self.known_channels, channel):
            raise SlackError("channel_not_found")
        if posting and not _has(self.member_of, channel):
            raise SlackError("not_in_channel")
        return channel

    def _next_ts(self) -> str:
        with self._changed:
            micros = next(self._ts)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _response_url(self, url: str) -> _ResponseUrl:
        """The state of a URL new_response_url() gave; ValueError for any other."""
        state = self._response_urls.get(_url_id(url))
        if not url.startswith(self.url + _RESPONSE_PREFIX) or state is None:
            raise ValueError(f"{url!r} is not a response URL of this stand-in")
        return state


def _has(allowed: Collection[str] | None, channel: str) -> bool:
    return allowed is None or channel in allowed


def _check_content(params: dict[str, Any]) -> None:
    """SlackError for a message with nothing to show, or blocks Slack would refuse."""
    if not any(params.get(key) for key in ("text", "blocks", "attachments")):
        raise SlackError("no_text")
    if "blocks" in params:
        error = blocks_error(params["blocks"])
        if error is not None:
            raise SlackError(error)


def _payload_error(body: bytes) -> tuple[int, str] | None:
    """Why Slack would refuse this response_url body (400), or None."""
    payload = _json_object(body)
    if not payload:
        return 400, "invalid_payload"
    if not payload.get("delete_original") and not any(
        payload.get(k) for k in ("text", "blocks", "attachments")
    ):
        return 400, "no_text"
    if "blocks" in payload and (error := blocks_error(payload["blocks"])) is not None:
        return 400, error
    return None


def _json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; {} for anything else."""
    try:
        decoded = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _url_id(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _describe_call(call: Call) -> str:
    return f"{call.method}({_describe_params(call.params)})"


def _describe_params(params: dict[str, Any]) -> str:
    """A short summary of a call or post for failure messages: channel and the start of the text."""
    parts = [f"{key}={str(params[key])[:40]!r}" for key in ("channel", "text") if key in params]
    if "blocks" in params:
        parts.append(f"{len(params['blocks']) if isinstance(params['blocks'], list) else '?'} blocks")
    return ", ".join(parts)
