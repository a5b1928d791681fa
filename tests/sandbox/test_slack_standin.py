"""SlackDouble over real HTTP, driven by slack_sdk's own WebClient and WebhookClient."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.sandbox.slack import AUTH_TEST
from tests.fakes import Gate
from tests.stand_ins.slack import SlackDouble

TOKEN = "xoxb-test-token"
BLOCKS = [
    {"type": "header", "text": {"type": "plain_text", "text": "Usage"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*$12.50* this month"}},
]


@pytest.fixture
def slack() -> Iterator[SlackDouble]:
    with SlackDouble(token=TOKEN) as standin:
        yield standin


@pytest.fixture
def client(slack: SlackDouble) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.api_url, timeout=5)


def api_error(call: Any) -> SlackApiError:
    """The SlackApiError a WebClient call raises."""
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


# --- Web API ---------------------------------------------------------------------------------------


def test_auth_test_answers_what_bolt_reads_at_start_up(slack: SlackDouble, client: WebClient) -> None:
    """auth.test answers the bot's identity, and the call is recorded with its bearer token."""
    assert client.auth_test().data == AUTH_TEST
    (call,) = slack.calls("auth.test")
    assert call.headers["Authorization"] == f"Bearer {TOKEN}" and TOKEN not in repr(call)


def test_post_message_answers_like_slack_and_is_recorded(slack: SlackDouble, client: WebClient) -> None:
    """chat.postMessage answers channel, ts and the message, and messages() holds the arguments."""
    response = client.chat_postMessage(channel="C1", text="usage", blocks=BLOCKS, thread_ts="1.000200")
    assert response["channel"] == "C1" and response["ts"] == "1764000000.000100"
    assert response["message"] | {"ts": None} == {
        "type": "message",
        "user": "UBOT",
        "bot_id": "BBOT",
        "text": "usage",
        "blocks": BLOCKS,
        "thread_ts": "1.000200",
        "ts": None,
    }
    assert slack.messages() == [{"channel": "C1", "text": "usage", "blocks": BLOCKS, "thread_ts": "1.000200"}]


def test_ts_are_unique_and_increasing(client: WebClient) -> None:
    """Every posted message gets a later ts than the one before, in any channel."""
    ts = [client.chat_postMessage(channel=f"C{n % 2}", text=str(n))["ts"] for n in range(4)]
    assert len(set(ts)) == 4 and ts == sorted(ts, key=float)


def test_form_encoded_blocks_are_decoded(slack: SlackDouble, client: WebClient) -> None:
    """A form-encoded call's JSON `blocks` field is recorded as the list it encodes."""
    client.api_call("chat.postMessage", params={"channel": "C1", "text": "t", "blocks": json.dumps(BLOCKS)})
    (call,) = slack.calls("chat.postMessage")
    assert call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert call.params["blocks"] == BLOCKS and slack.messages("C1")[0]["blocks"] == BLOCKS


def test_messages_filter_by_channel(slack: SlackDouble, client: WebClient) -> None:
    """messages(channel) holds only that channel's posts."""
    client.chat_postMessage(channel="C1", text="one")
    client.chat_postMessage(channel="C2", text="two")
    assert [m["text"] for m in slack.messages("C2")] == ["two"]


def test_permalink_answers_like_slack(client: WebClient) -> None:
    """chat.getPermalink answers the message's link in Slack's shape."""
    permalink = client.chat_getPermalink(channel="C1", message_ts="1764000000.000100")["permalink"]
    assert permalink == "https://katalo-test.slack.com/archives/C1/p1764000000000100"


def test_methods_the_bot_never_calls_are_unknown(client: WebClient) -> None:
    """Only the methods the bot calls are stood in for: any other answers unknown_method, as Slack would."""
    error = api_error(lambda: client.chat_delete(channel="C1", ts="1764000000.000100"))
    assert error.response["error"] == "unknown_method"


def test_update_replaces_a_posted_message_in_place(slack: SlackDouble, client: WebClient) -> None:
    """chat.update changes the text of the message at that ts; an unknown ts is message_not_found."""
    ts = client.chat_postMessage(channel="C1", text="80% used")["ts"]
    client.chat_update(channel="C1", ts=ts, text="100% reached")
    assert [m["text"] for m in slack.messages("C1")] == ["100% reached"]
    error = api_error(lambda: client.chat_update(channel="C2", ts=ts, text="x"))
    assert error.response["error"] == "message_not_found"


def test_wrong_token_is_invalid_auth(slack: SlackDouble) -> None:
    """A call with another token raises SlackApiError invalid_auth (HTTP 200, as Slack answers)."""
    error = api_error(lambda: WebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test())
    assert error.response.status_code == 200 and error.response["error"] == "invalid_auth"


def test_missing_token_is_not_authed(slack: SlackDouble) -> None:
    """A call without a token answers not_authed, Slack's error for no token at all."""
    error = api_error(lambda: WebClient(base_url=slack.api_url).chat_postMessage(channel="C1", text="x"))
    assert error.response["error"] == "not_authed" and slack.messages() == []


def test_unknown_channel_is_channel_not_found(slack: SlackDouble, client: WebClient) -> None:
    """With known_channels set, posting elsewhere answers channel_not_found and is not a message."""
    slack.known_channels = {"C1"}
    error = api_error(lambda: client.chat_postMessage(channel="C404", text="x"))
    assert error.response["error"] == "channel_not_found"
    assert slack.messages() == [] and len(slack.calls("chat.postMessage")) == 1


def test_channel_not_joined_is_not_in_channel(slack: SlackDouble, client: WebClient) -> None:
    """With member_of set, posting to a known channel the bot has not joined answers not_in_channel."""
    slack.member_of = {"C1"}
    error = api_error(lambda: client.chat_postMessage(channel="C2", text="x"))
    assert error.response["error"] == "not_in_channel"
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True


def test_message_without_content_is_no_text(client: WebClient) -> None:
    """A message with neither text, blocks nor attachments answers no_text."""
    assert api_error(lambda: client.api_call("chat.postMessage", json={"channel": "C1"})).response[
        "error"
    ] == ("no_text")


def test_blocks_past_slack_limits_are_invalid_blocks(client: WebClient) -> None:
    """51 blocks answer invalid_blocks, as Slack refuses them."""
    blocks = [{"type": "divider"}] * 51
    error = api_error(lambda: client.chat_postMessage(channel="C1", text="x", blocks=blocks))
    assert error.response["error"] == "invalid_blocks"


def test_unknown_method_is_unknown_method(client: WebClient) -> None:
    """A method the stand-in does not implement answers unknown_method."""
    assert api_error(lambda: client.api_call("reactions.add")).response["error"] == "unknown_method"


# --- faults ----------------------------------------------------------------------------------------


def test_429_raises_with_retry_after(slack: SlackDouble, client: WebClient) -> None:
    """An injected 429 reaches the caller as SlackApiError ratelimited with HTTP 429 and Retry-After."""
    slack.inject("chat.postMessage", status=429, retry_after=7)
    error = api_error(lambda: client.chat_postMessage(channel="C1", text="x"))
    assert error.response.status_code == 429 and error.response["error"] == "ratelimited"
    assert error.response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True  # times=1: used up


def test_429_is_retried_by_rate_limit_handler(slack: SlackDouble, client: WebClient) -> None:
    """With RateLimitErrorRetryHandler the client waits out the 429 and the call then succeeds."""
    slack.inject("chat.postMessage", status=429, retry_after=0)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert len(slack.calls("chat.postMessage")) == 2 and len(slack.messages()) == 1


def test_500_raises_server_error(slack: SlackDouble, client: WebClient) -> None:
    """An injected 500 reaches the caller as SlackApiError with HTTP 500, and nothing is posted."""
    slack.inject("chat.postMessage", status=500)
    error = api_error(lambda: client.chat_postMessage(channel="C1", text="x"))
    assert error.response.status_code == 500 and slack.messages() == []


def test_injected_error_repeats_until_cleared(slack: SlackDouble, client: WebClient) -> None:
    """error= answers HTTP 200 not-ok; times=None repeats it until clear_faults()."""
    slack.inject("chat.getPermalink", error="message_not_found", times=None)
    for _ in range(2):
        error = api_error(lambda: client.chat_getPermalink(channel="C1", message_ts="1.0"))
        assert (error.response.status_code, error.response["error"]) == (200, "message_not_found")
    slack.clear_faults()
    assert client.chat_getPermalink(channel="C1", message_ts="1.0")["ok"] is True


def test_injected_delay_slows_the_answer() -> None:
    """delay= alone answers normally, late: the answer waits for the delay."""
    gate = Gate()
    with SlackDouble(token=TOKEN, sleep=gate.sleep) as slack, ThreadPoolExecutor(1) as pool:
        slack.inject("auth.test", delay=0.2)
        answer = pool.submit(WebClient(token=TOKEN, base_url=slack.api_url, timeout=5).auth_test)
        gate.wait_held()
        assert gate.slept == [0.2]
        assert not answer.done()  # held: no answer before the delay is over
        gate.open()
        assert answer.result()["ok"] is True


def test_inject_refuses_a_fault_that_changes_nothing(slack: SlackDouble) -> None:
    """inject() without status, error or delay raises ValueError rather than silently doing nothing."""
    with pytest.raises(ValueError, match="change nothing"):
        slack.inject("chat.postMessage")


# --- response URLs ---------------------------------------------------------------------------------


def test_response_url_post_is_recorded(slack: SlackDouble) -> None:
    """A JSON post to a response URL answers 200 ok and is recorded under that URL."""
    url, other = slack.new_response_url(), slack.new_response_url()
    response = WebhookClient(url).send(text="done", response_type="in_channel", replace_original=True)
    assert (response.status_code, response.body) == (200, "ok")
    assert slack.posts(url) == [{"text": "done", "response_type": "in_channel", "replace_original": True}]
    assert slack.posts(other) == [] and url != other


def test_sixth_post_is_used_url(slack: SlackDouble) -> None:
    """A response URL takes five posts; the sixth answers 404 used_url and is not recorded."""
    webhook = WebhookClient(slack.new_response_url())
    statuses = [webhook.send(text=str(n)).status_code for n in range(5)]
    sixth = webhook.send(text="6")
    assert statuses == [200] * 5 and (sixth.status_code, sixth.body) == (404, "used_url")
    assert len(slack.posts()) == 5


def test_expired_response_url_is_refused(slack: SlackDouble) -> None:
    """An expired response URL answers 404 expired_url."""
    url = slack.new_response_url()
    slack.expire_response_url(url)
    response = WebhookClient(url).send(text="late")
    assert (response.status_code, response.body) == (404, "expired_url") and slack.posts() == []


def test_unknown_response_url_is_invalid_url(slack: SlackDouble) -> None:
    """A response URL the stand-in never issued answers 404 invalid_url."""
    response = WebhookClient(slack.url + "/response/0123456789abcdef01234567").send(text="x")
    assert (response.status_code, response.body) == (404, "invalid_url")


# --- waiting ---------------------------------------------------------------------------------------


def test_wait_for_calls_returns_when_a_thread_posts(slack: SlackDouble, client: WebClient) -> None:
    """wait_for_calls returns once a background thread's call arrives."""
    worker = threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="later"))
    worker.start()
    (call,) = slack.wait_for_calls("chat.postMessage", timeout=5)
    worker.join()
    assert call.params["text"] == "later"


def test_wait_for_calls_timeout_lists_what_arrived(slack: SlackDouble, client: WebClient) -> None:
    """On timeout, wait_for_calls raises AssertionError naming the expected call and those that came."""
    client.chat_getPermalink(channel="C1", message_ts="1.0")
    with pytest.raises(
        AssertionError, match=r"expected 1 chat\.postMessage call\(s\) within 0\.1 s, got 0"
    ) as e:
        slack.wait_for_calls("chat.postMessage", timeout=0.1)
    assert "chat.getPermalink(channel='C1')" in str(e.value)


def test_wait_for_posts_returns_when_a_thread_posts(slack: SlackDouble) -> None:
    """wait_for_posts returns once a background thread's post to the response URL is accepted."""
    url = slack.new_response_url()
    worker = threading.Timer(0.1, lambda: WebhookClient(url).send(text="answer"))
    worker.start()
    assert slack.wait_for_posts(url, timeout=5) == [{"text": "answer"}]
    worker.join()


def test_wait_for_posts_timeout_says_what_was_expected(slack: SlackDouble) -> None:
    """On timeout, wait_for_posts raises AssertionError saying how many posts it wanted and got."""
    url = slack.new_response_url()
    WebhookClient(url).send(text="first")
    with pytest.raises(AssertionError, match=r"expected 2 post\(s\) to response URL .* within 0\.1 s") as e:
        slack.wait_for_posts(url, count=2, timeout=0.1)
    assert "text='first'" in str(e.value)


# --- files_upload_v2 -------------------------------------------------------------------------------

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # the stand-in keeps bytes, whatever they are


def test_files_upload_v2_shares_the_bytes_alt_text_channel_and_thread(
    slack: SlackDouble, client: WebClient
) -> None:
    """slack_sdk's own files_upload_v2, unchanged: the three steps, and the file read back as shared."""
    parent = client.chat_postMessage(channel="C1", text="digest")["ts"]
    response = client.files_upload_v2(
        channel="C1",
        thread_ts=parent,
        file=PNG_BYTES,
        filename="spend.png",
        title="Daily spend",
        alt_txt="Daily spend: $12.50 over 14 days",
        initial_comment="Charts",
    )
    assert response["file"]["title"] == "Daily spend"
    [shared] = slack.uploads("C1")
    assert shared.file_id == response["file"]["id"]
    assert (shared.data, shared.filename, shared.title) == (PNG_BYTES, "spend.png", "Daily spend")
    assert (shared.alt_txt, shared.thread_ts, shared.initial_comment) == (
        "Daily spend: $12.50 over 14 days",
        parent,
        "Charts",
    )
    [url_call] = slack.calls("files.getUploadURLExternal")
    assert url_call.params["length"] == str(len(PNG_BYTES))
    assert slack.uploads("C2") == []


def test_alt_text_over_1000_characters_is_alt_txt_too_large(slack: SlackDouble, client: WebClient) -> None:
    error = api_error(
        lambda: client.files_upload_v2(channel="C1", file=b"x", filename="a", alt_txt="a" * 1001)
    )
    assert error.response["error"] == "alt_txt_too_large"
    assert slack.uploads() == []
    assert client.files_upload_v2(channel="C1", file=b"x", filename="a", alt_txt="a" * 1000)["ok"] is True


@pytest.mark.parametrize("length", [0, None])
def test_a_missing_or_zero_length_is_missing_argument(client: WebClient, length: int | None) -> None:
    """slack_sdk leaves a None argument out: no length at all."""
    error = api_error(lambda: client.files_getUploadURLExternal(filename="a.png", length=length))  # type: ignore[arg-type]
    assert error.response["error"] == "missing_argument"


def test_a_missing_filename_is_invalid_arguments(client: WebClient) -> None:
    error = api_error(lambda: client.files_getUploadURLExternal(filename="", length=3))
    assert error.response["error"] == "invalid_arguments"


def test_bytes_that_differ_from_the_announced_length_are_refused(
    slack: SlackDouble, client: WebClient
) -> None:
    """Announce 10 bytes, send 9: the upload answers 400, and the file cannot be completed."""
    answer = client.files_getUploadURLExternal(filename="a.png", length=10)
    refused = httpx.post(answer["upload_url"], content=b"x" * 9, timeout=5)
    assert refused.status_code == 400 and "announced 10, received 9" in refused.text
    error = api_error(
        lambda: client.files_completeUploadExternal(files=[{"id": answer["file_id"]}], channel_id="C1")
    )
    assert error.response["error"] == "file_not_found"
    assert httpx.post(answer["upload_url"], content=b"x" * 10, timeout=5).text == "OK - 10"
    assert client.files_completeUploadExternal(files=[{"id": answer["file_id"]}], channel_id="C1")["ok"]
    assert slack.uploads("C1")[0].title == "a.png"  # no title: the filename, as Slack does


def test_a_file_is_shared_once(slack: SlackDouble, client: WebClient) -> None:
    file_id = client.files_upload_v2(channel="C1", file=b"abc", filename="a.txt")["file"]["id"]
    error = api_error(lambda: client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C1"))
    assert error.response["error"] == "file_not_found"
    assert len(slack.uploads()) == 1


def test_an_unknown_upload_url_is_404(slack: SlackDouble) -> None:
    assert httpx.post(slack.url + "/upload/nope", content=b"x", timeout=5).status_code == 404


def test_sharing_into_a_channel_without_the_bot_is_not_in_channel(
    slack: SlackDouble, client: WebClient
) -> None:
    """The channel is checked as for a post; nothing is shared."""
    slack.member_of = {"C1"}
    error = api_error(lambda: client.files_upload_v2(channel="C2", file=b"abc", filename="a.txt"))
    assert error.response["error"] == "not_in_channel"
    assert slack.uploads() == []


def test_files_upload_needs_the_token(slack: SlackDouble) -> None:
    anonymous = WebClient(base_url=slack.api_url, timeout=5)
    error = api_error(lambda: anonymous.files_getUploadURLExternal(filename="a", length=1))
    assert error.response["error"] == "not_authed"
