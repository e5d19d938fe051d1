"""Extension that ends every run with a one-screen summary of what it did, read from stats."""

import logging

from scrapy import signals

logger = logging.getLogger(__name__)


class RunSummary:
    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler.stats)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider, reason):
        logger.info("%s", summary_text(self.stats.get_stats(), reason))


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
        ]
    )
