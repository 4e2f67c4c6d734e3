"""Deadline maths in business hours: properties over random calendars and moments, and
the awkward days (daylight-saving changes, holidays) checked by hand."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.calendars import BusinessCalendar, parse_interval

ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]


def _quarter_hour(quarter: int) -> time:
    return time.max if quarter == 96 else time(quarter // 4, quarter % 4 * 15)


@st.composite
def calendars(draw) -> BusinessCalendar:
    """Time zones with and without daylight saving; 1 to 7 open days of 4 h or more, one
    or two intervals a day; up to 20 holidays."""

    def day_hours():
        opens = draw(st.integers(0, 20 * 4))  # quarter hours
        closes = draw(st.integers(opens + 16, 24 * 4))
        if closes - opens >= 24 and draw(st.booleans()):  # a break in the middle
            middle = draw(st.integers(opens + 8, closes - 8))
            return (
                (_quarter_hour(opens), _quarter_hour(middle - 4)),
                (_quarter_hour(middle), _quarter_hour(closes)),
            )
        return ((_quarter_hour(opens), _quarter_hour(closes)),)

    open_days = draw(st.sets(st.integers(0, 6), min_size=1))
    hours = [day_hours() if day in open_days else () for day in range(7)]
    holidays = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20))
    return BusinessCalendar(draw(st.sampled_from(ZONES)), tuple(hours), holidays)


moments = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))
durations = st.integers(1, 7 * 24 * 3600)


@settings(max_examples=200, deadline=None)
@given(calendars(), moments, durations)
def test_a_deadline_is_never_in_closed_hours(calendar, start, seconds):
    deadline = calendar.add(start, seconds)
    assert deadline > start
    assert calendar.is_open(deadline - timedelta(microseconds=1))


@settings(max_examples=200, deadline=None)
@given(calendars(), moments, durations, durations)
def test_a_longer_duration_never_ends_earlier(calendar, start, a, b):
    shorter, longer = sorted((a, b))
    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@settings(max_examples=200, deadline=None)
@given(calendars(), moments, durations, durations)
def test_pause_and_resume_add_up(calendar, start, before_pause, after_resume):
    paused_at = calendar.add(start, before_pause)
    assert calendar.add(paused_at, after_resume) == calendar.add(start, before_pause + after_resume)
    assert calendar.open_seconds(start, calendar.add(start, before_pause)) == before_pause


LONDON_OFFICE = BusinessCalendar.from_spec(
    {
        "timezone": "Europe/London",
        "hours": {day: "09:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2026-12-25", "2026-12-28"],
    }
)


def test_opening_hours_stay_local_across_daylight_saving_changes():
    friday = datetime(2026, 3, 27, 16, 30, tzinfo=UTC)  # 16:30 GMT; clocks go forward Sunday
    assert LONDON_OFFICE.add(friday, 3600) == datetime(2026, 3, 30, 8, 30, tzinfo=UTC)  # 9:30 BST
    friday = datetime(2026, 10, 23, 15, 30, tzinfo=UTC)  # 16:30 BST; clocks go back Sunday
    assert LONDON_OFFICE.add(friday, 3600) == datetime(2026, 10, 26, 9, 30, tzinfo=UTC)  # GMT


def test_holidays_and_weekends_are_skipped():
    christmas_eve = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)
    # 1 h on Thursday 24th; Friday 25th a holiday, the weekend, Monday 28th a holiday too.
    assert LONDON_OFFICE.add(christmas_eve, 2 * 3600) == datetime(2026, 12, 29, 10, tzinfo=UTC)


def test_a_day_can_have_several_intervals_and_round_trips_as_a_spec():
    lunch_break = BusinessCalendar.from_spec(
        {"timezone": "UTC", "hours": {"mon": ["09:00-12:00", "13:00-24:00"]}}
    )
    monday = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert lunch_break.add(monday, 2 * 3600) == datetime(2026, 11, 23, 14, tzinfo=UTC)
    assert BusinessCalendar.from_spec(lunch_break.as_spec()) == lunch_break


@pytest.mark.parametrize("text", ["9-5", "17:00-09:00", "09:00", "09:00-25:00", ""])
def test_bad_opening_hours_are_refused(text):
    with pytest.raises(ValueError, match="opening hours"):
        parse_interval(text)
