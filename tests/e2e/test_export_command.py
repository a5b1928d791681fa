"""`/katalo export [PERIOD]` end to end: a signed command, a DM opened, the CSV uploaded over HTTP.

The expected rows and total are computed here from the sandbox's own events (bot/sandbox/ledger.py)
over local days in REPORT_TIMEZONE; the file is decoded as the Slack stand-in received it.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest

from bot.ledger.export import COLUMNS
from bot.services import export
from tests.e2e.conftest import Bot
from tests.e2e.test_spend import ZONE, ask, shown, spent
from tests.services.test_still_working import Threshold

DM = "D0ALICE"  # the stand-in's DM with U0ALICE


@pytest.fixture(autouse=True)
def no_interim_note(monkeypatch) -> None:
    """The 5-second threshold never passes unless a test says so (`threshold`): on a busy machine a
    small export could take that long, and a note would come before the answer these tests read."""
    monkeypatch.setattr(export, "wait_for_done", lambda done, seconds: True)


@pytest.fixture
def export_bot(make_bot) -> Bot:
    return make_bot({"REPORT_TIMEZONE": ZONE})


def sandbox_events(bot: Bot, first: date, last: date) -> list[dict[str, Any]]:
    """The sandbox's events created in local days first..last (ZONE)."""
    zone = ZoneInfo(ZONE)
    start = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    after = last + timedelta(days=1)
    end = datetime(after.year, after.month, after.day, tzinfo=zone).astimezone(UTC)
    return [
        event
        for event in bot.katalo.ledger.iter_events()
        if start <= datetime.fromisoformat(event["created_at"].replace("Z", "+00:00")) < end
    ]


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_the_export_is_sent_in_a_dm_with_every_event_of_the_period_and_its_total(export_bot):
    reply = ask(export_bot, "export 2026-11-01..2026-11-14")
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == "Sent to you in a direct message: the ledger events of Nov 1 - Nov 14, 2026."
    [opened] = export_bot.slack.calls("conversations.open")
    assert opened.params["users"] == export_bot.user
    [shared] = export_bot.slack.uploads(DM)
    assert shared.filename == "katalo-ledger-2026-11-01-2026-11-14.csv"
    events = sandbox_events(export_bot, date(2026, 11, 1), date(2026, 11, 14))
    total = spent(export_bot, date(2026, 11, 1), date(2026, 11, 14))
    assert len(events) > 50 and total > 0
    assert shared.initial_comment == (
        f"Ledger events, Nov 1 - Nov 14, 2026 ({ZONE}; times in the file are UTC): {len(events):,} rows, "
        f"amount_usd total ${total:,.2f} (exactly {total}). CSV."
    )
    assert shared.data.startswith((",".join(COLUMNS) + "\r\n").encode())
    rows = csv_rows(shared.data)
    assert {row["event_id"] for row in rows} == {event["event_id"] for event in events}
    assert len(rows) == len(events)
    assert sum(Decimal(row["amount_usd"]) for row in rows) == total
    keys = [(row["created_at"], row["event_id"]) for row in rows]
    assert keys == sorted(keys)
    by_id = {event["event_id"]: event for event in events}
    for row in rows:  # every field as the ledger gave it; times in UTC
        event = by_id[row["event_id"]]
        assert Decimal(row["amount_usd"]) == Decimal(event["amount_usd"])
        assert Decimal(row["unit_price_usd"]) == Decimal(event["unit_price_usd"])
        assert row["job_id"] == event["job_id"] and row["usage_type"] == event["usage_type"]
        assert row["billable"] == ("true" if event["billable"] else "false")
        assert row["created_at"].endswith("Z")
        at = datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))
        assert at == datetime.fromisoformat(event["created_at"].replace("Z", "+00:00"))


def test_without_a_period_the_billing_period_is_exported(export_bot):
    """The sandbox's period starts Nov 1 00:00 UTC (Oct 31 in New York) and runs past now."""
    ask(export_bot, "export")
    [shared] = export_bot.slack.uploads(DM)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    expected = [
        e for e in export_bot.katalo.ledger.iter_events() if e["created_at"] >= start.isoformat()[:19]
    ]
    rows = csv_rows(shared.data)
    assert len(rows) == len(expected) and shared.filename.startswith("katalo-ledger-2026-10-31-")


def test_a_period_above_the_threshold_is_gzipped(export_bot, monkeypatch):
    """Above GZIP_ABOVE events the file is gzip; at exactly GZIP_ABOVE it is plain CSV."""
    count = len(sandbox_events(export_bot, date(2026, 11, 1), date(2026, 11, 14)))
    monkeypatch.setattr(export, "GZIP_ABOVE", count)
    ask(export_bot, "export 2026-11-01..2026-11-14")
    monkeypatch.setattr(export, "GZIP_ABOVE", count - 1)
    ask(export_bot, "export 2026-11-01..2026-11-14")
    plain, packed = export_bot.slack.uploads(DM)
    assert plain.filename.endswith(".csv") and packed.filename.endswith(".csv.gz")
    assert packed.initial_comment is not None and "gzip-compressed CSV" in packed.initial_comment
    assert gzip.decompress(packed.data) == plain.data


def test_a_refused_dm_is_explained_and_nothing_uploaded(export_bot):
    export_bot.slack.inject("conversations.open", error="cannot_dm_bot")
    reply = ask(export_bot, "export last 7 days")
    assert reply["text"] == (
        "I could not open a direct message with you (cannot_dm_bot), so nothing was sent."
    )
    assert export_bot.slack.calls("files.getUploadURLExternal") == []


def test_a_refused_upload_is_explained(export_bot):
    export_bot.slack.inject("files.completeUploadExternal", error="file_uploads_disabled")
    reply = ask(export_bot, "export last 7 days")
    assert reply["text"] == "Slack refused the export's upload (file_uploads_disabled), so nothing was sent."
    assert export_bot.slack.uploads() == []


def test_an_unreadable_period_gets_a_sentence(export_bot):
    reply = ask(export_bot, "export next fortnight")
    assert "I cannot read `next fortnight` as a period" in shown(reply)
    assert export_bot.slack.calls("conversations.open") == []


def test_someone_outside_the_allowlist_gets_the_refusal_and_no_file(make_bot, handled):
    bot = make_bot({"REPORT_TIMEZONE": ZONE, "ALLOWED_USER_IDS": "U0ALICE"})
    ack, _ = bot.command("export", user="U0MALLORY")
    assert "limited to certain people" in ack.json()["text"]
    handled.wait("handle_command")
    assert bot.slack.calls("conversations.open") == [] and bot.slack.uploads() == []


class Watched(export.StillWorking):
    """The real watch, kept where the test can wait for its watcher to be done deciding."""

    started: ClassVar[list[export.StillWorking]] = []

    def __enter__(self) -> export.StillWorking:
        Watched.started.append(self)
        return super().__enter__()


@pytest.fixture
def threshold(monkeypatch) -> Iterator[Threshold]:
    """The export's 5-second threshold on a fake timer: it passes when the test says so."""
    fake = Threshold()
    monkeypatch.setattr(export, "wait_for_done", fake.wait)
    Watched.started = []
    monkeypatch.setattr(export, "StillWorking", Watched)
    yield fake
    fake.passes()  # lets a watcher still waiting go


def hold_writing(monkeypatch, gate) -> None:
    """The export stops before writing its rows (after counting them) until the gate opens."""
    real = export._write

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.sleep(0)
        return real(*args, **kwargs)

    monkeypatch.setattr(export, "_write", held)


def test_a_long_export_gets_one_still_exporting_note_then_the_file(
    export_bot, threshold, gate, monkeypatch, handled
):
    """Held past the threshold: one private note with the count, then the file and its usual line."""
    hold_writing(monkeypatch, gate)
    events = sandbox_events(export_bot, date(2026, 11, 1), date(2026, 11, 14))
    ack, url = export_bot.command("export 2026-11-01..2026-11-14")
    assert ack.status_code == 200 and not ack.text  # acknowledged at once, empty
    gate.wait_held()
    threshold.passes()
    [note] = export_bot.slack.wait_for_posts(url)
    assert note["response_type"] == "ephemeral"
    assert note["text"] == (
        f"Still exporting {len(events):,} events for Nov 1 - Nov 14, 2026; the file will arrive in a DM."
    )
    assert export_bot.slack.uploads() == []
    gate.open()
    handled.wait("handle_command")
    assert [post["text"] for post in export_bot.slack.posts(url)] == [
        note["text"],
        "Sent to you in a direct message: the ledger events of Nov 1 - Nov 14, 2026.",
    ]
    assert threshold.asked == [export.NOTE_AFTER] and len(export_bot.slack.uploads(DM)) == 1


def test_an_export_done_before_the_threshold_gets_no_note(export_bot, threshold, handled):
    """The time runs out only after the file is out: the watcher ends without a word."""
    _, url = export_bot.command("export 2026-11-01..2026-11-14")
    handled.wait("handle_command")
    threshold.passes()
    [watch] = Watched.started
    watch.thread.join(10)
    assert not watch.thread.is_alive()
    assert [post["text"] for post in export_bot.slack.posts(url)] == [
        "Sent to you in a direct message: the ledger events of Nov 1 - Nov 14, 2026."
    ]


def test_an_export_from_a_mirror_that_could_not_catch_up_says_it_may_miss_events(export_bot):
    """Katalo's ledger fails during the export's sync: the file goes, and both its line and the
    private answer say it may miss events and to export again, rather than pass for complete."""
    export_bot.katalo.inject("/api/v1/billing/events", status=500, times=None)
    reply = ask(export_bot, "export 2026-11-01..2026-11-14")
    [shared] = export_bot.slack.uploads(DM)
    behind = "The ledger mirror had not caught up with Katalo ("
    again = "), so the file may miss events: export again in a few minutes."
    assert reply["text"].startswith(f"{export.SENT}: the ledger events of Nov 1 - Nov 14, 2026. {behind}")
    assert reply["text"].endswith(again)
    assert shared.initial_comment is not None and behind in shared.initial_comment
    assert shared.initial_comment.endswith(again)
