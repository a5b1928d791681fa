"""`/katalo digest on | off | status | preview` end to end."""

from __future__ import annotations

from bot.blocks.limits import displayed_texts


def shown(message: dict) -> str:
    return "\n".join(displayed_texts(message))


def ask(bot, text: str) -> dict:
    _, url = bot.command(text)
    [reply] = bot.slack.wait_for_posts(url, timeout=15)
    return reply


def test_subscribe_with_time_and_zone_then_status_then_off(bot):
    """A channel subscribes at 07:30 Berlin time, sees it in status, and unsubscribes."""
    on = ask(bot, "digest on 07:30 Europe/Berlin")
    assert "every day at 07:30 Europe/Berlin" in shown(on)
    status = ask(bot, "digest status")
    assert "Daily digest at *07:30 Europe/Berlin*" in shown(status)
    assert "Nothing posted yet" in shown(status)
    assert "Next:" in shown(status)
    off = ask(bot, "digest off")
    assert "off for this channel" in shown(off)
    assert "gets no daily digest" in shown(ask(bot, "digest status"))


def test_subscribe_without_arguments_uses_the_configured_default(make_bot):
    bot = make_bot({"DIGEST_TIME": "08:15", "DIGEST_TIMEZONE": "Asia/Tokyo"})
    assert "every day at 08:15 Asia/Tokyo" in shown(ask(bot, "digest on"))


def test_unknown_zone_and_bad_time_get_a_sentence(bot):
    """A zone that does not exist, or a time that is not HH:MM, is explained, not stored."""
    assert "not a time zone I know" in shown(ask(bot, "digest on 07:30 Mars/Olympus"))
    assert "HH:MM" in shown(ask(bot, "digest on 7.30"))
    assert "gets no daily digest" in shown(ask(bot, "digest status"))


def test_preview_shows_yesterdays_digest_privately(bot):
    """`digest preview` composes the digest now, visible only to the asker."""
    preview = ask(bot, "digest preview")
    assert preview["response_type"] == "ephemeral"
    assert "(preview)" in shown(preview)
    assert "Period to date" in shown(preview)
    assert bot.slack.calls("chat.postMessage") == []


def test_a_zone_that_is_a_folder_is_refused_not_crashed(bot):
    """`America` is a folder of the zone database, not a zone: a sentence, not a silent failure."""
    assert "not a time zone I know" in shown(ask(bot, "digest on 09:00 America"))
