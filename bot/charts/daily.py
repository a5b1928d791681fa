"""The spend chart: one bar per local day (or per week from Monday, for a long period), stacked by
usage type, each bar's total on top."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.charts.alt import daily_spend_alt, span
from bot.charts.figures import OTHER, ZERO, Chart, DailySpend, Stack
from bot.charts.scale import dollar_tick, nice_ticks
from bot.formatting import usd

if TYPE_CHECKING:
    from bot.charts.canvas import Canvas
    from bot.charts.frame import Plot

BAR_SHARE, BAR_MAX = 0.72, 110.0  # of a day's slot; one day alone is not a wall
MAX_DAYS = 62  # one bar a day stays readable (day labels every other day) for about two months


def render_daily_spend(figures: DailySpend) -> Chart:
    """The PNG and its alt text. Negative amounts (credits) add no height; the total label is net."""
    from bot.charts import frame  # Pillow loads here, when a chart is drawn, not at start-up
    from bot.charts.canvas import Canvas

    canvas = Canvas(frame.WIDTH, frame.HEIGHT)
    stack = figures.stack()
    days = figures.days
    top = frame.header(
        canvas,
        f"{'Weekly' if figures.weekly else 'Daily'} spend · {span(figures.first_day, figures.last_day)}",
        f"Total {usd(figures.total)}"
        + (f" · only {figures.scope}" if figures.scope else "")
        + (" · weeks from Monday" if figures.weekly else "")
        + (f", {figures.short_weeks()}" if figures.short_weeks() else "")
        + f" · local days in {figures.zone}",
    )
    top = frame.legend(canvas, top, [(kind, _colour(i, kind), "box") for i, kind in enumerate(stack.types)])
    heights = [sum((v for v in row if v > 0), ZERO) for row in stack.rows]
    ticks = nice_ticks(max(heights), floor=Decimal(1) if not any(heights) else Decimal("0.01"))
    labels = [dollar_tick(value, ticks[1]) for value in ticks]
    left = frame.MARGIN + frame.axis_room(canvas, labels)
    slot = (frame.WIDTH - frame.MARGIN - left) / len(days)
    totals = [usd(day.total) if day.total else "" for day in days]
    totals = _shown(canvas, totals, heights, slot)
    plot, size, upright = _layout(canvas, (left, top), slot, totals, heights, ticks[-1])
    frame.value_axis(canvas, plot, ticks, labels)
    _bars(canvas, plot, stack, slot)
    _totals(canvas, plot, heights, totals, slot, size, upright=upright)
    _day_labels(canvas, plot, figures, slot)
    if not any(heights):
        middle = ((plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2)
        canvas.text(middle, "No spend in this period", frame.BODY, anchor="mm")
    return Chart(canvas.png(), daily_spend_alt(figures), frame.WIDTH, frame.HEIGHT)


def _shown(canvas: Canvas, totals: list[str], heights: list[Decimal], slot: float) -> list[str]:
    """The day totals to label: all of them, unless even turned upright they would run into each other
    (about two months of bars); then only the biggest day's. The subtitle gives the period's total and
    the alt text every day's figure."""
    from bot.charts import frame

    if all(canvas.text_width(t, frame.SMALL) <= slot - 4 for t in totals) or slot >= frame.SMALL + 4:
        return totals
    biggest = max(range(len(heights)), key=lambda i: heights[i])
    return [text if i == biggest else "" for i, text in enumerate(totals)]


def _layout(
    canvas: Canvas,
    corner: tuple[float, float],
    slot: float,
    totals: list[str],
    heights: list[Decimal],
    top_value: Decimal,
) -> tuple[Plot, int, bool]:
    """The plot area under the header, the totals' type size, and whether they are turned upright.

    Totals turn upright when one is wider than a day's slot; turned, they are set larger when the slot
    allows (they read better at Slack's 360 px). The plot's top is lowered until every total fits above
    its bar, but the bars keep at least half of the height.
    """
    from bot.charts import frame

    left, top = corner
    bottom = frame.HEIGHT - 76
    upright = any(canvas.text_width(t, frame.SMALL) > slot - 4 for t in totals)
    longest = max(canvas.text_width(t, frame.BODY) for t in totals if t) if any(totals) else 0
    roomy = slot >= frame.BODY + 10 and longest <= (bottom - top) / 4
    size = frame.BODY if upright and roomy else frame.SMALL
    extents = [canvas.text_width(t, size) if upright else size for t in totals]
    plot = frame.Plot(left, top + 8, frame.WIDTH - frame.MARGIN, bottom, top_value)
    lowest_top = bottom - (bottom - plot.top) / 2
    for _ in range(3):  # each pass shrinks the bars, so it converges quickly
        overflow = max(e + 8 - (plot.y(h) - plot.top) for e, h in zip(extents, heights, strict=True))
        if overflow <= 0.5 or plot.top >= lowest_top:
            break
        plot = dataclasses.replace(plot, top=min(plot.top + overflow, lowest_top))
    return plot, size, upright


def _colour(index: int, kind: str) -> str:
    from bot.charts.frame import OTHER_COLOUR, PALETTE

    return OTHER_COLOUR if kind == OTHER else PALETTE[index % len(PALETTE)]


def _bars(canvas: Canvas, plot: Plot, stack: Stack, slot: float) -> None:
    width = max(2.0, min(slot * BAR_SHARE, BAR_MAX))
    for i, row in enumerate(stack.rows):
        x = plot.left + slot * (i + 0.5)
        base = ZERO
        for k, amount in enumerate(row):
            if amount <= 0:
                continue
            low, high = plot.y(base), plot.y(base + amount)
            canvas.rect((x - width / 2, high, x + width / 2, low), _colour(k, stack.types[k]))
            if low - high >= 3:  # a hairline of card between segments keeps neighbours apart
                canvas.line([(x - width / 2, high), (x + width / 2, high)], "#FFFFFF", 1)
            base += amount


def _totals(
    canvas: Canvas,
    plot: Plot,
    heights: list[Decimal],
    totals: list[str],
    slot: float,
    size: int,
    *,
    upright: bool,
) -> None:
    for i, (height, text) in enumerate(zip(heights, totals, strict=True)):
        x, y = plot.left + slot * (i + 0.5), plot.y(height) - 6
        if not text:
            continue
        if upright:
            canvas.upright_text(x, y, text, size)
        else:
            canvas.text((x, y), text, size, anchor="mb")


def _day_labels(canvas: Canvas, plot: Plot, figures: DailySpend, slot: float) -> None:
    """Day of month under each bar (a week's first day; every other one when crowded); the month under
    its first bar."""
    from bot.charts.canvas import MUTED
    from bot.charts.frame import SMALL

    every = 1 if canvas.text_width("30", SMALL) + 8 <= slot else 2
    dates = [day.day for day in figures.days]
    labelled = set(labelled_weeks(dates, every) if figures.weekly else labelled_days(dates, every))
    for i, day in enumerate(dates):
        x = plot.left + slot * (i + 0.5)
        if i in labelled:
            canvas.text((x, plot.bottom + 8), str(day.day), SMALL, fill=MUTED, anchor="ma")
        if i == 0 or day.month != dates[i - 1].month:
            canvas.text((x, plot.bottom + 36), f"{day:%b}", SMALL, anchor="ma")


def labelled_days(days: Sequence[date], every: int) -> list[int]:
    """The bars whose day of month is written: every `every`-th, always the 1st of a month, and never
    two closer than `every` bars, so the 1st's neighbours give way to it instead of running into it."""
    shown: list[int] = []
    for i, day in enumerate(days):
        first_next = i + 1 < len(days) and days[i + 1].day == 1
        if day.day == 1 or ((not shown or i - shown[-1] >= every) and not (every > 1 and first_next)):
            shown.append(i)
    return shown


def labelled_weeks(weeks: Sequence[date], every: int) -> list[int]:
    """The weeks whose first day is written: every `every`-th, always a month's first week (where its
    name goes), never two closer than `every` bars: a month's first week is preferred to its neighbour."""
    firsts = {i for i, week in enumerate(weeks) if i == 0 or week.month != weeks[i - 1].month}
    shown: list[int] = []
    for i in range(len(weeks)):
        if i in firsts or ((not shown or i - shown[-1] >= every) and not (every > 1 and i + 1 in firsts)):
            shown.append(i)
    return shown
