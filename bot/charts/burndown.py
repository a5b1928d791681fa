"""The plan burn-down: units consumed over the billing period against the even pace to `included`.

x runs over the period's days (a day's consumption is plotted at its end, today's "so far" at today);
the dashed grey line is the even pace from 0 to `included`, the dashed vermillion one carries today's
figure on at `pace` and, when it reaches `included` before the period ends, is marked with the date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.charts.alt import burn_down_alt, span
from bot.charts.figures import BurnDown, Chart
from bot.charts.scale import nice_ticks, unit_tick
from bot.formatting import percent, units

if TYPE_CHECKING:
    from bot.charts.canvas import Canvas
    from bot.charts.frame import Plot

XOf = Callable[[date], float]  # a day to the pixel column of its start
CONSUMED, EVEN, PROJECTED, PLAN = "#0072B2", "#7A7A7A", "#D55E00", "#1D1C1D"


def render_burn_down(figures: BurnDown) -> Chart:
    """The PNG and its alt text."""
    from bot.charts import frame  # Pillow loads here, when a chart is drawn, not at start-up
    from bot.charts.canvas import Canvas

    canvas = Canvas(frame.WIDTH, frame.HEIGHT)
    last = figures.end - timedelta(days=1)
    top = frame.header(
        canvas,
        f"Plan burn-down · {span(figures.start, last)}",
        f"{units(figures.consumed)} of {units(figures.included)} units ({percent(figures.fraction)}) "
        f"by {figures.today:%b %-d} · {_outlook(figures)} · local days in {figures.zone}",
    )
    top = frame.legend(
        canvas,
        top,
        [
            ("consumed", CONSUMED, "line"),
            ("even pace", EVEN, "dash"),
            ("projected", PROJECTED, "dash"),
            ("included", PLAN, "line"),
        ],
    )
    projected_end = figures.consumed + figures.pace * (figures.end - figures.today - timedelta(days=1)).days
    # The axis shows the plan and today's figure whole; a projection far beyond is cut at 1.5x the plan.
    ceiling = max(figures.included, figures.consumed, min(projected_end, figures.included * Decimal("1.5")))
    ticks = nice_ticks(ceiling * Decimal("1.08"), floor=Decimal(1))  # room above the plan's label
    labels = [unit_tick(value) for value in ticks]
    left = frame.MARGIN + frame.axis_room(canvas, labels)
    plot = frame.Plot(left, top + 16, frame.WIDTH - frame.MARGIN - 16, frame.HEIGHT - 84, ticks[-1])
    frame.value_axis(canvas, plot, ticks, labels)
    x = _x_of(figures, plot)
    _date_axis(canvas, plot, figures, x)
    canvas.line([(plot.left, plot.y(figures.included)), (plot.right, plot.y(figures.included))], PLAN, 2)
    # Top left: the even-pace line starts bottom left, so nothing else is drawn there.
    canvas.text(
        (plot.left + 10, plot.y(figures.included) - 6),
        f"included {units(figures.included)}",
        frame.SMALL,
        anchor="lb",
    )
    canvas.line(
        [(x(figures.start), plot.bottom), (x(figures.end), plot.y(figures.included))], EVEN, 3, dash=9
    )
    _today(canvas, plot, figures, x)
    _run_out(canvas, plot, figures, x, projected_end)
    points = [(x(figures.start), plot.bottom)]
    points += [
        (x(figures.start + timedelta(days=i + 1)), plot.y(v)) for i, v in enumerate(figures.cumulative)
    ]
    canvas.line(points, CONSUMED, 5)
    canvas.dot(points[-1], 7, CONSUMED)
    return Chart(canvas.png(), burn_down_alt(figures), frame.WIDTH, frame.HEIGHT)


def _x_of(figures: BurnDown, plot: Plot) -> XOf:
    width = (plot.right - plot.left) / figures.days

    def x(day: date) -> float:
        return plot.left + (day - figures.start).days * width

    return x


def _date_axis(canvas: Canvas, plot: Plot, figures: BurnDown, x: XOf) -> None:
    """A label at the start of every 7th day (every 1 or 2 days in short periods)."""
    from bot.charts.canvas import MUTED
    from bot.charts.frame import SMALL

    step = 7 if figures.days > 14 else 2 if figures.days > 7 else 1
    for offset in range(0, figures.days, step):
        day = figures.start + timedelta(days=offset)
        canvas.line([(x(day), plot.bottom), (x(day), plot.bottom + 6)], MUTED, 2)
        canvas.text((x(day), plot.bottom + 10), f"{day:%b %-d}", SMALL, fill=MUTED, anchor="ma")


def _today(canvas: Canvas, plot: Plot, figures: BurnDown, x: XOf) -> None:
    from bot.charts.frame import SMALL

    at = x(figures.today + timedelta(days=1))
    canvas.line([(at, plot.top), (at, plot.bottom)], CONSUMED, 2, dash=5)
    canvas.text((at, plot.bottom + 38), "today", SMALL, fill=CONSUMED, anchor="ma", bold=True)


def _run_out(canvas: Canvas, plot: Plot, figures: BurnDown, x: XOf, projected_end: Decimal) -> None:
    """The projection from today to the period's end, and the run-out date when it comes first."""
    from bot.charts.frame import SMALL

    start = (x(figures.today + timedelta(days=1)), plot.y(figures.consumed))
    canvas.line([start, (x(figures.end), plot.y(projected_end))], PROJECTED, 4, dash=9)
    run_out = figures.run_out
    if run_out is None:
        return
    at = _crossing(figures, x)
    canvas.line([(at, plot.y(figures.included)), (at, plot.bottom)], PROJECTED, 2)
    canvas.dot((at, plot.y(figures.included)), 8, PROJECTED)
    verb = "used up" if figures.used_up_on else "runs out ~"
    anchor = "rb" if at > (plot.left + plot.right) / 2 else "lb"
    canvas.text(
        (at + (-10 if anchor == "rb" else 10), plot.y(figures.included) - 36),
        f"{verb} {run_out:%b %-d}".replace("~ ", "~"),
        SMALL,
        fill=PROJECTED,
        anchor=anchor,
        bold=True,
    )


def _crossing(figures: BurnDown, x: XOf) -> float:
    """Where the consumed line (or, ahead, the projection) reaches `included`, interpolated within the day."""
    day_width = x(figures.start + timedelta(days=1)) - x(figures.start)
    used_up = figures.used_up_on
    if used_up is not None:
        index = (used_up - figures.start).days
        before = figures.cumulative[index - 1] if index else Decimal(0)
        share = (figures.included - before) / (figures.cumulative[index] - before)
        return x(used_up) + float(share) * day_width
    ahead = (figures.included - figures.consumed) / figures.pace
    return x(figures.today + timedelta(days=1)) + float(ahead) * day_width


def _outlook(figures: BurnDown) -> str:
    if figures.used_up_on is not None:
        return f"used up {figures.used_up_on:%b %-d}"
    return "on pace" if figures.run_out is None else f"runs out ~{figures.run_out:%b %-d}"
