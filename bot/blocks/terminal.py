"""Block Kit in a terminal: headers, sections, fields in two columns, context lines, numbered buttons.

Only what the bot's own builders produce is rendered; mrkdwn is simplified (bold kept as bold on a
terminal, escapes undone, links and mentions shown as text), so a person reads what Slack would show.
Used by `katalo-bot demo` and `katalo-bot digest --dry-run`; it lives with the builders because it
only reads what they produce.
"""

from __future__ import annotations

import re
from typing import Any

EMOJI = {
    ":calendar:": "📅",
    ":warning:": "⚠️ ",
    ":large_green_circle:": "🟢",
    ":red_circle:": "🔴",
    ":mag:": "🔍",
    ":key:": "🔑",
    ":lock:": "🔒",
    ":hourglass:": "⌛",
    ":hourglass_flowing_sand:": "⏳",
    ":stopwatch:": "⏱️ ",
    ":rotating_light:": "🚨",
}
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<@([A-Z0-9]+)>")


class Style:
    def __init__(self, color: bool) -> None:
        self.bold, self.dim, self.reset = ("\033[1m", "\033[2m", "\033[0m") if color else ("", "", "")


def mrkdwn(text: str, style: Style) -> str:
    text = _LINK.sub(r"\2 (\1)", text)
    text = _MENTION.sub(r"@\1", text)
    for code, symbol in EMOJI.items():
        text = text.replace(code, symbol)
    text = re.sub(r"\*([^*\n]+)\*", lambda m: f"{style.bold}{m[1]}{style.reset}", text)
    text = text.replace("`", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render(message: dict[str, Any], *, color: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The message as lines of text, and its buttons in the order they are numbered."""
    style = Style(color)
    lines: list[str] = []
    buttons: list[dict[str, Any]] = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            lines += [f"{style.bold}{title}{style.reset}", "═" * min(len(title), 78)]
        elif kind == "section":
            if "text" in block:
                lines.append(mrkdwn(block["text"]["text"], style))
            lines += _fields([mrkdwn(f["text"], style) for f in block.get("fields", [])])
        elif kind == "context":
            lines.append(
                style.dim
                + "  ".join(mrkdwn(e.get("text", ""), style) for e in block["elements"])
                + style.reset
            )
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "actions":
            row = []
            for element in block["elements"]:
                if element.get("type") != "button":  # a select or datepicker: shown, not pressable
                    row.append(f"⟨{_control_text(element)}⟩")
                    continue
                buttons.append(element)
                row.append(f"[{len(buttons)}] {element['text']['text']}")
            lines.append("   ".join(row))
    if not lines:
        lines.append(mrkdwn(message.get("text", ""), style))
    return "\n".join(lines), buttons


def _control_text(element: dict[str, Any]) -> str:
    chosen = (element.get("initial_option") or {}).get("text") or element.get("placeholder") or {}
    return str(element.get("initial_date") or chosen.get("text", ""))


def _fields(fields: list[str]) -> list[str]:
    """Fields two to a row, as Slack lays them out; "Label\\nvalue" becomes "Label: value"."""
    cells = [field.replace("\n", ": ", 1) for field in fields]
    rows = []
    for left, right in zip(cells[::2], [*cells[1::2], ""], strict=False):
        rows.append(f"  {left:<38} {right}".rstrip())
    return rows
