"""What the East Money spiders share: the archive index, the choice of list entries, article pages.

A spider here lists articles newest first, asks for the ones the archive lacks (never a
known one), and reads each article page with the pure parsers of crawler/parsers/.
"""

import re
from datetime import date, datetime

import scrapy
from scrapy.exceptions import UsageError
from scrapy.http import TextResponse
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

from crawler.items import Article, ListEntry, ListPage
from crawler.parsers import ParseError, parse_article
from crawler.parsers.dates import SHANGHAI
from pipelines.archive import archive_for

_HTML_TYPE_RE = re.compile(r"\s*(?:text/html|application/xhtml\+xml)\b", re.I)
SCHEDULED_PAGES = 3
BACKFILL_PAGES = 100


class ArchiveSpider(scrapy.Spider):
    """Base of the spiders that feed the archive; subclasses say how an entry maps to a post key."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.requested: set[str] = set()  # post keys asked for in this run

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.archive = archive_for(crawler)
        return spider

    @staticmethod
    def paging_arguments(pages=None, since=None, until=None) -> dict:
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

    def post_key(self, entry: ListEntry) -> str:
        """The key of the entry's post in the archive index (its file name after the date)."""
        raise NotImplementedError

    def count_list(self, name: str, listing: ListPage) -> None:
        """Count a list page read (in all and per list) and its rejected entries; note how far back it went.

        finews/progress/oldest_day/<list> and finews/progress/newest_day (ISO days) let the
        progress display (crawler/progress.py) estimate how far a backfill has come.
        """
        stats = self.crawler.stats
        stats.inc_value("finews/lists/read")
        stats.inc_value(f"finews/lists/read/{name}")
        for reason in listing.rejected:
            stats.inc_value(f"finews/lists/rejected_entries/{reason}")
        days = [day for day in map(_entry_day, listing.entries) if day]
        if days:
            stats.min_value(f"finews/progress/oldest_day/{name}", min(days).isoformat())
            stats.max_value("finews/progress/newest_day", max(days).isoformat())

    def select(self, entries: list[ListEntry]) -> tuple[list[ListEntry], bool]:
        """The entries to fetch, and whether the list went past `since` (backfill)."""
        stats = self.crawler.stats
        chosen, reached_since = [], False
        for entry in entries:
            if self.since:
                day = _entry_day(entry)
                if day and day < self.since:
                    reached_since = True
                    stats.inc_value("finews/skipped/out_of_range")
                    continue
                if day and self.until and day > self.until:
                    stats.inc_value("finews/skipped/out_of_range")
                    continue
            key = self.post_key(entry)
            if key in self.archive:
                stats.inc_value("finews/skipped/known")
            elif key in self.requested:
                stats.inc_value("finews/skipped/listed_twice")
            elif not self.archive.claim(key):  # only with FINEWS_REDIS_URL: another worker has it
                stats.inc_value("finews/skipped/claimed_elsewhere")
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
        return bool(self.since or new_entries or self.archive.last_run_interrupted)

    def article_request(self, entry: ListEntry, callback, errback) -> scrapy.Request:
        """Articles go before the next list page (bounded queue on long backfills); `requested`
        already dedupes them, so Scrapy's fingerprint set need not hold them too."""
        url = self.settings["FINEWS_ARTICLE_URL"].format(id=entry.article_id)
        return scrapy.Request(url, callback=callback, errback=errback, cb_kwargs={"entry": entry}, priority=1,
                              dont_filter=True)  # fmt: skip

    def read_article(self, response, entry: ListEntry) -> Article:
        """The article a page gives; ParseError (counted and logged) when it gives none."""
        stats = self.crawler.stats
        stats.inc_value("finews/articles/fetched")
        try:
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            if not isinstance(response, TextResponse) or (content_type and not _HTML_TYPE_RE.match(content_type)):
                raise ParseError("not_html", content_type)
            if entry.article_id not in response.url:  # redirected to the home page or an error page
                raise ParseError("redirected", f"{response.request.url} -> {response.url}")
            return parse_article(page_text(response), response.url, entry)
        except ParseError as exc:
            stats.inc_value("finews/articles/unparsable")
            self.logger.warning("Article %s unreadable: %s", response.url, exc)
            raise

    def download_failure_reason(self, failure) -> str:
        """http_<status> or download_error, for a request that failed after its retries (logged)."""
        status = getattr(getattr(failure.value, "response", None), "status", None)
        self.logger.warning("%s not downloaded: %s", failure.request.url, failure.getErrorMessage())
        return f"http_{status}" if status else "download_error"

    async def start(self):
        if self.archive.last_run_interrupted:
            self.logger.warning("The last run was interrupted: reading up to %d list pages", self.pages)
        requests = self.first_list_requests()
        self.crawler.stats.set_value("finews/progress/lists", len(requests))  # one first page per list
        if self.since:
            self.crawler.stats.set_value("finews/progress/since", self.since.isoformat())
        for request in requests:
            yield request

    def first_list_requests(self):
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
