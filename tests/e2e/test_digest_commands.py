"""`/katalo digest on | off | status | preview` end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.blocks.limits import displayed_texts
from bot.digest.run import run_digest
from bot.sandbox.local_bot import local_settings
from bot.wiring.root import build_deps
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET


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
    assert "off for this channel" in shown(ask(bot, "digest status"))


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


def post_one_off(bot, database_url: str, capsys, *, exit_status: int = 0) -> list[str]:
    """`katalo-bot digest --channel <the bot's channel>` against the same database and Slack; its output."""
    settings = local_settings(
        token=BOT_TOKEN,
        secret=SIGNING_SECRET,
        slack_api_url=bot.slack.api_url,
        katalo_url=bot.katalo.url,
        database_url=database_url,
    )
    assert run_digest(build_deps(settings), bot.channel, dry_run=False, force=False) == exit_status
    return capsys.readouterr().out.splitlines()


def digest_days() -> tuple[str, str]:
    """("Tue Nov 24", "Wed Nov 25"): the day a digest posted now is of, and the day it is posted on."""
    today = datetime.now(UTC).date()
    return f"{today - timedelta(days=1):%a %b %-d}", f"{today:%a %b %-d}"


def test_a_one_off_post_names_the_day_it_summarises_and_the_day_it_went_out(make_bot, tmp_path, capsys):
    """The CLI says "the digest of <yesterday> ... on <today>", as the digest's own header does."""
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    bot = make_bot({"DATABASE_URL": database})
    before = digest_days()
    lines = post_one_off(bot, database, capsys)
    of, on = before if f"of {before[0]}" in lines[0] else digest_days()  # the test may straddle midnight
    assert lines[0] == f"Posted the digest of {of} to {bot.channel} on {on} (UTC)."
    [posted] = bot.slack.messages(bot.channel)
    assert posted["blocks"][0]["text"]["text"] == f"Katalo digest of {of}"
    assert f"As of {on}, " in shown(posted)
    assert lines[1].startswith(f"That was a one-off post: {bot.channel} is not subscribed.")


def test_status_after_a_one_off_post_explains_it_is_not_a_subscription(make_bot, tmp_path, capsys):
    """`digest --channel C`, then `/katalo digest status` in C: a one-off post, and how to subscribe."""
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    bot = make_bot({"DATABASE_URL": database})
    post_one_off(bot, database, capsys)
    status = shown(ask(bot, "digest status"))
    assert "not subscribed to the daily digest" in status
    assert "The last one here was a one-off post (`katalo-bot digest`): the digest of " in status
    assert ", posted on " in status and "|view>" in status  # when it went out, and a link to it
    assert "`/katalo digest on [HH:MM] [Area/City]` posts one every day." in status


def test_a_post_slack_refuses_exits_1_with_the_reason_and_the_fix(make_bot, tmp_path, capsys):
    """The bot not in the channel: one line naming the digest, Slack's reason and the fix; exit 1."""
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    bot = make_bot({"DATABASE_URL": database})
    bot.slack.member_of = set()
    [line] = post_one_off(bot, database, capsys, exit_status=1)
    assert line.startswith("Could not post the digest of ")
    assert line.endswith(
        f" to {bot.channel}: not_in_channel: the bot is not in the channel: invite it with /invite @Katalo."
    )
