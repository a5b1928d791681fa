"""KataloDouble fault injection over real HTTP: statuses, raw bodies, delays, drops, counts, latency."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.fakes import FakeClock, Gate
from tests.sandbox.helpers import AUTH, EVENTS, SUMMARY
from tests.stand_ins.katalo import KataloDouble


def test_429_carries_retry_after_in_body_and_header(server: KataloDouble, client: httpx.Client) -> None:
    """An injected 429 is rate_limited, retryable, with retry_after and a Retry-After header."""
    server.inject(SUMMARY, status=429, retry_after=7)
    response = client.get(SUMMARY)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json() == {
        "error": {
            "code": "rate_limited",
            "message": "injected fault: HTTP 429",
            "retryable": True,
            "retry_after": 7,
        }
    }


def test_429_without_retry_after_has_no_header(server: KataloDouble, client: httpx.Client) -> None:
    """retry_after None is sent as null, and no Retry-After header goes out."""
    server.inject(SUMMARY, status=429)
    response = client.get(SUMMARY)
    assert response.json()["error"]["retry_after"] is None
    assert "retry-after" not in response.headers


def test_fractional_retry_after_is_kept(server: KataloDouble, client: httpx.Client) -> None:
    """Fractions survive in both places, so client tests need not sleep whole seconds."""
    server.inject(SUMMARY, status=429, retry_after=0.25)
    response = client.get(SUMMARY)
    assert response.headers["retry-after"] == "0.25"
    assert response.json()["error"]["retry_after"] == 0.25


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (500, "internal_error", True),
        (503, "unavailable", True),
        (502, "unavailable", True),
        (403, "forbidden", False),
    ],
)
def test_status_fault_answers_the_documented_envelope(
    server: KataloDouble, client: httpx.Client, status: int, code: str, retryable: bool
) -> None:
    """A status fault answers that status with its code from the error table."""
    server.inject(EVENTS, status=status)
    response = client.get(EVENTS)
    assert response.status_code == status
    assert response.json()["error"] | {"message": ""} == {
        "code": code,
        "message": "",
        "retryable": retryable,
        "retry_after": None,
    }


@pytest.mark.parametrize(("body", "status"), [(b"<html>oops", None), (b'{"usage": 5}', None), (b"{", 502)])
def test_body_fault_is_sent_verbatim(
    server: KataloDouble, client: httpx.Client, body: bytes, status: int | None
) -> None:
    """A body fault sends those exact bytes, with status 200 unless one is given."""
    server.inject(SUMMARY, body=body, status=status)
    response = client.get(SUMMARY)
    assert response.content == body
    assert response.status_code == (status or 200)


@pytest.fixture
def gate() -> Iterator[Gate]:
    gate = Gate()
    yield gate
    gate.open()  # let a held handler thread finish


def test_delay_fault_holds_the_answer_then_answers_normally(make_server, gate: Gate) -> None:
    """A delay-only fault holds the answer back for `delay` seconds, then answers as usual."""
    server = make_server(sleep=gate.sleep)
    server.inject(SUMMARY, delay=0.3)
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=5) as client, ThreadPoolExecutor(1) as pool:
        answer = pool.submit(client.get, SUMMARY)
        gate.wait_held()
        assert gate.slept == [0.3]
        assert not answer.done()  # held: no answer before the delay is over
        gate.open()
        assert answer.result().status_code == 200


def test_delay_makes_a_client_time_out(make_server, gate: Gate) -> None:
    """A delay longer than the client's read timeout surfaces as a timeout."""
    server = make_server(sleep=gate.sleep)
    server.inject(SUMMARY, delay=0.5)
    with httpx.Client(base_url=server.url, headers=AUTH) as client, pytest.raises(httpx.ReadTimeout):
        client.get(SUMMARY, timeout=0.1)  # the gate is never opened while the client waits
    assert gate.slept == [0.5]


def test_drop_closes_without_a_response(server: KataloDouble, client: httpx.Client) -> None:
    """A drop fault closes the connection with no bytes sent; the next request is served."""
    server.inject(SUMMARY, drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(SUMMARY)
    assert client.get(SUMMARY).status_code == 200


def test_times_counts_uses(server: KataloDouble, client: httpx.Client) -> None:
    """times=2 applies to two requests, then the path answers normally."""
    server.inject(SUMMARY, status=500, times=2)
    assert [client.get(SUMMARY).status_code for _ in range(3)] == [500, 500, 200]


def test_times_none_lasts_until_cleared(server: KataloDouble, client: httpx.Client) -> None:
    """times=None keeps failing until clear_faults()."""
    server.inject(SUMMARY, status=503, times=None)
    assert [client.get(SUMMARY).status_code for _ in range(4)] == [503] * 4
    server.clear_faults()
    assert client.get(SUMMARY).status_code == 200


def test_faults_are_fifo_per_path(server: KataloDouble, client: httpx.Client) -> None:
    """Faults for a path are consumed in the order queued; other paths are untouched."""
    server.inject(SUMMARY, status=429, retry_after=1)
    server.inject(SUMMARY, status=500)
    assert client.get(EVENTS).status_code == 200
    assert [client.get(SUMMARY).status_code for _ in range(3)] == [429, 500, 200]


def test_faulted_requests_are_counted(server: KataloDouble, client: httpx.Client) -> None:
    """request_count includes requests that were faulted, dropped included."""
    server.inject(SUMMARY, drop=True)
    server.inject(SUMMARY, status=500)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(SUMMARY)
    client.get(SUMMARY)
    client.get(SUMMARY)
    assert server.request_count(SUMMARY) == 3


def test_latency_applies_to_every_request(make_server) -> None:
    """The latency attribute delays every answer by that many seconds."""
    clock = FakeClock()
    server = make_server(sleep=clock.sleep)
    server.latency = 0.15
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=5) as client:
        assert client.get(SUMMARY).status_code == client.get(EVENTS).status_code == 200
    assert clock.slept == [0.15, 0.15]


def test_inject_refuses_zero_times(server: KataloDouble) -> None:
    """times=0 would be a fault that never fires: it is refused."""
    with pytest.raises(ValueError, match="times"):
        server.inject(SUMMARY, status=500, times=0)
