"""The alert store keeps each channel's kinds, silences, budgets and posted alerts, on both databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.alert_kinds import KINDS
from bot.db.alert_steps import STALE_POSTING, AlertSteps
from bot.db.alert_store import AlertStore, next_occurrence
from bot.db.engine import open_database
from bot.digest.store import DigestStore

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)


def test_a_subscribed_channel_gets_every_kind_until_one_is_turned_off(engine):
    """A digest channel has all kinds on by default; turning one off leaves the others on."""
    DigestStore(engine).subscribe("C1", time(9), ZoneInfo("UTC"), by="U1", now=NOW)
    store = AlertStore(engine)
    assert store.enabled_kinds("C1") == frozenset(KINDS)
    store.set_enabled("C1", ["spike", "pace"], False, by_user="U1", at=NOW)
    assert store.enabled_kinds("C1") == frozenset({"plan", "access", "budget"})
    store.set_enabled("C1", ["pace"], True, by_user="U1", at=NOW)
    assert store.enabled_kinds("C1") == frozenset({"plan", "access", "budget", "pace"})


def test_a_channel_without_subscription_gets_nothing_until_it_turns_a_kind_on(engine):
    """No digest, nothing on: no alerts; turning one kind on turns the defaults on with it."""
    store = AlertStore(engine)
    assert store.enabled_kinds("C2") == frozenset()
    assert store.alert_channels() == []
    store.set_enabled("C2", ["spike"], True, by_user="U1", at=NOW)
    assert store.enabled_kinds("C2") == frozenset(KINDS)
    assert store.alert_channels() == ["C2"]


def test_a_budget_makes_its_channel_get_budget_alerts(engine):
    """A budget set in a channel with no subscription sends that channel budget alerts only."""
    store = AlertStore(engine)
    store.set_budget("C3", Decimal("500"), "period", by_user="U1", at=NOW)
    assert store.enabled_kinds("C3") == frozenset({"budget"})
    assert store.alert_channels() == ["C3"]
    store.set_enabled("C3", ["budget"], False, by_user="U1", at=NOW)
    assert store.alert_channels() == []


def test_a_budget_is_kept_exactly_and_can_be_turned_off(engine):
    """The amount comes back as the same Decimal; clearing says whether there was one."""
    store = AlertStore(engine)
    assert store.budget("C1") is None
    store.set_budget("C1", Decimal("199.99"), "monthly", by_user="U1", at=NOW)
    budget = store.budget("C1")
    assert budget is not None
    assert (budget.amount, budget.scope, budget.set_by, budget.set_at) == (
        Decimal("199.99"),
        "monthly",
        "U1",
        NOW,
    )
    store.set_budget("C1", Decimal("500"), "period", by_user="U2", at=NOW)
    assert store.budget("C1").amount == Decimal("500")  # type: ignore[union-attr]
    assert store.clear_budget("C1") is True
    assert store.clear_budget("C1") is False
    assert store.budget("C1") is None


def test_a_silence_is_active_until_it_ends(engine):
    """A snooze shows until its end and not after; a later mute replaces it."""
    store = AlertStore(engine)
    until = NOW + timedelta(days=1)
    store.silence("C1", "spike", mode="snooze", until=until, by_user="U1", at=NOW)
    silence = store.silences("C1", NOW)["spike"]
    assert (silence.mode, silence.until, silence.by_user) == ("snooze", until, "U1")
    assert store.silences("C1", until) == {}
    store.silence("C1", "spike", mode="mute", until=until + timedelta(days=9), by_user="U2", at=NOW)
    assert store.silences("C1", until)["spike"].mode == "mute"
    assert store.silences("C2", NOW) == {}


def test_a_posted_alert_is_found_by_ts_and_acknowledged(engine):
    """The alert at a message ts can be acknowledged; the ack is kept when its level changes."""
    store = AlertStore(engine)
    store.record_post("C1", "plan", "plan:p1", ts="111.1", headline="80% used", level="80", at=NOW)
    assert store.posted("C1", "999.9") is None
    assert store.acknowledge("C1", "999.9", by_user="U1", at=NOW) is None
    acked = store.acknowledge("C1", "111.1", by_user="U1", at=NOW)
    assert acked is not None
    assert (acked.kind, acked.key, acked.acknowledged_by, acked.acknowledged_at) == (
        "plan",
        "plan:p1",
        "U1",
        NOW,
    )
    store.record_level("C1", "plan:p1", level="100", headline="100% reached")
    again = store.posted("C1", "111.1")
    assert again is not None
    assert (again.level, again.headline, again.acknowledged_by) == ("100", "100% reached", "U1")


def test_last_alerts_holds_the_newest_of_each_kind(engine):
    """Per kind, the newest alert; a cleared one is no longer open."""
    store = AlertStore(engine)
    store.record_post("C1", "spike", "spike:a", ts="1.0", headline="a", level="x", at=NOW)
    store.record_post("C1", "spike", "spike:b", ts="2.0", headline="b", level="x", at=NOW + timedelta(days=3))
    store.record_post("C1", "pace", "pace:p", ts="3.0", headline="c", level="x", at=NOW)
    last = store.last_alerts("C1")
    assert (last["spike"].ts, last["pace"].ts, set(last)) == ("2.0", "3.0", {"spike", "pace"})
    store.record_cleared("C1", "spike:a", NOW + timedelta(days=1))
    assert [alert.key for alert in store.open_alerts("C1", "spike")] == ["spike:b"]
    assert store.alert("C1", "spike:a").cleared_at == NOW + timedelta(days=1)  # type: ignore[union-attr]


def test_a_snooze_never_shortens_a_mute_and_a_mute_extends_a_snooze(engine):
    """Mute to Dec 1, then a 1-day snooze: still the mute. A 1-week snooze, then a mute: the mute."""
    store = AlertStore(engine)
    dec_1, day, week = datetime(2026, 12, 1, tzinfo=UTC), NOW + timedelta(days=1), NOW + timedelta(days=7)
    store.silence("C1", "plan", mode="mute", until=dec_1, by_user="U1", at=NOW)
    kept = store.silence("C1", "plan", mode="snooze", until=day, by_user="U2", at=NOW + timedelta(hours=1))
    assert store.silences("C1", day + timedelta(hours=1))["plan"].mode == "mute"  # not woken after a day
    assert (kept.mode, kept.until, kept.by_user) == ("mute", dec_1, "U1")  # what the presser is told
    store.silence("C1", "spike", mode="snooze", until=day, by_user="U1", at=NOW)
    longer = store.silence("C1", "spike", mode="mute", until=week, by_user="U2", at=NOW)
    assert (longer.mode, longer.until, longer.by_user) == ("mute", week, "U2")
    same = store.silence("C1", "spike", mode="snooze", until=week, by_user="U3", at=NOW)  # an equal end
    assert (same.mode, same.by_user) == ("mute", "U2")
    after = week + timedelta(days=1)  # a silence over: any new one replaces it
    fresh = store.silence(
        "C1", "spike", mode="snooze", until=after + timedelta(days=1), by_user="U4", at=after
    )
    assert (fresh.mode, fresh.by_user) == ("snooze", "U4")


def test_the_latest_occurrence_of_a_condition_is_the_highest_numbered(engine):
    """ "k", "k#2", "k#10": the tenth is the latest; a key that merely starts alike is another condition."""
    store = AlertStore(engine)
    for key, ts in (("access:p", "1.0"), ("access:p#10", "3.0"), ("access:p#2", "2.0"), ("access:p2", "9.0")):
        store.record_post("C1", "access", key, ts=ts, headline="h", level="off", at=NOW)
    latest = store.latest_occurrence("C1", "access:p")
    assert latest is not None and (latest.key, latest.ts) == ("access:p#10", "3.0")
    assert next_occurrence(latest.key) == "access:p#11" and next_occurrence("access:p") == "access:p#2"
    assert store.latest_occurrence("C1", "access:q") is None
    assert store.latest_occurrence("C1", "access:%") is None  # LIKE's wildcards are escaped


def test_a_step_is_claimed_once_and_taken_over_only_when_stale(engine):
    """The first claim wins; a second waits; a claim left posting past STALE_POSTING is taken over."""
    steps = AlertSteps(engine)
    first = steps.claim("C1", "plan:p1", "post", NOW)
    assert first is not None and first.kind == "new"
    assert steps.claim("C1", "plan:p1", "post", NOW + STALE_POSTING) is None
    later = NOW + STALE_POSTING + timedelta(seconds=1)
    taken = steps.claim("C1", "plan:p1", "post", later)
    assert taken is not None and (taken.kind, taken.claimed_before) == ("take_over", NOW)
    steps.done(first, "1.1")  # the dead runner's late finish is not recorded
    assert steps.state("C1", "plan:p1", "post") == "posting"
    steps.done(taken, "2.2")
    assert steps.state("C1", "plan:p1", "post") == "done"
    assert steps.claim("C1", "plan:p1", "post", later + timedelta(days=1)) is None


def test_a_released_step_is_claimed_again_at_once(engine):
    """A step given back (nothing was said in Slack) is won by the next check."""
    steps = AlertSteps(engine)
    claim = steps.claim("C1", "k", "post", NOW)
    assert claim is not None
    steps.release(claim)
    assert steps.claim("C1", "k", "post", NOW) is not None


def test_concurrent_claims_of_a_step_from_several_engines_win_once(engine, database_url):
    """Eight callers on four connection pools race for one step: exactly one wins."""
    engines = [engine] + [open_database(database_url) for _ in range(3)]
    barrier = threading.Barrier(8)
    wins: list[bool] = []

    def claim(steps: AlertSteps) -> None:
        barrier.wait()
        wins.append(steps.claim("C1", "budget:x", "level:80", NOW) is not None)

    threads = [threading.Thread(target=claim, args=(AlertSteps(engines[i % 4]),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in engines[1:]:
        other.dispose()
    assert sorted(wins) == [False] * 7 + [True]
