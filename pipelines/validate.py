"""Drop items that cannot be written (no key, title, time, source or body; a time in the future), with a reason."""

from itemadapter import ItemAdapter

from pipelines import drop, run_of


class ValidatePipeline:
    def __init__(self, feed, stats):
        self.feed = feed
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(run_of(crawler).feed, crawler.stats)

    def process_item(self, item, spider=None):
        fields = ItemAdapter(item)
        reason = self.feed.problem(fields)
        if reason:
            raise drop(self.stats, reason, fields.get("url") or "")
        return item
