"""Upgrading from the version before the alert engine: the alerts it posted are not posted again.

A database at revision 0008 holds the old `alert_claims` (per channel, billing period and
threshold_N / access_off) of a subscribed channel; after the upgrade the alert runner checks the
same Katalo figures and posts nothing, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine, MetaData, Table, insert

from bot.db.engine import make_engine
from bot.db.migrate import upgrade_schema
from tests.fakes import FakeClock
from tests.services.alert_rig import CHANNEL, TOKEN, make_runner, said, subscribe
from tests.services.test_alert_plan import NOVEMBER, Katalo
from tests.stand_ins.slack import SlackDouble

NOV_1 = datetime(2026, 11, 1, tzinfo=UTC)
OCT_1 = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture
def old_database(database_url) -> Iterator[Engine]:
    """A database the previous version left at revision 0008 (0009 or 0010 not yet applied)."""
    engine = make_engine(database_url)
    upgrade_schema(engine, "0008")
    yield engine
    engine.dispose()


def claimed(engine: Engine, *claims: tuple[datetime, str]) -> None:
    """Alert claims as the old AlertChecker left them (it kept no message ts)."""
    table = Table("alert_claims", MetaData(), autoload_with=engine)
    rows = [
        {"channel_id": CHANNEL, "period_start": period, "kind": kind, "claimed_at": period.replace(day=20)}
        for period, kind in claims
    ]
    with engine.begin() as connection:
        connection.execute(insert(table), rows)


def check_after_upgrade(engine: Engine, katalo: Katalo) -> tuple[list[tuple[str, str, str]], SlackDouble]:
    upgrade_schema(engine)
    clock = FakeClock(datetime(2026, 11, 24, 9, tzinfo=UTC))
    subscribe(engine, CHANNEL, clock)
    slack = SlackDouble(token=TOKEN, ts_clock=clock.now).start()
    transport = httpx.MockTransport(katalo.handler)
    _, runner = make_runner(engine, "https://katalo.test", slack, clock, transport=transport)
    return said(runner.check()), slack


def test_plan_and_access_alerts_claimed_before_the_upgrade_are_not_posted_again(old_database):
    """80% and access off, claimed this period by the old version: the same figures post nothing."""
    claimed(old_database, (NOV_1, "threshold_80"), (NOV_1, "access_off"))
    katalo = Katalo()
    katalo.set(850, NOVEMBER, enabled=False)
    spoken, slack = check_after_upgrade(old_database, katalo)
    try:
        assert spoken == []
        assert slack.calls("chat.postMessage") == []
    finally:
        slack.stop()


def test_both_thresholds_claimed_and_an_old_period_post_nothing(old_database):
    """80% and 100% claimed in November, 100% in October: at 102% in November nothing is said."""
    claimed(old_database, (NOV_1, "threshold_80"), (NOV_1, "threshold_100"), (OCT_1, "threshold_100"))
    katalo = Katalo()
    katalo.set(1020, NOVEMBER)
    spoken, slack = check_after_upgrade(old_database, katalo)
    try:
        assert [s for s in spoken if s[2] != "cleared"] == []  # October's is over: recorded, not said
        assert slack.calls("chat.postMessage") == []
    finally:
        slack.stop()


def test_a_worse_level_after_the_upgrade_is_posted_as_a_new_alert(old_database):
    """80% claimed by the old version (its message unknown): 100% is a new alert, said once."""
    claimed(old_database, (NOV_1, "threshold_80"))
    katalo = Katalo()
    katalo.set(1020, NOVEMBER)
    spoken, slack = check_after_upgrade(old_database, katalo)
    try:
        assert spoken == [(CHANNEL, "plan", "reposted")]
        [alert] = slack.messages(CHANNEL)
        assert alert["text"].startswith("100% reached") and "thread_ts" not in alert
    finally:
        slack.stop()
