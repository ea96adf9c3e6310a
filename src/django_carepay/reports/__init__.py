"""Read-only reports over the billing data (design §14): the staff dashboard's figures.

- :mod:`.period` — a date range of whole days and the one-click presets;
- :mod:`.types` — the figures, as frozen value objects;
- :mod:`.queries` — the aggregate queries that compute them (constant in number);
- :mod:`.dashboard` — :func:`build_dashboard`, everything the dashboard shows.

Nothing here changes billing state.
"""

from .dashboard import build_dashboard
from .period import Period, presets, this_month

__all__ = ["Period", "build_dashboard", "presets", "this_month"]
