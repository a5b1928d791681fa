"""KataloDouble over real HTTP: auth, headers, routing, summary variants, pagination and cursors."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.sandbox.ledger import SandboxLedger
from tests.sandbox.helpers import AUTH, EVENTS, NOW, SUMMARY, walk
from tests.stand_ins.katalo import KataloDouble

MakeServer = Callable[..., KataloDouble]


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "retryable", "retry_after"}
    return error


def test_missing_key_is_401(server: KataloDouble) -> None:
    """No Authorization header gets the unauthorized envelope, not retryable."""
    error = assert_envelope(httpx.get(server.url + SUMMARY), 401, "unauthorized")
    assert error["retryable"] is False
    assert error["retry_after"] is None


@pytest.mark.parametrize("header", ["Bearer kat_live_abc.s3cr3t-wrong", "Basic kat_live_abc.s3cr3t-wrong"])
def test_wrong_or_malformed_key_is_401_and_not_echoed(server: KataloDouble, header: str) -> None:
    """A wrong key or scheme gets 401, and the presented secret appears nowhere in the answer."""
    response = httpx.get(server.url + EVENTS, headers={"Authorization": header})
    assert_envelope(response, 401, "unauthorized")
    assert "s3cr3t" not in response.text
    assert "s3cr3t" not in str(response.headers)


def test_other_api_key_is_the_one_accepted(make_server: MakeServer) -> None:
    """api_key= replaces the sandbox key: the default one is then refused."""
    server = make_server(api_key="kat_test_other.key")
    assert httpx.get(server.url + SUMMARY, headers={"Authorization": "Bearer kat_test_other.key"}).is_success
    assert httpx.get(server.url + SUMMARY, headers=AUTH).status_code == 401


@pytest.mark.parametrize("path", [SUMMARY, EVENTS, "/api/v1/nope"])
def test_every_response_is_json_and_no_store(client: httpx.Client, path: str) -> None:
    """Successes and errors alike carry Content-Type: application/json and Cache-Control: no-store."""
    response = client.get(path)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json"
    response.json()


def test_unknown_path_is_a_404_envelope(server: KataloDouble, client: httpx.Client) -> None:
    """Unknown paths, inside or outside /api/v1, answer the not_found envelope."""
    assert_envelope(client.get("/api/v1/generations"), 404, "not_found")
    assert_envelope(httpx.get(server.url + "/"), 404, "not_found")


def test_methods_other_than_get_are_405(client: httpx.Client) -> None:
    """POST is refused with 405 bad_request, and the connection stays usable."""
    assert_envelope(client.post(SUMMARY, content=b'{"x": 1}'), 405, "bad_request")
    assert client.get(SUMMARY).status_code == 200


def test_summary_is_the_ledgers(client: httpx.Client, ledger: SandboxLedger) -> None:
    """GET /usage/summary returns ledger.summary() as it is."""
    assert client.get(SUMMARY).json() == ledger.summary()


def test_docs_variant_says_entitlement(make_server: MakeServer, ledger: SandboxLedger) -> None:
    """summary_variant="docs" swaps `access` for `entitlement` and keeps every other figure."""
    body = httpx.get(make_server(summary_variant="docs").url + SUMMARY, headers=AUTH).json()
    assert "access" not in body
    assert body["entitlement"] == {"api_access_enabled": True, "status": "active"}
    assert {k: v for k, v in body.items() if k != "entitlement"} == {
        k: v for k, v in ledger.summary().items() if k != "access"
    }


@pytest.mark.parametrize(("order", "limit"), [("newest", 100), ("oldest", 100), ("newest", 7), ("oldest", 7)])
def test_walk_returns_every_event_once_in_order(
    make_server: MakeServer, ledger: SandboxLedger, order: str, limit: int
) -> None:
    """Following next_cursor visits every event exactly once, in the server's order."""
    with httpx.Client(base_url=make_server(order=order).url, headers=AUTH) as client:
        events, pages = walk(client, limit)
    expected = list(ledger.iter_events())
    assert events == (expected[::-1] if order == "newest" else expected)
    assert pages == -(-len(expected) // limit)


def test_last_page_has_no_next_cursor(make_server: MakeServer) -> None:
    """next_cursor is absent on the last page, with no empty page when the count divides evenly."""
    server = make_server(ledger=SandboxLedger(events=100, now=NOW))
    body = httpx.get(server.url + EVENTS, params={"limit": 100}, headers=AUTH).json()
    assert len(body["data"]) == 100
    assert "next_cursor" not in body


def test_default_limit_is_50(client: httpx.Client) -> None:
    """Without limit a page holds 50 events."""
    assert len(client.get(EVENTS).json()["data"]) == 50


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "2.5", "", " 5"])
def test_bad_limit_is_422(client: httpx.Client, limit: str) -> None:
    """A limit outside 1..100 or not an integer gets 422 validation_error."""
    assert_envelope(client.get(EVENTS, params={"limit": limit}), 422, "validation_error")


@pytest.mark.parametrize("wrapper", ["data", "events", "items"])
def test_wrapper_key_is_configurable(make_server: MakeServer, wrapper: str) -> None:
    """The list sits under the configured wrapper key and no other."""
    body = httpx.get(make_server(wrapper=wrapper).url + EVENTS, params={"limit": 3}, headers=AUTH).json()
    assert set(body) == {wrapper, "next_cursor"}
    assert len(body[wrapper]) == 3


def test_money_as_number(make_server: MakeServer, ledger: SandboxLedger) -> None:
    """money_as="number" sends JSON numbers equal to the decimal strings."""
    server = make_server(money_as="number")
    raw = httpx.get(server.url + EVENTS, params={"limit": 100}, headers=AUTH).text
    page = httpx.Response(200, content=raw).json()["data"]
    assert '"amount_usd":"' not in raw
    for sent, event in zip(page, reversed(list(ledger.iter_events())), strict=False):
        assert isinstance(sent["unit_price_usd"], float)
        assert Decimal(str(sent["amount_usd"])) == Decimal(event["amount_usd"])


@pytest.mark.parametrize("cursor", ["garbage!!", "aGVsbG8", "", "djE6MDo5OTk5OTk"])
def test_garbage_cursor_is_400(client: httpx.Client, cursor: str) -> None:
    """A cursor this server did not issue (or pointing past the ledger) is 400 bad_request."""
    assert_envelope(client.get(EVENTS, params={"cursor": cursor}), 400, "bad_request")


def test_expired_cursor_is_404(server: KataloDouble, client: httpx.Client) -> None:
    """After expire_cursors() an old cursor is 404 not_found, and a new walk works."""
    cursor = client.get(EVENTS).json()["next_cursor"]
    server.expire_cursors()
    error = assert_envelope(client.get(EVENTS, params={"cursor": cursor}), 404, "not_found")
    assert "expired" in error["message"]
    fresh = client.get(EVENTS).json()["next_cursor"]
    assert client.get(EVENTS, params={"cursor": fresh}).status_code == 200


def test_append_during_a_newest_first_walk(client: httpx.Client, ledger: SandboxLedger) -> None:
    """Events appended mid-walk do not disturb it; the next walk starts with them."""
    old = list(ledger.iter_events())
    first = client.get(EVENTS, params={"limit": 100}).json()
    ledger.append(30)
    seen = list(first["data"])
    cursor = first["next_cursor"]
    while cursor:
        body = client.get(EVENTS, params={"limit": 100, "cursor": cursor}).json()
        seen.extend(body["data"])
        cursor = body.get("next_cursor")
    assert seen == old[::-1]
    newest = client.get(EVENTS, params={"limit": 30}).json()["data"]
    assert newest == list(ledger.iter_events())[:-31:-1]


def test_append_during_an_oldest_first_walk(make_server: MakeServer, ledger: SandboxLedger) -> None:
    """Oldest-first, a walk in progress runs on into the appended events."""
    with httpx.Client(base_url=make_server(order="oldest").url, headers=AUTH) as client:
        first = client.get(EVENTS, params={"limit": 100}).json()
        ledger.append(30)
        rest = client.get(EVENTS, params={"limit": 100, "cursor": first["next_cursor"]}).json()
        events, _ = walk(client)
    assert events == list(ledger.iter_events())
    assert len(first["data"]) + len(rest["data"]) == 200


def test_request_log_counts_and_records(server: KataloDouble, client: httpx.Client) -> None:
    """request_count and requests see every request, faulted or refused; reset_requests empties them."""
    server.inject(SUMMARY, status=500)
    client.get(SUMMARY)
    client.get(EVENTS, params={"limit": 5})
    httpx.get(server.url + SUMMARY)
    assert server.request_count() == 3
    assert server.request_count(SUMMARY) == 2
    assert server.requests[1] == ("GET", EVENTS, {"limit": "5"})
    server.reset_requests()
    assert server.request_count() == 0
    assert server.requests == ()


def test_stop_closes_the_port(ledger: SandboxLedger) -> None:
    """After leaving the with-block, the port refuses connections even for a keep-alive client."""
    with httpx.Client(headers=AUTH, timeout=2) as client:
        with KataloDouble(ledger) as server:
            assert client.get(server.url + SUMMARY).status_code == 200
        with pytest.raises(httpx.TransportError):
            client.get(server.url + SUMMARY)


def test_concurrent_walks_agree(server: KataloDouble, ledger: SandboxLedger) -> None:
    """Several clients walking at once each get the whole ledger (threaded server, keep-alive)."""

    def one_walk() -> list[dict[str, Any]]:
        with httpx.Client(base_url=server.url, headers=AUTH) as client:
            return walk(client, 20)[0]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: one_walk(), range(6)))
    expected = list(ledger.iter_events())[::-1]
    assert all(result == expected for result in results)


def test_empty_ledger_is_one_empty_page(make_server: MakeServer) -> None:
    """A ledger without events answers one empty page without next_cursor."""
    server = make_server(ledger=SandboxLedger(events=0, now=NOW))
    assert httpx.get(server.url + EVENTS, headers=AUTH).json() == {"data": []}


def test_package_exports_load_lazily() -> None:
    """bot.sandbox exposes the ledger and server classes without importing them up front."""
    import bot.sandbox
    from bot.sandbox.server import SandboxServer

    assert bot.sandbox.SandboxServer is SandboxServer
    assert bot.sandbox.SandboxLedger is SandboxLedger
