"""A local stand-in for Slack's Web API and `response_url` over real HTTP, for the demo and the tests.

Owns what the bot sees of Slack offline: `POST /api/<method>` for the methods the bot and Bolt call,
auth.test, chat.postMessage, chat.update (the bot's own message, in place), chat.getPermalink,
conversations.history and conversations.replies (slack_history.py), conversations.open (a DM with
one user) and the three steps of
`files_upload_v2` (slack_files.py; any other method answers unknown_method), answered as Slack
answers (`{"ok": false, "error": ...}` with HTTP 200 for API errors), bearer-token auth, response
URLs with Slack's five-post and expiry rules, and a record of every call, post and shared file with
helpers to wait for them, since answers come from threads. slack_sdk uses urllib, so only a
real HTTP server can stand in for Slack:

    with SlackStandIn(token="xoxb-test") as slack:
        WebClient(token="xoxb-test", base_url=slack.api_url).chat_postMessage(channel="C1", text="hi")
        assert slack.calls("chat.postMessage")[0].params["text"] == "hi"

Faults, refused channels and expiry by hand are the tests' business (tests/stand_ins/slack.py).
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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.httpd import Httpd, HttpdLifecycle, Request
from bot.sandbox.slack_blocks import blocks_error
from bot.sandbox.slack_files import UPLOAD_PREFIX, FileError, FileUploads, SharedFile
from bot.sandbox.slack_history import read_page
from bot.sandbox.slack_http import (
    MAX_BODY,
    BodyError,
    answer_error,
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
class _ResponseUrl:
    """One issued response URL: when (monotonic), and how many posts it accepted."""

    issued: float
    posts: int = 0


class SlackError(Exception):
    """An API error: answered HTTP 200 with `{"ok": false, "error": error}`, as Slack does."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class SlackStandIn(HttpdLifecycle):
    """Slack's Web API and response URLs on a local port, with a record of traffic to wait on.

    start() / serve_forever() / stop(), `with` and `url` (the server's root) come from HttpdLifecycle.
    """

    _thread_name = "slack-standin"
    _kind = "Slack stand-in"

    def __init__(self, *, token: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self._token = None if token is None else token.encode()
        # One condition guards all state below; waiters wake on every call and post.
        self._changed = threading.Condition()
        self._calls: list[Call] = []
        self._messages: list[dict[str, Any]] = []
        self._posts: list[tuple[str, dict[str, Any]]] = []
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._ts = itertools.count(_FIRST_TS, _TS_STEP)
        self._files = FileUploads()
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": lambda _params: dict(AUTH_TEST),
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
            "chat.getPermalink": self._permalink,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "conversations.open": self._open_dm,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }
        # Bound now (as http.server does) so the URLs are known before serving starts.
        httpd = Httpd(
            (host, port),
            self._handle,
            answer_error=answer_error,
            software="katalo-slack-standin",
            max_body=MAX_BODY,
        )
        super().__init__(httpd)

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

    # --- recording -------------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Every Web API request (of one method), in arrival order, failed ones included."""
        with self._changed:
            return [call for call in self._calls if method is None or call.method == method]

    def posts(self, url: str | None = None) -> list[dict[str, Any]]:
        """The JSON bodies response URLs accepted (at one URL), in order; refused posts are not here."""
        with self._changed:
            return [body for posted_to, body in self._posts if url is None or posted_to == url]

    def uploads(self, channel: str | None = None) -> list[SharedFile]:
        """Every file files.completeUploadExternal shared (in one channel), bytes and alt text included."""
        with self._changed:
            return [f for f in self._files.shared if channel is None or f.channel_id == channel]

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

    def _handle(self, request: Request) -> None:
        """Route one request; a stand-in bug still answers (500) and shows up in the log."""
        path = urlsplit(request.path).path
        if request.body_unread:
            # Chunked or oversized: neither slack_sdk client sends them, and the body was not read.
            send(request, 413, json_body({"ok": False, "error": "request_too_large"}))
            return
        try:
            if path.startswith(_API_PREFIX):
                self._handle_api(request, path.removeprefix(_API_PREFIX))
            elif path.startswith(_RESPONSE_PREFIX):
                self._handle_response_url(request, path.removeprefix(_RESPONSE_PREFIX))
            elif path.startswith(UPLOAD_PREFIX) and request.command == "POST":
                self._handle_upload(request, path.removeprefix(UPLOAD_PREFIX))
            else:
                send(request, 404, text_body("not_found"))
        except Exception:  # the client must get an answer, not a hung connection
            log.exception("Slack stand-in handler failed")
            request.close_connection = True
            send(request, 500, json_body({"ok": False, "error": "internal_error"}))

    def _handle_api(self, request: Request, method: str) -> None:
        """A Web API call: record it, let a test's stand-in intercept it, check the token, run the method."""
        arrived = time.monotonic()
        headers = header_dict(request)
        body_error: str | None
        try:
            params = parse_params(request.body, headers.get("Content-Type"), urlsplit(request.path).query)
        except BodyError as error:
            params, body_error = {}, error.error
        else:
            body_error = None
        with self._changed:
            self._calls.append(Call(method, params, headers, arrived))
            # Decided under the condition, with the call: whoever sees the call sees its fault used.
            intercept = self._intercept(method)
            self._changed.notify_all()
        if intercept is not None and intercept(request):
            return
        try:
            answer = self._run(method, params, headers.get("Authorization"), body_error)
        except SlackError as error:
            answer = {"ok": False, "error": error.error}
        send(request, 200, json_body(answer))

    def _intercept(self, method: str) -> Callable[[Request], bool] | None:
        """None: every call is answered. Tests' stand-ins (tests/stand_ins/slack.py) inject faults here."""
        return None

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

    def _authorize(self, authorization: str | None) -> None:
        """SlackError unless the call carries `Bearer <token>` (when a token is set)."""
        if self._token is None:
            return
        if not authorization:
            raise SlackError("not_authed")  # Slack's word for no token at all
        scheme, _, presented = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), self._token):
            raise SlackError("invalid_auth")

    def _handle_response_url(self, request: Request, url_id: str) -> None:
        """A post to a response URL: 200 `ok` and recorded, or 404/400 with Slack's plain-text reason."""
        if request.command != "POST":
            send(request, 405, text_body("method_not_allowed"))
            return
        with self._changed:
            state = self._response_urls.get(url_id)
            if state is None:
                refusal: tuple[int, str] | None = (404, "invalid_url")
            elif time.monotonic() - state.issued > RESPONSE_URL_TTL:
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

    def _handle_upload(self, request: Request, upload_id: str) -> None:
        """A file's bytes POSTed to the URL files.getUploadURLExternal gave: `OK - <length>` as Slack says."""
        with self._changed:
            status, reason = self._files.receive(upload_id, request.body)
            self._changed.notify_all()
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
            self._messages.append({**params, _TS: ts})  # for conversations.history
            self._changed.notify_all()
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """Replace the text and blocks of a message posted earlier (channel and ts), as Slack does.

        Slack answers message_not_found for a ts it does not know in that channel; the stand-in only
        knows the messages posted through it, which are the bot's own, so cant_update_message never arises.
        """
        channel = self._channel(params, posting=True)
        _check_content(params)
        ts = str(params.get("ts") or "")
        with self._changed:
            found = next((m for m in self._messages if m.get("channel") == channel and m[_TS] == ts), None)
            if found is None:
                raise SlackError("message_not_found")
            for key in ("text", "blocks", "attachments"):
                if key in params:
                    found[key] = params[key]
            self._changed.notify_all()
        return {"ok": True, "channel": channel, "ts": ts, "text": found.get("text", "")}

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

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """A channel's messages, newest first, 15 a page (slack_history.py)."""
        return read_page(self._in_channel(params), params, _ts_of, SlackError)

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """One thread (the message at `ts` and its replies), oldest first, 15 a page (slack_history.py)."""
        thread = str(params.get("ts") or "")
        return read_page(self._in_channel(params), params, _ts_of, SlackError, thread=thread)

    def _in_channel(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        channel = self._channel(params, posting=False)
        with self._changed:
            return [m for m in self._messages if m.get("channel") == channel]

    def _open_dm(self, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.open for one user: the DM's id, the same each time (D + the user id's tail).

        Slack answers users_list_not_supplied without `users`; a group DM (several users) is not
        needed by the bot, so the stand-in refuses it rather than pretend.
        """
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 1:
            raise SlackError("not_implemented")
        return {"ok": True, "channel": {"id": "D" + users[0].removeprefix("U")}}

    def _get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._changed:
            try:
                return self._files.get_upload_url(params, self.url)
            except FileError as error:
                raise SlackError(error.error) from None

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        """Share uploaded files; the channel is checked as for a post (tests' stand-ins refuse some)."""
        with self._changed:
            try:
                answer = self._files.complete(params, lambda c: self._channel({"channel": c}, posting=True))
            except FileError as error:
                raise SlackError(error.error) from None
            self._changed.notify_all()
        return answer

    def _channel(self, params: dict[str, Any], *, posting: bool) -> str:
        """The `channel` argument; SlackError when there is none. Here every channel exists and has the bot
        (`posting`: whether the bot must be a member; tests' stand-ins refuse some channels)."""
        channel = str(params.get("channel") or "")
        if not channel:
            raise SlackError("channel_not_found")
        return channel

    def _next_ts(self) -> str:
        with self._changed:
            micros = next(self._ts)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _ts_of(message: dict[str, Any]) -> str:
    return str(message[_TS])


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
