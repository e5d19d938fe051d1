"""Write each article as `_posts/YYYY-MM-DD-<infoCode>.md`, and its category page when missing.

The writer holds the archive's lock for the whole run, so overlapping runs never write the
same archive; a run that finds it locked, or not writable, closes before any request.
"""

import logging

from scrapy.exceptions import CloseSpider, DropItem
from scrapy.utils.defer import deferred_from_coro

from pipelines.archive import ArchiveLocked, archive_for
from pipelines.render import render_category_page, render_post
from pipelines.slugs import category_slug

logger = logging.getLogger(__name__)


class WritePostPipeline:
    def __init__(self, crawler, share_url: str, site_url: str):
        self.crawler = crawler
        self.archive = archive_for(crawler)
        self.stats = crawler.stats
        self.share_url = share_url
        self.site_url = site_url.rstrip("/")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings["FINEWS_SHARE_URL"], crawler.settings["FINEWS_SITE_URL"])

    def open_spider(self, spider=None):
        try:
            self.archive.lock()
        except ArchiveLocked as exc:
            logger.error("Not crawling: %s. It exits by itself; this run stops here.", exc)
            raise CloseSpider("archive_locked") from None
        except OSError as exc:
            logger.error("Not crawling: the archive %s is not writable: %s", self.archive.root, exc)
            raise CloseSpider("archive_not_writable") from None

    def close_spider(self, spider=None):
        self.archive.unlock()

    def process_item(self, article, spider=None):
        slug = category_slug(article.source)
        try:
            category_page = self.archive.root / "category" / f"{slug}.html"
            if not category_page.exists():  # first: a run killed in between must not leave a post without it
                self.archive.write(category_page, render_category_page(article.source, slug))
                self.stats.inc_value("finews/categories/created")
            self.archive.add_post(article.published_at, article.info_code, render_post(article, slug, self.share_url, self.site_url))
        except OSError as exc:
            self.stats.inc_value("finews/write_errors")
            logger.error("Cannot write %s into %s: %s; stopping the run", article.info_code, self.archive.root, exc)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_not_writable"))
            raise DropItem(f"write_error: {exc}") from None
        self.stats.inc_value("finews/posts/written")
        self.stats.inc_value(f"finews/posts/by_source/{article.source}")
        return article
