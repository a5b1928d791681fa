"""Pure builders: models in, `{"text": ..., "blocks": [...]}` out. No I/O; `now` is an argument.

Every text that comes from a user or from the API goes through `_kit.escape`, and every message can be
checked against Slack's limits with `limits.check_message` (the tests do, for every builder).
"""
