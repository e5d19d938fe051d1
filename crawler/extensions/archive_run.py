"""The owner of a run's archive: its lock, the Archive the spider and pipelines share, its claims.

A spider that writes the archive names its feed (`feed = ARTICLES`; a spider of another
project sets FINEWS_FEED). For such a run this extension
- takes the feed's lock when the spider opens (another run holds it: the run closes with
  reason archive_locked, exit 3; not writable: archive_not_writable, exit 6) and lets it go
  when the spider closes;
- gives the spider and the pipelines one Archive (`archive_run(crawler).archive`);
- keeps the feed's remembered drops (crawler/drops.py): read when the lock is taken, an article
  dropped for its content noted (article_failed, item_dropped), one written forgotten (item_scraped),
  the file saved before the lock is let go; the spider skips them (`run.drops.skips(key)`);
- owns the claims of a distributed crawl (FINEWS_REDIS_URL, crawler/sharedindex.py):
  - when the spider opens, it checks the shared index is there and settles what this
    worker's last run left;
  - the spider claims each article through `claim()` before asking for it; a written post
    is marked done by the archive as it is written (Archive.add_post); every claimed article
    that is not written, for any reason (item_dropped: invalid or duplicate, item_error, the
    write failing, and this project's article_failed signal: download failure or unparsable
    page), releases its claim here, and so does every claim still held when the spider closes;
  - an article another worker holds waits here: once the spider has nothing left to do, the
    run takes over those whose claim was released or expired (a worker that failed or died),
    for up to FINEWS_REDIS_IDLE_WAIT seconds without progress; any left unwritten keep the
    run marked interrupted, so the next one reads as deep;
  - Redis failing or losing its data (SharedIndexLost) stops the run at once: reason
    shared_index_lost, exit status 8, the run marked interrupted.
Spiders without a feed (`scrapy fetch`, `scrapy shell`, other projects' spiders) leave the
archive alone: this extension and the archive pipelines stay off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro

from crawler import statkeys
from crawler.archive import Archive, ArchiveLocked, Feed, feed_named, layout
from crawler.drops import Drops
from crawler.items import fields
from crawler.sharedindex import Claim, SharedIndex, SharedIndexLost
from crawler.signals import article_failed

logger = logging.getLogger(__name__)


def run_feed(spidercls: type[Spider], settings: BaseSettings) -> Feed | None:
    """The feed a spider class writes: its `feed` attribute, else the FINEWS_FEED setting, else none."""
    feed = getattr(spidercls, "feed", None)
    if feed is None and settings.get("FINEWS_FEED"):
        feed = feed_named(settings["FINEWS_FEED"])
    return feed


def _transient(reason: str) -> bool:
    """A drop reason that a later run may not meet again (throttling, a server or network error)."""
    return reason in ("http_403", "http_408", "http_429", "download_error") or reason.startswith("http_5")


def archive_run(crawler: Crawler) -> ArchiveRun | None:
    """The run's ArchiveRun, or None when the crawl writes no archive."""
    return crawler.get_extension(ArchiveRun)


class ArchiveRun:
    def __init__(self, crawler, feed: Feed):
        self.crawler = crawler
        self.feed = feed
        self.archive = Archive.from_settings(crawler.settings, feed.name, SharedIndex.from_settings(crawler.settings))
        self.claimed: set[str] = set()  # claims held in a distributed crawl, until written or released
        self.waiting: dict[str, Callable[[], Request]] = {}  # held by other workers: their requests, to take over
        self.idle_wait = crawler.settings.getfloat("FINEWS_REDIS_IDLE_WAIT")
        self.idle_since: float | None = None
        self.lost: SharedIndexLost | None = None
        self.opened = self.closing = False  # the spider opened (the lock is taken); it is closing
        self.left_to_others = 0  # articles others held that were not written when this run closed
        # A replay (FINEWS_REPLAY_WARC) reads pages of the past: it remembers no drop (it forgets one
        # it writes), and it takes the lock as a verb does, leaving the state of the last crawl as it was.
        self.replaying = bool(crawler.settings.getlist("FINEWS_REPLAY_WARC"))
        self.drops = Drops(
            self.archive.root / layout.drops_name(feed.name),
            feed.key_pattern,
            retry=crawler.settings.getbool("FINEWS_RETRY_DROPS"),
            temp_prefix=layout.temp_prefix(feed.name),
        )

    @classmethod
    def from_crawler(cls, crawler) -> ArchiveRun:
        feed = run_feed(crawler.spidercls, crawler.settings)
        if feed is None:
            raise NotConfigured("the spider writes no archive feed")
        run = cls(crawler, feed)
        for handler, signal in (
            (run.spider_opened, signals.spider_opened),
            (run.spider_closed, signals.spider_closed),
            (run.item_scraped, signals.item_scraped),
            (run.item_dropped, signals.item_dropped),
            (run.item_error, signals.item_error),
            (run.article_failed, article_failed),
            (run.spider_idle, signals.spider_idle),
        ):
            crawler.signals.connect(handler, signal=signal)
        return run

    @property
    def last_run_interrupted(self) -> bool:
        """Whether the feed's last crawl stopped before it finished its plan (it may have left gaps)."""
        return self.archive.last_run_interrupted

    @property
    def unfinished_plan(self) -> dict | None:
        """That crawl's plan, for the spider to resume (ArchiveSpider.resume)."""
        return self.archive.unfinished_plan

    def record_plan(self, plan: dict) -> None:
        """This run's plan, kept in the lock until the run finishes it."""
        self.archive.record_plan(plan)

    def finished_its_plan(self, reason: str) -> bool:
        """Only a run that ran to its end, read every list page and every list it planned, wrote every
        post it could and met no article failure a later run may not meet (403, 429, 5xx, network)
        marks the archive clean; any other (a signal, disk full, a list that failed) leaves it
        marked interrupted, so the next run reads at least as deep."""
        stats = self.crawler.stats.get_stats()
        spider = self.crawler.spider
        return (
            reason == "finished"
            and not statkeys.LISTS_FAILED.read(stats)
            and not stats.get(statkeys.WRITE_ERRORS)
            and not stats.get("spider_exceptions/count")  # a callback that broke lost what it was reading
            and not any(map(_transient, statkeys.DROPPED.read(stats)))  # an article to try again
            and not getattr(spider, "lists_not_resumed", None)
            and self.lost is None
            and not self.left_to_others  # articles another worker held and did not write
        )

    def spider_opened(self, spider) -> None:
        try:
            self.archive.lock(crawl=not self.replaying)
        except ArchiveLocked as exc:
            logger.error("Not crawling: %s. It exits by itself; this run stops here.", exc)
            raise CloseSpider("archive_locked") from None
        except OSError as exc:
            logger.error("Not crawling: the archive %s is not writable: %s", self.archive.root, exc)
            raise CloseSpider("archive_not_writable") from None
        shared = self.archive.shared
        if shared is not None:
            try:
                shared.open(self.archive.worker_name(), self.archive.known)
            except SharedIndexLost as exc:
                self.lose(exc)
                raise CloseSpider("shared_index_lost") from None
            except OSError as exc:  # the worker id could not be written
                logger.error("Not crawling: the archive %s is not writable: %s", self.archive.root, exc)
                raise CloseSpider("archive_not_writable") from None
            warning = shared.eviction_warning()
            if warning:
                logger.warning("%s", warning)
        self.drops.load()
        self.opened = True

    def spider_closed(self, spider, reason: str) -> None:
        self.closing = True
        if self.claimed:  # requested but never answered (the run was stopped)
            self.release_all(list(self.claimed))
        if self.waiting:
            answers = self._shared(self.archive.shared.claim_all, list(self.waiting)) or []
            self.release_all([key for key, answer in zip(self.waiting, answers, strict=False) if answer == Claim.OURS])
            self.left_to_others = len(answers) - answers.count(Claim.DONE) if answers else len(self.waiting)
        if self.left_to_others:
            self.crawler.stats.set_value(statkeys.SHARED_LEFT_TO_OTHERS, self.left_to_others)
        if self.opened:
            self.save_drops()
        self.archive.unlock(finished=self.finished_its_plan(reason))

    def save_drops(self) -> None:
        """Save the remembered drops (a failure is logged: the run's outcome stands)."""
        settings, stats = self.crawler.settings, self.crawler.stats
        try:
            self.drops.save(
                stats.get_value(statkeys.ARTICLES_REQUESTED, 0), settings.getfloat("FINEWS_MAX_ARTICLE_FAILURE_RATIO")
            )
        except OSError as exc:
            logger.error("Cannot write the remembered drops %s: %s", self.drops.path, exc)

    # --- the shared index: every call through _shared() -----------------------------------------
    def _shared(self, call: Callable, *args):
        """`call(*args)` on the shared index; None once Redis is lost (the run is stopping)."""
        if self.lost is not None:
            return None
        try:
            return call(*args)
        except SharedIndexLost as exc:
            self.lose(exc)
            return None

    def lose(self, exc: SharedIndexLost) -> None:
        """Redis failed or lost its data: stop the run at once (exit status 8, stat finews/shared/lost),
        said once."""
        if self.lost is not None:
            return
        self.lost = exc
        self.crawler.stats.set_value(statkeys.SHARED_LOST, str(exc))
        logger.error("%s: %s", "Stopping the run" if self.opened else "Not crawling", exc)
        engine = self.crawler.engine
        if self.opened and not self.closing and engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason="shared_index_lost"))

    # --- claims --------------------------------------------------------------------------------
    def claim_all(self, requests: dict[str, Callable[[], Request]]) -> list[Claim]:
        """Take articles before they are requested, in one round trip: for each key of `requests`,
        OURS (always, on one machine); ELSEWHERE: another worker holds it, and its `request()` makes
        the request to send if this run takes it over; DONE: another worker wrote it; LOST: Redis is
        lost and the run stopping."""
        if self.archive.shared is None:
            return [Claim.OURS] * len(requests)
        answers = self._shared(self.archive.shared.claim_all, list(requests))
        if answers is None:
            return [Claim.LOST] * len(requests)
        for (key, request), answer in zip(requests.items(), answers, strict=True):
            if answer == Claim.OURS:
                self.claimed.add(key)
            elif answer == Claim.ELSEWHERE:
                self.waiting[key] = request
        return answers

    def release(self, key: str) -> None:
        """Let go of a claim this run holds: done, when the archive holds the post (written now, or
        by an earlier run the shared index had not heard of); else back to the other workers."""
        if key in self.claimed:
            self.release_all([key])

    def release_all(self, keys: list[str]) -> None:
        shared = self.archive.shared
        self.claimed.difference_update(keys)
        for key in keys:
            self._shared(shared.done if key in self.archive.known else shared.release, key)

    def spider_idle(self, spider) -> None:
        """Nothing left to do here: take over the articles other workers held and let go (released,
        expired), and wait while the others make progress on the rest, or for up to
        FINEWS_REDIS_IDLE_WAIT seconds without any."""
        if not self.waiting or self.lost is not None:
            return
        before = len(self.waiting)
        answers = self._shared(self.archive.shared.claim_all, list(self.waiting))
        if answers is None:
            return
        taken = []
        for key, answer in zip(list(self.waiting), answers, strict=True):
            if answer == Claim.OURS:
                self.claimed.add(key)
                taken.append(self.waiting[key]())
            if answer != Claim.ELSEWHERE:
                del self.waiting[key]
        if taken:
            self.crawler.stats.inc_value(statkeys.SHARED_TAKEN_OVER, len(taken))
            for request in taken:
                self.crawler.engine.crawl(request)
            self.idle_since = None  # busy again: the wait starts anew at the next idle moment
            raise DontCloseSpider
        if len(self.waiting) < before or self.idle_since is None:
            self.idle_since = time.monotonic()  # the others made progress
        if self.waiting and time.monotonic() - self.idle_since < self.idle_wait:
            raise DontCloseSpider

    def item_scraped(self, item, spider) -> None:
        key = self.feed.post_key(fields(item))
        self.release(key)  # written: done already; no writer in this run: for others
        self.drops.forget(key)

    def item_dropped(self, item, spider, exception) -> None:
        values = fields(item)
        self.release(self.feed.post_key(values))
        if not self.replaying:
            self.drops.note(self.feed.post_key(values), getattr(exception, "reason", ""), values.get("url") or "")

    def item_error(self, item, spider, failure) -> None:
        self.release(self.feed.post_key(fields(item)))

    def article_failed(self, key: str, reason: str, url: str = "") -> None:
        self.crawler.stats.inc_value(statkeys.DROPPED(reason))
        self.release(key)
        if self.drops.remembered(key, reason):  # a page known to be bad, fetched again: not this run's failure
            self.crawler.stats.inc_value(statkeys.ARTICLES_FAILED_AGAIN)
        if not self.replaying:
            self.drops.note(key, reason, url)
