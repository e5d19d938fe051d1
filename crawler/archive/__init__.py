"""The archive: the Jekyll site folder this project continues, as a model every other part uses.

    store.py        Archive: the posts it holds (the dedupe index), claims, writes, its lock
    index.py        post keys from file names; the post files of a folder
    lock.py         one lock per feed; whether the feed's last crawl was interrupted
    files.py        the one atomic write
    shared.py       the index that workers on several machines share in Redis
    feeds.py        what makes each feed's posts differ (per-media, 7x24)
    render.py       the post and index page formats
    slugs.py        category slugs from media names
    posts.py        reading a post back as a record
    maintenance.py  moving old posts, restoring index pages

It imports only crawler.items, crawler.ids and the defaults in crawler.settings (and no
Scrapy): commands, spiders, pipelines and extensions import it, never the other way
(docs/architecture.md).
"""

from crawler.archive.feeds import ARTICLES, FAST_NEWS, FEEDS, Feed, feed_named
from crawler.archive.lock import LOCK_GLOB, ArchiveLocked
from crawler.archive.store import TEMP_GLOB, WORKER_ID_GLOB, Archive

__all__ = [
    "ARTICLES",
    "FAST_NEWS",
    "FEEDS",
    "LOCK_GLOB",
    "TEMP_GLOB",
    "WORKER_ID_GLOB",
    "Archive",
    "ArchiveLocked",
    "Feed",
    "feed_named",
]
