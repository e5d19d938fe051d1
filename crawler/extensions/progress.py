"""Progress of a running crawl, for a person watching a long backfill (or a slow scheduled run).

Every FINEWS_PROGRESS_INTERVAL seconds the log gets a progress line: new posts and their rate,
list pages read per list and how far back each has gone, and in backfill mode the share of the
way to `since` and an estimate of the time left. When stderr is a terminal, a one-line display
there is also redrawn (a carriage-return line, cleared whenever a log line is printed).

The estimate: each list counts as done by the share of days between the newest day listed and
`since` that its pages have gone back through (a list not read yet counts 0); the run is done by
the mean of its lists, and the time left is the time so far scaled by what remains.
"""

import logging
import os
import sys
from datetime import UTC, date, datetime

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler import statkeys as keys
from crawler.extensions.summary import format_duration

logger = logging.getLogger(__name__)

TERMINAL_REFRESH = 1.0  # seconds between redraws of the terminal line (or the log interval, if shorter)


class ProgressLog:
    """Logs progress_text() periodically; keeps a status line on stderr when it is a terminal."""

    def __init__(self, stats, interval: float, terminal=None):
        self.stats = stats
        self.interval = interval
        self.terminal = terminal  # a tty stream for the one-line display, or None
        self.tasks = []
        self.line_shown = False
        self.clearer = _ClearLine(self)

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("FINEWS_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler.stats, interval, sys.stderr if sys.stderr.isatty() else None)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider):
        self.tasks = [create_looping_call(self.log)]
        self.tasks[0].start(self.interval, now=False)
        if self.terminal:
            for handler in logging.root.handlers:  # log lines must not land on the display line
                handler.addFilter(self.clearer)
            self.tasks.append(create_looping_call(self.draw))
            self.tasks[1].start(min(TERMINAL_REFRESH, self.interval), now=False)

    def spider_closed(self, spider, reason):
        for task in self.tasks:
            if task.running:
                task.stop()
        if self.terminal:
            for handler in logging.root.handlers:
                handler.removeFilter(self.clearer)
            self.clear()

    def log(self) -> None:
        logger.info("%s", progress_text(self.stats.get_stats(), datetime.now(UTC)))

    def draw(self) -> None:
        width = _columns(self.terminal)
        text = progress_text(self.stats.get_stats(), datetime.now(UTC), compact=True)
        self.terminal.write("\r\x1b[K" + text[: width - 1])
        self.terminal.flush()
        self.line_shown = True

    def clear(self) -> None:
        if self.line_shown:
            self.terminal.write("\r\x1b[K")
            self.terminal.flush()
            self.line_shown = False


class _ClearLine(logging.Filter):
    """A log handler filter that wipes the terminal line before each record is printed."""

    def __init__(self, progress: ProgressLog):
        super().__init__()
        self.progress = progress

    def filter(self, record):
        self.progress.clear()
        return True


def progress_text(stats: dict, now: datetime, compact: bool = False) -> str:
    """How far the crawl has come, from its stats at `now` (aware): a log line, or a short terminal line."""
    start = stats.get("start_time")
    elapsed = max((now - start).total_seconds(), 0.0) if start else 0.0
    posts = stats.get(keys.POSTS_WRITTEN, 0)
    rate = f"{posts / (elapsed / 60):.1f}/min" if elapsed else "-/min"
    oldest = keys.PROGRESS_OLDEST_DAY.read(stats)
    since, done = stats.get(keys.PROGRESS_SINCE), _share_done(stats)
    if done is None:  # scheduled mode: no `since` to measure against
        toward = short = ""
    elif done >= 1:
        toward, short = f"every list is back to {since}, finishing the articles", f"lists back to {since}"
    elif done > 0:
        left = format_duration(elapsed * (1 - done) / done)
        toward = f"{int(done * 100)}% of the way back to {since}, about {left} left"
        short = f"{int(done * 100)}% to {since}, {left} left"
    else:
        toward, short = f"0% of the way back to {since}, time left not known yet", f"0% to {since}"
    if compact:
        reached = f", back to {min(oldest.values())}" if oldest else ""
        return f"{format_duration(elapsed)}: {_new_posts(posts)} ({rate}){reached}" + (f", {short}" if short else "")
    per_list = ", ".join(
        f"{name} {n}" + (f" (to {oldest[name]})" if name in oldest else "")
        for name, n in keys.LISTS_READ_BY_LIST.read(stats).items()
    )
    parts = [
        f"progress after {format_duration(elapsed)}: {_new_posts(posts)} ({rate})",
        f"list pages read {stats.get(keys.LISTS_READ, 0)}" + (f": {per_list}" if per_list else ""),
    ]
    return "; ".join(parts + ([toward] if toward else []))


def _new_posts(count: int) -> str:
    return f"{count} new post" + ("" if count == 1 else "s")


def _share_done(stats: dict) -> float | None:
    """The mean over the run's lists of how far back each has gone toward `since` (0..1); None if not a backfill."""
    since = stats.get(keys.PROGRESS_SINCE)
    if not since:
        return None
    oldest = keys.PROGRESS_OLDEST_DAY.read(stats)
    newest = stats.get(keys.PROGRESS_NEWEST_DAY)
    if not newest:
        return 0.0
    newest = date.fromisoformat(newest)
    span = (newest - date.fromisoformat(since)).days + 1  # days to page through, `since` included
    if span <= 0:  # the lists hold nothing as new as `since`
        return 1.0
    shares = [min(max((newest - date.fromisoformat(day)).days / span, 0.0), 1.0) for day in oldest.values()]
    lists = max(stats.get(keys.PROGRESS_LISTS, 0), len(shares), 1)
    return sum(shares) / lists


def _columns(stream) -> int:
    """The terminal's width (100 when it does not say)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 100
    except (OSError, ValueError):
        return 100
