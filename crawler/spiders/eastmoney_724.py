"""Spider `eastmoney_724`: East Money's 7x24 rolling news (东财滚动新闻) -> FastNews items (emnews posts).

Reads the getFastNewsList feed newest first, paging with its sortEnd cursor, and stops as
`eastmoney` does: at the first page with nothing new (scheduled), or past `since` (backfill).
Each item's article page is read with the same parser; an item whose page cannot be read is
still posted from its summary. Items without a title or time are dropped, never written.
"""

import time
from collections.abc import Iterator

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler import statkeys as keys
from crawler.archive import FAST_NEWS
from crawler.ids import canonical_url
from crawler.items import FALLBACK, MISSING, FastNews, ListEntry, Provenance
from crawler.parsers import ParseError, parse_fast_list
from crawler.parsers.securities import tagged
from crawler.signals import article_failed
from crawler.spiders.base import ArchiveSpider

FAST_LIST = "7x24"  # the feed's name in per-list stats (finews/lists/read/7x24)


class FastNewsSpider(ArchiveSpider):
    name = FAST_NEWS.name
    feed = FAST_NEWS

    def __init__(self, pages=None, since=None, until=None, **kwargs):
        vars(self).update(self.parse_arguments(pages, since, until, **kwargs))
        super().__init__(**{k: v for k, v in kwargs.items() if k.startswith("_")})

    @classmethod
    def parse_arguments(
        cls, pages: str | None = None, since: str | None = None, until: str | None = None, **other: str
    ) -> dict:
        """The spider's -a arguments (pages, since, until), checked; UsageError says what is wrong."""
        return cls.paging_arguments(pages, since, until, **other)

    def list_names(self) -> list[str]:
        return [FAST_LIST]

    def first_list_requests(self) -> list[scrapy.Request]:
        return [self.list_request("", 1)]

    def list_request(self, cursor: str, page: int) -> scrapy.Request:
        url = self.settings["FINEWS_FAST_LIST_URL"].format(
            sort_end=cursor, page_size=self.settings.getint("FINEWS_FAST_PAGE_SIZE"), req_trace=int(time.time() * 1000)
        )
        return scrapy.Request(
            url, callback=self.parse_list, errback=self.list_failed, cb_kwargs={"page": page}, dont_filter=True
        )

    def parse_list(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        try:
            listing = parse_fast_list(response.body, response.url)
        except ParseError as exc:
            stats.inc_value(keys.LISTS_FAILED(exc.reason))
            self.logger.error("Rolling news page %d unreadable (%s): %s", page, exc.reason, response.url)
            return
        complete, entries = [], self.take_list(FAST_LIST, listing)
        for entry in entries:
            if not entry.title or not entry.published_at:  # the old scripts wrote these as _posts/-<id>.md
                stats.inc_value(keys.DROPPED("no_title" if not entry.title else "no_time"))
            else:
                complete.append(entry)
        chosen, new_entries, reached_since = self.select(complete)
        for entry in chosen:
            yield self.article_request(entry)
        if listing.cursor and self.next_page_wanted(FAST_LIST, page, entries, new_entries, reached_since):
            yield self.list_request(listing.cursor, page + 1)

    def replayed_entries(self, response: Response) -> list[ListEntry] | None:
        """A page of the 7x24 feed: its entries with a title and a time (the crawl asks for no other)."""
        try:
            return [
                entry
                for entry in parse_fast_list(response.body, response.url).entries
                if entry.title and entry.published_at
            ]
        except ParseError:
            return None

    def replay_failed(self, entry: ListEntry, reason: str) -> Iterator[FastNews]:
        yield self.from_summary(entry, reason)

    def parse_article(self, response: Response, entry: ListEntry | None = None) -> Iterator[FastNews]:
        """An article page of a 7x24 item; without the item (`scrapy parse`), only the page's."""
        entry = entry or self.entry_of(response)
        try:
            article = self.read_article(response, entry)
        except ParseError as exc:
            yield self.from_summary(entry, exc.reason, page_read=True)
            return
        yield self.news(entry, article.paragraphs, article.source, (article.stocks, article.boards))

    def article_failed(self, failure: Failure) -> Iterator[FastNews]:
        entry = failure.request.cb_kwargs["entry"]
        reason = self.article_not_downloaded(failure)
        if not self.crawler.crawling:  # the run is stopping: the next run fetches the article, not its summary
            self.crawler.signals.send_catch_log(article_failed, key=self.feed.entry_key(entry), reason=reason)
            return
        yield self.from_summary(entry, reason)

    def from_summary(self, entry: ListEntry, reason: str, page_read: bool = False) -> FastNews:
        """The item from the feed alone. For the field coverage, a page that was read gave no body and no
        source; one that could not be downloaded (a 503, a timeout) says nothing of the template."""
        self.crawler.stats.inc_value(keys.SUMMARY_ONLY(reason))
        if page_read:
            stocks = FALLBACK if entry.secids else MISSING
            provenance = Provenance(FALLBACK, FALLBACK, MISSING, MISSING, stocks)
            self.count_provenance(canonical_url(entry.article_id), provenance)
        return self.news(entry, [], "")

    @staticmethod
    def news(
        entry: ListEntry, paragraphs: list[str], source: str, securities: tuple[list, list] | None = None
    ) -> FastNews:
        """The feed's title, time and summary, with the article page's blocks and media name, and its
        (stocks, boards): the page's, then the feed's stockList; without a page, the stockList's."""
        stocks, boards = securities or tagged((secid, "") for secid in entry.secids)
        return FastNews(
            article_id=entry.article_id,
            url=canonical_url(entry.article_id),
            title=entry.title,
            published_at=entry.published_at,
            summary=entry.summary,
            paragraphs=paragraphs,
            source=source,
            stocks=stocks,
            boards=boards,
        )
