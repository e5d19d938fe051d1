"""Baseline spiders for the benchmarks, run with `scrapy runspider bench/spiders.py -a role=...`.

bare: downloads the URLs listed in a file (one per line) and parses nothing: Scrapy's own I/O.
idle: does nothing at all: the cost of starting and stopping `scrapy crawl`.
"""

from pathlib import Path

import scrapy


class BaselineSpider(scrapy.Spider):
    name = "baseline"

    def __init__(self, role="idle", urls=None, **kwargs):
        super().__init__(**kwargs)
        self.urls = Path(urls).read_text().split() if role == "bare" else []

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, callback=self.ignore, dont_filter=True)

    def ignore(self, response):
        return None
