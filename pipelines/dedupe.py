"""Drop items whose post the archive already holds: written by an earlier run, or earlier in this one."""

from crawler.items import fields
from pipelines import drop, run_of


class DedupePipeline:
    def __init__(self, feed, archive, stats):
        self.feed = feed
        self.archive = archive
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        run = run_of(crawler)
        return cls(run.feed, run.archive, crawler.stats)

    def process_item(self, item, spider=None):
        key = self.feed.post_key(fields(item))
        if key in self.archive:  # the writer adds each post it writes
            raise drop(self.stats, "duplicate", key)
        return item
