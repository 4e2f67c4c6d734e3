"""Business-hours calendars: when a team is at work, so SLA clocks can count only that time.

Plain Python with `zoneinfo`. A calendar has a time zone, opening hours per weekday (one
or more intervals a day) and holidays. Opening hours are local wall-clock times, so a
9:00 start stays 9:00 across daylight-saving changes; the arithmetic itself is done in
UTC, so a day that is 23 or 25 hours long counts as long as it really is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
SEARCH_DAYS = 3 * 366  # a calendar open less than once in three years is a mistake


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str
    hours: tuple[tuple[tuple[time, time], ...], ...]  # per weekday, Monday first
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise ValueError("expected opening hours for 7 weekdays")
        if not any(self.hours):
            raise ValueError("a calendar needs opening hours on at least one weekday")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def open_intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (UTC) that end after `start`, in order; the first may have
        begun before it."""
        zone = self.zone
        day = start.astimezone(zone).date()  # intervals never cross local midnight
        for _ in range(SEARCH_DAYS):
            if day not in self.holidays:
                for opens, closes in self.hours[day.weekday()]:
                    begin = datetime.combine(day, opens, zone).astimezone(UTC)
                    end = datetime.combine(day, closes, zone).astimezone(UTC)
                    if end > start and end > begin:
                        yield begin, end
            day += timedelta(days=1)
        raise ValueError(f"the calendar is closed for {SEARCH_DAYS} days from {start:%Y-%m-%d}")

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of open time have passed since `start`."""
        left = timedelta(seconds=seconds)
        for begin, end in self.open_intervals(start):
            begin = max(begin, start)
            if begin + left <= end:
                return begin + left
            left -= end - begin
        raise AssertionError("unreachable: open_intervals ends by raising")

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """How much open time lies between `start` and `end`."""
        total = timedelta()
        if end <= start:
            return 0.0
        for begin, close in self.open_intervals(start):
            if begin >= end:
                break
            total += min(close, end) - max(begin, start)
        return total.total_seconds()

    def is_open(self, moment: datetime) -> bool:
        begin, _ = next(self.open_intervals(moment))
        return begin <= moment

    def as_spec(self) -> dict[str, Any]:
        """A JSON-ready form, kept on each case so a policy edit never moves its deadlines."""
        return {
            "timezone": self.timezone,
            "hours": {
                name: [format_interval(interval) for interval in intervals]
                for name, intervals in zip(WEEKDAYS, self.hours, strict=True)
                if intervals
            },
            "holidays": sorted(day.isoformat() for day in self.holidays),
        }

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> BusinessCalendar:
        hours = spec.get("hours", {})
        return cls(
            timezone=spec["timezone"],
            hours=tuple(
                tuple(parse_interval(text) for text in _as_list(hours.get(name, [])))
                for name in WEEKDAYS
            ),
            holidays=frozenset(date.fromisoformat(day) for day in spec.get("holidays", [])),
        )


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def format_interval(interval: tuple[time, time]) -> str:
    opens, closes = interval
    return f"{opens:%H:%M}-" + ("24:00" if closes == time.max else f"{closes:%H:%M}")


def parse_interval(text: str) -> tuple[time, time]:
    """`"09:00-17:30"` → (09:00, 17:30); `"24:00"` closes at midnight."""
    try:
        opens, closes = (part.strip() for part in text.split("-"))
        start = time.fromisoformat(opens)
        end = time.max if closes == "24:00" else time.fromisoformat(closes)
    except ValueError:
        raise ValueError(f'expected opening hours like "09:00-17:30", got {text!r}') from None
    if end <= start:
        raise ValueError(f"opening hours must close after they open, got {text!r}")
    return start, end


@dataclass(frozen=True)
class QuietHours:
    """A daily stretch when a recipient list is not emailed unless it is urgent, such as
    `22:00-07:00` (it may cross midnight), in `timezone`."""

    timezone: str
    hours: str

    def end_after(self, moment: datetime) -> datetime | None:
        """If `moment` is in quiet hours, when they end (UTC); else None."""
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        starts, ends = quiet_bounds(self.hours)
        for day in (local.date() - timedelta(days=1), local.date()):
            begin = datetime.combine(day, starts, zone)
            end = datetime.combine(day + timedelta(days=1 if ends <= starts else 0), ends, zone)
            if begin <= local < end:
                return end.astimezone(UTC)
        return None


def quiet_bounds(text: str) -> tuple[time, time]:
    """`"22:00-07:00"` → (22:00, 07:00): a start and an end that differ (the end may be
    the next day)."""
    try:
        starts, ends = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError(f'expected quiet hours like "22:00-07:00", got {text!r}') from None
    if starts == ends:
        raise ValueError(f"quiet hours must end at another time than they start, got {text!r}")
    return starts, ends


def parse_quiet_hours(text: str) -> str:
    quiet_bounds(text)
    return text
