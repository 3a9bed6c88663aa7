"""Billing dates: bills are made on the 3rd of each month (UTC); failed charges are retried
1, 3 and 7 days after the bill."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

BILLING_DAY = 3
# Days after the bill on which a failed automatic charge is tried again.
RETRY_AFTER_DAYS = (1, 3, 7)


def next_bill_date(today: date) -> date:
    """The 3rd of the month after `today`: the month's usage is billed then."""
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, BILLING_DAY)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def retry_at(issued: date, failures: int) -> datetime | None:
    """When a bill whose automatic charge failed `failures` times is charged again; None
    after the last retry."""
    if failures > len(RETRY_AFTER_DAYS):
        return None
    return midnight(issued + timedelta(days=RETRY_AFTER_DAYS[failures - 1]))
