"""Drop items whose post the archive already holds: written by an earlier run, or earlier in this one."""

from pipelines import drop
from pipelines.archive import archive_for


class DedupePipeline:
    def __init__(self, archive, stats):
        self.archive = archive
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(archive_for(crawler), crawler.stats)

    def process_item(self, item, spider=None):
        if item.post_key in self.archive:  # the writer adds each post it writes
            raise drop(self.stats, "duplicate", item.post_key)
        return item
