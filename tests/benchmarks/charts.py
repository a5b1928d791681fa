"""Benchmark of the charts (issue 12: choose the drawing library by measurement).

    .venv/bin/python -m tests.benchmarks.charts [--candidates] [--runs 20]

For the chosen library (Pillow, drawing by hand in bot/charts) and, with --candidates, for each other
candidate that is installed in this interpreter (matplotlib with the Agg backend; vl-convert-python, a
Vega-Lite renderer with its own engine), a 31-day daily-spend chart stacked by 6 usage types:

- import: ms to import the library in a fresh process (median of 5 processes);
- render: median ms (wall, and CPU of this process) of `--runs` renders after 3 warm-ups (target
  < 150 ms); first: the first render in the process, after the import;
- installed: MB on disk of the distribution and everything it requires (from its RECORD files).

Also, for bot/charts: the 14-day chart and the burn-down, whether `import bot.cli` or `import bot.app`
loads Pillow (it must not: the library loads when a chart is drawn), and `katalo-bot --help` wall time
(median of 5). Prints a table and writes bench-results/charts.json. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata as metadata
import io
import json
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.benchmarks.harness import bot_command, loadavg

TYPES = ("generation", "regeneration", "upscale", "inpaint", "video", "voice")
# name: (what to import, as the chart code does, for the import figure; its distribution)
CANDIDATES = {
    "pillow (bot/charts)": ("PIL.Image, PIL.ImageDraw, PIL.ImageFont", "pillow"),
    "matplotlib": ("matplotlib.figure, matplotlib.backends.backend_agg", "matplotlib"),
    "vl-convert": ("vl_convert", "vl-convert-python"),
}


def month(days: int = 31) -> list[dict[str, Decimal]]:
    rng = random.Random(12)
    return [{kind: Decimal(rng.randint(0, 900)) / 10 for kind in TYPES} for _ in range(days)]


def timed(action: Callable[[], Any], runs: int) -> tuple[float, float, float]:
    """(first call ms, median wall ms, median CPU ms of `runs` calls after 3 warm-ups).

    CPU time is this process's own: on a shared machine it says what a render costs, where wall
    time also counts the waiting for a core.
    """
    started = time.perf_counter()
    action()
    first = (time.perf_counter() - started) * 1000
    for _ in range(3):
        action()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return round(first, 1), round(statistics.median(wall), 1), round(statistics.median(cpu), 1)


def bot_daily(days: int) -> Callable[[], bytes]:
    from bot.charts.daily import render_daily_spend
    from bot.charts.figures import DailySpend, DaySpend

    start = date(2026, 11, 1)
    figures = DailySpend(
        "Europe/Berlin", tuple(DaySpend(start + timedelta(days=i), d) for i, d in enumerate(month(days)))
    )
    return lambda: render_daily_spend(figures).png


def bot_burn_down() -> Callable[[], bytes]:
    from bot.charts.burndown import render_burn_down
    from bot.charts.figures import BurnDown

    daily = tuple(Decimal(400 + 10 * (i % 5)) for i in range(25))
    figures = BurnDown("Europe/Berlin", date(2026, 11, 1), date(2026, 12, 1), Decimal(11_000), daily)
    return lambda: render_burn_down(figures).png


def matplotlib_daily() -> bytes:
    """The same chart, as one would write it with matplotlib (stacked bars, totals, legend)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    data = month()
    figure = Figure(figsize=(6.4, 3.6), dpi=200)
    axes = figure.add_subplot()
    bottom = [0.0] * len(data)
    for kind in TYPES:
        heights = [float(day[kind]) for day in data]
        axes.bar(range(1, len(data) + 1), heights, bottom=bottom, label=kind, width=0.72)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    for x, total in enumerate(bottom, start=1):
        axes.text(x, total, f"${total:,.2f}", ha="center", va="bottom", rotation=90, fontsize=5)
    axes.set_title("Daily spend · Nov 1 - Dec 1, 2026 (Europe/Berlin)")
    axes.yaxis.set_major_formatter("${x:,.0f}")
    axes.legend(ncols=6, fontsize=5, loc="upper left")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def vl_convert_daily() -> bytes:
    import vl_convert

    values = [{"day": i + 1, "type": k, "usd": float(v)} for i, d in enumerate(month()) for k, v in d.items()]
    spec = {
        "width": 1100,
        "height": 520,
        "title": "Daily spend (Europe/Berlin)",
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "x": {"field": "day", "type": "ordinal"},
            "y": {"aggregate": "sum", "field": "usd", "type": "quantitative", "axis": {"format": "$,.0f"}},
            "color": {"field": "type"},
        },
    }
    return vl_convert.vegalite_to_png(spec, scale=1)


def import_ms(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(5)]
    return round(statistics.median(runs), 1)


def installed_mb(dist: str, seen: set[str] | None = None) -> float:
    """Size of a distribution's files plus those of everything it requires (not extras), in MB."""
    seen = set() if seen is None else seen
    try:
        found = metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return 0.0
    name = found.metadata["Name"].lower()
    if name in seen:
        return 0.0
    seen.add(name)
    size = sum(f.size or 0 for f in found.files or []) / 1e6
    for requirement in found.requires or []:
        if "extra ==" not in requirement:
            match = re.match(r"[A-Za-z0-9._-]+", requirement)
            size += installed_mb(match.group(0), seen) if match else 0.0
    return size


def loads_pillow(module: str) -> bool:
    code = f"import sys, {module}; print('PIL' in sys.modules)"
    return subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "True"


def help_ms() -> float:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([*bot_command("--help")], check=True, capture_output=True)
        runs.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(runs), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--candidates", action="store_true", help="also matplotlib and vl-convert, if installed"
    )
    parser.add_argument("--json", default="bench-results/charts.json")
    args = parser.parse_args()
    rows: dict[str, Any] = {"load average at start": loadavg()}
    renders = {"pillow (bot/charts)": lambda: bot_daily(31)()}
    if args.candidates:
        renders.update({"matplotlib": matplotlib_daily, "vl-convert": vl_convert_daily})
    for name, render in renders.items():
        modules, dist = CANDIDATES[name]
        try:
            for module in modules.split(", "):
                importlib.import_module(module)
        except ImportError:
            rows[f"{name}: not installed"] = "-"
            continue
        first, median, cpu = timed(render, args.runs)
        rows[f"{name}: import ms (fresh process)"] = import_ms(modules)
        rows[f"{name}: 31-day chart, first render ms"] = first
        rows[f"{name}: 31-day chart, median render ms"] = median
        rows[f"{name}: 31-day chart, median render CPU ms"] = cpu
        rows[f"{name}: PNG KB"] = round(len(render()) / 1024, 1)
        rows[f"{name}: installed MB (with dependencies)"] = round(installed_mb(dist), 1)
    rows["bot/charts: 14-day chart, median render ms"] = timed(bot_daily(14), args.runs)[1]
    rows["bot/charts: burn-down, median render ms"] = timed(bot_burn_down(), args.runs)[1]
    rows["import bot.cli loads Pillow"] = loads_pillow("bot.cli")
    rows["import bot.app loads Pillow"] = loads_pillow("bot.app")
    rows["katalo-bot --help ms (median of 5)"] = help_ms()
    rows["load average at end"] = loadavg()
    print_table(rows)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(rows, indent=2))


def print_table(rows: dict[str, Any]) -> None:
    width = max(len(key) for key in rows)
    print(f"{'figure':<{width}}  value")
    for key, value in rows.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
