"""Write each item as `_posts/YYYY-MM-DD-<key>.md`, and the index page it links to when missing.

What the post and its index page are is the run's feed's (crawler/archive/feeds.py): a
per-media post and `category/<slug>.html`, or an emnews post and `emnews/index.html`.
A replay with --rewrite (FINEWS_REPLAY_REWRITE) writes a post the archive holds in `_posts/` again
when the item renders to other text, logging the post and what changed (its front-matter fields,
its body); a post whose day changed moves to its new name. A write that fails (disk full,
read-only) stops the run: exit status 6. In a distributed
crawl a post is written only while this worker holds its claim (crawler/sharedindex.py):
another worker took it meanwhile, and it is dropped (claimed_elsewhere); Redis failed, and
the run stops (exit status 8).
"""

import errno
import logging
import os
from collections.abc import Awaitable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler import statkeys as keys
from crawler.archive.files import file_text
from crawler.archive.index import post_files
from crawler.archive.layout import post_key
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
# Posts written at once (each still fsync'd before its rename): while one thread waits on the disk,
# the reactor downloads and parses, and the kernel commits the others' fsyncs together.
WRITER_THREADS = 4


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
        self.rewrite = crawler.settings.getbool("FINEWS_REPLAY_REWRITE")
        self._held: dict[str, list[Path]] | None = None  # rewrite: the post files of each key in `_posts/`
        self.writers: ThreadPoolExecutor | None = None  # the writer threads, while the spider is open
        self.writing: set[str] = set()  # keys of the posts the writer threads are writing

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
            if self.rewrite and key in archive:
                self.rewrite_post(values["published_at"], key, text)
                return item
            if self.writers is not None and archive.shared is None:  # in a crawl: a writer thread writes it
                return self.write_later(item, values, key, text)
            archive.add_post(values["published_at"], key, text)
        except Exception as exc:  # failed() raises again what it does not handle
            self.failed(key, exc)
        return self.written(item, values)

    def failed(self, key: str, error: Exception) -> None:
        """A write of `key` failed: raise the DropItem (the run stops when the archive is at fault), or
        return when the post counts as written all the same. Any other exception is raised as it is."""
        archive = self.archive
        try:
            raise error
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

    def written(self, item: Any, values: dict) -> Any:
        """Count the post as written (only once its file is there and fsync'd): the item goes on."""
        self.stats.inc_value(keys.POSTS_WRITTEN)
        self.stats.inc_value(keys.POSTS_BY_SOURCE(self.feed.counted_as(values)))
        return item

    # --- writing off the reactor thread ---------------------------------------------------------
    def open_spider(self, spider: object = None) -> None:
        """In a crawl, posts are written by a few threads: the fsync of one no longer holds up the
        downloads and parsing of the others (pipelines used outside a crawl write in the call)."""
        self.writers = ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="finews-write")

    def close_spider(self, spider: object = None) -> None:
        """Every write handed to a thread has ended by now (Scrapy closes pipelines once no item is in flight)."""
        if self.writers is not None:
            self.writers.shutdown(wait=True)
            self.writers = None

    def write_later(self, item: Any, values: dict, key: str, text: str) -> Awaitable:
        """The post written atomically (files.atomic_write: temp file, fsync, rename) by a writer
        thread; an awaitable that gives, in the reactor thread, the item once it is there (known
        and counted only then), or raises the DropItem failed() makes of the error. A second item of a
        key being written is a duplicate (the dedupe pipeline has not seen the first as known yet)."""
        from twisted.internet import reactor  # the running one (an import at the top would install one)

        if key in self.writing:
            raise drop(self.stats, "duplicate", key)
        path = self.archive.post_path(values["published_at"], key)
        done: Deferred = Deferred()
        future = self.writers.submit(self.archive.write, path, text)
        self.writing.add(key)
        future.add_done_callback(lambda future: reactor.callFromThread(_settle, done, future))

        def _written(_: None) -> Any:
            self.writing.discard(key)
            self.archive.known.add(key)
            return self.written(item, values)

        def _failed(failure: Failure) -> Any:
            self.writing.discard(key)
            self.failed(key, failure.value)
            return self.written(item, values)  # counted as written all the same (failed() returned)

        return maybe_deferred_to_future(done.addCallbacks(_written, _failed))  # a Deferred is deprecated

    def rewrite_post(self, published_at: datetime, key: str, text: str) -> None:
        """replay --rewrite: the archive's post of `key` in `_posts/` written again, where it is, if `text`
        differs from it (logged); when its day changed, under its new name in the same folder, the old
        name removed once the new file is there. A post held only outside `_posts/` (the old posts'
        folder), or that cannot be read, is left as it is; so is any other file of the same key."""
        if self._held is None:
            self._held = {}
            for found in post_files(self.archive.posts_dir):
                self._held.setdefault(post_key(found.name), []).append(found)
        name, held = self.archive.post_path(published_at, key).name, self._held.get(key, [])
        old_path = next((found for found in held if found.name == name), held[0] if held else None)
        try:
            old = file_text(old_path) if old_path else None
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("Not rewriting %s: %s", old_path, exc)
            old = None
        if old is None or old == text:
            self.stats.inc_value(keys.POSTS_UNCHANGED)
            return
        path = old_path.with_name(name)
        self.archive.write(path, text)
        if old_path != path:
            os.unlink(self.archive.own_path(old_path))
        self._held[key] = [path, *(found for found in held if found not in (old_path, path))]
        self.stats.inc_value(keys.POSTS_REWRITTEN)
        shown = path.relative_to(self.archive.root)
        moved = f" (was {old_path.name})" if old_path != path else ""
        logger.info("Rewrote %s%s: %s changed", shown, moved, ", ".join(changes(old, text)))

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


def changes(old: str, new: str) -> list[str]:
    """What differs between two texts of a post: the names of its front-matter fields, then "body"."""
    (old_fields, old_body), (new_fields, new_body) = _post_parts(old), _post_parts(new)
    names = [name for name in {**old_fields, **new_fields} if old_fields.get(name) != new_fields.get(name)]
    return names + (["body"] if old_body != new_body else []) or ["line ends"]


def _post_parts(text: str) -> tuple[dict[str, str], str]:
    """A post's front matter as {field: its lines} (a field's value may go on over indented lines), and its body."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip("\r") != "---" or "---" not in (line.rstrip("\r") for line in lines[1:]):
        return {}, text
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip("\r") == "---")
    fields: dict[str, str] = {}
    name = ""
    for line in lines[1:end]:
        head, colon, _ = line.partition(":")
        if colon and head and not head[0].isspace() and not head.startswith("-"):
            name = head.strip()
        fields[name] = fields.get(name, "") + line + "\n"
    return fields, "\n".join(lines[end + 1 :])


def _settle(done: Deferred, future: Future) -> None:
    """Fire `done` (in the reactor thread) with the outcome of a writer thread's `future`."""
    error = future.exception()
    if error is None:
        done.callback(future.result())
    else:
        done.errback(error)
