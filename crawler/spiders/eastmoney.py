"""Spider `eastmoney`: category lists -> article pages -> Article items (per-media posts).

Scheduled mode (default) reads each category's list newest first and stops at the first
page with nothing new, so a run with nothing new costs one list request per category.
Backfill mode (`since`/`until`) pages on until the list is older than `since`. Articles
the archive already holds are never requested.
"""

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import UsageError
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler import statkeys as keys
from crawler.archive import ARTICLES
from crawler.categories import Category, parse_categories
from crawler.ids import canonical_url
from crawler.items import MISSING, Article, ListEntry, ListPage
from crawler.parsers import ParseError, parse_list_api, parse_list_html
from crawler.signals import article_failed
from crawler.spiders.base import ArchiveSpider

BODY_LOST = ("no_body", "empty_body")  # a page that was read, but gave no body (crawler/parsers/article.py)


class EastMoneySpider(ArchiveSpider):
    name = ARTICLES.name
    feed = ARTICLES
    arguments = ("categories", "lists", "pages", "since", "until")

    def __init__(self, categories=None, pages=None, lists="api", since=None, until=None, **kwargs):
        vars(self).update(self.parse_arguments(categories, pages, lists, since, until, **kwargs))
        super().__init__(**{k: v for k, v in kwargs.items() if k.startswith("_")})

    @classmethod
    def parse_arguments(
        cls,
        categories: str | None = None,
        pages: str | None = None,
        lists: str = "api",
        since: str | None = None,
        until: str | None = None,
        **other: str,
    ) -> dict:
        """The spider's -a arguments, checked; UsageError says what is wrong (`scrapy crawl` exits 2)."""
        parsed = cls.paging_arguments(pages, since, until, **other)
        if lists not in ("api", "html"):
            raise UsageError(f"lists must be api or html, not {lists!r}")
        try:
            parsed.update(categories=parse_categories(categories, lists), lists=lists)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        return parsed

    def list_names(self) -> list[str]:
        return [category.name for category in self.categories]

    def add_lists(self, names: list[str]) -> None:
        for name in names:
            try:
                category = parse_categories(name, self.lists)[0]
            except ValueError:
                self.logger.warning(
                    "Not resuming list %r of the unfinished run: lists=%s cannot read it", name, self.lists
                )
                self.lists_not_resumed.append(name)
                continue
            if category not in self.categories:
                self.categories.append(category)

    def first_list_requests(self) -> list[scrapy.Request]:
        return [self.list_request(category, 1) for category in self.categories]

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

    def parse_list(self, response: Response, category: Category, page: int) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        try:
            if self.lists == "api":
                listing = parse_list_api(response.body, response.url)
            else:
                listing = parse_list_html(response.text, response.url)
        except (ParseError, AttributeError) as exc:  # AttributeError: a non-text response
            reason = getattr(exc, "reason", "not_text")
            stats.inc_value(keys.LISTS_FAILED(reason))
            self.logger.error("List %s page %d unreadable (%s): %s", category.name, page, reason, response.url)
            return
        entries = self.take_list(category.name, listing)
        chosen, new_entries, reached_since = self.select(entries)
        for entry in chosen:
            yield self.article_request(entry)
        if not self.next_page_wanted(category.name, page, entries, new_entries, reached_since):
            return
        if self.lists == "api" and not _is_last_api_page(listing, page):
            yield self.list_request(category, page + 1)
        elif self.lists == "html" and listing.next_url:
            yield self.list_request(category, page + 1, self.mirror_safe(listing.next_url, response.url))

    def replayed_entries(self, response: Response) -> list[ListEntry] | None:
        """A list API answer, or an HTML list page (whichever `lists` the crawl read)."""
        try:
            return parse_list_api(response.body, response.url).entries
        except ParseError:
            pass
        try:
            return parse_list_html(response.text, response.url).entries if isinstance(response, TextResponse) else None
        except (ParseError, ValueError):
            return None

    def replay_failed(self, entry: ListEntry, reason: str) -> Iterator[Article]:
        self.failed(entry, reason)
        return iter(())

    def mirror_safe(self, next_url: str, list_url: str) -> str:
        """A 下一页 link to another host (the live site, seen from a mirror) goes through FINEWS_LIST_PAGE_URL."""
        if urlsplit(next_url).netloc == urlsplit(list_url).netloc:
            return next_url
        stem = urlsplit(next_url).path.rsplit("/", 1)[-1].removesuffix(".html")
        return self.settings["FINEWS_LIST_PAGE_URL"].format(slug=stem)

    # --- articles ------------------------------------------------------------------------
    def parse_article(self, response: Response, entry: ListEntry | None = None) -> Iterator[Article]:
        """An article page; `entry` is its list entry (none with `scrapy parse -c parse_article URL`)."""
        entry = entry or self.entry_of(response)
        try:
            yield self.read_article(response, entry)
        except ParseError as exc:
            if exc.reason in BODY_LOST:  # the page came, without its body: for the field coverage, body missing
                self.count_field(canonical_url(entry.article_id), "body", MISSING)
            self.failed(entry, exc.reason)

    def article_failed(self, failure: Failure) -> None:
        """An article that could not be downloaded (after retries): counted, the run goes on."""
        self.failed(failure.request.cb_kwargs["entry"], self.article_not_downloaded(failure))

    def failed(self, entry: ListEntry, reason: str) -> None:
        """No post for this entry: the run's archive owner counts it and releases its claim."""
        self.crawler.signals.send_catch_log(
            article_failed, key=self.feed.entry_key(entry), reason=reason, url=canonical_url(entry.article_id)
        )


def _is_last_api_page(listing: ListPage, page: int) -> bool:
    if listing.total is None:
        return False
    return page * (listing.page_size or len(listing.entries)) >= listing.total
