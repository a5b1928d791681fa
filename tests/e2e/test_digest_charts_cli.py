"""`katalo-bot digest` with charts: the PNGs land in the posted digest's thread; a refusal is a line."""

from __future__ import annotations

from tests.e2e.test_digest_commands import post_one_off


def test_a_one_off_digest_gets_its_charts_in_its_thread(make_bot, tmp_path, capsys):
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    bot = make_bot({"DATABASE_URL": database})
    lines = post_one_off(bot, database, capsys)
    assert not any("could not be" in line for line in lines)
    [posted] = bot.slack.calls("chat.postMessage")
    uploads = bot.slack.uploads(bot.channel)
    assert [u.title for u in uploads] == [
        "Plan burn-down for the billing period",
        "Daily spend, last 14 days",
    ]
    history = bot.slack.calls("conversations.history")
    assert history == []  # a fresh post: nobody had to look for an earlier one
    digest_ts = {u.thread_ts for u in uploads}
    assert len(digest_ts) == 1 and digest_ts != {None}
    assert posted.params["channel"] == bot.channel


def test_an_app_without_files_write_posts_the_digest_and_says_what_to_do(make_bot, tmp_path, capsys):
    """Installed before the files:write scope: Slack answers missing_scope; the text goes out anyway."""
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    bot = make_bot({"DATABASE_URL": database})
    bot.slack.inject("files.getUploadURLExternal", error="missing_scope", times=None)
    lines = post_one_off(bot, database, capsys)
    assert lines[0].startswith("Posted the digest of ")
    fix = "reinstall the app so that it has the files:write scope"
    assert f"Plan burn-down for the billing period could not be uploaded (missing_scope): {fix}; " in lines[1]
    assert "Daily spend, last 14 days could not be uploaded (missing_scope)" in lines[2]
    assert len(bot.slack.messages(bot.channel)) == 1 and bot.slack.uploads() == []
