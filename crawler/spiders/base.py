"""What the East Money spiders share: the choice of list entries, article pages, paging arguments.

A spider here names the archive feed it writes (`feed`, crawler/archive/feeds.py), lists
articles newest first, asks for the ones the archive lacks (never a known one), and reads
each article page with the pure parsers of crawler/parsers/. The run's archive, and the
claims on articles, are the ArchiveRun extension's (crawler/extensions/archive_run.py).
"""

import re
from collections.abc import Iterator
from datetime import date, datetime
from functools import cached_property, partial

import scrapy
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured, UsageError
from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes
from twisted.python.failure import Failure
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

from crawler import statkeys as keys
from crawler import warcfile
from crawler.archive import Feed
from crawler.extensions.archive_run import ArchiveRun, archive_run
from crawler.ids import article_id_from_url
from crawler.items import PAGE, SHANGHAI, Article, ListEntry, ListPage, Provenance
from crawler.parsers import ParseError, parse_article_with_provenance
from crawler.sharedindex import Claim

_HTML_TYPE_RE = re.compile(r"\s*(?:text/html|application/xhtml\+xml)\b", re.I)
SCHEDULED_PAGES = 3
BACKFILL_PAGES = 100
MAX_PAGES = 1000  # however deep a resumed plan asks, a list is read at most this many pages


class ArchiveSpider(scrapy.Spider):
    """Base of the spiders that feed the archive; a subclass names its feed."""

    feed: Feed
    arguments: tuple[str, ...] = (
        "pages",
        "since",
        "until",
    )  # its -a arguments (names starting "_" pass: scrapyd's _job)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.requested: set[str] = set()  # post keys asked for in this run
        self.started_at = datetime.now(SHANGHAI)
        # Resuming a stopped run's plan: read each list until it has shown as many entries from
        # before that run's start as that run's pages held (new entries push old ones deeper).
        self.resume_before: datetime | None = None
        self.resume_pages = 0
        self.old_entries_seen: dict[str, int] = {}
        self.first_page_size: dict[str, int] = {}
        self.lists_not_resumed: list[str] = []  # lists of the stopped plan this run cannot read

    @cached_property
    def run(self) -> ArchiveRun:
        """The run's archive owner (lock, Archive, claims)."""
        run = archive_run(self.crawler)
        if run is None:
            raise RuntimeError("the ArchiveRun extension is off (EXTENSIONS): nothing would write the archive")
        return run

    @classmethod
    def paging_arguments(
        cls, pages: str | None = None, since: str | None = None, until: str | None = None, **other: str
    ) -> dict:
        """The -a arguments every archive spider takes: pages, since, until (UsageError when wrong).

        `other` are the arguments the spider did not take itself: any that does not start with
        "_" is unknown, and rejected with the list of the spider's arguments.
        """
        unknown = sorted(name for name in other if not name.startswith("_"))
        if unknown:
            raise UsageError(f"unknown argument {unknown[0]!r}: {cls.name} takes {', '.join(cls.arguments)}")
        parsed = {"since": _day(since, "since"), "until": _day(until, "until"), "pages": _pages(pages)}
        parsed["pages"] = parsed["pages"] or (BACKFILL_PAGES if parsed["since"] else SCHEDULED_PAGES)
        if parsed["until"] and not parsed["since"]:
            raise UsageError("until needs since (backfill mode): -a since=YYYY-MM-DD -a until=YYYY-MM-DD")
        if parsed["until"] and parsed["until"] < parsed["since"]:
            raise UsageError(f"until ({parsed['until']}) is before since ({parsed['since']})")
        if parsed["since"] and parsed["since"] > datetime.now(SHANGHAI).date():
            raise UsageError(f"since ({parsed['since']}) is in the future")
        return parsed

    # --- the plan, and resuming an unfinished one -----------------------------------------------
    def plan(self) -> dict:
        """What this run is to read (recorded in the lock, crawler/archive/lock.py, until it is done):
        its pages, range and lists, and when the plan began (the stopped run's start, if resumed)."""
        day = lambda d: d.isoformat() if d else None  # noqa: E731
        started = min(self.started_at, self.resume_before or self.started_at)
        return {
            "pages": self.pages,
            "since": day(self.since),
            "until": day(self.until),
            "lists": self.list_names() + self.lists_not_resumed,
            "started": started.isoformat(),
        }

    def resume(self, unfinished: dict) -> None:
        """Widen this run's plan to cover a plan a stopped run did not finish.

        - its depth: each list is read until it has shown as many entries from before that
          run's start as that run's pages held (and at least as many pages);
        - its range: back to its `since`, and to the newest entries unless both have an `until`;
        - its lists (one this run cannot read keeps the archive marked interrupted).
        """
        pages = unfinished.get("pages") if isinstance(unfinished.get("pages"), int) else 0
        self.pages = max(self.pages, pages)
        try:
            since, until = _day(unfinished.get("since"), "since"), _day(unfinished.get("until"), "until")
            started = datetime.fromisoformat(unfinished["started"]) if unfinished.get("started") else None
        except (UsageError, ValueError, TypeError):
            since = until = started = None
        self.until = None if not (self.since and self.until and since and until) else max(self.until, until)
        if since:
            self.since = min(self.since, since) if self.since else since
        if started and started.tzinfo and pages:
            self.resume_before, self.resume_pages = started, pages
        lists = unfinished.get("lists")
        self.add_lists([str(name) for name in lists] if isinstance(lists, list) else [])

    def list_names(self) -> list[str]:
        """The names of the lists this run reads (as in finews/lists/read/<list>)."""
        raise NotImplementedError

    def add_lists(self, names: list[str]) -> None:
        """Also read these lists (from an unfinished plan); names this spider cannot read are skipped."""

    def take_list(self, name: str, listing: ListPage) -> list[ListEntry]:
        """Count a list page read (in all and per list) and its rejected entries; note how far back it
        went; return its entries, at most FINEWS_MAX_LIST_ENTRIES (more are counted as over_cap).

        The cap bounds the requests one list page can queue (articles go before the next list page,
        so the queue holds at most one page's articles per list).

        The oldest and newest days listed (statkeys.PROGRESS_*) let the progress display
        (crawler/extensions/progress.py) estimate how far a backfill has come.
        """
        stats = self.crawler.stats
        stats.inc_value(keys.LISTS_READ)
        stats.inc_value(keys.LISTS_READ_BY_LIST(name))
        for reason in listing.rejected:
            stats.inc_value(keys.LIST_ENTRIES_REJECTED(reason))
        cap = self.settings.getint("FINEWS_MAX_LIST_ENTRIES")
        entries = listing.entries[:cap]
        if len(listing.entries) > cap:
            stats.inc_value(keys.LIST_ENTRIES_REJECTED("over_cap"), len(listing.entries) - cap)
        days = [day for day in map(_entry_day, entries) if day]
        if days:
            stats.min_value(keys.PROGRESS_OLDEST_DAY(name), min(days).isoformat())
            stats.max_value(keys.PROGRESS_NEWEST_DAY, max(days).isoformat())
        return entries

    def select(self, entries: list[ListEntry]) -> tuple[list[ListEntry], list[ListEntry], bool]:
        """The entries to fetch; the entries new to the archive (those, and those another worker holds
        in a distributed crawl); whether the list went past `since` (backfill)."""
        stats = self.crawler.stats
        chosen, new, reached_since = [], [], False
        unknown: dict[str, ListEntry] = {}  # claimed at once, below (one Redis round trip)
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
            elif self.run.drops.skips(key):  # dropped for its content by an earlier run (crawler/drops.py)
                stats.inc_value(keys.SKIPPED("dropped"))
            elif key in self.requested or key in unknown:
                stats.inc_value(keys.SKIPPED("listed_twice"))
            else:
                unknown[key] = entry
        requests = {key: partial(self.article_request, entry) for key, entry in unknown.items()}
        for (key, entry), claim in zip(unknown.items(), self.run.claim_all(requests), strict=True):
            if claim == Claim.DONE:
                stats.inc_value(keys.SKIPPED("known"))  # another worker wrote it
            elif claim == Claim.ELSEWHERE:  # the run takes it over if that worker lets go of it
                stats.inc_value(keys.SKIPPED("claimed_elsewhere"))
            if claim in (Claim.OURS, Claim.ELSEWHERE):
                self.requested.add(key)
                new.append(entry)
            if claim == Claim.OURS:
                chosen.append(entry)
        return chosen, new, reached_since

    def go_deeper(self, new_entries: list[ListEntry], reached_since: bool) -> bool:
        """Whether the next list page is worth reading, given what this one held."""
        if reached_since:
            return False
        # Scheduled mode: a page with nothing new means older pages hold nothing new, unless
        # the last run was interrupted and may have left gaps behind newer posts.
        return bool(self.since or new_entries or self.run.last_run_interrupted)

    def next_page_wanted(
        self, name: str, page: int, entries: list[ListEntry], new_entries: list[ListEntry], reached_since: bool
    ) -> bool:
        """Whether to read page `page + 1` of list `name`, after page `page` gave these entries."""
        if not entries or reached_since:
            return False
        if self.resume_depth_left(name, entries) and page < MAX_PAGES:
            return True
        return page < self.pages and self.go_deeper(new_entries, reached_since)

    def resume_depth_left(self, name: str, entries: list[ListEntry]) -> bool:
        """While resuming: whether list `name` has yet to show as many entries from before the
        stopped run's start as that run's pages held (counted from this list's first page size)."""
        if self.resume_before is None:
            return False
        first = self.first_page_size.setdefault(name, max(len(entries), 1))
        old = sum(1 for entry in entries if _listed_before(entry, self.resume_before))
        self.old_entries_seen[name] = self.old_entries_seen.get(name, 0) + old
        return self.old_entries_seen[name] < self.resume_pages * first

    def article_request(self, entry: ListEntry) -> scrapy.Request:
        """The request of an article page, read by the spider's parse_article (article_failed when it
        fails). Articles go before the next list page (bounded queue on long backfills); `requested`
        already dedupes them, so Scrapy's fingerprint set need not hold them too."""
        self.crawler.stats.inc_value(keys.ARTICLES_REQUESTED)
        url = self.settings["FINEWS_ARTICLE_URL"].format(id=entry.article_id)
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"entry": entry},
            priority=1,
            dont_filter=True,
        )

    @staticmethod
    def entry_of(response: Response) -> ListEntry:
        """The list entry of an article page reached without one: its id, from the URL."""
        article_id = article_id_from_url(response.url)
        if not article_id:
            raise UsageError(f"{response.url} is no East Money article URL (/a/<id>.html)")
        return ListEntry(article_id)

    def read_article(self, response: Response, entry: ListEntry) -> Article:
        """The article a page gives (its provenance counted); ParseError (counted and logged) when it gives none."""
        self.crawler.stats.inc_value(keys.ARTICLES_FETCHED)
        try:
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            if not isinstance(response, TextResponse) or (content_type and not _HTML_TYPE_RE.match(content_type)):
                raise ParseError("not_html", content_type)
            if entry.article_id not in response.url:  # redirected to the home page or an error page
                raise ParseError("redirected", f"{response.request.url} -> {response.url}")
            article, provenance = parse_article_with_provenance(page_text(response), response.url, entry)
        except ParseError as exc:
            self.count_unreadable(response, exc)
            raise
        except Exception as exc:  # a page that breaks the parser is one unparsable page, not a lost run
            self.logger.error("Article %s broke the parser", response.url, exc_info=True)
            error = ParseError("parser_error", f"{type(exc).__name__}: {exc}")
            self.count_unreadable(response, error)
            raise error from exc
        self.count_provenance(article.url, provenance)
        return article

    def count_provenance(self, url: str, provenance: Provenance) -> None:
        """Count where an item's fields came from (the field coverage, crawler/extensions/coverage.py);
        the first item of the run that lacks a field on its page is that field's sample URL."""
        for field, origin in provenance.fields().items():
            self.count_field(url, field, origin)

    def count_field(self, url: str, field: str, origin: str) -> None:
        """Count where one field of an article page came from (its first item without it: the sample)."""
        stats = self.crawler.stats
        stats.inc_value(keys.COVERAGE(f"{self.feed.name}/{field}/{origin}"))
        sample = keys.COVERAGE_SAMPLE(f"{self.feed.name}/{field}")
        if origin != PAGE and stats.get_value(sample) is None:
            stats.set_value(sample, url)

    def count_unreadable(self, response: Response, error: ParseError) -> None:
        stats = self.crawler.stats
        stats.inc_value(keys.ARTICLES_UNPARSABLE)
        stats.inc_value(keys.ARTICLES_FAILED)
        stats.inc_value(keys.UNPARSABLE_BY_REASON(error.reason))
        if stats.get_value(keys.UNPARSABLE_SAMPLE(error.reason)) is None:
            stats.set_value(keys.UNPARSABLE_SAMPLE(error.reason), response.url)
        self.logger.warning("Article %s unreadable: %s", response.url, error)

    def download_failure_reason(self, failure: Failure) -> str:
        """Why a request failed after its retries (logged): http_<status>, robots_txt (forbidden by
        robots.txt), offsite_redirect (redirected to a host not allowed), too_large (over
        DOWNLOAD_MAXSIZE, also once decompressed) or download_error.

        The reasons that are not an HTTP status nor a network exception Scrapy counts itself are
        also counted as finews/download_failed/<reason> (the run report's download errors).
        """
        status = getattr(getattr(failure.value, "response", None), "status", None)
        message = failure.getErrorMessage()
        self.logger.warning("%s not downloaded: %s", failure.request.url, message)
        if status:
            return f"http_{status}"
        if failure.check(IgnoreRequest) and "robots.txt" in message:
            reason = "robots_txt"
        elif failure.check(IgnoreRequest) and message.startswith("offsite_redirect"):
            reason = "offsite_redirect"
        elif "max size" in message or "DOWNLOAD_MAXSIZE" in message:
            reason = "too_large"
        else:
            return "download_error"
        self.crawler.stats.inc_value(keys.DOWNLOAD_FAILED(reason))
        return reason

    def article_not_downloaded(self, failure: Failure) -> str:
        """Count an article request that failed after its retries; its reason."""
        self.crawler.stats.inc_value(keys.ARTICLES_FAILED)
        return self.download_failure_reason(failure)

    def list_failed(self, failure: Failure) -> None:
        """A list page that could not be downloaded (after retries): counted, the run goes on."""
        self.crawler.stats.inc_value(keys.LISTS_FAILED(self.download_failure_reason(failure)))

    async def start(self):
        if self.settings.getlist("FINEWS_REPLAY_WARC"):
            for item in self.replay(self.settings.getlist("FINEWS_REPLAY_WARC")):
                yield item
            return
        if self.run.last_run_interrupted:
            if self.run.unfinished_plan:
                self.resume(self.run.unfinished_plan)
            self.logger.warning(
                "The last run did not finish: reading up to %d list pages%s to fill the gap",
                self.pages,
                f", back to {self.since}" if self.since else "",
            )
        self.run.record_plan(self.plan())
        requests = self.first_list_requests()
        self.crawler.stats.set_value(keys.PROGRESS_LISTS, len(requests))  # one first page per list
        if self.since:
            self.crawler.stats.set_value(keys.PROGRESS_SINCE, self.since.isoformat())
        for request in requests:
            yield request

    def first_list_requests(self) -> list[scrapy.Request]:
        raise NotImplementedError

    # --- replay: the pages of WARC files instead of the network ---------------------------------
    def replay(self, files: list[str]) -> Iterator:
        """Replay mode (FINEWS_REPLAY_WARC, set by `scrapy archive replay`): the items of the pages the
        WARC files of this spider's crawls hold, read with today's parsers; nothing is requested.

        Every response record, file after file, in the order written, its content encoding undone as
        the crawl's HttpCompressionMiddleware undid it (within DOWNLOAD_MAXSIZE): a list page of this
        spider gives its entries (an article's page is read with the first entry of its run that listed
        it, as the crawl asked for it); an article page answered 2xx gives its item as parse_article
        does; an article only ever answered otherwise (a 404, a 5xx after the retries, a redirect) is
        failed as the crawl failed it (replay_failed), once every file is read. A record that cannot be
        read, or that breaks a parser, is one record lost (finews/replay/unreadable), said."""
        stats, limit = self.crawler.stats, self.settings.getint("DOWNLOAD_MAXSIZE") or 1 << 30
        try:
            decompression = HttpCompressionMiddleware.from_crawler(self.crawler)
        except NotConfigured:  # COMPRESSION_ENABLED off: the crawl's callbacks got the bodies as sent
            decompression = None
        run, entries = "", {}  # the run being read; its entries, the first listing of each article
        answered: set[str] = set()  # articles with a 2xx page
        failed: dict[str, tuple[ListEntry, str]] = {}  # articles only ever answered otherwise: why
        for path in files:
            for download in warcfile.downloads(path, limit):
                stats.inc_value(keys.REPLAY_RESPONSES)
                if download.run != run:
                    run, entries = download.run, {}
                try:
                    received = replayed_response(download)
                    response = decompression.process_response(received.request, received) if decompression else received
                    article_id = article_id_from_url(download.url)
                    if article_id and 200 <= download.status < 300:
                        stats.inc_value(keys.REPLAY_ARTICLES)
                        stats.inc_value(keys.ARTICLES_REQUESTED)  # as the crawl asked for it: the failure ratio holds
                        answered.add(article_id)
                        failed.pop(article_id, None)
                        yield from self.parse_article(response, entries.get(article_id) or ListEntry(article_id))
                    elif article_id and article_id not in answered:
                        reason = "redirected" if 300 <= download.status < 400 else f"http_{download.status}"
                        failed[article_id] = (entries.get(article_id) or ListEntry(article_id), reason)
                    elif not article_id and 200 <= download.status < 300:
                        listed = self.replayed_entries(response)
                        if listed is not None:
                            stats.inc_value(keys.REPLAY_LISTS)
                            for entry in listed:
                                entries.setdefault(entry.article_id, entry)
                except Exception as exc:  # one record lost, as one page is in a crawl
                    stats.inc_value(keys.REPLAY_UNREADABLE)
                    self.logger.warning(
                        "WARC record %s of %s not replayed: %s: %s", download.url[:200], path, type(exc).__name__, exc
                    )
        for entry, reason in failed.values():
            stats.inc_value(keys.ARTICLES_REQUESTED)
            stats.inc_value(keys.ARTICLES_FAILED)
            yield from self.replay_failed(entry, reason)

    def replayed_entries(self, response: Response) -> list[ListEntry] | None:
        """The entries of a list page of this spider's lists; None when the page is none."""
        raise NotImplementedError

    def replay_failed(self, entry: ListEntry, reason: str) -> Iterator:
        """What the crawl made of an article it could not read (after every file of the replay is read)."""
        raise NotImplementedError


def replayed_response(download: warcfile.Download) -> Response:
    """The Scrapy response a download of a WARC file stands for, as the downloader handed it over (its
    content encoding still to undo)."""
    headers = Headers(download.headers)
    cls = responsetypes.from_args(headers=headers, url=download.url, body=download.body)  # as the downloader does
    request = scrapy.Request(download.url, dont_filter=True)
    return cls(url=download.url, status=download.status, headers=headers, body=download.body, request=request)


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


def _listed_before(entry: ListEntry, moment: datetime) -> bool:
    """Whether the entry was published before `moment` (by its time, else by the day of its id)."""
    if entry.published_at:
        return entry.published_at <= moment
    day = _entry_day(entry)
    return day is not None and day < moment.astimezone(SHANGHAI).date()


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise UsageError(f"{name} must be a day as YYYY-MM-DD, not {text!r}") from None


def _pages(text: str | None) -> int | None:
    if not text:
        return None
    try:
        pages = int(text)
    except ValueError:
        pages = 0
    if pages < 1:
        raise UsageError(f"pages must be a whole number of list pages, 1 or more, not {text!r}")
    return pages
