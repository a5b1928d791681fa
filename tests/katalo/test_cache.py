"""The cache: fresh for its TTL, one fetch for many askers, never caching errors, stale on request."""

from __future__ import annotations

import threading

import pytest

from bot.katalo.cache import SingleFlightCache, _Flight
from bot.katalo.errors import KataloServerError, KataloUnauthorized, KataloUnavailable
from tests.fakes import FakeClock


def make_cache(ttl: float = 60) -> tuple[SingleFlightCache, FakeClock]:
    clock = FakeClock()
    return SingleFlightCache(ttl, timer=clock.monotonic, now=clock.now), clock


@pytest.fixture
def waiters(monkeypatch: pytest.MonkeyPatch) -> threading.Semaphore:
    """Released once by each asker that finds a fetch in flight and starts waiting for it.

    A spy on the real wait: the test lets the fetch finish only once every asker is known to be
    waiting on it, instead of sleeping and hoping they got there.
    """
    arrived = threading.Semaphore(0)
    real_wait = _Flight.wait

    def wait(self: _Flight, *args: object, **kwargs: object) -> object:
        arrived.release()
        return real_wait(self, *args, **kwargs)

    monkeypatch.setattr(_Flight, "wait", wait)
    return arrived


def all_waiting(waiters: threading.Semaphore, count: int) -> None:
    """Return once `count` askers wait on the flight in progress; AssertionError if they never do."""
    for waited in range(count):
        assert waiters.acquire(timeout=10), f"only {waited} of {count} askers waited for the one fetch"


class Counter:
    def __init__(self, *results: object) -> None:
        self.calls = 0
        self._results = list(results)

    def __call__(self) -> object:
        self.calls += 1
        result = self._results.pop(0) if len(self._results) > 1 else self._results[0]
        if isinstance(result, BaseException):
            raise result
        return result


def test_value_is_served_from_cache_within_ttl_and_fetched_after():
    """Within the TTL the cached value returns with its original fetch time; after it, a new fetch."""
    cache, clock = make_cache(ttl=60)
    fetch = Counter("v1", "v2")
    first = cache.get("k", fetch)
    clock.advance(59)
    again = cache.get("k", fetch)
    assert (again.value, again.fetched_at, fetch.calls) == ("v1", first.fetched_at, 1)
    clock.advance(2)
    assert cache.get("k", fetch).value == "v2"
    assert fetch.calls == 2


def test_fetched_at_is_the_time_of_the_fetch():
    """Each value carries the wall time it was fetched, for "as of 14:02"."""
    cache, clock = make_cache()
    fetched = cache.get("k", Counter("v"))
    assert fetched.fetched_at == clock.now()
    assert fetched.fetched_at.tzinfo is not None


def test_refresh_bypasses_a_fresh_value():
    """A forced refresh fetches even when the cached value is fresh."""
    cache, _ = make_cache()
    fetch = Counter("v1", "v2")
    cache.get("k", fetch)
    assert cache.get("k", fetch, refresh=True).value == "v2"


def test_ttl_zero_never_caches():
    """KATALO_CACHE_TTL=0 turns the cache off: every call fetches."""
    cache, _ = make_cache(ttl=0)
    fetch = Counter("v")
    cache.get("k", fetch)
    cache.get("k", fetch)
    assert fetch.calls == 2


def test_errors_are_not_cached():
    """After a failure, the next call asks again and gets the recovered value."""
    cache, _ = make_cache()
    fetch = Counter(KataloServerError(status=500), "ok")
    with pytest.raises(KataloServerError):
        cache.get("k", fetch)
    assert cache.get("k", fetch).value == "ok"
    assert fetch.calls == 2


def test_transient_failure_serves_last_good_value_marked_stale():
    """When Katalo is unreachable, a caller that allows it gets the last good value, marked stale."""
    cache, clock = make_cache(ttl=60)
    fetch = Counter("good", KataloUnavailable())
    good = cache.get("k", fetch)
    clock.advance(120)
    stale = cache.get("k", fetch, allow_stale=True)
    assert (stale.value, stale.stale, stale.fetched_at) == ("good", True, good.fetched_at)
    assert isinstance(stale.error, KataloUnavailable)


def test_stale_value_is_not_served_after_an_hour():
    """The last good value expires after an hour: then the error reaches the caller."""
    cache, clock = make_cache(ttl=60)
    fetch = Counter("good", KataloUnavailable())
    cache.get("k", fetch)
    clock.advance(3601)
    with pytest.raises(KataloUnavailable):
        cache.get("k", fetch, allow_stale=True)


def test_stale_value_is_not_served_when_the_key_is_rejected():
    """A revoked key is not papered over with old figures: the caller must see it."""
    cache, clock = make_cache(ttl=60)
    fetch = Counter("good", KataloUnauthorized(status=401))
    cache.get("k", fetch)
    clock.advance(61)
    with pytest.raises(KataloUnauthorized):
        cache.get("k", fetch, allow_stale=True)


def test_fifty_threads_at_once_cause_one_fetch(waiters):
    """Single flight: 50 simultaneous askers share one fetch and all get its value."""
    cache, _ = make_cache()
    calls = 0
    release = threading.Event()

    def slow_fetch() -> str:
        nonlocal calls
        calls += 1
        release.wait(5)
        return "v"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", slow_fetch).value)) for _ in range(50)
    ]
    for thread in threads:
        thread.start()
    all_waiting(waiters, 49)  # every other thread reached the cache while the first fetch is in flight
    release.set()
    for thread in threads:
        thread.join()
    assert calls == 1
    assert results == ["v"] * 50


def test_waiters_share_the_leaders_error_and_the_next_call_retries(waiters):
    """When the one shared fetch fails, every waiter sees the error; nothing is cached."""
    cache, _ = make_cache()
    release = threading.Event()
    calls = 0

    def failing_fetch() -> str:
        nonlocal calls
        calls += 1
        release.wait(5)
        raise KataloServerError(status=500)

    errors: list[BaseException] = []

    def ask() -> None:
        try:
            cache.get("k", failing_fetch)
        except KataloServerError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(10)]
    for thread in threads:
        thread.start()
    all_waiting(waiters, 9)
    release.set()
    for thread in threads:
        thread.join()
    assert (calls, len(errors)) == (1, 10)
    assert cache.get("k", lambda: "recovered").value == "recovered"


def test_different_keys_fetch_independently():
    """The summary and a ledger page are cached apart."""
    cache, _ = make_cache()
    assert cache.get("a", Counter("A")).value == "A"
    assert cache.get("b", Counter("B")).value == "B"
