"""The spend answer fits Slack's limits, shows exact figures whose rows add up, and escapes what it quotes."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot import slack_ids
from bot.blocks.limits import check_message, displayed_texts
from bot.blocks.spend import SpendReport, build_bad_spend, build_spend
from bot.blocks.spend_controls import question_from_block
from bot.figures import DaySpend, Freshness, SpendRow, SpendTotals
from bot.periods import Period, previous, read_period, resolve
from bot.spend_parsing import SpendQuestion, parse_spend

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 24, 14, 2, tzinfo=UTC)
FRESH = Freshness(complete=True, synced_at=NOW, complete_through=NOW - timedelta(minutes=3))


def period(text: str) -> Period:
    spec = read_period(text)
    assert spec is not None
    resolved = resolve(spec, now=NOW, zone=BERLIN)
    assert isinstance(resolved, Period)
    return resolved


def report(
    text: str = "last week",
    *,
    rows: list[SpendRow] | None = None,
    total: Decimal | None = None,
    before: Decimal = Decimal("1000.00"),
    question: SpendQuestion | None = None,
    freshness: Freshness = FRESH,
) -> SpendReport:
    shown = period(text)
    rows = rows if rows is not None else [SpendRow("generation", Decimal("1234.56"), 3086)]
    total = total if total is not None else sum((r.amount_usd for r in rows), Decimal("0.00"))
    days = [DaySpend(d, Decimal(n), n) for n, (d, _, _) in enumerate(shown.days())]
    return SpendReport(
        question=question or SpendQuestion(shown.spec),
        period=shown,
        totals=SpendTotals(total, 3000, 86, 1204),
        previous=previous(shown, NOW),
        previous_amount=before,
        rows=rows[:10],
        groups=len(rows),
        days=days if shown.day_count <= 31 else [],
        freshness=freshness,
        now=NOW,
    )


def shown(message: dict) -> str:
    return "\n".join(displayed_texts(message))


def elements(message: dict) -> dict[str, dict]:
    return {e["action_id"]: e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}


def test_total_counts_change_zone_and_dates():
    """The answer shows the exact total, event counts, jobs, the change in $ and %, and its local dates."""
    message = build_spend(report())
    check_message(message)
    text = shown(message)
    assert "*$1,234.56* billed, Mon 16 Nov – Sun 22 Nov 2026 (Europe/Berlin)" in text
    assert "▲ +$234.56 (+23.5%) vs Mon 9 Nov – Sun 15 Nov 2026 ($1,000.00)" in text
    for figure in ("*Billable events*\n3,000", "*Not billed*\n86", "*Jobs*\n1,204", "*Events*\n3,086"):
        assert figure in text
    assert message["text"].startswith(
        "Spend last week (Mon 16 Nov – Sun 22 Nov 2026, Europe/Berlin): $1,234.56"
    )


def test_a_fall_and_a_period_after_nothing():
    """A fall shows ▼ and a negative change; after a period of $0 no percentage is invented."""
    assert "▼ -$765.44 (-76.5%)" in shown(
        build_spend(report(total=Decimal("234.56"), rows=[], before=Decimal(1000)))
    )
    assert "▲ +$1,234.56 vs" in shown(build_spend(report(before=Decimal(0))))


def test_top_ten_rows_then_others_add_up_to_the_total():
    """With 15 groups, 10 rows and one "5 others" row are shown, and their amounts sum to the total."""
    rows = [SpendRow(f"cfg_{n:02d}", Decimal(100 - n) + Decimal("0.01"), 10 + n) for n in range(15)]
    message = build_spend(report(rows=rows, question=SpendQuestion(read_period("last week"), "config")))
    check_message(message)
    text = shown(message)
    lines = [line for line in text.splitlines() if "event" in line and "·" in line and "$" in line]
    assert len(lines) == 11 and lines[-1].startswith("5 other configs")
    amounts = [Decimal(re.search(r"\*\$([\d,.]+)\*", line)[1].replace(",", "")) for line in lines]
    assert sum(amounts) == sum(r.amount_usd for r in rows)
    counts = [int(re.search(r"([\d,]+) events", line)[1].replace(",", "")) for line in lines]
    assert sum(counts) == 3086  # the total's events
    assert "`cfg_00` · *$100.01* · 7.2% · 10 events" in text


def test_rows_show_share_of_the_total():
    rows = [SpendRow("generation", Decimal("75.00"), 3), SpendRow("upscale", Decimal("25.00"), 1)]
    text = shown(build_spend(report(rows=rows)))
    assert "`generation` · *$75.00* · 75.0% · 3 events" in text
    assert "`upscale` · *$25.00* · 25.0% · 1 event" in text


def test_bar_chart_per_day_only_for_2_to_31_days():
    """A week gets a bar per day; a single day and a 90-day period get none."""
    week = shown(build_spend(report("last week")))
    assert "*Per day*" in week and week.count("█") > 0
    assert "Sun 22 Nov ████████████████████ $6.00" in week
    assert "Mon 16 Nov ░░░░░░░░░░░░░░░░░░░░ $0.00" in week
    assert "*Per day*" not in shown(build_spend(report("yesterday")))
    assert "*Per day*" not in shown(build_spend(report("last 90 days")))


def test_provisional_when_recent_or_behind():
    """A period reaching into the last hour, or a mirror behind, is provisional; a settled one is not."""
    assert "Provisional" not in shown(build_spend(report("last week")))
    assert "Provisional" in shown(build_spend(report("today")))
    behind = Freshness(
        complete=False, synced_at=NOW - timedelta(days=9), complete_through=NOW - timedelta(days=9)
    )
    assert "Provisional" in shown(build_spend(report("last week", freshness=behind)))


def test_controls_carry_the_question_and_preselect_the_choices():
    """Two selects and two datepickers, preset to the question; the block id carries its arguments."""
    question = parse_spend("last week by job type:upscale")
    assert isinstance(question, SpendQuestion)
    message = build_spend(report(question=question))
    controls = elements(message)
    assert controls[slack_ids.SPEND_PERIOD]["type"] == "static_select"
    assert controls[slack_ids.SPEND_PERIOD]["initial_option"]["value"] == "last week"
    assert controls[slack_ids.SPEND_BREAKDOWN]["initial_option"]["value"] == "job"
    assert controls[slack_ids.SPEND_FROM]["initial_date"] == "2026-11-16"
    assert controls[slack_ids.SPEND_TO]["initial_date"] == "2026-11-22"
    [block] = [
        b for b in message["blocks"] if b.get("block_id", "").startswith(slack_ids.SPEND_CONTROLS_PREFIX)
    ]
    assert parse_spend(question_from_block(block["block_id"]) or "") == question
    assert json.loads(controls[slack_ids.SHARE_TO_CHANNEL]["value"]) == {"kind": "spend", "q": question.text}


def test_a_custom_range_selects_no_period_and_future_dates_are_capped():
    """A range is not among the period choices; a datepicker never starts on a day after today."""
    controls = elements(build_spend(report("this month")))
    assert controls[slack_ids.SPEND_TO]["initial_date"] == "2026-11-24"
    custom = elements(build_spend(report("2026-11-01..2026-11-15")))
    assert "initial_option" not in custom[slack_ids.SPEND_PERIOD]


def test_shared_copy_has_no_controls_and_names_who_shared():
    message = build_spend(report(), shared_by="U0ALICE")
    check_message(message)
    assert not elements(message)
    assert "Shared by <@U0ALICE>" in shown(message)


def test_keys_from_the_ledger_are_escaped():
    """A usage type from Katalo reading `<!channel>` pings nobody."""
    message = build_spend(report(rows=[SpendRow("<!channel> & co", Decimal("1.00"), 1)]))
    check_message(message)
    assert "&lt;!channel&gt; &amp; co" in shown(message)


def test_a_bad_question_is_escaped():
    message = build_bad_spend("I did not understand `<!here>`.")
    check_message(message)
    assert "&lt;!here&gt;" in shown(message)


@pytest.mark.parametrize("text", ["last 31 days", "last 400 days", "2026-11-03", "this period"])
def test_every_size_of_answer_fits_slacks_limits(text):
    """31 bars, 400 days, long keys, many filters: still within Slack's limits."""
    rows = [SpendRow("cfg_" + "f" * 60 + f"{n:04d}", Decimal(n), n) for n in range(500)]
    question = SpendQuestion(read_period(text), "config", tuple(f"type{n}" for n in range(5)))
    shown_period = report(text if text != "this period" else "last 30 days", rows=rows, question=question)
    check_message(build_spend(shown_period))


def test_too_long_a_question_keeps_the_answer_without_controls():
    """Filters too long for a block id: the answer still comes, only without the controls."""
    question = SpendQuestion(read_period("last week"), "type", tuple("t" * 60 + str(n) for n in range(8)))
    message = build_spend(report(question=question))
    check_message(message)
    assert slack_ids.SPEND_PERIOD not in elements(message)


def test_day_breakdown_rows_name_the_dates():
    rows = [SpendRow(date(2026, 11, 20).isoformat(), Decimal("3.00"), 3)]
    question = SpendQuestion(read_period("last week"), "day")
    assert "Fri 20 Nov · *$3.00*" in shown(build_spend(report(rows=rows, question=question)))


@pytest.mark.parametrize(
    ("after_end", "provisional"), [(timedelta(minutes=30), True), (timedelta(hours=2), False)]
)
def test_a_period_that_ended_within_the_hour_is_still_provisional(after_end, provisional):
    """Late events may still land in a period that ended less than an hour ago; after that it is settled."""
    base = report("yesterday")
    now = base.period.end + after_end
    fresh = Freshness(complete=True, synced_at=now, complete_through=now - timedelta(minutes=1))
    settled = replace(base, now=now, freshness=fresh)
    assert ("Provisional" in shown(build_spend(settled))) is provisional
