"""The archive: the Jekyll site folder this project continues, as the model a crawl writes through.

    layout.py       every name the archive owns on disk: folders, own files, a post's file name
    store.py        Archive: the posts it holds (the dedupe index), writes, its lock; every_feed_locked
    index.py        the post keys and post files of a folder
    lock.py         one lock per feed; whether the feed's last crawl was interrupted
    files.py        the one atomic write, and the one read of a file's text
    feeds.py        what makes each feed's posts differ (per-media, 7x24): one Feed subclass each
    render.py       the post and index page formats
    frontmatter.py  the one front-matter reader (what Jekyll accepts)
    slugs.py        category slugs from media names
    hygiene.py      the one gate for characters no post may hold
    record.py       the archive's settings record (.finews.cfg): the settings every command reads from it

It imports only crawler.items, crawler.ids and the defaults in crawler.settings; no Scrapy, no
Redis, and it runs no external program. Spiders, pipelines, extensions, the offline tools
(crawler/tools) and commands import it, never the other way (docs/architecture.md).
"""

from crawler.archive import layout
from crawler.archive.feeds import ARTICLES, FAST_NEWS, FEEDS, Feed, feed_named
from crawler.archive.lock import ArchiveLocked
from crawler.archive.store import Archive, every_feed_locked

__all__ = [
    "ARTICLES",
    "FAST_NEWS",
    "FEEDS",
    "Archive",
    "ArchiveLocked",
    "Feed",
    "every_feed_locked",
    "feed_named",
    "layout",
]
