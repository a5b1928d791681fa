"""How figures look wherever the bot shows them: money, units, percentages, progress bars, times.

Pure functions over Decimal and aware datetimes; no float ever touches money.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
BAR_FULL, BAR_EMPTY = "█", "░"


def usd(amount: Decimal) -> str:
    """`$1,234.50`; a negative amount (a refund or credit) as `-$3.00`. Banker's rounding to the cent."""
    cents = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


def units(value: Decimal | int) -> str:
    """Generation units with thousands separators; fractions kept only when there are any."""
    number = Decimal(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def percent(fraction: Decimal, places: int = 1, rounding: str = ROUND_HALF_UP) -> str:
    """`0.6234` → `62.3%`. Rounded half up, unless told otherwise (`share_shown`)."""
    exponent = Decimal(1).scaleb(-places)
    return f"{(fraction * 100).quantize(exponent, rounding=rounding)}%"


# Beside a threshold (an alert's "80% reached", a budget's "reached 50%, 80%"), figures are rounded
# DOWN: thresholds are crossed exactly, and a share of 99.96% shown as "100.0%", or $999.996 spent shown
# as "$1,000.00 of $1,000.00", would claim a threshold not reached. Rounded down, what is shown is
# never more than what was judged: 99.96% shows "99.9%", $999.996 shows "$999.99"; exactly 100% shows
# "100.0%". (A spend answer rounds the same $999.996 to "$1,000.00": the two differ by under a cent.)
def share_shown(fraction: Decimal) -> str:
    """A share beside thresholds: one place, rounded down (`0.99996` → `99.9%`)."""
    return percent(fraction, rounding=ROUND_FLOOR)


def cents_down(amount: Decimal) -> Decimal:
    """The amount to the cent, rounded down: what `spent_shown` shows."""
    return amount.quantize(CENT, rounding=ROUND_FLOOR)


def spent_shown(amount: Decimal) -> str:
    """An amount spent beside a budget's thresholds: to the cent, rounded down (`999.996` → `$999.99`)."""
    return usd(cents_down(amount))


def progress_bar(fraction: Decimal, width: int = 20) -> str:
    """A text bar such as `█████░░░░░`; over 100% stays full, since the percentage says by how much."""
    clamped = min(max(fraction, Decimal(0)), Decimal(1))
    filled = int((clamped * width).to_integral_value(rounding=ROUND_HALF_UP))
    return BAR_FULL * filled + BAR_EMPTY * (width - filled)


def clock_time(moment: datetime, zone: tzinfo) -> str:
    """`14:02` in `zone`: the "as of" time of a figure."""
    return moment.astimezone(zone).strftime("%H:%M")


def plural(count: int, noun: str) -> str:
    """`1 event`, `2,000 events`."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def span(delta: timedelta) -> str:
    """`45 s`, `2 min`, `3 h`, `2 days`: a wait, rounded down to its largest unit."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 1:
        return "less than a second"
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400:,} days"
