"""Shared bits of the sandbox tests: a fixed clock, the auth header and a cursor walk over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from bot.sandbox import SANDBOX_API_KEY
from tests.conftest import NOW

__all__ = ["AUTH", "EVENTS", "NOW", "SUMMARY", "walk"]

AUTH = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
SUMMARY = "/api/v1/usage/summary"
EVENTS = "/api/v1/billing/events"


def walk(client: httpx.Client, limit: int = 100, wrapper: str = "data") -> tuple[list[dict[str, Any]], int]:
    """Every event of a full cursor walk and the number of pages it took."""
    events: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    pages = 0
    while True:
        response = client.get(EVENTS, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        events.extend(body[wrapper])
        pages += 1
        if "next_cursor" not in body:
            return events, pages
        params = {"limit": limit, "cursor": body["next_cursor"]}
