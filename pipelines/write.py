"""Write each item as `_posts/YYYY-MM-DD-<key>.md`, and the index page it links to when missing.

What the post and its index page are is the run's feed's (crawler/archive/feeds.py): a
per-media post and `category/<slug>.html`, or an emnews post and `emnews/index.html`.
A write that fails (disk full, read-only) stops the run: exit status 6. In a distributed
crawl a post is written only while this worker holds its claim (crawler/sharedindex.py):
another worker took it meanwhile, and it is dropped (claimed_elsewhere); Redis failed, and
the run stops (exit status 8).
"""

import errno
import logging

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from crawler import statkeys as keys
from crawler.archive.store import ClaimLost
from crawler.items import fields
from crawler.sharedindex import SharedIndexLost
from pipelines import drop, run_of

logger = logging.getLogger(__name__)


# A write that fails with one of these is the post's own problem (a name too long, bytes or a
# character the file system refuses, a folder where the post should be): it is dropped and the
# run goes on. Any other failure is the archive's (disk full, read-only, permissions, a dead
# mount, a file where a folder should be): the run stops, exit status 6.
POST_FAILURES = {errno.ENAMETOOLONG, errno.EILSEQ, errno.EINVAL, errno.EISDIR}


class WritePostPipeline:
    def __init__(self, crawler, run):
        self.crawler = crawler
        self.run = run
        self.feed = run.feed
        self.archive = run.archive
        self.stats = crawler.stats
        self.index_pages: set = set()  # index pages known to exist
        self.source_of_category: dict[str, str] = {}  # the media name each category slug was first made from
        self.collisions: set[tuple[str, str]] = set()  # (slug, another media name) already reported

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, run_of(crawler))

    def process_item(self, item, spider=None):
        values, feed, archive = fields(item), self.feed, self.archive
        category = feed.category(values)
        if feed.category_per_source:
            self.note_collision(category, values["source"])
        key, index_path = feed.post_key(values), archive.root / feed.index_path(category)
        try:
            if index_path not in self.index_pages and not index_path.exists():  # first: a run killed in between
                archive.write(
                    index_path, feed.index_page(category, values.get("source") or "")
                )  # leaves no orphan post
                self.stats.inc_value(keys.INDEX_PAGES_CREATED)
            self.index_pages.add(index_path)
            text = feed.render(values, archive.site_url, archive.share_url, archive.front_matter_stocks)
            archive.add_post(values["published_at"], key, text)
        except ClaimLost:
            raise drop(self.stats, "claimed_elsewhere", key) from None
        except SharedIndexLost as exc:
            self.run.lose(exc)
            if key not in archive:  # not written: nothing holds it for this worker but its claim
                raise drop(self.stats, "shared_index_lost", key) from None
            # written, not yet marked done: its claim (kept without expiry by hold) keeps others away
            # until this worker's next run marks it (SharedIndex.open)
        except UnicodeError as exc:  # a text the encoder refuses (the character gate should have removed it)
            raise drop(self.stats, "unwritable", f"{key}: {exc}") from None
        except OSError as exc:
            if exc.errno in POST_FAILURES:
                raise drop(self.stats, "unwritable", f"{key}: {exc}") from None
            raise self.stop(key, exc) from None
        except ValueError as exc:  # a path outside the archive (a symlinked folder)
            raise self.stop(key, exc) from None
        self.stats.inc_value(keys.POSTS_WRITTEN)
        self.stats.inc_value(keys.POSTS_BY_SOURCE(feed.counted_as(values)))
        return item

    def stop(self, key: str, error: Exception) -> DropItem:
        """The archive itself failed: stop the run (exit status 6); the DropItem to raise."""
        self.stats.inc_value(keys.WRITE_ERRORS)
        logger.error("Cannot write %s into %s: %s; stopping the run", key, self.archive.root, error)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_not_writable"))
        return DropItem(f"write_error: {error}")

    def note_collision(self, category: str, source: str) -> None:
        """Two media names that make one category slug share its page: counted and logged, once each."""
        first = self.source_of_category.setdefault(category, source)
        if first != source and (category, source) not in self.collisions:
            self.collisions.add((category, source))
            self.stats.inc_value(keys.SLUG_COLLISIONS(category))
            logger.warning("Media names %r and %r share the category slug %r (and its page)", first, source, category)
