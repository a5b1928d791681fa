"""The sandbox's odd ledgers over HTTP: odd records, ledgers that never end, and long cursors."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.helpers import AUTH, EVENTS


@pytest.fixture
def http():
    """Authenticated clients of sandbox servers, closed at teardown."""
    clients: list[httpx.Client] = []

    def make(server) -> httpx.Client:
        clients.append(httpx.Client(base_url=server.url, headers=AUTH, timeout=5))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def _get(client, cursor: str | None = None, limit: int = 100) -> dict:
    params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
    response = client.get(EVENTS, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_overridden_record_is_served_as_told_and_only_it(ledger, make_server, http):
    """override() replaces fields of one event (None removes one); every other event is as before."""
    before = ledger.event(230)
    ledger.override(236, amount_usd="1e30", created_at="2099-01-01T00:00:00Z")
    ledger.override(235, event_id=None)
    body = _get(http(make_server()), limit=3)
    assert body["data"][0]["amount_usd"] == "1e30"
    assert body["data"][0]["created_at"] == "2099-01-01T00:00:00Z"
    assert "event_id" not in body["data"][1]
    assert body["data"][2] == ledger.event(234)
    assert ledger.event(230) == before


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_repeat_pages_answers_the_first_page_under_ever_new_cursors(make_server, http, order):
    server = make_server(order=order)
    server.ledger_oddity = "repeat_pages"
    client = http(server)
    first = _get(client, limit=50)
    again = _get(client, first["next_cursor"], limit=50)
    assert again["data"] == first["data"]
    assert again["next_cursor"] != first["next_cursor"]


def test_empty_pages_go_on_past_the_end(make_server, http):
    server = make_server()
    server.ledger_oddity = "empty_pages"
    client = http(server)
    body, seen, cursors = _get(client), 0, set()
    while body["data"]:
        seen += len(body["data"])
        body = _get(client, body["next_cursor"])
    for _ in range(3):
        cursors.add(body["next_cursor"])
        body = _get(client, body["next_cursor"])
        assert body["data"] == []
    assert seen == 237
    assert len(cursors) == 3


def test_wrap_pages_start_again_without_lining_up(make_server, http):
    server = make_server()
    server.ledger_oddity = "wrap_pages"
    client = http(server)
    pages = [_get(client, limit=50)]
    for _ in range(6):
        pages.append(_get(client, pages[-1]["next_cursor"], limit=50))
    ids = [[e["event_id"] for e in page["data"]] for page in pages]
    assert all(len(page) == 50 for page in ids)
    assert len(set(ids[0] + ids[1] + ids[2] + ids[3] + ids[4][:37])) == 237  # the whole ledger...
    assert ids[4][37:] == ids[0][:13]  # ...then the newest again
    assert ids[5] != ids[0] and ids[6] != ids[1]


def test_cursor_length_pads_cursors_that_still_work(make_server, http):
    server = make_server()
    server.cursor_length = 4000
    client = http(server)
    first = _get(client, limit=100)
    assert len(first["next_cursor"]) == 4000
    second = _get(client, first["next_cursor"], limit=100)
    assert second["data"][0]["event_id"] != first["data"][0]["event_id"]
