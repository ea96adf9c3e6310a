from tests.reports.fixtures import frozen_today, history, with_transfer

__all__ = ["frozen_today", "history", "with_transfer"]
