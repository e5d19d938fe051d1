"""Drop items whose post the archive already holds or this run already took (by post key)."""

from pipelines import drop
from pipelines.archive import archive_for


class DedupePipeline:
    def __init__(self, archive, stats):
        self.archive = archive
        self.stats = stats
        self.taken: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(archive_for(crawler), crawler.stats)

    def process_item(self, item, spider=None):
        key = item.post_key
        if key in self.archive or key in self.taken:
            raise drop(self.stats, "duplicate", key)
        self.taken.add(key)
        return item
