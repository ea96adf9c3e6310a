"""Start-up: the throw-away database, Django in the driver, gunicorn, ``db_worker``s.

Everything here is a real process on loopback: gunicorn serves the test host's WSGI
(:mod:`reliability.wsgi`) and the workers run ``manage``'s ``db_worker``, all with
:mod:`reliability.settings` and the same environment as the driver.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _procs import stop_process

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
#: Every database this suite creates starts so (and only such are dropped).
PREFIX = "carepay_storm"


def exit_cleanly_on_sigterm() -> None:
    """Let SIGTERM unwind like Ctrl-C, so servers stop and the database is dropped."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def database_url(server_url: str, name: str) -> str:
    """``server_url`` (any database on the server) with the database ``name``."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(server_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(database_url(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def throwaway_database(server_url: str, *, keep: bool = False,
                       name: str | None = None) -> Iterator[str]:
    """Create ``carepay_storm_<pid>`` (or ``name``) on the server; yield its URL; drop
    it afterwards unless ``keep``."""
    name = name or f"{PREFIX}_{os.getpid()}"
    if not name.startswith(PREFIX) or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing database name {name!r}: it must start with {PREFIX}")
    _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server_url, name)
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(database: str, stripe_url: str, mode: str) -> dict[str, str]:
    """What gunicorn, the workers and the driver all read (:mod:`reliability.settings`)."""
    return {"DATABASE_URL": database, "CAREPAY_STORM_STRIPE_URL": stripe_url,
            "CAREPAY_STORM_MODE": mode, "DJANGO_SETTINGS_MODULE": "reliability.settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example_project")])}


def setup_django(env: dict[str, str], *, migrate: bool = False) -> None:
    """Django in this (driver) process, with the storm's settings; ``migrate`` first."""
    os.environ.update(env)
    for path in (str(ROOT / "example_project"),):
        if path not in sys.path:
            sys.path.append(path)
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Processes:
    """The server and workers of one run; :meth:`stop` ends exactly these."""

    logdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="storm-")))
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    url: str = ""

    def _spawn(self, args: list[str], env: dict[str, str], log: str
               ) -> subprocess.Popen[bytes]:
        out = open(self.logdir / log, "ab")  # noqa: SIM115 (closed with the process)
        return subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def start_gunicorn(self, env: dict[str, str], *, workers: int, threads: int) -> str:
        port = free_port()
        proc = self._spawn([
            str(BIN / "gunicorn"), "reliability.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--threads", str(threads), "--worker-class", "gthread",
            "--keep-alive", "5", "--timeout", "60", "--log-level", "warning",
        ], env, "gunicorn.log")
        self.procs.append(proc)
        self.url = f"http://127.0.0.1:{port}"
        wait_until_serving(self.url, proc, self.logdir / "gunicorn.log")
        warm_up(self.url, workers * threads * 2)
        return self.url

    def start_workers(self, env: dict[str, str], count: int) -> None:
        for i in range(count):
            self.workers.append(self._spawn([
                sys.executable, "-m", "django", "db_worker", "--interval", "0.05",
                "--no-startup-delay", "--worker-id", f"storm-{os.getpid()}-{i}",
            ], env, f"db_worker-{i}.log"))

    def stop_workers(self) -> None:
        _stop(self.workers)
        self.workers.clear()

    def stop(self) -> None:
        self.stop_workers()
        _stop(self.procs)
        self.procs.clear()

    def log_tail(self, name: str = "gunicorn.log", lines: int = 40) -> str:
        path = self.logdir / name
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def errors_logged(self) -> list[str]:
        """Tracebacks and errors in every log of this run."""
        found = []
        for path in sorted(self.logdir.glob("*.log")):
            for line in path.read_text(errors="replace").splitlines():
                if " ERROR " in line or line.startswith("Traceback"):
                    found.append(f"{path.name}: {line}")
        return found


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:  # each started in its own session: its group is its own
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def warm_up(url: str, count: int) -> None:
    """A few requests at once, so every worker has loaded its URLs and views before
    anything is timed (the first request of a worker imports them)."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    with ThreadPoolExecutor(count) as pool:
        list(pool.map(lambda _: requests.get(f"{url}/billing/webhooks/card/", timeout=30),
                      range(count)))


def wait_until_serving(url: str, proc: subprocess.Popen[bytes], log: Path,
                       timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            # The webhook view answers only POST: a 405 means Django is up.
            if requests.get(f"{url}/billing/webhooks/card/", timeout=20).status_code == 405:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start; its log:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


LOCALSTRIPE = ROOT / "tests" / "backends" / "stripe" / "localstripe_server.py"


@contextmanager
def localstripe() -> Iterator[str]:
    """The tests' localstripe launcher on a free loopback port; yields its URL.

    Started here rather than by ``tests.backends.stripe.support.start_localstripe``
    because the settings need its address before Django (and so that module, which
    imports models) can be set up.
    """
    import requests

    port = free_port()
    proc = subprocess.Popen([sys.executable, str(LOCALSTRIPE), str(port)],
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != str(port):
            raise RuntimeError("localstripe did not start")
        deadline = time.monotonic() + 15
        while True:
            try:
                if requests.get(f"{url}/js.stripe.com/v3/", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("localstripe did not answer in time")
            time.sleep(0.05)
        yield url
    finally:
        stop_process(proc)
