"""Every exit status a finews command returns, in one enum: cron and CI read them, docs/reference.md lists them.

`scrapy crawl` returns the run's status (crawler/extensions/summary.py decides it from the stats);
`scrapy archive`, `scrapy seed_redis` and `scrapy demo` return theirs from the same list.
"""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1  # crawl: Scrapy could not start; build: Jekyll or Pagefind failed; doctor: problems left
    USAGE = 2  # a bad option, argument or setting, an unknown spider, no archive or no tool where one is needed
    LOCKED = 3  # another run holds the archive's lock: nothing was done
    NO_LISTS = 4  # no category list could be read
    TOO_MANY_FAILURES = 5  # too many article pages could not be fetched or parsed (FINEWS_MAX_ARTICLE_FAILURE_RATIO)
    NOT_WRITABLE = 6  # the archive, an output file or the WARC folder (FINEWS_WARC_DIR) is not writable
    STOPPED_EARLY = 7  # the run stopped before it finished its plan: the next run fills the gap
    SHARED_INDEX_LOST = 8  # the shared Redis cannot be used or lost its data
    PUSH_FAILED = 9  # publish: the push failed for good (the commit is kept for the next publish)
    TEMPLATE_CHANGED = 10  # crawl: a field's page coverage fell far below its usual level, or every page failed one way

    @property
    def meaning(self) -> str:
        """What the status says, in one line (the run summary and the docs)."""
        return _MEANINGS[self]


_MEANINGS = {
    ExitStatus.OK: "ok",
    ExitStatus.FAILED: "failed (Scrapy could not start; a build failed; doctor found problems)",
    ExitStatus.USAGE: "usage error: a bad option, argument or setting",
    ExitStatus.LOCKED: "another run holds the archive lock; this run did nothing",
    ExitStatus.NO_LISTS: "no category list could be read",
    ExitStatus.TOO_MANY_FAILURES: "too many article pages could not be fetched or parsed (FINEWS_MAX_ARTICLE_FAILURE_RATIO)",
    ExitStatus.NOT_WRITABLE: "the archive is not writable",
    ExitStatus.STOPPED_EARLY: "the run stopped before it finished (a signal, a shutdown, a closed spider): the next run fills the gap",
    ExitStatus.SHARED_INDEX_LOST: "the shared Redis (FINEWS_REDIS_URL) cannot be used or lost its data: the run stopped at once",
    ExitStatus.PUSH_FAILED: "the push failed for good; the commit is kept for the next publish",
    ExitStatus.TEMPLATE_CHANGED: "template changed: the article pages no longer give a field as they used to, or every page failed one way",
}
