"""Spider `eastmoney`: category lists -> article pages -> Article items.

Scheduled mode (default) reads each category's list newest first and stops at
the first page with nothing new, so a run with nothing new costs one list
request per category (after an interrupted run it reads all `pages` pages,
since that run may have left gaps behind newer posts). Backfill mode (`since`/`until`) pages on until the list
is older than `since`. Articles the archive already holds are never requested.
"""

import re
import time
from datetime import date, datetime
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import UsageError
from scrapy.http import TextResponse
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

from crawler.categories import Category, parse_categories
from crawler.items import ListEntry, ListPage
from crawler.parsers import ParseError, parse_article, parse_list_api, parse_list_html
from crawler.parsers.dates import SHANGHAI
from pipelines.archive import archive_for

_HTML_TYPE_RE = re.compile(r"\s*(?:text/html|application/xhtml\+xml)\b", re.I)
SCHEDULED_PAGES = 3
BACKFILL_PAGES = 100


class EastMoneySpider(scrapy.Spider):
    name = "eastmoney"

    def __init__(self, categories=None, pages=None, lists="api", since=None, until=None, **kwargs):
        super().__init__(**kwargs)
        vars(self).update(self.parse_arguments(categories, pages, lists, since, until))
        self.requested: set[str] = set()  # infoCodes asked for in this run

    @staticmethod
    def parse_arguments(categories=None, pages=None, lists="api", since=None, until=None, **_other) -> dict:
        """The spider's -a arguments, checked; UsageError says what is wrong (`scrapy crawl` exits 2)."""
        try:
            parsed = {
                "categories": parse_categories(categories),
                "since": _day(since, "since"),
                "until": _day(until, "until"),
                "lists": lists,
            }
            parsed["pages"] = int(pages) if pages else (BACKFILL_PAGES if parsed["since"] else SCHEDULED_PAGES)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if parsed["pages"] < 1:
            raise UsageError("pages must be at least 1")
        if parsed["until"] and not parsed["since"]:
            raise UsageError("until needs since (backfill mode)")
        if lists not in ("api", "html"):
            raise UsageError(f"lists must be api or html, not {lists!r}")
        missing = [c.name for c in parsed["categories"] if (c.column if lists == "api" else c.slug) is None]
        if missing:
            raise UsageError(f"lists={lists} needs {'API columns' if lists == 'api' else 'page slugs'} for: {missing}")
        return parsed

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.archive = archive_for(crawler)
        return spider

    async def start(self):
        if self.archive.last_run_interrupted:
            self.logger.warning("The last run was interrupted: reading all %d list pages of each category", self.pages)
        for category in self.categories:
            yield self.list_request(category, 1)

    # --- lists ---------------------------------------------------------------------------
    def list_request(self, category: Category, page: int, url: str | None = None) -> scrapy.Request:
        settings = self.settings
        if self.lists == "api":
            url = settings["FINEWS_LIST_API_URL"].format(
                column=category.column,
                page=page,
                page_size=settings.getint("FINEWS_LIST_PAGE_SIZE"),
                req_trace=int(time.time() * 1000),
            )
        elif url is None:
            url = settings["FINEWS_LIST_PAGE_URL"].format(slug=category.slug)
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.list_failed,
            cb_kwargs={"category": category, "page": page},
            dont_filter=True,
        )

    def parse_list(self, response, category: Category, page: int):
        stats = self.crawler.stats
        try:
            if self.lists == "api":
                listing = parse_list_api(response.body, response.url)
            else:
                listing = parse_list_html(response.text, response.url)
        except (ParseError, AttributeError) as exc:  # AttributeError: a non-text response
            reason = getattr(exc, "reason", "not_text")
            stats.inc_value(f"finews/lists/failed/{reason}")
            self.logger.error("List %s page %d unreadable (%s): %s", category.name, page, reason, response.url)
            return
        stats.inc_value("finews/lists/read")
        for reason in listing.rejected:
            stats.inc_value(f"finews/lists/rejected_entries/{reason}")
        new_entries, reached_since = self.select(listing.entries)
        for entry in new_entries:
            yield self.article_request(entry)
        if page >= self.pages or not listing.entries or reached_since:
            return
        if not self.since and not new_entries and not self.archive.last_run_interrupted:
            return  # scheduled mode: this page held nothing new, so older pages hold nothing new
        if self.lists == "api" and _is_last_api_page(listing, page):
            return
        if self.lists == "html":
            if not listing.next_url:
                return
            yield self.list_request(category, page + 1, self.mirror_safe(listing.next_url, response.url))
        else:
            yield self.list_request(category, page + 1)

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
            if entry.info_code in self.archive:
                stats.inc_value("finews/skipped/known")
            elif entry.info_code in self.requested:
                stats.inc_value("finews/skipped/listed_twice")
            else:
                self.requested.add(entry.info_code)
                chosen.append(entry)
        return chosen, reached_since

    def mirror_safe(self, next_url: str, list_url: str) -> str:
        """A 下一页 link to another host (the live site, seen from a mirror) goes through FINEWS_LIST_PAGE_URL."""
        if urlsplit(next_url).netloc == urlsplit(list_url).netloc:
            return next_url
        stem = urlsplit(next_url).path.rsplit("/", 1)[-1].removesuffix(".html")
        return self.settings["FINEWS_LIST_PAGE_URL"].format(slug=stem)

    def list_failed(self, failure):
        status = getattr(getattr(failure.value, "response", None), "status", None)
        self.crawler.stats.inc_value(f"finews/lists/failed/{f'http_{status}' if status else 'download_error'}")
        self.logger.error("List %s not downloaded: %s", failure.request.url, failure.getErrorMessage())

    # --- articles ------------------------------------------------------------------------
    def article_request(self, entry: ListEntry) -> scrapy.Request:
        url = self.settings["FINEWS_ARTICLE_URL"].format(id=entry.article_id)
        return scrapy.Request(url, callback=self.parse_article, errback=self.article_failed, cb_kwargs={"entry": entry})

    def parse_article(self, response, entry: ListEntry):
        self.crawler.stats.inc_value("finews/articles/fetched")
        try:
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            if not isinstance(response, TextResponse) or (content_type and not _HTML_TYPE_RE.match(content_type)):
                raise ParseError("not_html", content_type)
            if entry.article_id not in response.url:  # redirected to the home page or an error page
                raise ParseError("redirected", f"{response.request.url} -> {response.url}")
            article = parse_article(page_text(response), response.url, entry)
        except ParseError as exc:
            self.crawler.stats.inc_value("finews/articles/unparsable")
            self.crawler.stats.inc_value(f"finews/dropped/{exc.reason}")
            self.logger.warning("Article %s dropped: %s", response.url, exc)
            return
        yield article

    def article_failed(self, failure):
        """An article that could not be downloaded (after retries): counted, the run goes on."""
        status = getattr(getattr(failure.value, "response", None), "status", None)
        reason = f"http_{status}" if status else "download_error"
        self.crawler.stats.inc_value(f"finews/dropped/{reason}")
        self.logger.warning("Article %s not downloaded: %s", failure.request.url, failure.getErrorMessage())


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


def _is_last_api_page(listing: ListPage, page: int) -> bool:
    if listing.total is None:
        return False
    return page * (listing.page_size or len(listing.entries)) >= listing.total


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
