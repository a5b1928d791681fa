"""The `katalo-bot` command: parses arguments, loads settings once, and runs one subcommand.

Configuration problems end the process with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import sys
from collections.abc import Mapping, Sequence

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from bot.sandbox import with_sandbox_key


def _run_sandbox(settings: Settings, args: argparse.Namespace) -> int:
    # Imported here, like every subcommand's module: `katalo-bot --help` stays fast.
    from bot.sandbox import SANDBOX_API_KEY
    from bot.sandbox.ledger import SandboxLedger
    from bot.sandbox.server import SandboxServer

    ledger = SandboxLedger(seed=args.seed, events=args.events)
    try:
        server = SandboxServer(ledger, host=args.host, port=args.port, order=args.order)
    except OSError as error:  # bound at construction: a port in use, or an address not on this host
        reason = "is in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror})"
        print(
            f"katalo-bot: port {args.port} on {args.host} {reason}: pick another with --port",
            file=sys.stderr,
        )
        return 2
    print(f"Sandbox Katalo API on {server.url} ({ledger.event_count:,} events, {args.order}-first pages)")
    print(f"  export KATALO_API_URL={server.url}   # the bot then uses the sandbox key by itself")
    print(f"  curl -H 'Authorization: Bearer {SANDBOX_API_KEY}' {server.url}/api/v1/usage/summary")
    print(f"  sample job ids: {', '.join(ledger.job_ids(3))}", flush=True)
    server.serve_forever()
    return 0


def _run_serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.serve import serve

    serve(settings)
    return 0


def _run_socket(settings: Settings, args: argparse.Namespace) -> int:
    from bot.serve import socket

    socket(settings)
    return 0


def _run_clock(settings: Settings, args: argparse.Namespace) -> int:
    from bot.digest.run import run_clock
    from bot.wiring.root import build_deps

    settings.require("SLACK_BOT_TOKEN")
    return run_clock(build_deps(settings))


def _run_digest(settings: Settings, args: argparse.Namespace) -> int:
    from bot.digest.run import digest_channel, run_digest
    from bot.wiring.root import build_deps

    channel = digest_channel(settings, args.channel, dry_run=args.dry_run)
    return run_digest(build_deps(settings), channel, dry_run=args.dry_run, force=args.force)


def _run_alerts(settings: Settings, args: argparse.Namespace) -> int:
    from bot.digest.alert_run import run_alerts
    from bot.wiring.root import build_deps

    if args.channel is not None and not re.fullmatch(r"[CGD][A-Z0-9]{2,}", args.channel):
        raise ConfigError(
            f"--channel expects a Slack channel id such as C0123456789 (got {args.channel[:40]!r})"
        )
    if not args.dry_run:
        settings.require("SLACK_BOT_TOKEN")
    return run_alerts(build_deps(settings), args.channel, dry_run=args.dry_run)


def _run_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(
        settings, events=args.events, seed=args.seed, out=sys.stdout, script=args.script, as_json=args.json
    )


def _run_sync(settings: Settings, args: argparse.Namespace) -> int:
    import time

    from bot.ledger.progress import SyncProgress, summary_line
    from bot.wiring.root import build_deps

    deps = build_deps(settings)
    with deps.client:
        pace = settings.katalo_requests_per_minute
        print(f"Syncing the billing ledger at up to {pace} requests a minute (KATALO_REQUESTS_PER_MINUTE).")
        progress = SyncProgress(sys.stderr)
        deadline = None if args.max_seconds is None else time.monotonic() + args.max_seconds
        try:
            report = deps.mirror.run_sync(deadline=deadline, progress=progress)
        finally:
            progress.close()
    print(summary_line(report))
    return 1 if report.error is not None else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="katalo-bot",
        description="A Slack bot that answers billing and usage questions about a Katalo API account.",
        epilog="Configuration comes from environment variables; see the README's configuration table.",
    )
    parser.add_argument("--version", action="version", version=f"katalo-bot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="answer Slack over HTTP on $PORT (production; POST /slack/events, GET /healthz)",
        description="Serve Slack's requests over HTTP (waitress, one process): slash commands, mentions and "
        "buttons at POST /slack/events, a health check at GET /healthz. Needs SLACK_BOT_TOKEN and "
        "SLACK_SIGNING_SECRET.",
    )
    serve.set_defaults(run=_run_serve)

    socket = commands.add_parser(
        "socket",
        help="answer Slack over Socket Mode (no public URL needed)",
        description="Connect to Slack with Socket Mode. Needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN.",
    )
    socket.set_defaults(run=_run_socket)

    clock = commands.add_parser(
        "clock",
        help="run the schedules: daily digests, usage alerts, periodic ledger sync (one process)",
        description="Post each subscribed channel's daily digest at its local time, run every alert check "
        "every five minutes (plan, access, spikes, pace, budgets), and keep the ledger mirror current. "
        "Safe to run twice (claims in the database).",
    )
    clock.set_defaults(run=_run_clock)

    digest = commands.add_parser(
        "digest",
        help="post (or print) today's digest now, for cron-style platforms",
        description="Post today's digest to a channel now, once per local date unless --force.",
    )
    digest.add_argument("--channel", help="channel id (default: DIGEST_CHANNEL)")
    digest.add_argument("--dry-run", action="store_true", help="print the digest instead of posting it")
    digest.add_argument("--force", action="store_true", help="post even if today's digest was posted")
    digest.set_defaults(run=_run_digest)

    alerts = commands.add_parser(
        "alerts",
        help="run every alert check once and post what is due, for cron-style platforms",
        description="Check plan thresholds, API access, spend spikes, pace and budgets once, and post (or "
        "update, or say in a thread that it cleared) each alert that is due, exactly once per condition, "
        "as the clock does every five minutes.",
    )
    alerts.add_argument("--channel", help="only this channel id (default: every channel that gets alerts)")
    alerts.add_argument("--dry-run", action="store_true", help="print what is due instead of posting it")
    alerts.set_defaults(run=_run_alerts)

    sandbox = commands.add_parser(
        "sandbox",
        help="serve the offline Katalo API on this machine",
        description="Serve a deterministic Katalo API (usage summary and billing ledger) over HTTP. "
        "Point KATALO_API_URL at it to try the bot without a Katalo key.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    sandbox.add_argument("--port", type=int, default=8765, help="port to listen on (default: %(default)s)")
    sandbox.add_argument("--events", type=_positive, default=2000, help="ledger size (default: %(default)s)")
    sandbox.add_argument("--order", choices=("newest", "oldest"), default="newest", help="page ordering")
    sandbox.add_argument("--seed", type=int, default=7, help="data seed (default: %(default)s)")
    sandbox.set_defaults(run=_run_sandbox)

    sync = commands.add_parser(
        "sync",
        help="bring the ledger mirror up to date with Katalo's billing ledger",
        description="Sync Katalo's billing ledger into the database (DATABASE_URL): the whole ledger the "
        "first time, only what is new afterwards. Safe to interrupt and to run twice at once.",
    )
    sync.add_argument("--max-seconds", type=float, default=None, help="stop between pages after this long")
    sync.set_defaults(run=_run_sync)

    demo = commands.add_parser(
        "demo",
        help="try the real bot offline: sandbox Katalo, local Slack, signed requests (no workspace, no key)",
        description="Drive the real Slack app as Slack would, against the sandbox Katalo API and a local "
        "Slack stand-in. Type /katalo ..., @Katalo ..., digest or press N; {job} stands for a sandbox "
        "job id. Without a terminal it reads commands from standard input, or plays a tour if none.",
    )
    demo.add_argument("--events", type=_positive, default=2000, help="sandbox ledger size")
    demo.add_argument("--seed", type=int, default=7, help="sandbox data seed")
    demo.add_argument("--script", type=argparse.FileType("r"), help="read commands from this file")
    demo.add_argument("--json", action="store_true", help="show replies as raw Block Kit JSON")
    demo.set_defaults(run=_run_demo)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(os.environ if environ is None else environ)
        configure_logging(settings.logging_level, settings.secrets())
        return int(args.run(with_sandbox_key(settings), args))
    except ConfigError as exc:
        print(f"katalo-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
