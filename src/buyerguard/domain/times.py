"""Times given by callers: aware, converted to UTC, and within the range the registry can hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from buyerguard.domain.errors import InvalidInputError

# Nothing the registry records happened before this; an earlier time is a placeholder or a typo
# ("0001-01-01" from a system's empty date), and would weigh as a report of long ago.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# How far ahead of the registry's clock a caller's may run before its "now" is a time to come.
CLOCK_SKEW = timedelta(days=1)


class TimeRangeError(InvalidInputError):
    """A time the registry cannot take; `problem` says why without the field, for callers that
    report fields their own way."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.problem = problem


def as_utc(value: datetime, *, field: str, earliest: datetime | None = EARLIEST) -> datetime:
    """`value` in UTC; a time without a zone, one that UTC cannot hold (year 1 at +01:00, year 9999
    at -01:00) or one before `earliest` is a TimeRangeError naming `field`."""
    if value.utcoffset() is None:
        raise TimeRangeError(field, "must include a time zone")
    try:
        converted = value.astimezone(UTC)
    except OverflowError:
        raise TimeRangeError(field, "outside the range of dates") from None
    if earliest is not None and converted < earliest:
        raise TimeRangeError(field, f"before {earliest:%Y-%m-%d}")
    return converted


def refuse_future(value: datetime, *, field: str, now: datetime) -> None:
    """A fact cannot have happened later than now (give or take CLOCK_SKEW)."""
    if value > now + CLOCK_SKEW:
        raise InvalidInputError(f"{field}: in the future")
