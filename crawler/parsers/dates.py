"""Beijing-time dates as East Money writes them, parsed with explicit formats.

Generic fuzzy parsers invent the year of year-less list dates ("07月01日 03:05"),
so each known format is tried with strptime and missing years are inferred.
"""

import re
from datetime import datetime, timedelta

from crawler.items import SHANGHAI, too_old

_FULL_FORMATS = (
    "%Y-%m-%d %H:%M:%S",  # list API showTime
    "%Y-%m-%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",  # article pages, 2019-2026 list pages
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)
_YEARLESS_FORMATS = ("%m月%d日 %H:%M", "%m-%d %H:%M")


def parse_datetime(text: str, reference: datetime | None = None) -> datetime | None:
    """Parse an East Money date string to an aware Asia/Shanghai datetime, or None.

    A year-less date takes the year of `reference` (default: now), or the year
    before when that would put it more than a day after the reference. A date before
    2000 (crawler/items.py EARLIEST) is no East Money date: None.
    """
    text = re.sub(r"\s+", " ", text or "").strip()
    for fmt in _FULL_FORMATS:
        try:
            moment = datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
        return None if too_old(moment) else moment
    reference = (reference or datetime.now(SHANGHAI)).astimezone(SHANGHAI)
    for fmt in _YEARLESS_FORMATS:
        # Newest year first; going back up to 4 years lets "02月29日" find a leap year.
        for year in range(reference.year, reference.year - 5, -1):
            try:
                parsed = datetime.strptime(f"{year} {text}", f"%Y {fmt}").replace(tzinfo=SHANGHAI)
            except ValueError:
                continue
            if parsed <= reference + timedelta(days=1):
                return parsed
    return None


def find_datetime(text: str) -> datetime | None:
    """The first full date-time ("2021年12月31日 06:49", "2021-12-31 06:49:26") inside `text`."""
    match = re.search(r"\d{4}(?:年|-|/)\d{1,2}(?:月|-|/)\d{1,2}日?\s*\d{1,2}:\d{2}(?::\d{2})?", text or "")
    return parse_datetime(match.group(0).replace("日", "日 ")) if match else None
