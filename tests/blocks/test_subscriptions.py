"""Digest status names each digest as the digest itself does: of the day summarised, posted on the next."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.blocks.limits import check_message, displayed_texts
from bot.blocks.subscriptions import build_status
from bot.digest.store import PostedDigest, Subscription

BERLIN = ZoneInfo("Europe/Berlin")
# Posted at 00:30 Berlin time on Nov 25, which is still Nov 24 in UTC: the channel's zone decides.
LAST = PostedDigest(date(2026, 11, 25), "1.2", datetime(2026, 11, 24, 23, 30, tzinfo=UTC), late=True)
NEXT = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)


def shown(message: dict) -> str:
    check_message(message)
    return "\n".join(displayed_texts(message))


def test_status_says_of_which_day_and_on_which_day_for_the_last_and_the_next():
    subscription = Subscription("C0DIGEST", time(0, 30), BERLIN, True, None, None)
    text = shown(build_status(subscription, LAST, "https://slack.test/p1", NEXT, default_zone=UTC))
    assert (
        "Last: the digest of Tue Nov 24, posted on Wed Nov 25 at 00:30 (late) (<https://slack.test/p1|view>)."
        in text
    )
    assert "Next: the digest of Wed Nov 25, on Thu Nov 26 at 00:30." in text


def test_a_channel_that_turned_its_digest_off_is_told_how_to_start_it_again():
    subscription = Subscription("C0DIGEST", time(9), BERLIN, False, None, None)
    text = shown(build_status(subscription, LAST, None, None, default_zone=UTC))
    assert "The daily digest is off for this channel (`/katalo digest off`)." in text
    assert "The last one: the digest of Tue Nov 24, posted on Wed Nov 25 at 00:30 (late)." in text
    assert "`/katalo digest on [HH:MM] [Area/City]` starts it again." in text


def test_a_one_off_post_is_shown_in_the_default_zone_without_a_subscription():
    text = shown(build_status(None, LAST, None, None, default_zone=BERLIN))
    assert "not subscribed to the daily digest" in text
    assert (
        "one-off post (`katalo-bot digest`): the digest of Tue Nov 24, posted on Wed Nov 25 at 00:30" in text
    )
