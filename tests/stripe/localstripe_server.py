"""Run localstripe on 127.0.0.1 only, with no state kept on disk.

``python tests/stripe/localstripe_server.py PORT`` — used by the ``localstripe``
session fixture. localstripe's own CLI binds every interface (``::``) and pickles its
state to /tmp/localstripe.pickle after each change; tests want neither.
"""

import sys

from aiohttp import web
from localstripe import resources, server


def main() -> None:
    port = int(sys.argv[1])
    resources.store.dump_to_disk = lambda: None  # keep test state in memory only
    web.run_app(server.app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
