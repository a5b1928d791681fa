"""Plumbing for `tests.benchmarks.serve`: server processes, /proc readings, signed requests, load.

Everything here is bounded: every process is started with a deadline for coming up and stopped in a
`finally`, every request has a timeout, every load has a fixed count. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.sandbox.slack_driver import FORM, SlackDriver
from tests.stand_ins.slack import SlackDouble

BOT_TOKEN = "xoxb-bench-BOT-TOKEN-0042"
SIGNING_SECRET = "bench-signing-SECRET-7f21"
HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]  # servers run from here, so `tests.` imports
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- numbers ---------------------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), inclusive method; the sample itself when there is one."""
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return float(samples[0])
    return statistics.quantiles(samples, n=100, method="inclusive")[round(q) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --- /proc -----------------------------------------------------------------------------------------


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid`, from /proc/<pid>/task/*/children."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(word) for word in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def status_kb(pid: int, key: str) -> int | None:
    """A `kB` line of /proc/<pid>/status (VmHWM, VmRSS), or None when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime (fields 14, 15)


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --- server processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any bot setting, plus `extra`."""
    prefixes = ("SLACK_", "KATALO_", "DATABASE_", "PORT", "LOG_LEVEL", "ALLOWED_", "DIGEST_")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(prefixes)}, **extra}


def bot_command(*args: str) -> list[str]:
    """`katalo-bot ARGS` from this virtualenv (the console script), else `python -m bot ARGS`."""
    script = Path(sys.executable).with_name("katalo-bot")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "bot", *args]


@dataclass
class Server:
    """A server process we started, up and answering /healthz."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    startup_s: float  # from spawn until /healthz answered

    @property
    def worker_pid(self) -> int | None:
        """The process holding the app: the server itself (waitress), or a pre-fork server's worker."""
        children = child_pids(self.process.pid)
        return children[0] if children else self.process.pid

    def peak_rss_mb(self) -> float | None:
        """VmHWM of the process holding the app, in MB."""
        pid = self.worker_pid
        kb = None if pid is None else status_kb(pid, "VmHWM")
        return None if kb is None else round(kb / 1024, 1)

    def master_peak_rss_mb(self) -> float | None:
        kb = status_kb(self.process.pid, "VmHWM")
        return None if kb is None else round(kb / 1024, 1)

    def worker_cpu_seconds(self) -> float:
        pid = self.worker_pid
        seconds = None if pid is None else cpu_seconds(pid)
        return seconds or 0.0

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM (the server finishes the requests in hand), SIGKILL after 15 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                for pid in child_pids(self.process.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(
    name: str, argv: list[str], env: Mapping[str, str], port: int, log_path: Path, *, timeout: float = 30
) -> Server:
    """Spawn a server and wait until GET /healthz answers 200; RuntimeError if it dies or is late."""
    url = f"http://{HOST}:{port}"
    log_file = log_path.open("ab")
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=dict(env), stdout=log_file, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True
    )
    log_file.close()
    server = Server(name, process, url, log_path, startup_s=0.0)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}: {server.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{name} did not answer /healthz within {timeout:g} s: {server.log_tail()}"
                )
            try:
                # A long read timeout: a connection the master has accepted into its backlog is answered
                # the moment the worker is ready, so the time is not rounded up to a polling step.
                if httpx.get(url + "/healthz", timeout=httpx.Timeout(5.0, connect=0.5)).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.01)
    except BaseException:
        server.stop()
        raise
    server.startup_s = time.perf_counter() - started
    return server


def start_bot(
    env: Mapping[str, str], workdir: Path, slack: SlackDouble, katalo_url: str, database_url: str
) -> Server:
    """`katalo-bot serve` as deployed (defaults for everything but where Slack, Katalo and the DB are)."""
    port = free_port()
    environment = clean_environment(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        KATALO_API_URL=katalo_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        **env,
    )
    return start_server("katalo-bot serve", bot_command("serve"), environment, port, workdir / "serve.log")


def start_bare(workdir: Path, slack: SlackDouble) -> Server:
    """tests/benchmarks/bare_app.py served as `katalo-bot serve` serves the bot (bot/web/server.py)."""
    port = free_port()
    environment = clean_environment(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        PORT=str(port),
    )
    argv = [sys.executable, "-m", "tests.benchmarks.bare_app"]
    return start_server("bare Bolt app", argv, environment, port, workdir / "bare.log")


# --- signed slash commands -------------------------------------------------------------------------


@dataclass
class Sent:
    """One slash command: the ack's status and latency, and where the answer should be posted."""

    status: int  # 0: no HTTP answer (timeout or connection error)
    ack_s: float
    response_url: str
    sent_at: float  # time.perf_counter() just before sending
    error: str | None = None


@dataclass
class Commander:
    """Sends `/katalo <text>` to a server the way Slack does: signed, form-encoded, with a response_url."""

    url: str
    slack: SlackDouble

    def __post_init__(self) -> None:
        self._driver = SlackDriver(bot_url=self.url, slack=self.slack, secret=SIGNING_SECRET)

    def request(self, text: str) -> tuple[bytes, dict[str, str], str]:
        """A signed `/katalo <text>`, built by the same driver the demo and the tests use."""
        body, response_url = self._driver.command_body(text)
        return body, self._driver.headers(body, FORM), response_url

    def send(self, client: httpx.Client, text: str, *, timeout: float = 10.0) -> Sent:
        body, headers, response_url = self.request(text)
        started = time.perf_counter()
        try:
            response = client.post(self.url + "/slack/events", content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as error:
            return Sent(0, time.perf_counter() - started, response_url, started, type(error).__name__)
        return Sent(response.status_code, time.perf_counter() - started, response_url, started)

    def send_and_wait(self, client: httpx.Client, text: str, *, timeout: float = 10.0) -> tuple[Sent, float]:
        """Send, then wait for the answer at response_url; (ack, seconds from send to the post arriving).

        The second value is NaN when no answer arrived within `timeout`.
        """
        sent = self.send(client, text, timeout=timeout)
        try:
            self.slack.wait_for_posts(sent.response_url, 1, timeout=timeout)
        except AssertionError:
            return sent, float("nan")
        return sent, time.perf_counter() - sent.sent_at


def new_client() -> httpx.Client:
    """A keep-alive client for one load thread."""
    return httpx.Client(timeout=10.0, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))


class RawClient:
    """One keep-alive HTTP/1.1 connection on http.client: a fraction of httpx's CPU per request.

    The throughput load uses it so that the load generator, which shares the cores with the server,
    takes as little of them as it can.
    """

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        self._connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port, timeout=timeout)

    def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> int:
        """The response status; 0 when the request failed (the connection is then reopened next time)."""
        try:
            self._connection.request("POST", path, body, dict(headers))
            response = self._connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()
            return 0
        return response.status

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._connection.close()


def closed_loop(
    count: int,
    concurrency: int,
    task: Callable[[Any, int], Any],
    *,
    timeout: float,
    client: Callable[[], Any] = new_client,
) -> tuple[list[Any], float]:
    """Run `task(client, i)` for i in range(count) from `concurrency` threads, each with its own client.

    Returns the results (in completion order) and the wall time. Threads stop taking work at `timeout`.
    """
    numbers = itertools.count()
    results: list[Any] = []
    lock = threading.Lock()
    deadline = time.monotonic() + timeout

    def worker() -> None:
        with client() as connection:
            while time.monotonic() < deadline:
                i = next(numbers)
                if i >= count:
                    return
                result = task(connection, i)
                with lock:
                    results.append(result)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 15)
    return results, time.perf_counter() - started


def open_loop(count: int, rate: float, task: Callable[[int], Any], *, timeout: float) -> list[Any]:
    """Start `task(i)` every 1/rate seconds in its own thread (arrivals do not wait for answers)."""
    results: list[Any] = [None] * count
    threads: list[threading.Thread] = []
    started = time.perf_counter()

    def run(i: int) -> None:
        results[i] = task(i)

    for i in range(count):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=run, args=(i,), daemon=True)
        thread.start()
        threads.append(thread)
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return results


def at_once(count: int, task: Callable[[httpx.Client, int], Any], *, timeout: float) -> list[Any]:
    """`count` threads, each with its own client, released together by a barrier."""
    barrier = threading.Barrier(count, timeout=timeout)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        with new_client() as client:
            barrier.wait()
            results[i] = task(client, i)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return results
