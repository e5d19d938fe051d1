"""How a run went, from its stats: the closing summary, the JSON run report and the exit status.

Cron mails what a job prints and looks at its exit status, so a run that needs a person
(no list readable, most pages unparsable, a template change, archive locked or not writable) exits non-zero.
Monitoring tools read the run report (FINEWS_REPORT_FILE): stable keys, documented in docs/operations.md ("Run report").
"""

import json
import logging
from pathlib import Path

from scrapy import signals

from crawler import statkeys as keys
from crawler.archive.files import atomic_writer
from crawler.exitstatus import ExitStatus
from crawler.extensions.coverage import field_coverage
from crawler.items import iso_beijing

logger = logging.getLogger(__name__)

# What each drift alarm of the report says (crawler/extensions/coverage.py): a field's or a failure reason's.
_ALARM_KEYS = ("feed", "field", "reason", "share", "usual", "items", "sample_url", "message")
# Scrapy's own stats families that the report shows.
_SCRAPY_STATUS = keys.Family("downloader/response_status_count/")
_SCRAPY_EXCEPTIONS = keys.Family("downloader/exception_type_count/")


class RunSummary:
    """At spider_closed: records the exit status (stat finews/exit_status), logs the summary, writes the report."""

    def __init__(
        self, stats, max_article_failure_ratio: float, report_file: str | None = None, log_level: int = logging.INFO
    ):
        self.stats = stats
        self.log_level = max(log_level, logging.INFO)  # a run that went well is summed up at the level shown
        self.max_article_failure_ratio = max_article_failure_ratio
        self.report_file = report_file

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        ratio, report_file = settings.getfloat("FINEWS_MAX_ARTICLE_FAILURE_RATIO"), settings.get("FINEWS_REPORT_FILE")
        level = settings.get("LOG_LEVEL") or "INFO"
        log_level = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
        extension = cls(crawler.stats, ratio, report_file, log_level if isinstance(log_level, int) else logging.INFO)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider, reason):
        status = exit_status(self.stats.get_stats(), reason, self.max_article_failure_ratio)
        self.stats.set_value(keys.EXIT_STATUS, int(status))
        report = run_report(self.stats.get_stats(), spider.name)  # CoreStats (order 0) has set the times
        logger.log(self.log_level if status == ExitStatus.OK else logging.ERROR, "%s", summary_text(report))
        if self.report_file:
            try:
                write_json(Path(self.report_file), report)
            except OSError as exc:
                logger.error("Cannot write the run report %s: %s", self.report_file, exc)


def exit_status(stats: dict, reason: str, max_article_failure_ratio: float) -> ExitStatus:
    """The process exit status a run's stats call for (crawler/exitstatus.py)."""
    if reason == "archive_locked":
        return ExitStatus.LOCKED
    if reason in ("archive_not_writable", "warc_not_writable") or stats.get(keys.WRITE_ERRORS):
        return ExitStatus.NOT_WRITABLE
    if reason == "shared_index_lost" or stats.get(keys.SHARED_LOST):
        return ExitStatus.SHARED_INDEX_LOST
    if reason != "finished":
        return ExitStatus.STOPPED_EARLY
    if keys.LISTS_FAILED.read(stats) and not stats.get(keys.LISTS_READ):
        return ExitStatus.NO_LISTS
    if stats.get(keys.TEMPLATE_CHANGED):  # before 5: it says what broke (crawler/extensions/coverage.py)
        return ExitStatus.TEMPLATE_CHANGED
    again = stats.get(keys.ARTICLES_FAILED_AGAIN, 0)  # pages known to be bad (crawler/drops.py): not counted
    requested = stats.get(keys.ARTICLES_REQUESTED, 0) - again
    if requested > 0 and (stats.get(keys.ARTICLES_FAILED, 0) - again) / requested > max_article_failure_ratio:
        return ExitStatus.TOO_MANY_FAILURES
    return ExitStatus.OK


def run_report(stats: dict, spider: str) -> dict:
    """The run report: every key always present (0, {} or None), counts by name in name order."""
    skipped = keys.SKIPPED.read(stats)
    statuses = _SCRAPY_STATUS.read(stats)
    return {
        "spider": spider,
        "started_at": _iso(stats.get("start_time")),
        "finished_at": _iso(stats.get("finish_time")),
        "duration_seconds": round(stats.get("elapsed_time_seconds", 0.0), 3),
        "finish_reason": stats.get("finish_reason"),
        "exit_status": stats.get(keys.EXIT_STATUS, 0),
        "new_posts": stats.get(keys.POSTS_WRITTEN, 0),
        "new_posts_by_source": keys.POSTS_BY_SOURCE.read(stats),
        "new_category_pages": stats.get(keys.INDEX_PAGES_CREATED, 0),
        "slug_collisions": keys.SLUG_COLLISIONS.read(stats),
        "known_skipped": skipped.pop("known", 0),
        "skipped": skipped,
        "dropped": keys.DROPPED.read(stats),
        "summary_only": keys.SUMMARY_ONLY.read(stats),
        "articles_fetched": stats.get(keys.ARTICLES_FETCHED, 0),
        "articles_unparsable": stats.get(keys.ARTICLES_UNPARSABLE, 0),
        "articles_unparsable_by_reason": keys.UNPARSABLE_BY_REASON.read(stats),
        "field_coverage": field_coverage(stats),
        "template_changed": [
            {name: alarm.get(name) for name in _ALARM_KEYS} for alarm in stats.get(keys.TEMPLATE_CHANGED) or ()
        ],
        "lists_read": stats.get(keys.LISTS_READ, 0),
        "lists_read_by_category": keys.LISTS_READ_BY_LIST.read(stats),
        "lists_failed": keys.LISTS_FAILED.read(stats),
        "list_entries_not_taken": keys.LIST_ENTRIES_REJECTED.read(stats),
        "http_errors": {status: n for status, n in statuses.items() if not status.startswith(("2", "3"))},
        "download_errors": dict(sorted({**_SCRAPY_EXCEPTIONS.read(stats), **keys.DOWNLOAD_FAILED.read(stats)}.items())),
        "distributed": {
            "taken_over": stats.get(keys.SHARED_TAKEN_OVER, 0),
            "left_to_others": stats.get(keys.SHARED_LEFT_TO_OTHERS, 0),
        },
        "retries": {
            "count": stats.get("retry/count", 0),
            "gave_up": stats.get("retry/max_reached", 0),
            "backoff_seconds": round(stats.get(keys.RETRY_BACKOFF_SECONDS, 0.0), 3),
        },
    }


def summary_text(report: dict) -> str:
    """The human summary of a run report: new posts by source, skips, drops, lists, errors, duration."""

    def line(title: str, counts: dict[str, int]) -> str:
        pairs = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return f"  {title}: " + (", ".join(f"{name} {n}" for name, n in pairs) if pairs else "none")

    return "\n".join(
        [
            f"finews summary ({report['finish_reason'] or 'finished'}), {format_duration(report['duration_seconds'])}:",
            f"  new posts: {report['new_posts']} (new category pages: {report['new_category_pages']})",
            line("new posts by source", report["new_posts_by_source"]),
            f"  skipped known: {report['known_skipped']}",
            line("skipped other", report["skipped"]),
            line("dropped", report["dropped"]),
            f"  lists read: {report['lists_read']}",
            line("list entries not taken", report["list_entries_not_taken"]),
            line("lists failed", report["lists_failed"]),
            line("HTTP errors", report["http_errors"]),
            line("download errors", report["download_errors"]),
            *([line("slug collisions", report["slug_collisions"])] if report["slug_collisions"] else []),
            *(_coverage_line(feed, fields) for feed, fields in report["field_coverage"].items()),
            *(f"  {alarm['message']}" for alarm in report["template_changed"]),
            f"  exit status: {report['exit_status']} ({_meaning(report['exit_status'])})",
        ]
    )


def _coverage_line(feed: str, fields: dict) -> str:
    """'  from the page (eastmoney, 40 items): title 100%, time 100%, source 98%, body 100%, stocks 35%'"""
    items = max((figures["items"] for figures in fields.values()), default=0)
    shares = ", ".join(f"{field} {figures['page']:.0%}" for field, figures in fields.items())
    return f"  from the page ({feed}, {items} items): {shares}"


def format_duration(seconds: float) -> str:
    """'4.2 s', '3 min 07 s', '2 h 05 min': short enough for a status line."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def write_json(path: Path, data: dict) -> None:
    """Write `data` as UTF-8 JSON, atomically: a reader never sees half a report."""
    with atomic_writer(path, f".{path.name}-") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.write("\n")


def _meaning(status: int) -> str:
    try:
        return ExitStatus(status).meaning
    except ValueError:
        return "unknown"


def _iso(moment) -> str | None:
    return iso_beijing(moment) if moment else None
