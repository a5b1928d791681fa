"""Axis ticks and labels, and that Pillow is loaded only when a chart is drawn."""

from __future__ import annotations

import itertools
import subprocess
import sys
from decimal import Decimal

import pytest

from bot.charts.scale import dollar_tick, drawable, nice_ticks


@pytest.mark.parametrize("top", ["0.004", "0.37", "7", "98.2", "150", "1234.5", "12345678.9"])
def test_ticks_reach_the_top_value_in_at_most_five_even_steps(top):
    ticks = nice_ticks(Decimal(top), floor=Decimal("0.0001"))
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert ticks[0] == 0 and ticks[-1] >= Decimal(top) and len(ticks) <= 6 and len(steps) == 1
    assert ticks[-2] < Decimal(top)  # no empty interval above the data


def test_an_axis_never_spans_less_than_its_floor():
    """No spend (or a fraction of a cent) still gets a readable axis: up to a cent, or $1 when asked."""
    assert nice_ticks(Decimal(0))[-1] == Decimal("0.01")
    assert nice_ticks(Decimal(0), floor=Decimal(1))[-1] == 1


def test_dollar_ticks_read_like_the_text_answers():
    assert [dollar_tick(v, Decimal(250)) for v in (Decimal(0), Decimal(1250))] == ["$0", "$1,250"]
    assert dollar_tick(Decimal("0.30"), Decimal("0.10")) == "$0.30"
    assert dollar_tick(Decimal("0.075"), Decimal("0.025")) == "$0.075"  # not rounded to a cent


def test_text_the_font_cannot_draw_becomes_a_question_mark():
    assert drawable("génération · 5") == "g?n?ration · 5"


def test_importing_the_charts_does_not_load_pillow_until_one_is_drawn():
    """`katalo-bot --help` and start-up stay fast: Pillow is imported by the first render, not before."""
    code = (
        "import sys, datetime\n"
        "from bot.charts import alt, burndown, daily, figures\n"
        "assert 'PIL' not in sys.modules, 'imported early'\n"
        "day = figures.DaySpend(datetime.date(2026, 1, 1))\n"
        "daily.render_daily_spend(figures.DailySpend('UTC', (day,)))\n"
        "assert 'PIL' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
