"""Hostile, slow and malformed HTTP peers against `katalo-bot serve` as deployed (a real process).

None of these peers knows the signing secret. They must not freeze the server (slow clients), make it
read or keep more than the limits allow (oversized bodies), crash it into a 500 with a traceback
(malformed requests), or write what they like into its log (unsigned bodies).
"""

from __future__ import annotations

import select
from collections.abc import Iterator

import httpx
import pytest

from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.server import SandboxServer
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack_driver import SlackDriver
from bot.web.limits import MAX_BODY_BYTES, MAX_HEADER_BYTES
from tests.conftest import NOW
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.e2e.processes import Served, environment, serving
from tests.robustness.peers import connect, is_open, response_status, slow_peers

SLOW_PEERS = 64
GENEROUS = 30.0  # seconds to wait for an answer; the benchmark measures how fast it comes


@pytest.fixture(scope="module")
def deployed(tmp_path_factory) -> Iterator[tuple[Served, SlackDriver]]:
    tmp = tmp_path_factory.mktemp("peers")
    with (
        SandboxServer(SandboxLedger(seed=7, events=237, now=NOW)) as katalo,
        SlackStandIn(token=BOT_TOKEN) as slack,
    ):
        env = environment(slack, katalo.url, f"sqlite:///{tmp / 'serve.db'}")
        with serving(env, tmp / "serve.log") as served:
            yield served, SlackDriver(bot_url=served.url, slack=slack, secret=SIGNING_SECRET)


def test_slow_clients_do_not_stop_health_checks_or_acks(deployed):
    """Before: 64 slow connections held gunicorn's 8 threads; /healthz and every ack timed out."""
    served, slack = deployed
    with slow_peers(served.port, SLOW_PEERS) as peers:
        health = httpx.get(served.url + "/healthz", timeout=GENEROUS)
        ack, response_url = slack.command("usage")
        [answer] = slack.slack.wait_for_posts(response_url, timeout=GENEROUS)
        # Answered while the slow peers were still connected, not after the server cut them off.
        still_open = sum(is_open(sock) for sock in peers)
    assert health.status_code == 200
    assert ack.status_code == 200
    assert "of plan used" in answer["text"]
    assert still_open == SLOW_PEERS


def test_a_request_that_keeps_trickling_is_cut_off(deployed):
    """Active but never finished (a byte every 0.5 s): closed after REQUEST_SECONDS, unanswered.

    Before: gunicorn kept such a connection, and the thread reading it, for as long as the peer liked.
    """
    served, _ = deployed
    with slow_peers(served.port, 2) as peers:
        for sock in peers:
            readable, _, _ = select.select([sock], [], [], GENEROUS)
            assert readable and sock.recv(1024) == b""


def test_headers_over_the_limit_are_refused(deployed):
    served, _ = deployed
    with connect(served.port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bot\r\nX-Padding: " + b"x" * (MAX_HEADER_BYTES + 1))
        assert response_status(sock) == 431


def test_a_body_over_the_limit_is_refused_before_it_is_sent(deployed):
    """A Content-Length of 100 MB: 413 after the headers, while the body has not been sent."""
    served, _ = deployed
    with connect(served.port) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000\r\n\r\n" + b"{" * 1024
        )
        assert response_status(sock) == 413


def test_a_chunked_body_is_refused_once_it_passes_the_limit(deployed):
    """Chunks past MAX_BODY_BYTES with no end: 413, without waiting for a last chunk that never comes."""
    served, _ = deployed
    chunk = b"x" * 65536
    with connect(served.port) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server answered and closed: read what it said
        assert response_status(sock) == 413


MALFORMED = {
    "timestamp-not-a-number": (
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
        b"command=%2Fkatalo&text=usage",
        "application/x-www-form-urlencoded",
    ),
    "signature-not-ascii": (
        {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=\u00e9\u00e9".encode("latin-1")},
        b"command=%2Fkatalo",
        "application/x-www-form-urlencoded",
    ),
    "body-not-utf8": (
        {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=00"},
        b"command=\xff\xfe\xfd",
        "application/x-www-form-urlencoded",
    ),
    "json-not-an-object": (
        {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=00"},
        b"[1, 2, 3]",
        "application/json",
    ),
    "payload-not-json": (
        {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=00"},
        b"payload=%7Bnot-json",
        "application/x-www-form-urlencoded",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_unsigned_requests_get_401_and_no_traceback(deployed, case):
    """Before: 500 and a traceback in the log for each of these."""
    served, _ = deployed
    headers, body, content_type = MALFORMED[case]
    logged = len(served.output())
    response = httpx.post(
        served.url + "/slack/events",
        content=body,
        headers={**headers, "Content-Type": content_type},
        timeout=GENEROUS,
    )
    assert response.status_code == 401
    assert "Traceback" not in served.output()[logged:]


def test_an_unsigned_body_is_logged_as_a_short_escaped_excerpt(deployed):
    """Before: Bolt logged the whole body, so its newlines forged log lines and its size was unbounded."""
    served, _ = deployed
    forged = b"2026-11-25 09:00:00,000 ERROR bot.app: FORGED by the request body"
    body = b"text=hi\n" + forged + b"\n" + b"A" * 500_000
    logged = len(served.output())
    response = httpx.post(
        served.url + "/slack/events",
        content=body,
        headers={"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=00"},
        timeout=GENEROUS,
    )
    assert response.status_code == 401
    new = served.output()[logged:]
    assert not any(line.startswith(forged.decode()) for line in new.splitlines())
    [refusal] = [line for line in new.splitlines() if "refused a request" in line]
    assert "\\nFORGED" not in refusal and "text=hi\\n2026" in refusal  # escaped, cut short
    assert len(new) < 1000
