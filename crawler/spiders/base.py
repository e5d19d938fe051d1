"""What the East Money spiders share: the choice of list entries, article pages, paging arguments.

A spider here names the archive feed it writes (`feed`, crawler/archive/feeds.py), lists
articles newest first, asks for the ones the archive lacks (never a known one), and reads
each article page with the pure parsers of crawler/parsers/. The run's archive, and the
claims on articles, are the ArchiveRun extension's (crawler/extensions/archive_run.py).
"""

import re
from collections.abc import Callable
from datetime import date, datetime
from functools import cached_property

import scrapy
from scrapy.exceptions import UsageError
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

from crawler import statkeys as keys
from crawler.archive import Feed
from crawler.extensions.archive_run import ArchiveRun, archive_run
from crawler.items import SHANGHAI, Article, ListEntry, ListPage
from crawler.parsers import ParseError, parse_article

_HTML_TYPE_RE = re.compile(r"\s*(?:text/html|application/xhtml\+xml)\b", re.I)
SCHEDULED_PAGES = 3
BACKFILL_PAGES = 100


class ArchiveSpider(scrapy.Spider):
    """Base of the spiders that feed the archive; a subclass names its feed."""

    feed: Feed

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.requested: set[str] = set()  # post keys asked for in this run

    @cached_property
    def run(self) -> ArchiveRun:
        """The run's archive owner (lock, Archive, claims)."""
        run = archive_run(self.crawler)
        if run is None:
            raise RuntimeError("the ArchiveRun extension is off (EXTENSIONS): nothing would write the archive")
        return run

    @staticmethod
    def paging_arguments(pages: str | None = None, since: str | None = None, until: str | None = None) -> dict:
        """The -a arguments every archive spider takes: pages, since, until (UsageError when wrong)."""
        try:
            parsed = {"since": _day(since, "since"), "until": _day(until, "until")}
            parsed["pages"] = int(pages) if pages else (BACKFILL_PAGES if parsed["since"] else SCHEDULED_PAGES)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if parsed["pages"] < 1:
            raise UsageError("pages must be at least 1")
        if parsed["until"] and not parsed["since"]:
            raise UsageError("until needs since (backfill mode)")
        return parsed

    def count_list(self, name: str, listing: ListPage) -> None:
        """Count a list page read (in all and per list) and its rejected entries; note how far back it went.

        The oldest and newest days listed (statkeys.PROGRESS_*) let the progress display
        (crawler/extensions/progress.py) estimate how far a backfill has come.
        """
        stats = self.crawler.stats
        stats.inc_value(keys.LISTS_READ)
        stats.inc_value(keys.LISTS_READ_BY_LIST(name))
        for reason in listing.rejected:
            stats.inc_value(keys.LIST_ENTRIES_REJECTED(reason))
        days = [day for day in map(_entry_day, listing.entries) if day]
        if days:
            stats.min_value(keys.PROGRESS_OLDEST_DAY(name), min(days).isoformat())
            stats.max_value(keys.PROGRESS_NEWEST_DAY, max(days).isoformat())

    def select(self, entries: list[ListEntry]) -> tuple[list[ListEntry], bool]:
        """The entries to fetch, and whether the list went past `since` (backfill)."""
        stats = self.crawler.stats
        chosen, reached_since = [], False
        for entry in entries:
            if self.since:
                day = _entry_day(entry)
                if day and day < self.since:
                    reached_since = True
                    stats.inc_value(keys.SKIPPED("out_of_range"))
                    continue
                if day and self.until and day > self.until:
                    stats.inc_value(keys.SKIPPED("out_of_range"))
                    continue
            key = self.feed.entry_key(entry)
            if key in self.run.archive:
                stats.inc_value(keys.SKIPPED("known"))
            elif key in self.requested:
                stats.inc_value(keys.SKIPPED("listed_twice"))
            elif not self.run.claim(key):  # only with FINEWS_REDIS_URL: another worker has it
                stats.inc_value(keys.SKIPPED("claimed_elsewhere"))
            else:
                self.requested.add(key)
                chosen.append(entry)
        return chosen, reached_since

    def go_deeper(self, new_entries: list[ListEntry], reached_since: bool) -> bool:
        """Whether the next list page is worth reading, given what this one held."""
        if reached_since:
            return False
        # Scheduled mode: a page with nothing new means older pages hold nothing new, unless
        # the last run was interrupted and may have left gaps behind newer posts.
        return bool(self.since or new_entries or self.run.last_run_interrupted)

    def article_request(self, entry: ListEntry, callback: Callable, errback: Callable) -> scrapy.Request:
        """Articles go before the next list page (bounded queue on long backfills); `requested`
        already dedupes them, so Scrapy's fingerprint set need not hold them too."""
        url = self.settings["FINEWS_ARTICLE_URL"].format(id=entry.article_id)
        return scrapy.Request(url, callback=callback, errback=errback, cb_kwargs={"entry": entry}, priority=1,
                              dont_filter=True)  # fmt: skip

    def read_article(self, response: Response, entry: ListEntry) -> Article:
        """The article a page gives; ParseError (counted and logged) when it gives none."""
        stats = self.crawler.stats
        stats.inc_value(keys.ARTICLES_FETCHED)
        try:
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            if not isinstance(response, TextResponse) or (content_type and not _HTML_TYPE_RE.match(content_type)):
                raise ParseError("not_html", content_type)
            if entry.article_id not in response.url:  # redirected to the home page or an error page
                raise ParseError("redirected", f"{response.request.url} -> {response.url}")
            return parse_article(page_text(response), response.url, entry)
        except ParseError as exc:
            stats.inc_value(keys.ARTICLES_UNPARSABLE)
            self.logger.warning("Article %s unreadable: %s", response.url, exc)
            raise

    def download_failure_reason(self, failure: Failure) -> str:
        """http_<status> or download_error, for a request that failed after its retries (logged)."""
        status = getattr(getattr(failure.value, "response", None), "status", None)
        self.logger.warning("%s not downloaded: %s", failure.request.url, failure.getErrorMessage())
        return f"http_{status}" if status else "download_error"

    def list_failed(self, failure: Failure) -> None:
        """A list page that could not be downloaded (after retries): counted, the run goes on."""
        self.crawler.stats.inc_value(keys.LISTS_FAILED(self.download_failure_reason(failure)))

    async def start(self):
        if self.run.last_run_interrupted:
            self.logger.warning("The last run was interrupted: reading up to %d list pages", self.pages)
        requests = self.first_list_requests()
        self.crawler.stats.set_value(keys.PROGRESS_LISTS, len(requests))  # one first page per list
        if self.since:
            self.crawler.stats.set_value(keys.PROGRESS_SINCE, self.since.isoformat())
        for request in requests:
            yield request

    def first_list_requests(self) -> list[scrapy.Request]:
        raise NotImplementedError


def page_text(response: TextResponse) -> str:
    """The page as text, repairing a page whose header names a charset its bytes are not in.

    East Money's old channels are GBK; a header saying utf-8 over GBK bytes would give
    mojibake, so such bytes are decoded with the page's own <meta> charset (else GB18030).
    """
    text = response.text
    if "\ufffd" in text:
        declared = resolve_encoding(html_body_declared_encoding(response.body) or "gb18030")
        if declared and declared != resolve_encoding(response.encoding):
            try:
                return response.body.decode(declared)
            except UnicodeDecodeError:
                pass
    return text


def _entry_day(entry: ListEntry) -> date | None:
    """The entry's publish day: its list time, else the yyyymmdd prefix of its id."""
    if entry.published_at:
        return entry.published_at.astimezone(SHANGHAI).date()
    try:
        return datetime.strptime(entry.article_id[:8], "%Y%m%d").date()
    except ValueError:
        return None


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} must be YYYY-MM-DD, not {text!r}") from None
