"""Keeps an idle worker of a distributed crawl open while others may still queue work for it.

A worker is idle when its own requests are done, but other workers may be parsing list
pages whose articles will land in the shared queue: while that queue is not empty or any
worker holds a claim, the worker stays (up to FINEWS_REDIS_IDLE_WAIT seconds of idleness),
then stops on its own (scrapy-redis's own spiders would wait forever). Enabled by
crawler/addons.py when FINEWS_REDIS_URL is set.
"""

import time

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider

POLL_SECONDS = 0.2  # how often an idle worker looks at the shared queue
CHECKED_ON_SCRAPY = ("2.18", "2.19")  # versions whose engine wake_engine_soon() was checked on (tests)


def wake_engine_soon(crawler: Crawler, seconds: float) -> None:
    """Have the engine look for scheduled requests in `seconds`, not at its 5 s idle heartbeat.

    Scrapy has no public way to ask for this; this is the one use of its engine's private
    slot in the project, tested against the versions in CHECKED_ON_SCRAPY
    (tests/test_archive_run.py fails when a Scrapy release moves it).
    """
    crawler.engine._slot.nextcall.schedule(seconds)


class WaitForSharedWork:
    def __init__(self, crawler):
        import redis  # the `distributed` extra

        settings = crawler.settings
        self.crawler = crawler
        self.client = redis.Redis.from_url(settings["FINEWS_REDIS_URL"])
        self.prefix = settings.get("FINEWS_REDIS_PREFIX")
        self.max_wait = settings.getfloat("FINEWS_REDIS_IDLE_WAIT")
        self.idle_since: float | None = None
        self.responses_seen = 0
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_idle(self, spider):
        responses = self.crawler.stats.get_value("response_received_count", 0)
        if responses != self.responses_seen:  # it worked since it was last idle
            self.responses_seen, self.idle_since = responses, None
        queued = self.client.exists(f"{self.prefix}:{spider.name}:requests")
        claimed = next(self.client.scan_iter(match=f"{self.prefix}:claim:*", count=1000), None)
        if not (queued or claimed):
            return
        self.idle_since = self.idle_since or time.monotonic()
        if time.monotonic() - self.idle_since < self.max_wait:
            wake_engine_soon(self.crawler, POLL_SECONDS)  # other workers are filling the shared queue
            raise DontCloseSpider
