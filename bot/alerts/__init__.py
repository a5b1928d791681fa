"""Alert rules: figures in, a decision out (pure; no I/O, no Slack, no database; `now` comes in as dates).

- `spike`: is a complete local day's billed amount a spike against the 28 days before it, and the
  episode rule that makes spend that stays high alert once.
- `cause`: which usage types, config fingerprints and jobs drove a spike, with their amounts.
- `pace`: "at this pace the plan runs out on Nov 27, 4 days before the period ends" (the run-out
  arithmetic is bot.charts.figures.BurnDown's, shared with the burn-down chart and the digest).
- `budget`: a budget in money per billing period or calendar month, and which thresholds are newly crossed.

Storing what was alerted, acknowledging, snoozing and posting belong to the services above these rules.
"""
