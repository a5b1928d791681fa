"""The local stand-ins with what only tests need: injected faults, refused channels, request logs.

bot/sandbox holds what the demo and `katalo-bot sandbox` run; the controls a test uses to make those
servers misbehave, or to read back what reached them, live here.
"""
