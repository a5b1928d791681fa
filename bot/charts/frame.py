"""What both charts share: size, type sizes, palette, the header, the legend and the value axis.

Size: 1280 x 720 px, shown by Slack at up to 360 px tall in a channel (so at 640 x 360 there, 2:1
pixels for high-density screens). Type sizes are in these pixels: 22 px becomes 11 px on screen.
Palette: Okabe-Ito, distinguishable with the common colour-vision deficiencies; "other" is grey.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.charts.canvas import GRID, INK, MUTED, Canvas

WIDTH, HEIGHT = 1280, 720
MARGIN = 36
TITLE, BODY, SMALL = 34, 24, 22
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7")
OTHER_COLOUR = "#C4C4C4"  # light: apart from the five hues in lightness too (deuteranopia)


@dataclass(frozen=True)
class Plot:
    """The plotting area (output pixels) and the value at its top edge."""

    left: float
    top: float
    right: float
    bottom: float
    top_value: Decimal

    def y(self, value: Decimal) -> float:
        """The pixel row of `value`; values outside [0, top_value] are clamped to the area."""
        share = min(max(float(value / self.top_value), 0.0), 1.0)
        return self.bottom - share * (self.bottom - self.top)


def header(canvas: Canvas, title: str, subtitle: str) -> float:
    """Title and subtitle at the top left; returns the y below them. A subtitle wider than the card
    (long filters, a long zone name) goes on as many lines as it needs, broken between its parts."""
    canvas.text((MARGIN, MARGIN - 6), title, TITLE, bold=True)
    y = MARGIN + TITLE + 2
    for line in subtitle_lines(canvas, subtitle, WIDTH - 2 * MARGIN):
        canvas.text((MARGIN, y), line, BODY, fill=MUTED)
        y += BODY + 4
    return y + 8


def subtitle_lines(canvas: Canvas, subtitle: str, width: float) -> list[str]:
    """The subtitle's " · " parts, as many to a line as fit in `width`; a part wider than a line alone
    is cut, with "…"."""
    lines: list[str] = []
    for part in subtitle.split(" · "):
        joined = f"{lines[-1]} · {part}" if lines else part
        if lines and canvas.text_width(joined, BODY) <= width:
            lines[-1] = joined
            continue
        while canvas.text_width(part, BODY) > width and len(part) > 1:
            part = part[:-2] + "…"
        lines.append(part)
    return lines


def legend(canvas: Canvas, y: float, entries: Sequence[tuple[str, str, str]]) -> float:
    """One row of (label, colour, mark) with mark "box", "line" or "dash"; returns the y below it."""
    x, middle = float(MARGIN), y + SMALL / 2
    for label, colour, mark in entries:
        if mark == "box":
            canvas.rect((x, middle - 9, x + 18, middle + 9), colour)
            x += 26
        else:
            canvas.line([(x, middle), (x + 34, middle)], colour, 4, dash=7 if mark == "dash" else 0)
            x += 42
        canvas.text((x, middle), label, SMALL, anchor="lm")
        x += canvas.text_width(label, SMALL) + 26
    return y + SMALL + 14


def axis_room(canvas: Canvas, labels: Sequence[str]) -> float:
    """Width the value axis's labels need left of the plot."""
    return max(canvas.text_width(label, SMALL) for label in labels) + 14


def value_axis(canvas: Canvas, plot: Plot, ticks: Sequence[Decimal], labels: Sequence[str]) -> None:
    """Horizontal gridlines at `ticks`, labelled left of the plot; the zero line in ink."""
    for value, label in zip(ticks, labels, strict=True):
        y = plot.y(value)
        canvas.line([(plot.left, y), (plot.right, y)], INK if value == 0 else GRID, 2 if value == 0 else 1)
        canvas.text((plot.left - 10, y), label, SMALL, fill=MUTED, anchor="rm")
