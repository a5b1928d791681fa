"""Slack's Block Kit limits for a message, written once, and a check of a message against them.

The numbers (slack-platform.md) are the ones the builders (_kit.py) cut texts to and the Slack
stand-in (sandbox/slack_blocks.py) refuses past, so a builder and the stand-in cannot disagree.

slack_sdk's `Block.parse(...).to_dict()` raises on most limits, but not on the 50-block limit, a field
over 2,000 characters, mrkdwn in a header, empty texts, duplicate block ids or unknown block types
(which parse to None). This module checks those too. The tests run every builder through it.
"""

from __future__ import annotations

import re
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

MAX_BLOCKS = 50  # per message (modals and App Home allow 100; the bot only sends messages)
MAX_TEXT = 40_000  # a message's top-level text
TEXT_MAX = 3000  # a section's text; a context element's text
FIELDS_MAX = 10  # fields in a section
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
ACTIONS_MAX = 25  # elements in an actions block
CONTEXT_MAX = 10  # elements in a context block
BLOCK_ID_MAX = 255
ACTION_ID_MAX = 255
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
_BROADCAST = re.compile(r"<!(channel|here|everyone)")


class SlackLimitError(ValueError):
    """The message breaks one of Slack's limits; the text says which."""


def check_message(message: dict[str, Any]) -> None:
    """Raise SlackLimitError if Slack would reject (or mangle) this message."""
    text, blocks = message.get("text"), message.get("blocks", [])
    if not isinstance(text, str) or not text.strip():
        raise SlackLimitError("top-level fallback text is missing")
    if len(text) > MAX_TEXT:
        raise SlackLimitError(f"top-level text of {len(text)} characters")
    if len(blocks) > MAX_BLOCKS:
        raise SlackLimitError(f"{len(blocks)} blocks (at most {MAX_BLOCKS})")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        raise SlackLimitError("duplicate block_id")
    for index, block in enumerate(blocks):
        _check_block(index, block)
    if any(_BROADCAST.search(t) for t in displayed_texts(message)):
        raise SlackLimitError("a channel-wide notification (<!channel>, <!here>, <!everyone>)")


def _check_block(index: int, block: dict[str, Any]) -> None:
    try:
        parsed = Block.parse(block)
        if parsed is not None:
            parsed.to_dict()  # slack_sdk validates lengths and counts here
    except SlackObjectFormationError as exc:
        raise SlackLimitError(f"block {index}: {exc}") from None
    if parsed is None:
        raise SlackLimitError(f"block {index}: unknown type {block.get('type')!r}")
    kind = block["type"]
    if kind == "header" and block["text"]["type"] != "plain_text":
        raise SlackLimitError(f"block {index}: header text must be plain_text")
    if kind == "section":
        if "text" not in block and not block.get("fields"):
            raise SlackLimitError(f"block {index}: section without text or fields")
        for field in block.get("fields", []):
            if not field["text"] or len(field["text"]) > FIELD_TEXT_MAX:
                raise SlackLimitError(f"block {index}: field of {len(field['text'])} characters")
    for text in _texts([block]):
        if not text.strip():
            raise SlackLimitError(f"block {index}: empty text")


def displayed_texts(message: dict[str, Any]) -> list[str]:
    """Every text Slack shows for a message: the fallback text and each text object in its blocks."""
    return [message.get("text") or "", *_texts(message.get("blocks", []))]


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text string in the blocks, however deeply nested."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found
