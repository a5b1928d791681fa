"""Alt text for the charts: the figures a screen reader or a notification preview should say.

Slack refuses an `alt_txt` longer than 1,000 characters (files.getUploadURLExternal:
alt_txt_too_large), so every text is capped at `ALT_MAX`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from bot.charts.figures import BurnDown, DailySpend
from bot.formatting import percent, units, usd

ALT_MAX = 1000


def span(first: date, last: date) -> str:
    """`Nov 18, 2026`, `Nov 1 - Nov 30, 2026`, or `Dec 20, 2026 - Jan 5, 2027`."""
    if first == last:
        return f"{first:%b %-d, %Y}"
    if first.year == last.year:
        return f"{first:%b %-d} - {last:%b %-d, %Y}"
    return f"{first:%b %-d, %Y} - {last:%b %-d, %Y}"


def cap(text: str) -> str:
    return text if len(text) <= ALT_MAX else text[: ALT_MAX - 1] + "…"


def daily_spend_alt(figures: DailySpend) -> str:
    """Period, zone, total, the biggest day (or week) and the top usage types with their amounts."""
    days = figures.days
    only = f", only {figures.scope}" if figures.scope else ""
    what, unit = ("Weekly", "week") if figures.weekly else ("Daily", "day")
    short = figures.short_weeks()
    weeks = f"weeks from Monday{f', {short}' if short else ''}; " if figures.weekly else ""
    head = f"{what} spend{only}, {span(figures.first_day, figures.last_day)} ({weeks}days in {figures.zone})"
    if not any(day.total for day in days):
        return cap(f"{head}: no spend in this period.")
    biggest = figures.biggest_day
    stack = figures.stack()
    kinds = ", ".join(
        f"{kind} {usd(amount)}" for kind, amount in zip(stack.types, stack.type_totals, strict=True)
    )
    count = f"{len(days)} {unit}" + ("" if len(days) == 1 else "s")
    which = f"of {biggest.day:%b %-d}" if figures.weekly else f"{biggest.day:%b %-d}"
    return cap(
        f"{head}: total {usd(figures.total)} over {count}. "
        f"Biggest {unit} {which}: {usd(biggest.total)}. By type: {kinds}."
    )


def burn_down_alt(figures: BurnDown) -> str:
    """Consumed of included, the percentage, and the run-out date or "on pace"."""
    head = (
        f"Plan burn-down, billing period {span(figures.start, figures.end - timedelta(days=1))} "
        f"(days in {figures.zone}): "
        f"{units(figures.consumed)} of {units(figures.included)} units consumed "
        f"({percent(figures.fraction)}) by {figures.today:%b %-d}."
    )
    used_up, run_out = figures.used_up_on, figures.run_out
    if used_up is not None:
        over = units(figures.consumed - figures.included)
        return cap(f"{head} Used up on {used_up:%b %-d}; {over} units over the plan so far.")
    pace = f"{units(figures.pace.quantize(Decimal('0.1')))} units a day"
    if run_out is None:
        return cap(f"{head} On pace: at {pace} the included units last the period.")
    return cap(f"{head} At {pace} they run out around {run_out:%b %-d}, before the period ends.")
