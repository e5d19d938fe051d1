"""Field coverage and template drift: where each article's fields came from, against the feed's usual level.

The spiders count, per feed and field (title, time, source, body, stocks), the article pages that gave
the field in their own markup, only through a fallback, or not at all (crawler.items.Provenance,
stats `finews/coverage/<feed>/<field>/<provenance>`). `field_coverage` turns those counts into the
run report's shares. At spider_closed `FieldCoverage` compares this run's page shares with the median of
the feed's last runs, kept in the archive (`.finews.<feed>.coverage`, one JSON object a line), and
raises the drift alarm (one ERROR line "template changed: ...", stat finews/template_changed, exit
status 10, crawler/extensions/summary.py) when a field fell far below it, or when every article page
of the run failed with one and the same reason. A run with an alarm does not join the history, so a
lasting change keeps alarming until someone looks. docs/operations.md ("Template drift") says how.
"""

from __future__ import annotations

import json
import logging
import math
import os
import stat
from pathlib import Path
from statistics import median

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler import statkeys as keys
from crawler.archive import layout
from crawler.archive.files import atomic_writer, file_text
from crawler.extensions.archive_run import archive_run, run_feed
from crawler.items import COVERED_FIELDS, FALLBACK, MISSING, PAGE, iso_beijing

logger = logging.getLogger(__name__)

ORIGINS = (PAGE, FALLBACK, MISSING)
HISTORY_MOST_BYTES = 256 * 1024  # a longer history file is not this project's: it is ignored (and replaced)
_LINE_MOST = 4096  # a longer line is no run's figures


def field_coverage(stats: dict) -> dict[str, dict[str, dict]]:
    """The run report's `field_coverage`: {feed: {field: {"page", "fallback", "missing": share, "items": n}}}.

    Shares of the items counted for that feed (rounded to 4 places, summing to 1); fields in
    COVERED_FIELDS order, feeds in name order; {} when no article was counted.
    """
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for name, value in keys.COVERAGE.read(stats).items():
        feed, _, rest = name.partition("/")
        field, _, origin = rest.partition("/")
        if field in COVERED_FIELDS and origin in ORIGINS and isinstance(value, int):
            counts.setdefault(feed, {}).setdefault(field, {})[origin] = value
    report = {}
    for feed, by_field in sorted(counts.items()):
        report[feed] = {}
        for field in COVERED_FIELDS:
            figures = by_field.get(field, {})
            items = sum(figures.values())
            report[feed][field] = {
                origin: round(figures.get(origin, 0) / items, 4) if items else 0.0 for origin in ORIGINS
            }
            report[feed][field]["items"] = items
    return report


def usual_level(history: list[dict], field: str, min_runs: int) -> tuple[float, int] | None:
    """The median page share of `field` over the earlier runs, and how many; None with fewer than `min_runs`."""
    shares = [entry["page"][field] for entry in history if field in entry["page"]]
    return (median(shares), len(shares)) if len(shares) >= min_runs else None


def drifted(share: float, items: int, usual: float, drop: float) -> bool:
    """Whether a page share of `items` items is far below the usual one: by at least `drop`, and by more
    than three standard deviations of a share of that many items (a small run's chance dip is no change)."""
    margin = max(drop, 3 * math.sqrt(usual * (1 - usual) / items))
    return share <= usual - margin + 1e-9


def drift_alarms(
    feed: str, coverage: dict, history: list[dict], samples: dict, min_items: int, min_runs: int, drop: float
) -> list[dict]:
    """The fields of `feed` whose page share this run fell far below their usual level (see `drifted`).

    `coverage` is the feed's part of field_coverage, `samples` the run's COVERAGE_SAMPLE family.
    """
    alarms = []
    for field, figures in coverage.items():
        items, share = figures["items"], figures[PAGE]
        usual = usual_level(history, field, min_runs) if items >= min_items else None
        if usual is None or not drifted(share, items, usual[0], drop):
            continue
        sample = samples.get(f"{feed}/{field}") or ""
        message = (
            f"template changed: {feed} {field} came from the page in {share:.0%} of {items} items, "
            f"usually {usual[0]:.0%} (median of the last {usual[1]} runs); e.g. {sample}"
        )
        alarm = {"feed": feed, "field": field, "share": share, "usual": usual[0], "items": items}
        alarms.append({**alarm, "sample_url": sample, "message": message})
    return alarms


def failure_alarm(feed: str, stats: dict, min_pages: int) -> dict | None:
    """The alarm when every article page the run fetched (at least `min_pages`) failed to parse with one reason."""
    fetched = stats.get(keys.ARTICLES_FETCHED, 0)
    reasons = keys.UNPARSABLE_BY_REASON.read(stats)
    if fetched < min_pages or len(reasons) != 1 or next(iter(reasons.values())) != fetched:
        return None
    reason = next(iter(reasons))
    sample = keys.UNPARSABLE_SAMPLE.read(stats).get(reason) or ""
    message = (
        f"template changed: {feed} every article page failed: {reason} ({fetched} of {fetched} pages); e.g. {sample}"
    )
    return {"feed": feed, "reason": reason, "share": 0.0, "items": fetched, "sample_url": sample, "message": message}


def history_entry(coverage: dict, finished_at: str) -> dict:
    """One run's line of the history file: when it finished, its items, each field's page share."""
    items = max((figures["items"] for figures in coverage.values()), default=0)
    return {"finished_at": finished_at, "items": items, "page": {f: figures[PAGE] for f, figures in coverage.items()}}


def read_history(path: Path, keep: int) -> list[dict]:
    """The last `keep` runs of a history file; [] when there is none or it is no regular file (a link, a
    folder, a FIFO: never followed), too large, or not UTF-8. Lines that are no run's figures are skipped."""
    try:
        text = file_text(path, HISTORY_MOST_BYTES)
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("Ignoring the coverage history %s: %s", path, exc)
        return []
    entries = [entry for entry in map(_entry, text.splitlines()) if entry is not None]
    return entries[-keep:] if keep else []


def _entry(line: str) -> dict | None:
    if len(line) > _LINE_MOST:
        return None
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: a line of thousands of nested brackets
        return None
    if not isinstance(data, dict) or not isinstance(data.get("page"), dict):
        return None
    items = data.get("items")
    page = {
        field: float(share)
        for field, share in data["page"].items()
        if field in COVERED_FIELDS
        and isinstance(share, int | float)
        and not isinstance(share, bool)
        and 0 <= share <= 1  # NaN is not
    }
    if not page or not isinstance(items, int) or isinstance(items, bool) or items < 1:
        return None
    return {"finished_at": str(data.get("finished_at") or "")[:40], "items": items, "page": page}


def write_history(path: Path, entries: list[dict], temp_prefix: str) -> None:
    """Write the history file atomically; OSError when it cannot be, or when what is there is no regular
    file (a link or a folder is never written through nor replaced)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise OSError(f"{path} is not a regular file")
    with atomic_writer(path, temp_prefix) as handle:
        for entry in entries:
            handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")


class FieldCoverage:
    """At spider_closed: the drift alarms of the run (stat finews/template_changed), and its figures added to
    the feed's history when it finished without one.

    Its order (settings.EXTENSIONS) is before ArchiveRun's, so the history is written while the run
    still holds the feed's lock, and before RunSummary's, which turns an alarm into exit status 10.
    """

    def __init__(self, crawler, feed_name: str):
        settings = crawler.settings
        self.crawler = crawler
        self.feed = feed_name
        self.keep = settings.getint("FINEWS_COVERAGE_HISTORY")
        self.min_items = settings.getint("FINEWS_COVERAGE_MIN_ITEMS")
        self.min_runs = settings.getint("FINEWS_COVERAGE_MIN_RUNS")
        self.drop = settings.getfloat("FINEWS_COVERAGE_DROP")
        # A replay (FINEWS_REPLAY_WARC) reads pages of the past: it may alarm, but its figures say
        # nothing of East Money today and join no history.
        self.replaying = bool(settings.getlist("FINEWS_REPLAY_WARC"))

    @classmethod
    def from_crawler(cls, crawler) -> FieldCoverage:
        feed = run_feed(crawler.spidercls, crawler.settings)
        if feed is None:
            raise NotConfigured("the spider writes no archive feed")
        extension = cls(crawler, feed.name)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def history_path(self) -> Path | None:
        run = archive_run(self.crawler)
        return run.archive.root / layout.lock_name(self.feed, layout.COVERAGE_GLOB) if run else None

    def spider_closed(self, spider, reason: str) -> None:
        try:
            self.check(reason)
        except Exception:  # the run's outcome stands; the check's failure is said, never quiet
            logger.error("The field coverage check of %s failed", self.feed, exc_info=True)

    def check(self, reason: str) -> None:
        """The alarms of this run, against the usual level of the runs in the history that had enough items."""
        stats = self.crawler.stats.get_stats()
        if reason in ("archive_locked", "archive_not_writable"):
            return  # the archive is not this run's
        coverage = field_coverage(stats).get(self.feed, {})
        path = self.history_path() if self.keep else None
        history = read_history(path, self.keep) if path else []
        samples = keys.COVERAGE_SAMPLE.read(stats)
        usual = [entry for entry in history if entry["items"] >= self.min_items]  # a small run sets no level
        alarms = drift_alarms(self.feed, coverage, usual, samples, self.min_items, self.min_runs, self.drop)
        failed = failure_alarm(self.feed, stats, self.min_items)
        alarms += [failed] if failed else []
        for alarm in alarms:
            logger.error("%s", alarm["message"])
        if alarms:
            self.crawler.stats.set_value(keys.TEMPLATE_CHANGED, alarms)
        items = max((figures["items"] for figures in coverage.values()), default=0)
        healthy = reason == "finished" and not stats.get(keys.WRITE_ERRORS) and not stats.get(keys.SHARED_LOST)
        if path and healthy and not alarms and not self.replaying and items >= self.min_items:
            finished = stats.get("finish_time") or stats.get("start_time")
            entry = history_entry(coverage, iso_beijing(finished) if finished else "")
            try:
                write_history(path, [*history, entry][-self.keep :], layout.temp_prefix(self.feed))
            except OSError as exc:
                logger.error("Cannot write the coverage history %s: %s", path, exc)
