"""Exit 0 when the PostgreSQL server in the URL given as argv[1] accepts connections."""

import sys

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

url = sys.argv[1]
params = conninfo_to_dict(url)
params["dbname"] = "postgres"  # the test database need not exist yet
try:
    psycopg.connect(make_conninfo(**params), connect_timeout=3).close()
except psycopg.Error as exc:
    print(f"PostgreSQL not reachable: {exc}".strip(), file=sys.stderr)
    sys.exit(1)
