"""The Block Kit limits the Slack stand-in enforces, so an end-to-end test fails where Slack would.

Owns `blocks_error`: Slack's error code for a `blocks` value Slack would refuse, for the limits in
bot/blocks/limits.py (block count, section text and fields, header, actions, context, block_id, button).
It is a tripwire, not a Block Kit validator: element types and the rest of the schema go unchecked.
"""

from __future__ import annotations

from typing import Any

from bot.blocks import limits


def blocks_error(blocks: Any) -> str | None:
    """`invalid_blocks_format` for what is not a list of objects, `invalid_blocks` past a limit, else None."""
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        return "invalid_blocks_format"
    if len(blocks) > limits.MAX_BLOCKS or any(_block_error(block) for block in blocks):
        return "invalid_blocks"
    return None


def _block_error(block: dict[str, Any]) -> bool:
    """True when one block breaks a limit Slack enforces."""
    kind = block.get("type")
    if not isinstance(kind, str) or len(str(block.get("block_id", ""))) > limits.BLOCK_ID_MAX:
        return True
    if kind == "section":
        fields = block.get("fields") or []
        if "text" not in block and not fields:
            return True
        if "text" in block and not 1 <= _text_length(block["text"]) <= limits.TEXT_MAX:
            return True
        if not isinstance(fields, list) or len(fields) > limits.FIELDS_MAX:
            return True
        if any(not 1 <= _text_length(field) <= limits.FIELD_TEXT_MAX for field in fields):
            return True
        return "accessory" in block and _element_error(block["accessory"])
    if kind == "header":
        text = block.get("text")
        return (
            not isinstance(text, dict)
            or text.get("type") != "plain_text"
            or not 1 <= _text_length(text) <= limits.HEADER_TEXT_MAX
        )
    if kind in ("actions", "context"):
        elements = block.get("elements")
        return (
            not isinstance(elements, list)
            or not 1 <= len(elements) <= (limits.ACTIONS_MAX if kind == "actions" else limits.CONTEXT_MAX)
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
        not 1 <= _text_length(element.get("text")) <= limits.BUTTON_TEXT_MAX
        or len(str(element.get("action_id", ""))) > limits.ACTION_ID_MAX
        or len(str(element.get("value", ""))) > limits.BUTTON_VALUE_MAX
        or element.get("style", "primary") not in ("primary", "danger")
    )


def _text_length(text: Any) -> int:
    """Characters in a text object (`{"type", "text"}`); 0 for anything that is not one."""
    if not isinstance(text, dict) or not isinstance(text.get("text"), str):
        return 0
    return len(text["text"])
