"""katalo-bot: answers billing and usage questions about a Katalo API account, in Slack.

Importing any module of this package does nothing but define things; the entry points in
`bot.cli` build the settings, the Katalo client and the Slack app, and wire them together.
"""

__version__ = "0.1.0"
