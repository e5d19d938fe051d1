"""Drop items whose post the archive already holds: written by an earlier run, or earlier in this one.

A replay with --rewrite (FINEWS_REPLAY_REWRITE) lets the first item of each post the archive holds
through, for the writer to compare with the post and write again if it changed.
"""

from crawler.items import fields
from pipelines import drop, run_of


class DedupePipeline:
    def __init__(self, feed, archive, stats, rewrite: bool = False):
        self.feed = feed
        self.archive = archive
        self.stats = stats
        self.rewrite = rewrite
        self.passed: set[str] = set()  # rewrite: the keys let through in this run

    @classmethod
    def from_crawler(cls, crawler):
        run = run_of(crawler)
        return cls(run.feed, run.archive, crawler.stats, crawler.settings.getbool("FINEWS_REPLAY_REWRITE"))

    def process_item(self, item, spider=None):
        key = self.feed.post_key(fields(item))
        if key in self.passed or (key in self.archive and not self.rewrite):  # the writer adds each post it writes
            raise drop(self.stats, "duplicate", key)
        if self.rewrite:
            self.passed.add(key)
        return item
