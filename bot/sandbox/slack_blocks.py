"""The Block Kit limits the Slack stand-in enforces, so an end-to-end test fails where Slack would.

Owns `blocks_error`: Slack's error code for a `blocks` value Slack would refuse, for the limits in
slack-platform.md (block count, section text and fields, header, actions, context, block_id, button).
It is a tripwire, not a Block Kit validator: element types and the rest of the schema go unchecked.
"""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = 50  # per message; modals and App Home allow 100, but the stand-in only posts messages
_LIMITS = {
    "section_text": 3000,
    "fields": 10,
    "field_text": 2000,
    "header_text": 150,
    "actions": 25,
    "context": 10,
    "block_id": 255,
    "button_text": 75,
    "action_id": 255,
    "value": 2000,
}


def blocks_error(blocks: Any) -> str | None:
    """`invalid_blocks_format` for what is not a list of objects, `invalid_blocks` past a limit, else None."""
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        return "invalid_blocks_format"
    if len(blocks) > MAX_BLOCKS or any(_block_error(block) for block in blocks):
        return "invalid_blocks"
    return None


def _block_error(block: dict[str, Any]) -> bool:
    """True when one block breaks a limit Slack enforces."""
    kind = block.get("type")
    if not isinstance(kind, str) or len(str(block.get("block_id", ""))) > _LIMITS["block_id"]:
        return True
    if kind == "section":
        fields = block.get("fields") or []
        if "text" not in block and not fields:
            return True
        if "text" in block and not 1 <= _text_length(block["text"]) <= _LIMITS["section_text"]:
            return True
        if not isinstance(fields, list) or len(fields) > _LIMITS["fields"]:
            return True
        if any(not 1 <= _text_length(field) <= _LIMITS["field_text"] for field in fields):
            return True
        return "accessory" in block and _element_error(block["accessory"])
    if kind == "header":
        text = block.get("text")
        return (
            not isinstance(text, dict)
            or text.get("type") != "plain_text"
            or not 1 <= _text_length(text) <= _LIMITS["header_text"]
        )
    if kind in ("actions", "context"):
        elements = block.get("elements")
        return (
            not isinstance(elements, list)
            or not 1 <= len(elements) <= _LIMITS[kind]
            or any(_element_error(element) for element in elements)
        )
    return False


def _element_error(element: Any) -> bool:
    """True for an element that is not an object, or a button past its limits."""
    if not isinstance(element, dict):
        return True
    if element.get("type") != "button":
        return False
    return (
        not 1 <= _text_length(element.get("text")) <= _LIMITS["button_text"]
        or len(str(element.get("action_id", ""))) > _LIMITS["action_id"]
        or len(str(element.get("value", ""))) > _LIMITS["value"]
        or element.get("style", "primary") not in ("primary", "danger")
    )


def _text_length(text: Any) -> int:
    """Characters in a text object (`{"type", "text"}`); 0 for anything that is not one."""
    if not isinstance(text, dict) or not isinstance(text.get("text"), str):
        return 0
    return len(text["text"])
