"""The gate before the archive: clean the item's characters, then drop it with a reason if it cannot be written.

Cleaning (crawler/archive/hygiene.py) removes what no post may hold; a reason is a missing or
bad key, title, time (or one before 2000 or in the future), source or body (Feed.problem).
"""

from crawler.items import fields
from pipelines import drop, run_of


class ValidatePipeline:
    def __init__(self, feed, stats):
        self.feed = feed
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(run_of(crawler).feed, crawler.stats)

    def process_item(self, item, spider=None):
        values = fields(item)
        self.feed.clean(values)
        reason = self.feed.problem(values)
        if reason:
            raise drop(self.stats, reason, values.get("url") or "")
        return item
