"""Counter-notice rules: when a disputed copy may be restored.

DMCA 512(g)(2)(C): the service provider restores the material no less than 10 and no more than 14
business days after receiving the counter-notice, unless the claimant has told it that they filed
court action. Art. 16-17 of the 信息网络传播权保护条例 likewise restore after a counter-notice unless
the rights holder acts. Business days here skip Saturdays and Sundays only (public holidays are
not known to this rule: the window it gives is the earliest a platform may count).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

RESTORE_FROM_DAYS = 10
RESTORE_BY_DAYS = 14


def add_business_days(start: datetime, days: int) -> datetime:
    moment = start
    left = days
    while left > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment


@dataclass(frozen=True)
class RestoreWindow:
    received_at: datetime
    restore_from: datetime  # the platform may restore from here on
    restore_by: datetime  # and must by here, unless court action is filed first


def restore_window(received_at: datetime) -> RestoreWindow:
    return RestoreWindow(received_at, add_business_days(received_at, RESTORE_FROM_DAYS),
                         add_business_days(received_at, RESTORE_BY_DAYS))
