"""How a run went, from its stats: the closing one-screen summary and the process exit status.

Cron mails what a job prints and looks at its exit status, so a run that needs a person
(no list readable, most pages unparsable, archive locked or not writable) exits non-zero.
"""

import json
import logging
from pathlib import Path

from scrapy import signals

logger = logging.getLogger(__name__)

EXIT_STATUS = {
    0: "ok",
    3: "another run holds the archive lock; this run did nothing",
    4: "no category list could be read",
    5: "too many article pages could not be parsed (FINEWS_MAX_PARSE_FAILURE_RATIO)",
    6: "the archive is not writable",
}


class RunSummary:
    """Logs the summary when the spider closes and records the exit status as stat finews/exit_status."""

    def __init__(self, stats, max_parse_failure_ratio: float, stats_file: str | None = None):
        self.stats = stats
        self.max_parse_failure_ratio = max_parse_failure_ratio
        self.stats_file = stats_file

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        extension = cls(crawler.stats, settings.getfloat("FINEWS_MAX_PARSE_FAILURE_RATIO"), settings.get("FINEWS_STATS_FILE"))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider, reason):
        stats = self.stats.get_stats()
        status = exit_status(stats, reason, self.max_parse_failure_ratio)
        self.stats.set_value("finews/exit_status", status)
        log = logger.info if status == 0 else logger.error
        log("%s\n  exit status: %d (%s)", summary_text(stats, reason), status, EXIT_STATUS[status])
        if self.stats_file:  # for monitoring: every number of the run, as JSON
            numbers = {k: v for k, v in self.stats.get_stats().items() if isinstance(v, int | float)}
            Path(self.stats_file).write_text(json.dumps({"finish_reason": reason, **numbers}, ensure_ascii=False, indent=1))


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


def summary_text(stats: dict, reason: str = "finished") -> str:
    """Human summary: new posts by source, known skipped, drops by reason, list and HTTP errors."""

    def group(prefix: str) -> list[tuple[str, int]]:
        return sorted(((k[len(prefix):], v) for k, v in stats.items() if k.startswith(prefix)), key=lambda kv: (-kv[1], kv[0]))

    def line(title: str, pairs: list[tuple[str, int]]) -> str:
        return f"  {title}: " + (", ".join(f"{name} {count}" for name, count in pairs) if pairs else "none")

    http_errors = group("downloader/response_status_count/")
    return "\n".join(
        [
            f"finews summary ({reason}):",
            f"  new posts: {stats.get('finews/posts/written', 0)}"
            f" (new category pages: {stats.get('finews/categories/created', 0)})",
            line("new posts by source", group("finews/posts/by_source/")),
            f"  skipped known: {stats.get('finews/skipped/known', 0)}",
            line("skipped other", [kv for kv in group("finews/skipped/") if kv[0] != "known"]),
            line("dropped", group("finews/dropped/")),
            f"  lists read: {stats.get('finews/lists/read', 0)}",
            line("list entries not taken", group("finews/lists/rejected_entries/")),
            line("lists failed", group("finews/lists/failed/")),
            line("HTTP errors", [kv for kv in http_errors if not kv[0].startswith(("2", "3"))]),
            line("download errors", group("downloader/exception_type_count/")),
        ]
    )
