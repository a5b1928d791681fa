"""The four alert buttons end to end: a signed block_actions press on a posted alert, as Slack sends it.

The alert is posted through the Slack stand-in and recorded in the bot's database as the alert runner
records it; the press carries the message (`message`, `container.message_ts`) as Slack's payload does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
import pytest
from slack_sdk import WebClient

from bot import slack_ids
from bot.blocks._kit import actions, button, header, message, section
from bot.blocks.limits import displayed_texts
from bot.db import open_database
from bot.db.alert_store import AlertStore
from bot.sandbox import SANDBOX_API_KEY
from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.local_bot import LocalBot, local_settings
from bot.sandbox.slack_driver import FORM
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, Bot
from tests.stand_ins.slack import SlackDouble

ALLOWED = "U0ALICE"
LABELS = ("Acknowledge", "Snooze 1 day", "Snooze 1 week", "Mute for this period")


@pytest.fixture
def database(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'alerts.db'}"


@pytest.fixture
def bot(start_sandbox, database) -> Iterator[Bot]:
    """A bot whose Katalo sandbox lives in the present, so its billing period is the current one."""
    katalo = start_sandbox(SandboxLedger(seed=7, events=60, now=datetime.now(UTC)))
    slack = SlackDouble(token=BOT_TOKEN).start()
    settings = local_settings(
        token=BOT_TOKEN,
        secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        katalo_url=katalo.url,
        database_url=database,
        ALLOWED_USER_IDS=ALLOWED,
    )
    local = LocalBot(settings).start()
    running = Bot(bot_url=local.url, slack=slack, secret=SIGNING_SECRET, katalo=katalo)
    running.runner = local.deps.alerts  # type: ignore[attr-defined]  # the alert runner of this very bot
    yield running
    local.stop()
    slack.stop()


@pytest.fixture
def store(bot, database) -> AlertStore:
    return AlertStore(open_database(database))


def post_alert(bot: Bot, store: AlertStore, kind: str = "spike", *, record: bool = True) -> dict[str, Any]:
    """An alert in the channel with the four buttons, as the runner posts and records it."""
    value = {"kind": kind, "key": f"{kind}:2026-12-05"}
    buttons = [button(t, a, value) for t, a in zip(LABELS, slack_ids.ALERT_ACTION_IDS, strict=True)]
    built = message(
        f"Katalo alert: {kind}",
        [header(f"Katalo alert: {kind}"), section("$420.00 today"), actions("alert_buttons", *buttons)],
    )
    slack = WebClient(token=BOT_TOKEN, base_url=bot.slack.api_url)
    posted = slack.chat_postMessage(channel=bot.channel, **built)
    if record:
        store.record_post(
            bot.channel,
            kind,
            value["key"],
            ts=posted["ts"],
            headline=built["text"],
            level="",
            at=datetime.now(UTC),
        )
    return {"type": "message", "user": "UBOT", "bot_id": "BBOT", "ts": posted["ts"], **built}


def press(
    bot: Bot, alert: dict[str, Any], label: str, *, user: str = ALLOWED, send_message: bool = True
) -> str:
    """Press a button of `alert` as Slack does; the press's response_url."""
    url = bot.slack.new_response_url()
    element = next(
        e
        for b in alert["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == label
    )
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "someone", "team_id": "T0TEST"},
        "api_app_id": "A0KATALO",
        "team": {"id": "T0TEST"},
        "container": {
            "type": "message",
            "message_ts": alert["ts"],
            "channel_id": bot.channel,
            "is_ephemeral": False,
        },
        "channel": {"id": bot.channel, "name": "billing"},
        "message": alert,
        "response_url": url,
        "trigger_id": "1.2.3",
        "actions": [
            {
                "action_id": element["action_id"],
                "block_id": "alert_buttons",
                "text": element["text"],
                "value": element["value"],
                "type": "button",
                "action_ts": "1764000001.000001",
            }
        ],
    }
    if not send_message:
        del payload["message"]
    response = bot.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)
    assert response.status_code == 200
    return url


def status_lines(reply: dict[str, Any]) -> list[str]:
    [block] = [b for b in reply["blocks"] if b.get("block_id") == slack_ids.ALERT_STATUS_BLOCK]
    return [e["text"] for e in block["elements"]]


def test_acknowledge_edits_the_alert_in_place_and_records_who(bot, store):
    alert = post_alert(bot, store)
    [reply] = bot.slack.wait_for_posts(press(bot, alert, "Acknowledge"))
    assert reply["replace_original"] is True
    [line] = status_lines(reply)
    assert re.fullmatch(r":white_check_mark: Acknowledged by <@U0ALICE> at \d\d:\d\d", line)
    assert reply["blocks"][:2] == alert["blocks"][:2] and reply["blocks"][-1] == alert["blocks"][-1]
    recorded = store.posted(bot.channel, alert["ts"])
    assert recorded is not None and recorded.acknowledged_by == ALLOWED


@pytest.mark.parametrize(("label", "days"), [("Snooze 1 day", 1), ("Snooze 1 week", 7)])
def test_snooze_silences_the_kind_here_for_a_day_or_a_week(bot, store, label, days):
    alert = post_alert(bot, store)
    before = datetime.now(UTC)
    [reply] = bot.slack.wait_for_posts(press(bot, alert, label))
    silence = store.silences(bot.channel, datetime.now(UTC))["spike"]
    assert silence.mode == "snooze" and silence.by_user == ALLOWED
    assert before + timedelta(days=days) <= silence.until <= datetime.now(UTC) + timedelta(days=days)
    assert status_lines(reply) == [f":zzz: Snoozed by <@U0ALICE> until {silence.until:%a %b %-d, %H:%M}"]


def test_mute_lasts_until_the_billing_period_ends(bot, store):
    """Until the end of the billing period the usage summary gives (UTC: the channel has no digest zone)."""
    alert = post_alert(bot, store)
    [reply] = bot.slack.wait_for_posts(press(bot, alert, "Mute for this period"))
    period = httpx.get(
        bot.katalo.url + "/api/v1/usage/summary", headers={"Authorization": "Bearer " + SANDBOX_API_KEY}
    ).json()["billing_period"]
    silence = store.silences(bot.channel, datetime.now(UTC))["spike"]
    assert silence.mode == "mute" and silence.until == datetime.fromisoformat(period["end_at"])
    last_day = silence.until - timedelta(microseconds=1)
    assert status_lines(reply) == [
        f":no_bell: Muted by <@U0ALICE> until the period ends on {last_day:%b %-d}"
    ]


def test_a_snooze_after_a_mute_does_not_shorten_it_and_the_presser_is_told(bot, store):
    """Muted for 20 more days, then Snooze 1 day pressed: still muted after the day; the presser hears
    privately that nothing changed, and the alert (with its mute line) stays as it was."""
    alert = post_alert(bot, store)
    now = datetime.now(UTC)
    store.silence(bot.channel, "spike", mode="mute", until=now + timedelta(days=20), by_user=ALLOWED, at=now)
    mute = store.silences(bot.channel, now)["spike"]
    [reply] = bot.slack.wait_for_posts(press(bot, alert, "Snooze 1 day"))
    assert store.silences(bot.channel, now + timedelta(days=2))["spike"] == mute
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"
    ends = f"{mute.until:%a %b %-d, %H:%M}"
    assert f"Already muted here until {ends}, later than this snooze: nothing changed." in reply["text"]


def test_mute_of_a_monthly_budget_alert_lasts_until_the_month_ends(bot, store):
    store.set_budget(bot.channel, Decimal(200), "monthly", by_user=ALLOWED, at=datetime.now(UTC))
    alert = post_alert(bot, store, "budget")
    [reply] = bot.slack.wait_for_posts(press(bot, alert, "Mute for this period"))
    today = datetime.now(UTC).date()
    first_next = today.replace(year=today.year + today.month // 12, month=today.month % 12 + 1, day=1)
    assert store.silences(bot.channel, datetime.now(UTC))["budget"].until == datetime(
        first_next.year, first_next.month, 1, tzinfo=UTC
    )
    assert status_lines(reply)[0].endswith(f"until the month ends on {first_next - timedelta(days=1):%b %-d}")


def test_a_second_press_shows_both_the_acknowledgement_and_the_snooze(bot, store):
    alert = post_alert(bot, store)
    [first] = bot.slack.wait_for_posts(press(bot, alert, "Acknowledge"))
    edited = {**alert, "blocks": first["blocks"]}
    [second] = bot.slack.wait_for_posts(press(bot, edited, "Snooze 1 day"))
    assert [line.split(" by ")[0] for line in status_lines(second)] == [
        ":white_check_mark: Acknowledged",
        ":zzz: Snoozed",
    ]


def test_mute_when_katalo_has_no_current_period_says_so_and_records_nothing(make_bot, database):
    """A sandbox living on Nov 24 reports a period that is over now: no mute to an end already past."""
    stale = make_bot({"DATABASE_URL": database, "ALLOWED_USER_IDS": ALLOWED})
    store = AlertStore(open_database(database))
    alert = post_alert(stale, store)
    [reply] = stale.slack.wait_for_posts(press(stale, alert, "Mute for this period"))
    assert reply["replace_original"] is False and "Snooze 1 week" in reply["text"]
    assert store.silences(stale.channel, datetime.now(UTC)) == {}


@pytest.mark.parametrize("label", LABELS)
def test_a_presser_not_allowed_is_refused_and_the_alert_stays(bot, store, label):
    """Mallory is not on the allowlist: a private refusal, no edit, nothing recorded."""
    alert = post_alert(bot, store)
    [reply] = bot.slack.wait_for_posts(press(bot, alert, label, user="U0MALLORY"))
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"
    assert "limited to certain people" in reply["text"]
    assert store.silences(bot.channel, datetime.now(UTC)) == {}
    assert store.posted(bot.channel, alert["ts"]).acknowledged_by is None  # type: ignore[union-attr]


@pytest.mark.parametrize("label", LABELS)
def test_a_button_on_an_alert_the_store_does_not_know_gets_a_sentence(bot, store, label):
    alert = post_alert(bot, store, record=False)
    [reply] = bot.slack.wait_for_posts(press(bot, alert, label))
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"
    assert "I have no record of this alert" in "\n".join(displayed_texts(reply))
    assert store.silences(bot.channel, datetime.now(UTC)) == {}


def test_the_time_is_on_the_channels_digest_clock(bot, store):
    """A channel whose digest runs on Tokyo time sees the acknowledgement's time in Tokyo."""
    _, url = bot.command("digest on 09:00 Asia/Tokyo")
    bot.slack.wait_for_posts(url)
    alert = post_alert(bot, store)
    before = datetime.now(UTC)
    [reply] = bot.slack.wait_for_posts(press(bot, alert, "Acknowledge"))
    after = datetime.now(UTC)
    tokyo = ZoneInfo("Asia/Tokyo")
    expected = {f"at {moment.astimezone(tokyo):%H:%M}" for moment in (before, after)}  # a minute may turn
    assert any(status_lines(reply)[0].endswith(e) for e in expected)


def test_a_press_without_a_copy_of_the_message_is_recorded_and_said_privately(bot, store):
    """Slack sends the message with every press on one; without it, nothing to edit, but the press counts."""
    alert = post_alert(bot, store)
    url = press(bot, alert, "Snooze 1 week", send_message=False)
    [reply] = bot.slack.wait_for_posts(url)
    assert reply["replace_original"] is False and reply["text"].startswith(":zzz: Snoozed by <@U0ALICE>")
    assert "spike" in store.silences(bot.channel, datetime.now(UTC))


def test_the_runners_own_budget_alert_is_acknowledged_and_muted_in_place(bot, store):
    """`budget set 1 monthly`, the alert runner posts the budget alert, and its own buttons work on it."""
    # The newest event, a second ago and $5: this month has spent over $1 whatever the date.
    ledger = bot.katalo.ledger
    just_now = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ledger.override(ledger.event_count - 1, created_at=just_now, amount_usd="5.00", billable=True)
    _, url = bot.command("budget set 1 monthly")
    bot.slack.wait_for_posts(url)
    outcomes = bot.runner.check(bot.channel)  # type: ignore[attr-defined]
    assert [o.status for o in outcomes if o.kind == "budget"] == ["posted"]
    posted = store.last_alerts(bot.channel)["budget"]
    [call] = [c for c in bot.slack.calls("chat.postMessage") if c.params.get("channel") == bot.channel]
    blocks = call.params["blocks"]
    alert = {"type": "message", "ts": posted.ts, "text": call.params["text"], "blocks": blocks}
    [acknowledged] = bot.slack.wait_for_posts(press(bot, alert, "Acknowledge"))
    [muted] = bot.slack.wait_for_posts(
        press(bot, {**alert, "blocks": acknowledged["blocks"]}, "Mute for this period")
    )
    lines = status_lines(muted)
    assert lines[0].startswith(":white_check_mark: Acknowledged by <@U0ALICE>")
    assert lines[1].startswith(":no_bell: Muted by <@U0ALICE> until the month ends on ")
    assert muted["blocks"][: len(blocks) - 1] == blocks[:-1] and muted["blocks"][-1] == blocks[-1]
    assert store.posted(bot.channel, posted.ts).acknowledged_by == ALLOWED  # type: ignore[union-attr]
    assert store.silences(bot.channel, datetime.now(UTC))["budget"].mode == "mute"
