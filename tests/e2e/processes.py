"""`katalo-bot` as deployed, in a subprocess: run to its exit, or serve on a free port until stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.sandbox.slack import SlackStandIn
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET


def katalo_bot(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `katalo-bot <command>` to its exit (start-up failures end it at once)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(slack: SlackStandIn, katalo_url: str, database: str, **extra: str) -> dict[str, str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "KATALO_", "DATABASE_", "PORT"))
    }
    return {
        **base,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "KATALO_API_URL": katalo_url,
        "DATABASE_URL": database,
        **extra,
    }


@dataclass
class Served:
    """A running `katalo-bot serve`: its base URL, and its output (stdout and stderr) so far."""

    url: str
    port: int
    output_path: Path
    process: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, as a platform stopping the process; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)


SERVE = ("-m", "bot", "serve")


@contextmanager
def serving(env: dict[str, str], output_path: Path, command: Sequence[str] = SERVE) -> Iterator[Served]:
    """`katalo-bot serve` on a free port, up once /healthz answers; SIGTERM (and a clean exit) after.

    `command` is what the interpreter runs: a test may start `serve` with a constant changed."""
    port = free_port()
    with output_path.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, *command],
            env={**env, "PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", port, output_path, process)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(served.url + "/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            process.kill()
            process.wait()
            raise AssertionError(f"serve did not come up: {served.output()[-2000:]}")
        yield served
    finally:
        served.stop()
