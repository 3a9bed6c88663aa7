"""Billing dates: bills are made on the 3rd of each month (UTC)."""

from __future__ import annotations

from datetime import date

BILLING_DAY = 3


def next_bill_date(today: date) -> date:
    """The 3rd of the month after `today`: the month's usage is billed then."""
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, BILLING_DAY)
