"""Drop articles whose infoCode the archive already holds or this run already took."""

from itemadapter import ItemAdapter

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
        info_code = ItemAdapter(item)["info_code"]
        if info_code in self.archive or info_code in self.taken:
            raise drop(self.stats, "duplicate", info_code)
        self.taken.add(info_code)
        return item
