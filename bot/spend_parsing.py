"""Spend questions from what a user typed: `/katalo spend ...` and plain mentions. Pure, no I/O.

    /katalo spend [PERIOD] [by type|config|job|day] [type:NAME] [config:cfg_…]
    @Katalo what did we spend last week? · spend on upscale this month · which config cost the most
    in October? · how much yesterday by job

**The rule for ambiguous words: period words win.** Words that read as a period (`today`, `may`,
`october`, `last month`, `2026-10`, …) are always the period, and a period word on its own (`month`,
`week`, `day`, `period`, …) is never taken for a usage type or a config. To name a usage type whose
name is such a word, use the explicit filter: `type:month`. `on NAME`, `for NAME` and `of NAME` name
a usage type only when NAME is no period word, breakdown word or filler; bare `cfg_…` names a config.

A mention is a spend question when it holds a spend word (spend, spent, cost, paid, bill, …), or
asks "how much" / "total" together with a period or a breakdown and no plan word (used, plan,
remaining, …: those stay usage questions). A job id anywhere is still that job's events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.periods import MONTHS, PeriodSpec, read_period

BREAKDOWNS = ("type", "config", "job", "day")
_BREAKDOWN_WORDS = {
    "type": "type", "types": "type", "usage": "type", "kind": "type",
    "config": "config", "configs": "config", "configuration": "config", "configurations": "config",
    "fingerprint": "config", "fingerprints": "config",
    "job": "job", "jobs": "job",
    "day": "day", "days": "day", "daily": "day", "date": "day",
}  # fmt: skip
_SPEND_WORDS = {
    "spend", "spent", "spending", "spends", "cost", "costs", "costing", "costed", "paid", "pay",
    "paying", "bill", "billed", "charged", "expensive", "dollars", "money",
}  # fmt: skip
_PLAN_WORDS = {"use", "used", "using", "plan", "remaining", "left", "quota", "overage", "allowance", "units"}
_FILLERS = {
    "in", "for", "during", "on", "over", "the", "of", "from", "a", "an", "and", "spend", "us", "we", "our",
    "it", "this", "that", "me", "them", "what", "all", "everything", "so", "far", "total",
}  # fmt: skip
_PERIOD_WORDS = {
    "today", "yesterday", "week", "weeks", "month", "months", "period", "periods", "day", "days", "year",
    "this", "last", "past", "billing", *MONTHS,
}  # fmt: skip
_NAME = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")
_CONFIG = re.compile(r"cfg_[A-Za-z0-9]{1,64}")
_FILTER = re.compile(r"(type|config):(\S*)", re.IGNORECASE)
_PUNCTUATION = "?!,;\"'()"
EXAMPLES = "`today`, `last week`, `this month`, `last period`, `last 30 days`, `october`, `2026-10`, " \
    "`2026-11-03`, `2026-11-01..2026-11-15`"  # fmt: skip


@dataclass(frozen=True)
class SpendQuestion:
    """What was spent in a period (None: the current billing period), broken down, maybe filtered."""

    period: PeriodSpec | None = None
    breakdown: str = "type"
    types: tuple[str, ...] = ()
    configs: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The `/katalo spend` arguments that ask this question again (buttons and controls carry it)."""
        words = [self.period.text if self.period else "this period", f"by {self.breakdown}"]
        words += [f"type:{name}" for name in self.types] + [f"config:{cfg}" for cfg in self.configs]
        return " ".join(words)


@dataclass(frozen=True)
class BadSpend:
    """A spend question that could not be understood; `problem` is the sentence to show (unescaped)."""

    problem: str


SpendIntent = SpendQuestion | BadSpend


def parse_spend(text: str) -> SpendIntent:
    """`/katalo spend` arguments: every word must be a period, a breakdown, a filter or a filler."""
    return _read(_tokens(text), strict=True)


def spend_in_mention(text: str) -> SpendIntent | None:
    """A mention's spend question, or None when the mention asks something else."""
    tokens = _tokens(text)
    words = {token.lower() for token in tokens}
    if not words & _SPEND_WORDS:
        how_much = "much" in words or "total" in words
        if not how_much or words & _PLAN_WORDS:
            return None
        asked = _read(tokens, strict=False)
        has_breakdown = bool(words & {"by", "per", "daily"})
        if isinstance(asked, SpendQuestion) and asked.period is None and not has_breakdown:
            return None
        return asked
    return _read(tokens, strict=False)


def _tokens(text: str) -> list[str]:
    return [token.strip(_PUNCTUATION) for token in text.split() if token.strip(_PUNCTUATION)]


def _read(tokens: list[str], *, strict: bool) -> SpendIntent:
    used = [False] * len(tokens)
    types: list[str] = []
    configs: list[str] = []
    problem = _read_filters(tokens, used, types, configs)
    breakdown, problem = (None, problem) if problem else _read_breakdown(tokens, used, strict=strict)
    if problem:
        return BadSpend(problem)
    period, problem = _read_periods(tokens, used)
    if problem:
        return BadSpend(problem)
    _read_named_types(tokens, used, types)
    leftover = [t for t, u in zip(tokens, used, strict=True) if not u and t.lower() not in _FILLERS]
    if strict and leftover and leftover[0].lower() in _PERIOD_WORDS:
        word = leftover[0].lower()
        return BadSpend(
            f"`{word}` alone is not a period: say which, e.g. `this {word}` or `last {word}`, or one of "
            f"{EXAMPLES}. For a usage type called `{word}`, write `type:{word}`."
        )
    if strict and leftover:
        return BadSpend(
            f"I did not understand `{' '.join(leftover)[:80]}`. Ask `spend [PERIOD] [by type|config|job|day] "
            f"[type:NAME] [config:cfg_…]`; a period is one of {EXAMPLES}."
        )
    return SpendQuestion(
        period, breakdown or "type", tuple(dict.fromkeys(types)), tuple(dict.fromkeys(configs))
    )


def _read_filters(tokens: list[str], used: list[bool], types: list[str], configs: list[str]) -> str | None:
    for i, token in enumerate(tokens):
        if match := _FILTER.fullmatch(token):
            kind, name = match[1].lower(), match[2]
            if kind == "config" and not _CONFIG.fullmatch(name):
                return (
                    f"`config:` takes a config fingerprint such as `config:cfg_3f9a2b7c`, not `{name[:80]}`."
                )
            if kind == "type" and not _NAME.fullmatch(name.lower()):
                return f"`type:` takes a usage type such as `type:upscale`, not `{name[:80]}`."
            (configs if kind == "config" else types).append(name if kind == "config" else name.lower())
            used[i] = True
        elif _CONFIG.fullmatch(token):
            configs.append(token)
            used[i] = True
    return None


def _read_breakdown(tokens: list[str], used: list[bool], *, strict: bool) -> tuple[str | None, str | None]:
    """`by X` / `per X` (and in mentions `which X`, `daily`): the breakdown, or a sentence."""
    lowered = [t.lower() for t in tokens]
    for i, word in enumerate(lowered):
        follows = lowered[i + 1] if i + 1 < len(lowered) else ""
        if word in ("by", "per") and not used[i]:
            if follows not in _BREAKDOWN_WORDS:
                shown = f"`{tokens[i + 1][:40]}`" if follows else "nothing"
                return None, f"Break spend down by `type`, `config`, `job` or `day`, not by {shown}."
            used[i] = used[i + 1] = True
            return _BREAKDOWN_WORDS[follows], None
        if not strict and word in ("which", "what") and follows in _BREAKDOWN_WORDS and follows != "date":
            used[i + 1] = True
            return _BREAKDOWN_WORDS[follows], None
        if not strict and word == "daily":
            used[i] = True
            return "day", None
    return None, None


def _read_periods(tokens: list[str], used: list[bool]) -> tuple[PeriodSpec | None, str | None]:
    """The longest run of up to 4 unused words that reads as a period (periods win: see the module)."""
    found: list[tuple[int, int, PeriodSpec]] = []
    i = 0
    while i < len(tokens):
        for length in range(min(4, len(tokens) - i), 0, -1):
            if any(used[i : i + length]):
                continue
            spec = read_period(" ".join(tokens[i : i + length]))
            if spec is not None:
                found.append((i, length, spec))
                i += length - 1
                break
        i += 1
    if len({spec for _, _, spec in found}) > 1:
        return (
            None,
            "That names two periods: ask about one, or give a range such as `2026-11-01..2026-11-15`.",
        )
    for start, length, _ in found:
        used[start : start + length] = [True] * length
    return (found[0][2] if found else None), None


def _read_named_types(tokens: list[str], used: list[bool], types: list[str]) -> None:
    """`on upscale`, `for generation`, `of upscale`: a usage type named after a preposition."""
    for i, token in enumerate(tokens[:-1]):
        name = tokens[i + 1].lower()
        ordinary = name not in _FILLERS | _SPEND_WORDS | _PLAN_WORDS | _PERIOD_WORDS | set(_BREAKDOWN_WORDS)
        if token.lower() in ("on", "for", "of") and not used[i + 1] and _NAME.fullmatch(name) and ordinary:
            types.append(name)
            used[i] = used[i + 1] = True
