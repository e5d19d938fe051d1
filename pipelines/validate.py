"""Drop items that cannot be written (no key, title, time, source or body; a time in the future), with a reason."""

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
        reason = self.feed.problem(values)
        if reason:
            raise drop(self.stats, reason, values.get("url") or "")
        return item
