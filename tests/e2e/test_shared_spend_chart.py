"""A spend answer shared to a channel, or posted in a mention's thread, gets its daily chart in that thread.

Signed `/katalo spend` and a signed press of *Share to channel*; the PNG is read back from the Slack
stand-in as files_upload_v2 uploaded it, decoded, and its alt text checked against the sums of the
sandbox's own events over New York days.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest

from bot.sandbox.slack import SharedFile
from tests.charts.pixels import WHITE, decode, ink_box
from tests.e2e.conftest import Bot, Handled, buttons
from tests.e2e.test_spend import ZONE, ask, shown, spent

FIRST, LAST = date(2026, 11, 1), date(2026, 11, 14)
RANGE = f"{FIRST}..{LAST}"


@pytest.fixture
def spend_bot(make_bot) -> Bot:
    return make_bot({"REPORT_TIMEZONE": ZONE})


def share(bot: Bot, question: str) -> str:
    """Ask privately, press Share; the response_url the press's private notes go to."""
    reply = ask(bot, question)
    _, url = bot.press(buttons(reply)["Share to channel"])
    return url


def uploaded(bot: Bot) -> SharedFile:
    bot.slack.wait_for_calls("files.completeUploadExternal")
    [shared] = bot.slack.uploads(bot.channel)
    return shared


def test_the_shared_answer_gets_its_daily_chart_in_its_thread(spend_bot):
    """The chart goes into the thread of the message Share posted, as a drawn 1280 x 720 PNG."""
    share(spend_bot, f"spend {RANGE} by config")
    shared = uploaded(spend_bot)
    [posted] = spend_bot.slack.message_ts(spend_bot.channel)
    assert shared.thread_ts == posted
    assert shared.filename == f"katalo-daily-spend-{FIRST}-{LAST}.png"
    assert shared.title == "Daily spend, Nov 1 - Nov 14, 2026"
    image = decode(shared.data)
    assert image.size == (1280, 720)
    box = ink_box(image)
    assert box is not None and box[2] - box[0] > 1000 and box[3] - box[1] > 500  # drawn across the card
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 20
    assert max(colours)[1] == WHITE  # the card, not a dark or transparent fill


def test_the_alt_text_states_the_ledgers_figures_for_the_same_days(spend_bot):
    """Total over the 14 New York days, and the biggest day with its amount, to the cent."""
    share(spend_bot, f"spend {RANGE}")
    alt = uploaded(spend_bot).alt_txt
    days = [FIRST + timedelta(days=n) for n in range(14)]
    by_day = {day: spent(spend_bot, day, day) for day in days}
    biggest = max(days, key=lambda day: (by_day[day], -day.toordinal()))
    total = spent(spend_bot, FIRST, LAST)
    assert alt is not None and alt.startswith(f"Daily spend, Nov 1 - Nov 14, 2026 (days in {ZONE}): ")
    assert f"total ${total:,.2f} over 14 days" in alt
    assert f"Biggest day {biggest:%b %-d}: ${by_day[biggest]:,.2f}" in alt


def test_the_chart_keeps_the_answers_filter(spend_bot):
    """`type:upscale`: the chart's total is the upscales' alone, and its alt text says so."""
    share(spend_bot, f"spend {RANGE} type:upscale")
    alt = uploaded(spend_bot).alt_txt
    total = spent(spend_bot, FIRST, LAST, usage_type="upscale")
    assert total != spent(spend_bot, FIRST, LAST)
    assert alt is not None and alt.startswith("Daily spend, only type upscale, Nov 1 - Nov 14, 2026")
    assert f"total ${total:,.2f} over 14 days" in alt and "By type: upscale" in alt


def test_the_private_answer_carries_no_file(spend_bot, handled: Handled):
    """Before Share, the answer is ephemeral: its text bars and its Share button, and no upload."""
    reply = ask(spend_bot, f"spend {RANGE}")
    handled.wait("handle_command")
    assert reply["response_type"] == "ephemeral"
    assert "*Per day*" in shown(reply) and "Share to channel" in buttons(reply)
    assert spend_bot.slack.calls("files.getUploadURLExternal") == []


@pytest.mark.parametrize(
    ("question", "days"), [("spend 2026-11-13..2026-11-14", 2), ("spend 2026-09-14..2026-11-14", 62)]
)
def test_two_to_sixty_two_days_get_a_chart(spend_bot, question, days):
    """The bounds of a daily chart: 2 days and 62 days are drawn, one bar a day."""
    share(spend_bot, question)
    alt = uploaded(spend_bot).alt_txt
    assert alt is not None and f"over {days} days" in alt


def test_a_one_day_period_is_shared_without_a_chart_and_a_sentence_why(spend_bot, handled):
    """One bar says nothing a text answer does not: the text is shared, no file, and the sharer is told."""
    url = share(spend_bot, "spend 2026-11-03")
    [note] = spend_bot.slack.wait_for_posts(url)
    handled.wait("handle_share")
    assert spend_bot.slack.messages(spend_bot.channel)  # the answer itself went out
    assert note["response_type"] == "ephemeral"
    assert (
        note["text"]
        == "Shared without a chart: a spend chart is drawn for 2 days or more, and 2026-11-03 has 1."
    )
    assert spend_bot.slack.calls("files.getUploadURLExternal") == []


def test_more_than_sixty_two_days_get_a_bar_a_week(spend_bot):
    """63 days from a Sunday: 10 weeks from Monday (the first of 1 day, the last of 6), each week's
    total and the whole from the sandbox's own events over New York days."""
    first, last = date(2026, 9, 13), date(2026, 11, 14)
    share(spend_bot, f"spend {first}..{last}")
    shared = uploaded(spend_bot)
    assert shared.filename == f"katalo-weekly-spend-{first}-{last}.png"
    assert shared.title == "Weekly spend, Sep 13 - Nov 14, 2026"
    starts = [first, *(date(2026, 9, 14) + timedelta(weeks=n) for n in range(9))]
    ends = [*(start - timedelta(days=1) for start in starts[1:]), last]
    weeks = {start: spent(spend_bot, start, end) for start, end in zip(starts, ends, strict=True)}
    biggest = max(weeks, key=lambda start: (weeks[start], -start.toordinal()))
    alt = shared.alt_txt
    assert alt is not None and "(weeks from Monday, first week 1 day, last week 6 days; days in" in alt
    assert f"total ${spent(spend_bot, first, last):,.2f} over 10 weeks" in alt
    assert f"Biggest week of {biggest:%b %-d}: ${weeks[biggest]:,.2f}" in alt


def test_a_refused_upload_leaves_the_text_shared_and_says_why(spend_bot, caplog):
    """Slack refuses the upload: the answer is in the channel, the sharer gets the reason and its fix."""
    spend_bot.slack.inject("files.getUploadURLExternal", error="missing_scope")
    with caplog.at_level(logging.WARNING, logger="bot.services.charts"):
        url = share(spend_bot, f"spend {RANGE}")
        [note] = spend_bot.slack.wait_for_posts(url)
    assert "Shared by <@U0ALICE>" in shown(spend_bot.slack.messages(spend_bot.channel)[0])
    assert note["text"] == (
        "Shared, but its chart could not be uploaded (missing_scope): "
        "reinstall the app so that it has the files:write scope."
    )
    assert spend_bot.slack.uploads() == []
    assert "not uploaded: missing_scope" in caplog.text


def test_a_chart_that_cannot_be_drawn_leaves_the_text_shared(spend_bot, monkeypatch, caplog):
    """The renderer fails: the answer is still shared, the cause is logged, nothing is uploaded."""

    def broken(figures):
        raise OSError("font file unreadable")

    monkeypatch.setattr("bot.services.spend_chart.render_daily_spend", broken)
    with caplog.at_level(logging.ERROR, logger="bot.services.charts"):
        url = share(spend_bot, f"spend {RANGE}")
        [note] = spend_bot.slack.wait_for_posts(url)
    assert len(spend_bot.slack.messages(spend_bot.channel)) == 1
    assert note["text"] == "Shared, but its chart could not be drawn (OSError)."
    assert "font file unreadable" in caplog.text
    assert spend_bot.slack.calls("files.getUploadURLExternal") == []


# --- a spend answer to a mention: posted in the thread, so its chart follows it there ---------------

MENTION_TS = "1764000000.000100"  # the mention's own ts: a top-level mention is answered in its thread


def test_a_mentions_spend_answer_gets_its_chart_in_the_same_thread(spend_bot):
    """ "@Katalo what did we spend RANGE": the answer, then its chart, both in the mention's thread,
    the chart's total being the answer's (the ledger's sum over the 14 New York days)."""
    spend_bot.mention(f"<@UBOT> what did we spend {RANGE}?")
    shared = uploaded(spend_bot)
    [answer] = spend_bot.slack.messages(spend_bot.channel)
    total = spent(spend_bot, FIRST, LAST)
    assert answer["thread_ts"] == shared.thread_ts == MENTION_TS
    assert f"*${total:,.2f}* billed" in shown(answer)
    assert shared.alt_txt is not None and f"total ${total:,.2f} over 14 days" in shared.alt_txt
    assert "Shared by" not in shown(answer)  # asked in the open, not shared by anyone


def test_a_mention_keeps_its_filter_on_the_chart(spend_bot):
    spend_bot.mention(f"<@UBOT> spend on upscale {RANGE}")
    alt = uploaded(spend_bot).alt_txt
    total = spent(spend_bot, FIRST, LAST, usage_type="upscale")
    assert alt is not None and alt.startswith("Daily spend, only type upscale, Nov 1 - Nov 14, 2026")
    assert f"total ${total:,.2f} over 14 days" in alt


def test_a_one_day_mention_answer_goes_without_a_chart_or_a_note(spend_bot, handled: Handled):
    """One day has no daily chart: the thread gets the answer alone (no "shared without" note)."""
    spend_bot.mention("<@UBOT> how much on 2026-11-03?")
    handled.wait("handle_mention")
    [answer] = spend_bot.slack.messages(spend_bot.channel)
    assert "billed" in shown(answer)
    assert spend_bot.slack.calls("files.getUploadURLExternal") == []


def test_a_refused_mention_upload_is_said_in_the_thread(spend_bot, handled: Handled, caplog):
    """Slack refuses the upload: the answer stands, and the thread says why and how to fix it."""
    spend_bot.slack.inject("files.getUploadURLExternal", error="missing_scope")
    with caplog.at_level(logging.WARNING, logger="bot.services.charts"):
        spend_bot.mention(f"<@UBOT> what did we spend {RANGE}?")
        handled.wait("handle_mention")
    answer, note = spend_bot.slack.messages(spend_bot.channel)
    assert "billed" in shown(answer) and note["thread_ts"] == MENTION_TS
    assert note["text"] == (
        "The chart could not be uploaded (missing_scope): "
        "reinstall the app so that it has the files:write scope."
    )
    assert "not uploaded: missing_scope" in caplog.text


def test_a_mention_from_someone_not_allowed_gets_no_chart(make_bot, handled: Handled):
    bot = make_bot({"REPORT_TIMEZONE": ZONE, "ALLOWED_USER_IDS": "U0SOMEONEELSE"})
    bot.mention(f"<@UBOT> what did we spend {RANGE}?")
    handled.wait("handle_mention")
    [answer] = bot.slack.messages(bot.channel)
    assert "limited to certain people" in shown(answer) and "$" not in shown(answer)
    assert bot.slack.calls("files.getUploadURLExternal") == []
