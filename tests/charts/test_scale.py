"""Axis ticks and labels, and that Pillow is loaded only when a chart is drawn."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest

from bot.charts.scale import dollar_tick, drawable, nice_ticks


@pytest.mark.parametrize("top", ["0.004", "0.37", "7", "98.2", "150", "1234.5", "12345678.9"])
def test_ticks_reach_the_top_value_in_at_most_five_even_steps(top):
    ticks = nice_ticks(Decimal(top))
    steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
    assert ticks[0] == 0 and ticks[-1] >= Decimal(top) and len(ticks) <= 6 and len(steps) == 1
    assert ticks[-2] < Decimal(top)  # no empty interval above the data


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
        "daily.render_daily_spend(figures.DailySpend('UTC', (figures.DaySpend(datetime.date(2026, 1, 1)),)))\n"
        "assert 'PIL' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
