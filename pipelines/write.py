"""Write each item as `_posts/YYYY-MM-DD-<key>.md`, and the index page it links to when missing.

What the post and its index page are is the run's feed's (crawler/archive/feeds.py): a
per-media post and `category/<slug>.html`, or an emnews post and `emnews/index.html`.
A write that fails (disk full, read-only) stops the run: exit status 6.
"""

import logging

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from crawler import statkeys as keys
from crawler.items import fields
from pipelines import run_of

logger = logging.getLogger(__name__)


class WritePostPipeline:
    def __init__(self, crawler, run):
        self.crawler = crawler
        self.feed = run.feed
        self.archive = run.archive
        self.stats = crawler.stats
        self.index_pages: set = set()  # index pages known to exist

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, run_of(crawler))

    def process_item(self, item, spider=None):
        values, feed, archive = fields(item), self.feed, self.archive
        category = feed.category(values)
        index_path = archive.root / feed.index_path(category)
        post = feed.render(values, archive.site_url, archive.share_url)
        try:
            if index_path not in self.index_pages and not index_path.exists():  # first: a run killed in between
                archive.write(
                    index_path, feed.index_page(category, values.get("source") or "")
                )  # leaves no orphan post
                self.stats.inc_value(keys.INDEX_PAGES_CREATED)
            self.index_pages.add(index_path)
            archive.add_post(values["published_at"], feed.post_key(values), post)
        except OSError as exc:
            self.stats.inc_value(keys.WRITE_ERRORS)
            logger.error("Cannot write %s into %s: %s; stopping the run", feed.post_key(values), archive.root, exc)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_not_writable"))
            raise DropItem(f"write_error: {exc}") from None
        self.stats.inc_value(keys.POSTS_WRITTEN)
        self.stats.inc_value(keys.POSTS_BY_SOURCE(feed.counted_as(values)))
        return item
