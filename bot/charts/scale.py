"""Value axes: "nice" tick steps (1, 2, 2.5, 5 x 10^k) and their labels, in Decimal.

Labels use bot.formatting so a chart's dollars and units read like the text answers; whole-dollar
ticks drop their ".00", since an axis only needs to say where the gridlines are.
"""

from __future__ import annotations

from decimal import Decimal

from bot.formatting import units, usd

_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
MAX_INTERVALS = 5


def nice_ticks(top: Decimal, *, floor: Decimal = Decimal("0.01")) -> tuple[Decimal, ...]:
    """Ticks from 0 to the first step at or above `top` (at least `floor`), at most 5 intervals."""
    top = max(top, floor)
    magnitude = Decimal(1).scaleb((top / MAX_INTERVALS).adjusted())
    step = next(m * magnitude for m in _STEPS if top / (m * magnitude) <= MAX_INTERVALS)
    count = int((top / step).to_integral_value(rounding="ROUND_CEILING"))
    return tuple(step * i for i in range(count + 1))


def dollar_tick(value: Decimal, step: Decimal) -> str:
    """`$1,500` for whole-dollar steps, `$0.25` for cents, `$0.004` below a cent."""
    if step % 1 == 0:
        return usd(value)[:-3]
    if step % Decimal("0.01") == 0:
        return usd(value)
    return f"${value.normalize():f}"


def unit_tick(value: Decimal) -> str:
    return units(value)


def drawable(text: str) -> str:
    """Text the bundled font can draw: printable ASCII and "·" (it has no other glyphs); else "?"."""
    return "".join(c if " " <= c <= "~" or c == "·" else "?" for c in text)
