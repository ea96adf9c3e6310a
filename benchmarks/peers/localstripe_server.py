"""localstripe for the dj-stripe peer (``peer_djstripe.py``): loopback only, nothing on
disk, and a count of the API requests it answered.

    .venv/bin/python benchmarks/peers/localstripe_server.py [PORT]   # 0 or none: any free port

Run with the repository's .venv (which has localstripe, a test dependency), not the
peer's venv. The first line printed on stdout is the port, once the socket listens.
localstripe's own CLI binds every interface and pickles its whole store to
/tmp/localstripe.pickle after each write (shared by every instance on the machine, and
slower with every object stored); this keeps the store in memory. Unlike the tests'
launcher (tests/backends/stripe/localstripe_server.py) it adds no test aids: its only
addition is ``GET /_config/peer_requests``, the number of API requests answered by method and
path with the object id cut off (``GET /v1/payment_intents/{id}``), which shows what a
peer asked Stripe for.
"""

from __future__ import annotations

import socket
import sys
from collections import Counter
from typing import Any

from aiohttp import web
from localstripe import resources
from localstripe.server import app, json_response

resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None

REQUESTS: Counter[str] = Counter()


@web.middleware
async def count(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.path.startswith("/v1/"):
        parts = request.path.split("/")  # "", "v1", collection, id, action
        if len(parts) > 3:
            parts[3] = "{id}"
        REQUESTS[f"{request.method} {'/'.join(parts)}"] += 1
    return await handler(request)


async def requests_answered(request: web.Request) -> web.Response:
    return json_response(dict(REQUESTS))


app.middlewares.insert(0, count)
app.router.add_get("/_config/peer_requests", requests_answered)


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    print(sock.getsockname()[1], flush=True)
    web.run_app(app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    main()
