"""manifest.yml is valid for Slack, and declares exactly what the code registers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest
import yaml

from bot import slack_ids
from bot.alert_parsing import BadAlerts, BadBudget
from bot.blocks._kit import escape
from bot.blocks.limits import displayed_texts
from bot.blocks.replies import EXAMPLE_JOB, SUBCOMMANDS, build_help
from bot.listeners import register
from bot.parsing import BadDigest, BadJobId, Help, Intent, parse_command
from bot.serve import EVENTS_PATH
from bot.spend_parsing import BadSpend

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(__file__).resolve().parent / "fixtures" / "slack-manifest-schema"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


class Recorder:
    """Stands in for a Bolt App: records which commands, events and actions get listeners."""

    def __init__(self) -> None:
        self.commands: set[str] = set()
        self.events: set[str] = set()
        self.actions: set[str] = set()

    def _record(self, kind: set[str], name: str) -> Any:
        kind.add(name)
        return lambda *args, **kwargs: None

    def command(self, name: str) -> Any:
        return self._record(self.commands, name)

    def event(self, name: str) -> Any:
        return self._record(self.events, name)

    def action(self, name: str) -> Any:
        return self._record(self.actions, name)


@pytest.fixture(scope="module")
def registered() -> Recorder:
    recorder = Recorder()
    register(recorder, deps=None)  # type: ignore[arg-type]  # registration only reads ids
    return recorder


def test_manifest_is_valid_against_slacks_published_schema(manifest):
    """Slack's own JSON Schema (v2) accepts the manifest."""
    schema = json.loads(
        (SCHEMAS / f"manifest.schema.{manifest['_metadata']['major_version']}.0.0.json").read_text()
    )
    errors = [
        f"{list(e.path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(manifest)
    ]
    assert errors == []


def test_slash_commands_are_exactly_those_registered(manifest, registered):
    """Every declared command has a listener, and every listener's command is declared."""
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert declared == registered.commands


def test_bot_events_are_exactly_those_registered(manifest, registered):
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == registered.events


def test_scopes_cover_what_the_listeners_need(manifest, registered):
    """Commands need `commands`, mentions `app_mentions:read`, posts `chat:write`, digest recovery
    history, chart uploads `files:write`, export DMs `im:write`; no scope more."""
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = {"chat:write", "chat:write.public"}  # .public: Share (and digests) in channels not joined
    # History: after a crash mid-post, the digest poster looks for its message before posting again.
    needed |= {"channels:history", "groups:history"}
    if registered.commands:
        needed.add("commands")
    if "app_mention" in registered.events:
        needed.add("app_mentions:read")
    if _bot_calls("files_upload_v2"):  # charts (digest threads, /katalo chart)
        needed.add("files:write")
    if _bot_calls("conversations_open"):  # /katalo export sends its file in a DM it opens
        needed.add("im:write")
    assert scopes == needed


def _bot_calls(method: str) -> bool:
    """Whether the bot's own code (not the local Slack stand-in or the demo) calls this WebClient method."""
    local = (ROOT / "bot" / "sandbox", ROOT / "bot" / "demo")
    return any(
        f".{method}(" in path.read_text()
        for path in (ROOT / "bot").rglob("*.py")
        if not any(path.is_relative_to(folder) for folder in local)
    )


def test_interactivity_is_on_because_buttons_are_registered(manifest, registered):
    assert registered.actions
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_every_request_url_is_the_served_path(manifest):
    """Commands, events and buttons all point at the one path `katalo-bot serve` answers."""
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls += [
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
    ]
    assert all(url.startswith("https://") and url.endswith(EVENTS_PATH) for url in urls)


def procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {name: command.split() for name, command in (line.split(":", 1) for line in lines if line.strip())}


def test_procfile_runs_real_subcommands_without_needing_katalo_bot_on_path():
    """Each Procfile process is `python -m bot <subcommand>`, and that command runs (here: its --help)."""
    processes = procfile()
    assert {name: words[3:] for name, words in processes.items()} == {"web": ["serve"], "clock": ["clock"]}
    for words in processes.values():
        assert words[:3] == ["python", "-m", "bot"]  # no console script on PATH needed
        result = subprocess.run(
            [sys.executable, *words[1:], "--help"], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        assert f"usage: katalo-bot {words[3]}" in result.stdout


def test_a_local_env_file_is_never_committed():
    """`.env` holds real secrets on a developer's machine; git ignores it."""
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


# What a placeholder in a help line stands for, typed; and the intents that answer mistakes.
EXAMPLES = {"<job_id>": EXAMPLE_JOB, "<kind…>": "spike pace", "<amount>": "500"}
MISTAKES = BadJobId | BadDigest | BadSpend | BadAlerts | BadBudget


def test_usage_hint_and_help_name_every_subcommand_the_parser_accepts(manifest):
    """Every answer the parser can give is reached from a line of /katalo help, and usage_hint names it."""
    [command] = manifest["features"]["slash_commands"]
    hint_words = set(re.split(r"[\s|\[\]]+", command["usage_hint"]))
    help_text = "\n".join(displayed_texts(build_help()))
    reached = set()
    for usage, _ in SUBCOMMANDS:
        typed = re.sub(r"<[^>]*>", lambda m: EXAMPLES[m[0]], re.sub(r"\[[^]]*\]", "", usage))
        intent = parse_command(typed)
        reached.add(type(intent))
        understood = not isinstance(intent, Help | MISTAKES) or intent == Help()
        assert understood, f"{usage!r} does not parse as a subcommand"
        assert escape(f"{slack_ids.COMMAND} {usage}") in help_text
        named = re.sub(r"\[[^]]*\]|<[^>]*>", "", usage).split()  # what is typed as it stands
        assert set(named) <= hint_words, f"manifest.yml's usage_hint does not name {usage!r}"
    assert reached == set(get_args(Intent)) - set(get_args(MISTAKES))  # answers to mistakes
