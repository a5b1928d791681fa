"""The alert engine (issue 13): every kind evaluated once per check, posted and updated exactly once.

- `conditions`: what an evaluation says (a condition due, with its key and level; how an open alert
  clears) and when a level is worse than the one shown.
- `plan`: the plan thresholds and API access off, from the usage summary.
- `spending`: spike, pace and budget, from the ledger mirror in the reporting zone, through the pure
  rules of bot/alerts.
- `slack`: saying it in Slack once: post (or find the post a crashed runner left), update in place
  with one thread reply, the reply that a condition cleared.
- `runner`: one check over every alert channel, its enabled and not silenced kinds; what the clock
  and `katalo-bot alerts` run.
"""
