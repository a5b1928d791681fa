"""bot.services.spend: filters checked against the mirror, periods resolved, figures summed to the cent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.blocks.spend import TOP_ROWS
from bot.spend_parsing import SpendQuestion, parse_spend
from tests.services.conftest import shown

NOV_1, NOV_16 = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC)
RANGE = "2026-11-01..2026-11-15"


def question(text: str) -> SpendQuestion:
    asked = parse_spend(text)
    assert isinstance(asked, SpendQuestion), asked
    return asked


def test_a_plural_usage_type_is_read_as_the_mirror_spells_it(parts):
    """`type:upscales` is `upscale`: the same total, and the filter is named as the ledger names it."""
    reply, answered = parts.spend().answer(question(f"{RANGE} type:upscales"))
    expected = parts.spent(NOV_1, NOV_16, usage_type="upscale")
    assert answered
    assert f"*${expected:,.2f}* billed" in shown(reply) and "Only type `upscale`" in shown(reply)


def test_an_unknown_usage_type_names_the_known_ones(parts):
    """A type the mirror never saw: not answered, and the four known types are listed."""
    reply, answered = parts.spend().answer(question("last week type:month"))
    assert not answered
    assert "no events with usage type `month`" in shown(reply)
    assert all(f"`{t}`" in shown(reply) for t in ("generation", "regeneration", "cache_hit", "upscale"))


def test_an_unknown_config_is_not_answered(parts):
    """A config fingerprint the mirror never saw gets a sentence naming it, not a $0.00 answer."""
    reply, answered = parts.spend().answer(question(f"{RANGE} config:cfg_0000000000"))
    assert not answered and "config `cfg_0000000000`" in shown(reply) and "$" not in shown(reply)


def test_a_period_in_the_future_is_a_sentence(parts):
    """A month after "now" is not answered: it says so and names today."""
    reply, answered = parts.spend().answer(question("2099-01"))
    assert not answered and "in the future" in shown(reply) and "2026-11-24" in shown(reply)


def test_last_period_without_katalo_says_the_billing_period_is_not_known(parts):
    """The billing period comes from the summary: with Katalo down it is a sentence, not a guess."""
    parts.katalo.inject("/api/v1/usage/summary", status=500, times=None)
    reply, answered = parts.spend().answer(question("last period"))
    assert not answered and "billing period is not known" in shown(reply)


def test_the_total_is_compared_with_the_same_number_of_days_before(parts):
    """Nov 1 to 15 is compared with Oct 17 to 31, summed here from the sandbox's events."""
    reply, _ = parts.spend().answer(question(RANGE))
    before = parts.spent(datetime(2026, 10, 17, tzinfo=UTC), NOV_1)
    assert f"vs Sat 17 Oct – Sat 31 Oct 2026 (${before:,.2f})" in shown(reply)


def test_by_day_ranks_days_by_amount_then_date(parts):
    """`by day`: the most expensive days, highest first and earlier first on a tie, then the rest."""
    days = [datetime(2026, 11, day, tzinfo=UTC) for day in range(1, 16)]
    amounts = {day: parts.spent(day, day + timedelta(days=1)) for day in days}
    ranked = sorted(days, key=lambda day: (-amounts[day], day))
    reply, _ = parts.spend().answer(question(f"{RANGE} by day"))
    rows = shown(reply).split("*By day*\n", 1)[1].split("\n*Per day*", 1)[0].splitlines()
    expected = [f"{day:%a %-d %b} · *${amounts[day]:,.2f}*" for day in ranked[:TOP_ROWS]]
    assert [row.split(" · ")[0] + " · " + row.split(" · ")[1] for row in rows[:TOP_ROWS]] == expected
    assert rows[TOP_ROWS].startswith(f"{len(ranked) - TOP_ROWS} other days")
