"""Answers to the bot's questions, from the Katalo client and the ledger mirror.

Services know neither Slack nor HTTP details: the listeners, the CLI and the scheduler share them.
"""
