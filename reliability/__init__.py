"""The reliability suite (``make reliability``): carepay served by gunicorn over real
HTTP, on a throw-away PostgreSQL database, paid through localstripe, stormed with
signed webhook deliveries. Scripts, not tests: pytest never collects this folder."""
