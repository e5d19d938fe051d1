"""Write each item as `_posts/YYYY-MM-DD-<key>.md`, and the index page it links to when missing.

Articles are per-media posts keyed by infoCode, with `category/<slug>.html`; rolling-feed
news are emnews posts keyed by the bare id, with `emnews/index.html`.

The writer holds the archive's lock for the whole run, so overlapping runs never write the
same archive; a run that finds it locked, or not writable, closes before any request.
"""

import logging
from functools import partial

from scrapy.exceptions import CloseSpider, DropItem
from scrapy.utils.defer import deferred_from_coro

from pipelines.archive import ArchiveLocked, archive_for
from crawler.items import FastNews
from pipelines.render import render_category_page, render_fast_feed_index, render_fast_post, render_post
from pipelines.slugs import category_slug

logger = logging.getLogger(__name__)


class WritePostPipeline:
    def __init__(self, crawler, share_url: str, site_url: str):
        self.crawler = crawler
        self.archive = archive_for(crawler)
        self.stats = crawler.stats
        self.share_url = share_url
        self.site_url = site_url.rstrip("/")
        self.index_pages: set = set()  # category and emnews index pages known to exist

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

    def process_item(self, item, spider=None):
        if isinstance(item, FastNews):
            index_path, index_page = self.archive.root / "emnews" / "index.html", render_fast_feed_index
            post, source = render_fast_post(item, self.site_url), "东财滚动新闻"
        else:
            slug = category_slug(item.source)
            index_path, index_page = self.archive.root / "category" / f"{slug}.html", partial(render_category_page, item.source, slug)
            post, source = render_post(item, slug, self.share_url, self.site_url), item.source
        try:
            if index_path not in self.index_pages and not index_path.exists():  # first: a run killed in between
                self.archive.write(index_path, index_page())  # must not leave a post without its index page
                self.stats.inc_value("finews/categories/created")
            self.index_pages.add(index_path)
            self.archive.add_post(item.published_at, item.post_key, post)
        except OSError as exc:
            self.stats.inc_value("finews/write_errors")
            logger.error("Cannot write %s into %s: %s; stopping the run", item.post_key, self.archive.root, exc)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_not_writable"))
            raise DropItem(f"write_error: {exc}") from None
        self.stats.inc_value("finews/posts/written")
        self.stats.inc_value(f"finews/posts/by_source/{source}")
        return item
