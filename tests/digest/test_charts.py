"""The digest's charts: the burn-down and 14 days of spend, uploaded into its thread over HTTP.

The PNGs are read back from the Slack stand-in as uploaded (files_upload_v2's three steps), decoded,
and their alt text is checked against the sandbox ledger the bot mirrored.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from PIL import Image

from bot.digest.schedule import day_window
from bot.digest.store import STALE_POSTING
from bot.katalo.models import BillingEvent
from tests.digest.conftest import BERLIN, CHANNEL, TOKEN

SUMMARISED = date(2026, 11, 23)  # the digest posted on Tue Nov 24 in Berlin is about Mon Nov 23


def _post(rig):
    rig.clock.advance(30 * 60)  # 09:00 in Berlin: due
    [outcome] = rig.poster.run_due()
    assert outcome.status == "posted"
    return outcome


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _assert_drawn(data: bytes) -> None:
    """A PNG of a chart's size with something drawn: many colours, not one flat fill."""
    image = _decoded(data)
    assert image.format == "PNG"
    assert image.width >= 600 and image.height >= 300
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 20


def _ledger_events(rig) -> list[BillingEvent]:
    return [BillingEvent.model_validate(e) for e in rig.katalo.ledger.iter_events()]


def test_the_digest_thread_gets_the_burn_down_and_14_days_of_spend(rig):
    outcome = _post(rig)
    assert outcome.chart_failures == ()
    burn, spend = rig.slack.uploads(CHANNEL)
    assert (burn.thread_ts, spend.thread_ts) == (outcome.message_ts, outcome.message_ts)
    assert burn.title == "Plan burn-down for the billing period"
    assert spend.title == "Daily spend, last 14 days"
    for shared in (burn, spend):
        _assert_drawn(shared.data)
        Path("/tmp/digestcharts").mkdir(exist_ok=True)
        Path("/tmp/digestcharts", shared.filename).write_bytes(shared.data)  # to look at
    assert len(rig.slack.messages(CHANNEL)) == 1  # the charts are files in the thread, not more posts


def test_the_spend_charts_alt_text_states_the_ledgers_14_days(rig):
    """Total of the 14 Berlin days ending with the summarised day, and the top usage type, to the cent."""
    _post(rig)
    start, _ = day_window(SUMMARISED - timedelta(days=13), BERLIN)
    _, end = day_window(SUMMARISED, BERLIN)
    by_type: dict[str, Decimal] = defaultdict(Decimal)
    for event in _ledger_events(rig):
        if start <= event.created_at < end:
            by_type[event.usage_type or "unspecified"] += event.amount_usd or Decimal(0)
    total = sum(by_type.values(), Decimal(0))
    top = max(by_type, key=lambda kind: by_type[kind])
    [spend] = [f for f in rig.slack.uploads(CHANNEL) if f.title.startswith("Daily spend")]
    assert spend.alt_txt is not None
    assert spend.alt_txt.startswith("Daily spend, Nov 10 - Nov 23, 2026 (days in Europe/Berlin)")
    assert f"total ${total:,.2f} over 14 days" in spend.alt_txt
    assert f"By type: {top} ${by_type[top]:,.2f}" in spend.alt_txt


def test_the_burn_downs_alt_text_counts_the_periods_billable_events(rig):
    """Units consumed by today: one per billable event of the billing period (the stated rule), which
    in the sandbox is also the summary's `consumed`: the picture agrees with the digest's text."""
    _post(rig)
    summary = rig.client.usage_summary().value
    period = summary.billing_period
    billable = sum(
        1
        for event in _ledger_events(rig)
        if event.billable and period.start_at <= event.created_at < period.end_at
    )
    [burn] = [f for f in rig.slack.uploads(CHANNEL) if f.title.startswith("Plan burn-down")]
    assert burn.alt_txt is not None
    assert billable == summary.usage.consumed
    assert f"{billable:,} of {summary.usage.included:,} units consumed" in burn.alt_txt
    assert "by Nov 24" in burn.alt_txt  # today, the day the digest is posted


def test_a_refused_upload_never_blocks_the_digest_and_is_logged(rig, caplog):
    """Slack refuses the first chart: the digest is posted once, the other chart goes, the cause is logged."""
    rig.slack.inject("files.getUploadURLExternal", error="file_uploads_disabled")
    with caplog.at_level(logging.WARNING, logger="bot.services.charts"):
        outcome = _post(rig)
    assert outcome.chart_failures == (
        "Plan burn-down for the billing period could not be uploaded (file_uploads_disabled)",
    )
    assert [f.title for f in rig.slack.uploads(CHANNEL)] == ["Daily spend, last 14 days"]
    assert len(rig.slack.messages(CHANNEL)) == 1
    assert rig.store.state_of(CHANNEL, SUMMARISED + timedelta(days=1)) == "posted"
    assert "file_uploads_disabled" in caplog.text and TOKEN not in caplog.text


def test_a_chart_that_cannot_be_drawn_never_blocks_the_digest(rig, monkeypatch, caplog):
    """Drawing fails (the renderer raises): the digest is out, the burn-down still goes, the cause logged."""

    def broken(figures):
        raise OSError("font file unreadable")

    monkeypatch.setattr("bot.digest.charts.render_daily_spend", broken)
    with caplog.at_level(logging.ERROR, logger="bot.services.charts"):
        outcome = _post(rig)
    assert outcome.chart_failures == ("Daily spend, last 14 days could not be drawn (OSError)",)
    assert [f.title for f in rig.slack.uploads(CHANNEL)] == ["Plan burn-down for the billing period"]
    assert "font file unreadable" in caplog.text
    assert len(rig.slack.messages(CHANNEL)) == 1


def test_a_runner_that_finds_the_post_after_a_crash_uploads_no_charts(rig, monkeypatch):
    """Charts go out only from the runner that posted: a take-over that finds the digest adds none."""
    rig.clock.advance(30 * 60)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # dies between Slack's answer and the database write

    monkeypatch.setattr(rig.store, "mark_posted", crash)
    with contextlib.suppress(KeyboardInterrupt):
        rig.poster.run_due()
    monkeypatch.undo()
    rig.clock.advance(STALE_POSTING.total_seconds() + 60)
    [outcome] = rig.another_poster().run_due()
    assert outcome.status == "found_posted"
    assert rig.slack.uploads() == []
    assert rig.slack.calls("files.getUploadURLExternal") == []
