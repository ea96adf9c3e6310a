"""A fault-injecting HTTP proxy over real TCP, in front of a Stripe-compatible server.

    python reliability/faultproxy.py --upstream http://127.0.0.1:PORT [--port 0]

The first line printed on stdout is the port, once the socket listens
(:func:`start_faultproxy` reads it). Every request is forwarded to ``--upstream``
(localstripe in the reliability suite) unless a rule matches it; a rule names a
method, a path pattern (:func:`fnmatch.fnmatchcase`, so ``/v1/refunds`` is exact and
``/v1/payment_intents/*/cancel`` a glob) and one fault:

``http_500``
    answer 500 (a Stripe-shaped ``api_error``) without forwarding;
``http_429``
    answer 429 (``rate_limit``) with ``Retry-After`` without forwarding;
``drop_before``
    close the connection without forwarding: the provider never heard of it;
``drop_after``
    forward, read the provider's answer, then close the connection without a byte:
    the provider did the work and the client never hears;
``slow``
    forward, then hold the answer for ``delay`` seconds (longer than the client's
    read timeout) before sending it.

A rule fires on the first ``times`` matching requests (``None``: every one), and
counts what it saw and did. The control endpoint, on the same port and never
forwarded, is how a driver in another process sets rules:

* ``GET /_faults`` — the rules with their counts, and the log of every request the
  proxy handled (method, path, ``Idempotency-Key``, the fault applied or ``null``);
* ``POST /_faults/rules`` with a JSON rule — adds it (first match wins);
* ``DELETE /_faults/rules`` — no rules: healthy again (the log is kept);
* ``DELETE /_faults`` — no rules and an empty log.

:class:`FaultProxyClient` wraps the endpoint. Loopback only; nothing is written to disk.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from _procs import stop_process

FAULTS = ("http_500", "http_429", "drop_before", "drop_after", "slow")
#: Hop-by-hop headers, and those the proxy recomputes.
SKIPPED_HEADERS = frozenset({"host", "connection", "keep-alive", "content-length",
                             "transfer-encoding", "content-encoding", "accept-encoding",
                             "proxy-connection", "upgrade", "te", "trailer"})
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests",
           500: "Internal Server Error"}


@dataclass
class Rule:
    """One fault for the requests matching ``method`` and ``path`` (a glob)."""

    method: str
    path: str
    fault: str
    times: int | None = None
    delay: float = 2.0
    retry_after: int = 1
    seen: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; one of {FAULTS}")
        self.method = self.method.upper()

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and fnmatchcase(path, self.path)

    def take(self) -> bool:
        """Count a matching request; whether the fault fires on it."""
        self.seen += 1
        if self.times is not None and self.fired >= self.times:
            return False
        self.fired += 1
        return True


@dataclass
class FaultProxy:
    """The proxy itself (an asyncio server); run it with :meth:`serve`."""

    upstream: str
    rules: list[Rule] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)

    # -- rules -----------------------------------------------------------------------
    def pick(self, method: str, path: str) -> Rule | None:
        for rule in self.rules:
            if rule.matches(method, path):
                return rule if rule.take() else None
        return None

    def state(self) -> dict[str, Any]:
        return {"rules": [asdict(r) for r in self.rules], "log": self.log}

    # -- serving ---------------------------------------------------------------------
    async def serve(self, sock: socket.socket) -> None:
        import aiohttp

        # Never pooled: a kept-alive upstream connection would hide nothing here, but
        # a fresh one per request keeps the proxy's behaviour obvious.
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True), auto_decompress=True)
        server = await asyncio.start_server(self.handle, sock=sock)
        async with server:
            await server.serve_forever()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self.one_request(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def one_request(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> bool:
        """Handle one request of a kept-alive connection; False: close it."""
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip()] = value.strip()
        lower = {k.lower(): v for k, v in headers.items()}
        body = await reader.readexactly(int(lower.get("content-length", "0") or 0))
        path = target.split("?", 1)[0]
        if path == "/_faults" or path.startswith("/_faults/"):
            status, payload = self.control(method, path, body)
            await self.respond(writer, status, {"Content-Type": "application/json"},
                               json.dumps(payload).encode())
            return True
        rule = self.pick(method, path)
        fault = rule.fault if rule else None
        self.log.append({"method": method, "path": path, "fault": fault,
                         "idempotency_key": lower.get("idempotency-key"),
                         "at": time.time()})
        if rule is not None and fault == "drop_before":
            return False
        if rule is not None and fault in ("http_500", "http_429"):
            await self.respond(writer, *self.error_answer(rule))
            return True
        status, answer_headers, answer = await self.forward(method, target, headers, body)
        if rule is not None and fault == "drop_after":
            return False
        if rule is not None and fault == "slow":
            await asyncio.sleep(rule.delay)
            if reader.at_eof() or writer.is_closing():
                return False  # the client gave up meanwhile, as intended
        await self.respond(writer, status, answer_headers, answer)
        return lower.get("connection", "").lower() != "close"

    async def forward(self, method: str, target: str, headers: dict[str, str],
                      body: bytes) -> tuple[int, dict[str, str], bytes]:
        sent = {k: v for k, v in headers.items() if k.lower() not in SKIPPED_HEADERS}
        async with self.session.request(method, self.upstream + target, headers=sent,
                                        data=body or None, allow_redirects=False) as r:
            answer = await r.read()
            kept = {k: v for k, v in r.headers.items() if k.lower() not in SKIPPED_HEADERS}
            return r.status, kept, answer

    @staticmethod
    def error_answer(rule: Rule) -> tuple[int, dict[str, str], bytes]:
        """A Stripe-shaped error answer (the SDK raises it as APIError/RateLimitError)."""
        headers = {"Content-Type": "application/json", "Request-Id": "req_faultproxy"}
        if rule.fault == "http_429":
            headers["Retry-After"] = str(rule.retry_after)
            error = {"type": "invalid_request_error", "code": "rate_limit",
                     "message": "Too many requests hit the API too quickly."}
            return 429, headers, json.dumps({"error": error}).encode()
        error = {"type": "api_error",
                 "message": "An unknown error occurred (injected by the fault proxy)."}
        return 500, headers, json.dumps({"error": error}).encode()

    @staticmethod
    async def respond(writer: asyncio.StreamWriter, status: int, headers: dict[str, str],
                      body: bytes) -> None:
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
                 *(f"{k}: {v}" for k, v in headers.items()),
                 f"Content-Length: {len(body)}", "Connection: keep-alive", "", ""]
        writer.write("\r\n".join(lines).encode("latin-1") + body)
        await writer.drain()

    def control(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        if method == "GET" and path == "/_faults":
            return 200, self.state()
        if method == "DELETE" and path == "/_faults":
            self.rules.clear()
            self.log.clear()
            return 200, self.state()
        if method == "DELETE" and path == "/_faults/rules":
            self.rules.clear()
            return 200, self.state()
        if method == "POST" and path == "/_faults/rules":
            try:
                self.rules.append(Rule(**json.loads(body)))
            except (TypeError, ValueError) as exc:
                return 400, {"error": str(exc)}
            return 200, self.state()
        return 404, {"error": f"no control endpoint {method} {path}"}


# -- the driver's side -------------------------------------------------------------------

@dataclass
class FaultProxyClient:
    """Set a running proxy's rules and read its counts, over its control endpoint."""

    url: str

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        import requests

        response = requests.request(method, f"{self.url}{path}", timeout=10, **kwargs)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def add(self, method: str, path: str, fault: str, *, times: int | None = None,
            **params: Any) -> None:
        self._call("POST", "/_faults/rules", json={
            "method": method, "path": path, "fault": fault, "times": times, **params})

    def heal(self) -> None:
        """No rules (the log is kept)."""
        self._call("DELETE", "/_faults/rules")

    def reset(self) -> None:
        """No rules and an empty log."""
        self._call("DELETE", "/_faults")

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/_faults")


def start_faultproxy(upstream: str, timeout: float = 10.0
                     ) -> tuple[subprocess.Popen[str], str]:
    """Run this module as a process on a free loopback port; return it and its URL."""
    proc = subprocess.Popen([sys.executable, str(Path(__file__)), "--upstream", upstream],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        proc.kill()
        raise RuntimeError(f"the fault proxy did not start (printed {line!r})")
    url = f"http://127.0.0.1:{int(line)}"
    client = FaultProxyClient(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.state()
            return proc, url
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                stop_faultproxy(proc)
                raise
            time.sleep(0.05)


#: Stops the proxy started by :func:`start_faultproxy`.
stop_faultproxy = stop_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)
    print(sock.getsockname()[1], flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(FaultProxy(args.upstream.rstrip("/")).serve(sock))


if __name__ == "__main__":
    main()
