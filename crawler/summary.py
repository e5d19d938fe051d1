"""How a run went, from its stats: the closing summary, the JSON run report and the exit status.

Cron mails what a job prints and looks at its exit status, so a run that needs a person
(no list readable, most pages unparsable, archive locked or not writable) exits non-zero.
Monitoring tools read the run report (FINEWS_REPORT_FILE): stable keys, documented in README.md.
"""

import json
import logging
import os
import tempfile
from pathlib import Path

from scrapy import signals

from crawler.items import iso_beijing

logger = logging.getLogger(__name__)

EXIT_STATUS = {
    0: "ok",
    3: "another run holds the archive lock; this run did nothing",
    4: "no category list could be read",
    5: "too many article pages could not be parsed (FINEWS_MAX_PARSE_FAILURE_RATIO)",
    6: "the archive is not writable",
}


class RunSummary:
    """At spider_closed: records the exit status (stat finews/exit_status), logs the summary, writes the report."""

    def __init__(self, stats, max_parse_failure_ratio: float, report_file: str | None = None):
        self.stats = stats
        self.max_parse_failure_ratio = max_parse_failure_ratio
        self.report_file = report_file

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        ratio, report_file = settings.getfloat("FINEWS_MAX_PARSE_FAILURE_RATIO"), settings.get("FINEWS_REPORT_FILE")
        extension = cls(crawler.stats, ratio, report_file)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider, reason):
        status = exit_status(self.stats.get_stats(), reason, self.max_parse_failure_ratio)
        self.stats.set_value("finews/exit_status", status)
        report = run_report(self.stats.get_stats(), spider.name)  # CoreStats (order 0) has set the times
        log = logger.info if status == 0 else logger.error
        log("%s\n  exit status: %d (%s)", summary_text(report), status, EXIT_STATUS[status])
        if self.report_file:
            try:
                write_json(Path(self.report_file), report)
            except OSError as exc:
                logger.error("Cannot write the run report %s: %s", self.report_file, exc)


def exit_status(stats: dict, reason: str, max_parse_failure_ratio: float) -> int:
    """The process exit status a run's stats call for (see EXIT_STATUS)."""
    if reason == "archive_locked":
        return 3
    if reason == "archive_not_writable" or stats.get("finews/write_errors"):
        return 6
    lists_failed = sum(v for k, v in stats.items() if k.startswith("finews/lists/failed/"))
    if lists_failed and not stats.get("finews/lists/read"):
        return 4
    fetched = stats.get("finews/articles/fetched", 0)
    if fetched and stats.get("finews/articles/unparsable", 0) / fetched > max_parse_failure_ratio:
        return 5
    return 0


def run_report(stats: dict, spider: str) -> dict:
    """The run report: every key always present (0, {} or None), counts by name in name order."""

    def counts(prefix: str) -> dict[str, int]:
        return dict(sorted((k[len(prefix):], v) for k, v in stats.items() if k.startswith(prefix)))

    skipped = counts("finews/skipped/")
    statuses = counts("downloader/response_status_count/")
    return {
        "spider": spider,
        "started_at": _iso(stats.get("start_time")),
        "finished_at": _iso(stats.get("finish_time")),
        "duration_seconds": round(stats.get("elapsed_time_seconds", 0.0), 3),
        "finish_reason": stats.get("finish_reason"),
        "exit_status": stats.get("finews/exit_status", 0),
        "new_posts": stats.get("finews/posts/written", 0),
        "new_posts_by_source": counts("finews/posts/by_source/"),
        "new_category_pages": stats.get("finews/categories/created", 0),
        "known_skipped": skipped.pop("known", 0),
        "skipped": skipped,
        "dropped": counts("finews/dropped/"),
        "summary_only": counts("finews/emnews/summary_only/"),
        "articles_fetched": stats.get("finews/articles/fetched", 0),
        "articles_unparsable": stats.get("finews/articles/unparsable", 0),
        "lists_read": stats.get("finews/lists/read", 0),
        "lists_read_by_category": counts("finews/lists/read/"),
        "lists_failed": counts("finews/lists/failed/"),
        "list_entries_not_taken": counts("finews/lists/rejected_entries/"),
        "http_errors": {status: n for status, n in statuses.items() if not status.startswith(("2", "3"))},
        "download_errors": counts("downloader/exception_type_count/"),
        "retries": {
            "count": stats.get("retry/count", 0),
            "gave_up": stats.get("retry/max_reached", 0),
            "backoff_seconds": round(stats.get("finews/retry/backoff_seconds", 0.0), 3),
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
        ]
    )


def format_duration(seconds: float) -> str:
    """'4.2 s', '3 min 07 s', '2 h 05 min': short enough for a status line."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def write_json(path: Path, data: dict) -> None:
    """Write `data` as UTF-8 JSON via a temp file and rename: a reader never sees half a report."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _iso(moment) -> str | None:
    return iso_beijing(moment) if moment else None
