"""Daily digests and threshold alerts: schedule, store, compose, deliver exactly once, and the clock."""
