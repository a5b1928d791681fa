"""An alert's status lines stay one and current through button presses and the runner's updates.

The plan alert is posted by the bot's own alert runner; presses are signed block_actions carrying
the message as Slack holds it then (its latest chat.update included); the condition worsens in the
sandbox (more usage of the same plan), and the runner updates the alert in place.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.db import open_database
from bot.sandbox import SANDBOX_API_KEY
from tests.e2e.conftest import BOT_TOKEN
from tests.e2e.test_alert_buttons import bot, database, press, status_lines, store
from tests.fakes import FakeClock
from tests.services.alert_rig import make_runner

__all__ = ["bot", "database", "store"]  # the fixtures, imported for pytest


def consumed(katalo_url: str) -> int:
    summary = httpx.get(
        katalo_url + "/api/v1/usage/summary", headers={"Authorization": "Bearer " + SANDBOX_API_KEY}
    ).json()
    return int(summary["usage"]["consumed"])


def plan_alert_at_80(bot: Any, store: Any) -> dict[str, Any]:
    """Plan alerts on here, a plan 80-99% used, and the runner's alert as Slack holds it."""
    used = consumed(bot.katalo.url)
    bot.katalo.ledger.set_plan(used * 100 // 85)
    _, url = bot.command("alerts on plan")
    bot.slack.wait_for_posts(url)
    assert [o.status for o in bot.runner.check(bot.channel) if o.kind == "plan"] == ["posted"]
    return current(bot, store)


def current(bot: Any, store: Any) -> dict[str, Any]:
    """The plan alert as Slack shows it now (what a press sends back as `message`)."""
    alert = store.last_alerts(bot.channel)["plan"]
    held = zip(bot.slack.message_ts(bot.channel), bot.slack.messages(bot.channel), strict=True)
    [shown] = [message for ts, message in held if ts == alert.ts]
    return {"type": "message", "ts": alert.ts, "text": shown["text"], "blocks": shown["blocks"]}


def worsen(bot: Any) -> None:
    """Usage reaches 100% of the same plan in the summary Katalo serves from now on (a plan changed
    instead would start a new alert; more events would move the sandbox's clock, maybe into a new month)."""
    summary = bot.katalo.ledger.summary()
    summary["usage"] |= {"consumed": summary["usage"]["included"], "remaining": 0}
    bot.katalo.inject("/api/v1/usage/summary", body=json.dumps(summary).encode(), times=None)


def test_acknowledged_then_updated_then_acknowledged_again_shows_one_acknowledgement(bot, store):
    """Ack at 80%, the runner updates it to 100% (ack kept), ack again: one line, the latest."""
    alert = plan_alert_at_80(bot, store)
    [first] = bot.slack.wait_for_posts(press(bot, alert, "Acknowledge"))
    worsen(bot)
    assert [o.status for o in bot.runner.check(bot.channel) if o.kind == "plan"] == ["updated"]
    updated = current(bot, store)
    assert updated["text"].startswith("100% reached")
    assert status_lines(updated) == status_lines(first)
    [again] = bot.slack.wait_for_posts(press(bot, updated, "Acknowledge"))
    [line] = status_lines(again)
    assert line.startswith(":white_check_mark: Acknowledged by <@U0ALICE> at ")
    assert sum(str(b).count("Acknowledged by") for b in again["blocks"]) == 1


def test_a_snoozed_alert_updated_after_the_snooze_still_says_who_snoozed_it(bot, store, database):
    """Snooze 1 day at 80%; a day later (a runner on the next day's clock) 100%: the snooze line stays."""
    alert = plan_alert_at_80(bot, store)
    [acked] = bot.slack.wait_for_posts(press(bot, alert, "Acknowledge"))
    [snoozed] = bot.slack.wait_for_posts(press(bot, {**alert, "blocks": acked["blocks"]}, "Snooze 1 day"))
    worsen(bot)
    _, tomorrow = make_runner(
        open_database(database),
        bot.katalo.url,
        bot.slack,
        FakeClock(start=datetime.now(UTC) + timedelta(days=1, minutes=5)),
        token=BOT_TOKEN,
    )
    assert [o.status for o in tomorrow.check(bot.channel) if o.kind == "plan"] == ["updated"]
    updated = current(bot, store)
    assert updated["text"].startswith("100% reached")
    lines = status_lines(updated)
    assert lines == status_lines(snoozed) and len(lines) == 2
    assert lines[1].startswith(":zzz: Snoozed by <@U0ALICE> until ")
