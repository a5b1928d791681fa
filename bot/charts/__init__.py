"""Charts: plain figures in, PNG bytes and alt text out (pure; no I/O, no Slack, no database).

- `figures`: the inputs (frozen dataclasses: Decimal money, local dates, a zone name) and the
  arithmetic that picture and alt text share (top-5 grouping, cumulative burn, run-out date).
- `scale`: axis ticks and their labels.  `alt`: the alt text.
- `daily` and `burndown`: `render_daily_spend` and `render_burn_down`, each returning a `Chart`.
- `canvas`: the Pillow drawing kit. Pillow is imported there only, and `daily`/`burndown` import
  `canvas` inside their render functions, so importing any module of this package costs nothing:
  the library loads when a chart is drawn (`katalo-bot --help` and start-up stay fast).
"""
