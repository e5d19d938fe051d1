"""Benchmark 8: the libraries we leave out, measured (docs/architecture.md, "Dependencies").

1. BeautifulSoup on lxml against lxml alone, parsing the benchmark's 48-80 KB article pages
   (bench/pages.py): median over the pages of the best of 5 parses.
2. python-dateutil on East Money's year-less list dates ("07月01日 03:05"), read on 2026-01-05,
   against crawler/parsers/dates.py: which year each gives.
Run: python -m bench.alternatives   (needs the bench extra: beautifulsoup4, python-dateutil)
"""

import statistics
import time
from datetime import datetime

from bs4 import BeautifulSoup
from dateutil import parser as dateutil_parser
from lxml import html as lxml_html

from bench.pages import generated_pages
from crawler.items import SHANGHAI
from crawler.parsers.dates import parse_datetime

READ_ON = datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI)  # when the list page was read
YEARLESS = ("07月01日 03:05", "12月31日 23:50", "01月04日 18:00")


def best_ms(parse, pages: list[bytes], repeat: int = 5) -> float:
    times = []
    for page in pages:
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            parse(page)
            runs.append(time.perf_counter() - start)
        times.append(min(runs))
    return statistics.median(times) * 1000


def main() -> None:
    pages = [
        p.encode() for _, p in generated_pages(200, max_bytes=130_000, seed=3) if 48_000 <= len(p.encode()) <= 80_000
    ]
    lxml_ms = best_ms(lxml_html.document_fromstring, pages)
    soup_ms = best_ms(lambda page: BeautifulSoup(page, "lxml"), pages)
    print(f"parse of {len(pages)} article pages of 48-80 KB (median of the best of 5)")
    print(f"  lxml {lxml_ms:.2f} ms, BeautifulSoup on lxml {soup_ms:.2f} ms: {soup_ms / lxml_ms:.1f}x slower")
    print(f"year-less list dates read on {READ_ON:%Y-%m-%d}")
    for text in YEARLESS:
        generic = dateutil_parser.parse(text, fuzzy=True, default=READ_ON.replace(tzinfo=None))
        ours = parse_datetime(text, READ_ON)
        print(f"  {text}: dateutil (fuzzy) {generic:%Y-%m-%d %H:%M}, crawler/parsers/dates.py {ours:%Y-%m-%d %H:%M}")


if __name__ == "__main__":
    main()
