"""Tiny Block Kit helpers: escaping, truncation, and the few block shapes the builders use."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.blocks.limits import (
    ACTIONS_MAX,
    BUTTON_TEXT_MAX,
    BUTTON_VALUE_MAX,
    CONTEXT_MAX,
    FIELD_TEXT_MAX,
    FIELDS_MAX,
    HEADER_TEXT_MAX,
    TEXT_MAX,
)

Block = dict[str, Any]
Message = dict[str, Any]

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
# Our own cap, not Slack's (40,000): the fallback text is a notification and a screen reader's line.
FALLBACK_TEXT_MAX = 3000


def escape(text: str) -> str:
    """Make text from a user or the API inert in mrkdwn: only &, < and > are special to Slack.

    Unescaped, `<!channel>` would notify a whole channel and `<@U123>` ping a person.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str) -> str:
    """`<@U123>` for a Slack user id; anything not shaped like one is shown escaped, never as markup."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else escape(user_id)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when cut. Cutting never splits an escape."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]  # a half "&amp;" would show as garbage
    return cut + "…"


def code(text: str) -> str:
    """Inline code for an id; escaped, and without backticks that would end the span early."""
    return "`" + escape(text.replace("`", "'")) + "`"


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, HEADER_TEXT_MAX), "emoji": True},
    }


def section(text: str, *, fields: list[str] | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, TEXT_MAX)}}
    if fields:
        block["fields"] = [
            {"type": "mrkdwn", "text": truncate(f, FIELD_TEXT_MAX)} for f in fields[:FIELDS_MAX]
        ]
    return block


def fields_section(fields: list[str]) -> Block:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": truncate(f, FIELD_TEXT_MAX)} for f in fields[:FIELDS_MAX]],
    }


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(t, TEXT_MAX)} for t in texts[:CONTEXT_MAX]],
    }


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: Any, *, style: str | None = None) -> Block:
    """A button whose value is JSON (at most BUTTON_VALUE_MAX characters: callers keep it small)."""
    encoded = json.dumps(value, separators=(",", ":"))
    if len(encoded) > BUTTON_VALUE_MAX:
        raise ValueError(f"button value of {len(encoded)} characters")
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, BUTTON_TEXT_MAX), "emoji": True},
        "action_id": action_id,
        "value": encoded,
    }
    if style is not None:
        element["style"] = style
    return element


def actions(block_id: str, *elements: Block) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(elements[:ACTIONS_MAX])}


def message(text: str, blocks: list[Block]) -> Message:
    """A message: fallback `text` (notifications, screen readers) plus blocks."""
    return {"text": truncate(text, FALLBACK_TEXT_MAX), "blocks": blocks}
