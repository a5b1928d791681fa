"""Short replies: help (every subcommand, one line each), a malformed job id, a refusal, Katalo failures."""

from __future__ import annotations

from bot import slack_ids
from bot.blocks._kit import Message, code, context, escape, message, section, truncate
from bot.katalo.errors import KataloError, KataloUnauthorized

EXAMPLE_JOB = "job_01JD3XK5C8WZ8N4QKQ2Y8ZB7RT"


# Every /katalo subcommand, one line each: what to type after the command, and what it answers. The help
# reply lists them and tests/test_manifest.py checks that manifest.yml's usage_hint names each one, so a
# new subcommand is one line here and one in the manifest.
SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("usage", "where the plan stands (used, remaining, overage, jobs)"),
    ("events <job_id>", "every ledger event of a job, and what it cost"),
    ("events", "the latest ledger events"),
    (
        "spend [PERIOD] [by type|config|job|day]",
        "what was spent, e.g. `spend last week by config`, `spend 2026-10 type:upscale`",
    ),
    ("chart [PERIOD]", "the daily spend as a picture, posted in this channel (default: the billing period)"),
    ("export [PERIOD]", "the ledger events as a CSV file, sent to you in a direct message"),
    ("reconcile", "the ledger mirror checked against Katalo's figures for the billing period"),
    ("digest on [HH:MM] [Area/City]", "a daily digest in this channel (the configured time by default)"),
    ("digest off", "stops this channel's daily digest"),
    ("digest status", "this channel's schedule, its last digest and the next one"),
    ("digest preview", "today's digest now, only to you"),
    ("alerts", "which alerts this channel gets, what is snoozed or muted, and the last of each kind"),
    ("alerts on <kind…>", "turns kinds on here: plan, access, spike, pace, budget, or `all`"),
    ("alerts off <kind…>", "turns kinds off here"),
    ("budget", "this channel's budget: spent so far in its window, and the alerts it has reached"),
    ("budget set <amount> [monthly]", "a budget in dollars per billing period (or calendar month)"),
    ("budget off", "removes this channel's budget"),
    ("help", "this list"),
)


def build_help(unrecognised: str | None = None) -> Message:
    intro = ""
    if unrecognised:
        intro = f"I did not understand {code(truncate(unrecognised, 80))}. "
    lines = [f"{intro}I answer questions about this organization's Katalo usage and billing:"]
    lines += [f"• {code(f'{slack_ids.COMMAND} {usage}')}: {what}" for usage, what in SUBCOMMANDS]
    lines.append(
        "• In a channel or thread: `@Katalo how much have we used?`, `@Katalo what did job_… cost?`, "
        "`@Katalo what did we spend last week?` or `@Katalo what's our budget?`"
    )
    fallback = ", ".join(f"{slack_ids.COMMAND} {usage}" for usage, _ in SUBCOMMANDS)
    return message(
        escape(f"Katalo bot help: {fallback}."),
        [
            section("\n".join(lines)),
            context(
                f"A job id looks like {code(EXAMPLE_JOB)}. "
                "Replies are visible only to you unless you press *Share to channel*."
            ),
        ],
    )


def build_bad_job_id(given: str) -> Message:
    shown = f"{code(truncate(given, 80))} is not a job id. " if given else "That needs a job id. "
    text = f"{shown}A job id looks like `{EXAMPLE_JOB}`: `job_` then letters and digits."
    return message("That is not a Katalo job id.", [section(text)])


def build_refusal() -> Message:
    text = (
        "Sorry, Katalo billing data is limited to certain people and channels in this workspace. "
        "Ask an admin if you need access."
    )
    return message(text, [section(f":lock: {text}")])


def build_error(error: KataloError) -> Message:
    """A Katalo failure as a sentence; never the upstream text, never a secret."""
    icon = ":key:" if isinstance(error, KataloUnauthorized) else ":warning:"
    return message(error.user_message, [section(f"{icon} {escape(error.user_message)}")])


def build_internal_error() -> Message:
    text = "Something went wrong on the bot's side. It has been logged; please try again."
    return message(text, [section(f":warning: {text}")])
