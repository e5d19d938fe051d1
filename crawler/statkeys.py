"""Every stats key this project writes into Scrapy's stats collector, in one place.

A single key is a constant; a family of keys (one per reason, media source or list) is a
`Family`: `DROPPED("duplicate")` is the key "finews/dropped/duplicate", and
`DROPPED.read(stats)` gives the family back as {"duplicate": 3, ...}. Spiders, pipelines
and extensions count with these; the run summary and the progress display read them.
docs/operations.md ("Run report") documents what each one means.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """Stats keys that share a prefix and differ by one name."""

    prefix: str

    def __call__(self, name: str) -> str:
        return self.prefix + name

    def read(self, stats: dict) -> dict:
        """The family's values by name, in name order."""
        return dict(
            sorted((key[len(self.prefix) :], value) for key, value in stats.items() if key.startswith(self.prefix))
        )


# --- what was written ------------------------------------------------------------------------
POSTS_WRITTEN = "finews/posts/written"
POSTS_BY_SOURCE = Family("finews/posts/by_source/")  # per media name (or the 7x24 feed's label)
INDEX_PAGES_CREATED = "finews/categories/created"  # category pages and the emnews index page
WRITE_ERRORS = "finews/write_errors"  # posts the archive could not take (the run stops)
SLUG_COLLISIONS = Family("finews/slug_collisions/")  # per category slug: other media names that gave the same one

# --- what was not ----------------------------------------------------------------------------
DROPPED = Family("finews/dropped/")  # by reason: validation, duplicate, http_404, unparsable page, ...
SKIPPED = Family("finews/skipped/")  # not fetched: known, dropped, listed_twice, claimed_elsewhere, out_of_range
SUMMARY_ONLY = Family("finews/emnews/summary_only/")  # 7x24 items posted from their summary, by reason

# --- lists and pages -------------------------------------------------------------------------
LISTS_READ = "finews/lists/read"
LISTS_READ_BY_LIST = Family("finews/lists/read/")  # per category name, or "7x24"
LISTS_FAILED = Family("finews/lists/failed/")  # by reason
LIST_ENTRIES_REJECTED = Family("finews/lists/rejected_entries/")  # by reason (not_cms, bad_id, duplicate, ...)
ARTICLES_REQUESTED = "finews/articles/requested"  # article pages asked for
ARTICLES_FETCHED = "finews/articles/fetched"  # ... and answered
ARTICLES_UNPARSABLE = "finews/articles/unparsable"  # ... answered with a page that gives no article
ARTICLES_FAILED = "finews/articles/failed"  # asked for but not read: not downloaded, or unparsable
ARTICLES_FAILED_AGAIN = "finews/articles/failed_again"  # ... of them remembered drops dropped again (not counted)
DOWNLOAD_FAILED = Family("finews/download_failed/")  # robots_txt, too_large: failures Scrapy counts as no exception
UNPARSABLE_BY_REASON = Family("finews/articles/unparsable_by/")  # ... by ParseError reason (no_body, no_time, ...)
UNPARSABLE_SAMPLE = Family("finews/articles/unparsable_sample/")  # per reason: the URL of the first such page

# --- field coverage and template drift (crawler/extensions/coverage.py) ----------------------
# per "<feed>/<field>/<provenance>": article pages whose field (title, time, source, body, stocks) came
# from the page's own markup (page), a fallback (fallback) or nowhere (missing); crawler.items.Provenance
COVERAGE = Family("finews/coverage/")
COVERAGE_SAMPLE = Family("finews/coverage_sample/")  # per "<feed>/<field>": the URL of the first item not from the page
TEMPLATE_CHANGED = "finews/template_changed"  # the drift alarms of the run (a list of dicts): exit status 10

# --- progress (crawler/extensions/progress.py) -----------------------------------------------
PROGRESS_LISTS = "finews/progress/lists"  # how many lists the run reads
PROGRESS_SINCE = "finews/progress/since"  # backfill: the ISO day it goes back to
PROGRESS_OLDEST_DAY = Family("finews/progress/oldest_day/")  # per list: the oldest ISO day listed so far
PROGRESS_NEWEST_DAY = "finews/progress/newest_day"  # the newest ISO day any list gave

# --- the run ---------------------------------------------------------------------------------
RETRY_BACKOFF_SECONDS = "finews/retry/backoff_seconds"

# Distributed mode (FINEWS_REDIS_URL)
SHARED_LOST = "finews/shared/lost"  # why the shared Redis could not be used (the run stopped: exit status 8)
SHARED_TAKEN_OVER = "finews/shared/taken_over"  # articles other workers held and let go, fetched by this run
SHARED_LEFT_TO_OTHERS = "finews/shared/left_to_others"  # ... still held by others (unwritten) when it closed
EXIT_STATUS = "finews/exit_status"

# --- WARC capture (FINEWS_WARC_DIR, crawler/extensions/warc.py) ------------------------------
WARC_RECORDS = "warc/records"  # WARC records written (warcinfo, request, response)
WARC_BYTES = "warc/bytes"  # bytes written to WARC files (gzip)
WARC_FILES = "warc/files"  # WARC files opened
WARC_WRITE_ERRORS = "warc/write_errors"  # a WARC write failed: the run stopped (exit status 6)
WARC_RECOVERED = "warc/recovered"  # `.open` files of a stopped run, cut to their whole records and renamed

# --- replay (FINEWS_REPLAY_WARC, `scrapy archive replay`) ------------------------------------
REPLAY_RESPONSES = "finews/replay/responses"  # response records read from WARC files
REPLAY_LISTS = "finews/replay/lists"  # ... that were list pages of the spider
REPLAY_ARTICLES = "finews/replay/articles"  # ... that were article pages answered 2xx
REPLAY_UNREADABLE = "finews/replay/unreadable"  # ... that could not be read (too large once decoded, broke a parser)
POSTS_REWRITTEN = "finews/posts/rewritten"  # replay --rewrite: posts whose parse changed, written again
POSTS_UNCHANGED = "finews/posts/unchanged"  # replay --rewrite: posts the parse gave again byte for byte
