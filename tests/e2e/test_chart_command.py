"""`/katalo chart [PERIOD]` end to end: a signed command, the chart uploaded into the channel over HTTP.

The figures are summed here from the sandbox's own events over local days in REPORT_TIMEZONE; the
PNG is decoded as the Slack stand-in received it.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.e2e.conftest import Bot
from tests.e2e.test_spend import ZONE, ask, shown, spent


@pytest.fixture
def chart_bot(make_bot) -> Bot:
    return make_bot({"REPORT_TIMEZONE": ZONE})


def test_a_chart_is_posted_in_the_channel_with_one_line_and_the_asker_told_privately(chart_bot):
    reply = ask(chart_bot, "chart 2026-11-01..2026-11-14")
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == (
        "Posted the daily spend chart for Nov 1 - Nov 14, 2026 in this channel "
        "(a private answer cannot carry a picture in Slack)."
    )
    [shared] = chart_bot.slack.uploads(chart_bot.channel)
    total = spent(chart_bot, date(2026, 11, 1), date(2026, 11, 14))
    assert shared.thread_ts is None
    assert shared.initial_comment == (
        f"<@{chart_bot.user}> asked for the daily spend, Nov 1 - Nov 14, 2026 ({ZONE}): "
        f"${total:,.2f} in total."
    )
    assert shared.alt_txt is not None and f"total ${total:,.2f} over 14 days" in shared.alt_txt
    image = Image.open(io.BytesIO(shared.data))
    assert image.format == "PNG" and image.width >= 600 and image.height >= 300
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 20  # drawn, not a blank canvas


def test_without_a_period_the_chart_is_of_the_billing_period(chart_bot):
    """The sandbox's period starts Nov 1 00:00 UTC, which is Oct 31 (20:00) in New York: its first day."""
    reply = ask(chart_bot, "chart")
    assert reply["text"].startswith("Posted the daily spend chart for Oct 31 - ")
    [shared] = chart_bot.slack.uploads(chart_bot.channel)
    assert shared.title.startswith("Daily spend, Oct 31 - ")


def test_an_unreadable_period_gets_a_sentence_and_nothing_is_uploaded(chart_bot):
    reply = ask(chart_bot, "chart next fortnight")
    assert "I cannot read `next fortnight` as a period" in shown(reply)
    assert chart_bot.slack.calls("files.getUploadURLExternal") == []


def test_a_period_longer_than_sixty_two_days_is_drawn_a_week_a_bar(chart_bot):
    reply = ask(chart_bot, "chart 2026-09-13..2026-11-14")
    assert reply["text"].startswith("Posted the weekly spend chart for Sep 13 - Nov 14, 2026 ")
    [shared] = chart_bot.slack.uploads(chart_bot.channel)
    total = spent(chart_bot, date(2026, 9, 13), date(2026, 11, 14))
    assert shared.title == "Weekly spend, Sep 13 - Nov 14, 2026"
    assert shared.alt_txt is not None and f"total ${total:,.2f} over 10 weeks" in shared.alt_txt


def test_a_channel_without_the_bot_gets_what_to_do(chart_bot):
    """Slack refuses to share the file where the bot is not a member: the asker is told to invite it."""
    chart_bot.slack.member_of = {"C0ELSEWHERE"}
    reply = ask(chart_bot, "chart last 7 days")
    assert "could not be uploaded (not_in_channel): invite the bot with `/invite @Katalo`" in shown(reply)
    assert chart_bot.slack.uploads() == []


def test_a_long_period_only_begun_is_drawn_a_day_a_bar(chart_bot):
    """101 days reaching into the future, 11 of them begun: drawn by day, as a shared answer's chart
    would be, not as two weekly bars."""
    first = datetime.now(ZoneInfo(ZONE)).date() - timedelta(days=10)
    reply = ask(chart_bot, f"chart {first}..{first + timedelta(days=100)}")
    assert reply["text"].startswith(f"Posted the daily spend chart for {first:%b %-d} - ")
    [shared] = chart_bot.slack.uploads(chart_bot.channel)
    assert shared.title.startswith(f"Daily spend, {first:%b %-d} - ")
