"""Item pipelines, one job each, in order: validate -> dedupe -> write the post.

Each reads items through ItemAdapter (so dicts with the fields of crawler/items.py work as
well as its dataclasses) and asks the run's feed (crawler/archive/feeds.py) what differs
between feeds; the run's Archive comes from crawler/extensions/archive_run.py. A crawl that
writes no archive (a spider with no feed) leaves them off. Every dropped item is counted
as finews/dropped/<reason>; its claim, in a distributed crawl, is released by ArchiveRun.
"""

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector

from crawler import statkeys as keys
from crawler.extensions.archive_run import ArchiveRun, archive_run


def drop(stats: StatsCollector, reason: str, detail: str = "") -> DropItem:
    """Count a drop under finews/dropped/<reason> and return the DropItem to raise (its `reason`: ArchiveRun
    remembers an article dropped for its content, crawler/drops.py)."""
    stats.inc_value(keys.DROPPED(reason))
    error = DropItem(f"{reason}: {detail}" if detail else reason)
    error.reason = reason
    return error


def run_of(crawler: Crawler) -> ArchiveRun:
    """The run's archive owner; NotConfigured (the pipeline stays off) when the crawl writes no archive."""
    run = archive_run(crawler)
    if run is None:
        raise NotConfigured("the spider writes no archive feed")
    return run
