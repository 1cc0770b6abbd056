"""Today's date where the district works: Asia/Shanghai, whatever zone the server's clock is in.

Every "today" of the app (default dates of forms, as-of dates of pages and API, the jobs' day,
plausibility checks of imports) comes from `today()`, so a page viewed at 07:30 in Ningbo never
shows yesterday because the server runs on UTC.
"""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def as_utc(moment: datetime | None) -> datetime | None:
    """An aware UTC time: SQLite hands back naive UTC, PostgreSQL aware times (one answer on both)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def today() -> date:
    """The current date in Asia/Shanghai."""
    return datetime.now(TZ).date()


#: The dates a page or report can be viewed as of: the plan's records start in 2017; outside these a date
#: is a typing slip (and a year before year 1 cannot be computed)
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)


def plausible(day: date | None) -> bool:
    """True for a date within EARLIEST..LATEST."""
    return day is not None and EARLIEST <= day <= LATEST
