"""Dates as East Money's pages write them (crawler.parsers.dates): the formats, the year of a date
written without one, found inside a line of text, always in Beijing time."""

from datetime import datetime

import pytest

from crawler.items import SHANGHAI
from crawler.parsers.dates import find_datetime, parse_datetime

REF = datetime(2026, 1, 2, 12, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-28 06:49:08", datetime(2026, 9, 28, 6, 49, 8)),
        ("2021年12月31日 06:49", datetime(2021, 12, 31, 6, 49)),
        ("  2021年12月31日\n 06:49 ", datetime(2021, 12, 31, 6, 49)),
        ("12月31日 06:49", datetime(2025, 12, 31, 6, 49)),  # year-less, rolled back a year
        ("01月02日 03:05", datetime(2026, 1, 2, 3, 5)),
        ("02月29日 01:00", datetime(2024, 2, 29, 1, 0)),  # the nearest leap year
    ],
)
def test_explicit_formats_and_year_inference(text, expected):
    parsed = parse_datetime(text, REF)
    assert parsed == expected.replace(tzinfo=SHANGHAI)
    assert parsed.utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize("text", ["", "昨天 10:20", "13月01日 03:05", "2021-02-30 10:00", "not a date"])
def test_unparseable_gives_none(text):
    assert parse_datetime(text, REF) is None


def test_find_datetime_inside_text():
    assert find_datetime("2021年12月31日 06:49 来源：中国证券报") == datetime(2021, 12, 31, 6, 49, tzinfo=SHANGHAI)
    assert find_datetime("来源：证券时报网") is None
